package receiptdoc

import (
	"fmt"
	"time"

	"github.com/bursar/bursar/internal/billing"
)

// Labels are the words of a receipt in one language.
type Labels struct {
	Receipt      string // the document's name
	Number       string
	Issued       string
	Status       string
	Payer        string
	Learner      string
	Enrollment   string
	Billing      string // how the enrollment is billed
	Schedule     string
	Period       string
	Part         string
	Due          string
	Amount       string
	Fee          string // the enrollment fee included in the amount
	Paid         string
	Left         string // left to pay
	Payments     string
	Date         string
	Method       string
	NoPayments   string
	Email        string
	Phone        string
	Website      string
	Contact      string
	Print        string
	DownloadPDF  string
	Tuition      string
	Installments string
	// UntilCancelled ends a tuition schedule without a number of periods.
	UntilCancelled string
	// Of says "part k of n": two %d.
	Of       string
	Statuses map[billing.ReceiptStatus]string
	Methods  map[string]string
}

// words are a language's texts: the labels, and what dates, schedules and counts are made of.
type words struct {
	Labels
	months [12]string // in the form a date uses (genitive in ru and uk)
	date   func(d int, month string, y int) string
	// every is "every week"; everyN is "every %d weeks" in the plural forms of plural().
	every  map[billing.Unit]string
	everyN map[billing.Unit][3]string
	// periods and parts count: "%d periods", in the plural forms of plural().
	periods [3]string
	parts   [3]string
}

// plural picks the form of n among one, few and many: Russian and Ukrainian have the three; French counts 0 and 1
// as one; English and Spanish use one and many.
func plural(lang string, n int, forms [3]string) string {
	switch lang {
	case "ru", "uk":
		switch {
		case n%10 == 1 && n%100 != 11:
			return fmt.Sprintf(forms[0], n)
		case n%10 >= 2 && n%10 <= 4 && (n%100 < 12 || n%100 > 14):
			return fmt.Sprintf(forms[1], n)
		default:
			return fmt.Sprintf(forms[2], n)
		}
	case "fr":
		if n <= 1 {
			return fmt.Sprintf(forms[0], n)
		}
	default:
		if n == 1 {
			return fmt.Sprintf(forms[0], n)
		}
	}
	return fmt.Sprintf(forms[2], n)
}

// Languages are the languages a receipt is written in.
var Languages = []string{"en", "es", "fr", "ru", "uk"}

var catalog = map[string]words{
	"en": {
		Labels: Labels{
			Receipt: "Receipt", Number: "Number", Issued: "Issued on", Status: "Status", Payer: "Payer",
			Learner: "Learner", Enrollment: "Enrollment", Billing: "Billing", Schedule: "Schedule", Period: "Period",
			Part: "Part", Due: "Due date", Amount: "Amount", Fee: "Enrollment fee (included)", Paid: "Paid",
			Left: "Left to pay", Payments: "Payments", Date: "Date", Method: "Method", NoPayments: "No payments yet.",
			Email: "E-mail", Phone: "Phone", Website: "Website", Contact: "Contact", Print: "Print",
			DownloadPDF: "Download PDF", Tuition: "Tuition", Installments: "Installments",
			UntilCancelled: "until cancelled", Of: "%d of %d",
			Statuses: map[billing.ReceiptStatus]string{billing.ReceiptIssued: "Issued",
				billing.ReceiptPartiallyPaid: "Partially paid", billing.ReceiptPaid: "Paid",
				billing.ReceiptOverdue: "Overdue", billing.ReceiptWaived: "Waived",
				billing.ReceiptCancelled: "Cancelled"},
			Methods: map[string]string{billing.MethodOrder: "Payment link", billing.MethodCash: "Cash"},
		},
		months: [12]string{"January", "February", "March", "April", "May", "June", "July", "August", "September",
			"October", "November", "December"},
		date:    func(d int, m string, y int) string { return fmt.Sprintf("%s %d, %d", m, d, y) },
		every:   map[billing.Unit]string{billing.Week: "every week", billing.Month: "every month", billing.Year: "every year"},
		everyN:  map[billing.Unit][3]string{billing.Week: {"every %d weeks", "every %d weeks", "every %d weeks"}, billing.Month: {"every %d months", "every %d months", "every %d months"}, billing.Year: {"every %d years", "every %d years", "every %d years"}},
		periods: [3]string{"%d period", "%d periods", "%d periods"},
		parts:   [3]string{"%d part", "%d parts", "%d parts"},
	},
	"es": {
		Labels: Labels{
			Receipt: "Recibo", Number: "Número", Issued: "Fecha de emisión", Status: "Estado", Payer: "Pagador",
			Learner: "Alumno", Enrollment: "Inscripción", Billing: "Modalidad", Schedule: "Calendario",
			Period: "Periodo", Part: "Plazo", Due: "Fecha de vencimiento", Amount: "Importe",
			Fee: "Matrícula (incluida)", Paid: "Pagado", Left: "Pendiente de pago", Payments: "Pagos",
			Date: "Fecha", Method: "Método", NoPayments: "Aún no hay pagos.", Email: "Correo electrónico",
			Phone: "Teléfono", Website: "Sitio web", Contact: "Contacto", Print: "Imprimir",
			DownloadPDF: "Descargar PDF", Tuition: "Cuota periódica", Installments: "Pago a plazos",
			UntilCancelled: "hasta la baja", Of: "%d de %d",
			Statuses: map[billing.ReceiptStatus]string{billing.ReceiptIssued: "Emitido",
				billing.ReceiptPartiallyPaid: "Pagado en parte", billing.ReceiptPaid: "Pagado",
				billing.ReceiptOverdue: "Vencido", billing.ReceiptWaived: "Condonado",
				billing.ReceiptCancelled: "Anulado"},
			Methods: map[string]string{billing.MethodOrder: "Enlace de pago", billing.MethodCash: "Efectivo"},
		},
		months: [12]string{"enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre",
			"octubre", "noviembre", "diciembre"},
		date:    func(d int, m string, y int) string { return fmt.Sprintf("%d de %s de %d", d, m, y) },
		every:   map[billing.Unit]string{billing.Week: "cada semana", billing.Month: "cada mes", billing.Year: "cada año"},
		everyN:  map[billing.Unit][3]string{billing.Week: {"cada %d semanas", "cada %d semanas", "cada %d semanas"}, billing.Month: {"cada %d meses", "cada %d meses", "cada %d meses"}, billing.Year: {"cada %d años", "cada %d años", "cada %d años"}},
		periods: [3]string{"%d periodo", "%d periodos", "%d periodos"},
		parts:   [3]string{"%d plazo", "%d plazos", "%d plazos"},
	},
	"fr": {
		Labels: Labels{
			Receipt: "Avis de paiement", Number: "Numéro", Issued: "Émis le", Status: "Statut", Payer: "Payeur",
			Learner: "Élève", Enrollment: "Inscription", Billing: "Facturation", Schedule: "Calendrier",
			Period: "Période", Part: "Échéance", Due: "Date d’échéance", Amount: "Montant",
			Fee: "Frais d’inscription (inclus)", Paid: "Payé", Left: "Reste à payer", Payments: "Paiements",
			Date: "Date", Method: "Moyen", NoPayments: "Aucun paiement pour l’instant.", Email: "E-mail",
			Phone: "Téléphone", Website: "Site web", Contact: "Contact", Print: "Imprimer",
			DownloadPDF: "Télécharger le PDF", Tuition: "Paiement périodique", Installments: "Paiement échelonné",
			UntilCancelled: "jusqu’à résiliation", Of: "%d sur %d",
			Statuses: map[billing.ReceiptStatus]string{billing.ReceiptIssued: "Émis",
				billing.ReceiptPartiallyPaid: "Payé en partie", billing.ReceiptPaid: "Payé",
				billing.ReceiptOverdue: "En retard", billing.ReceiptWaived: "Remis",
				billing.ReceiptCancelled: "Annulé"},
			Methods: map[string]string{billing.MethodOrder: "Lien de paiement", billing.MethodCash: "Espèces"},
		},
		months: [12]string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
			"octobre", "novembre", "décembre"},
		date: func(d int, m string, y int) string {
			if d == 1 {
				return fmt.Sprintf("1er %s %d", m, y)
			}
			return fmt.Sprintf("%d %s %d", d, m, y)
		},
		every:   map[billing.Unit]string{billing.Week: "chaque semaine", billing.Month: "chaque mois", billing.Year: "chaque année"},
		everyN:  map[billing.Unit][3]string{billing.Week: {"toutes les %d semaines", "toutes les %d semaines", "toutes les %d semaines"}, billing.Month: {"tous les %d mois", "tous les %d mois", "tous les %d mois"}, billing.Year: {"tous les %d ans", "tous les %d ans", "tous les %d ans"}},
		periods: [3]string{"%d période", "%d périodes", "%d périodes"},
		parts:   [3]string{"%d échéance", "%d échéances", "%d échéances"},
	},
	"ru": {
		Labels: Labels{
			Receipt: "Квитанция", Number: "Номер", Issued: "Выставлена", Status: "Статус", Payer: "Плательщик",
			Learner: "Учащийся", Enrollment: "Обучение", Billing: "Вид оплаты", Schedule: "График",
			Period: "Период", Part: "Платёж", Due: "Срок оплаты", Amount: "Сумма",
			Fee: "Вступительный взнос (включён)", Paid: "Оплачено", Left: "Осталось оплатить", Payments: "Платежи",
			Date: "Дата", Method: "Способ", NoPayments: "Платежей пока нет.", Email: "Эл. почта",
			Phone: "Телефон", Website: "Сайт", Contact: "Контакты", Print: "Печать", DownloadPDF: "Скачать PDF",
			Tuition: "Периодическая оплата", Installments: "Оплата частями", UntilCancelled: "до отмены",
			Of: "%d из %d",
			Statuses: map[billing.ReceiptStatus]string{billing.ReceiptIssued: "Выставлена",
				billing.ReceiptPartiallyPaid: "Оплачена частично", billing.ReceiptPaid: "Оплачена",
				billing.ReceiptOverdue: "Просрочена", billing.ReceiptWaived: "Списана",
				billing.ReceiptCancelled: "Отменена"},
			Methods: map[string]string{billing.MethodOrder: "Платёжная ссылка", billing.MethodCash: "Наличные"},
		},
		months: [12]string{"января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября",
			"октября", "ноября", "декабря"},
		date:    func(d int, m string, y int) string { return fmt.Sprintf("%d %s %d г.", d, m, y) },
		every:   map[billing.Unit]string{billing.Week: "еженедельно", billing.Month: "ежемесячно", billing.Year: "ежегодно"},
		everyN:  map[billing.Unit][3]string{billing.Week: {"раз в %d неделю", "раз в %d недели", "раз в %d недель"}, billing.Month: {"раз в %d месяц", "раз в %d месяца", "раз в %d месяцев"}, billing.Year: {"раз в %d год", "раз в %d года", "раз в %d лет"}},
		periods: [3]string{"%d период", "%d периода", "%d периодов"},
		parts:   [3]string{"%d платёж", "%d платежа", "%d платежей"},
	},
	"uk": {
		Labels: Labels{
			Receipt: "Квитанція", Number: "Номер", Issued: "Виставлено", Status: "Статус", Payer: "Платник",
			Learner: "Учень", Enrollment: "Навчання", Billing: "Вид оплати", Schedule: "Графік", Period: "Період",
			Part: "Платіж", Due: "Строк оплати", Amount: "Сума", Fee: "Вступний внесок (включено)",
			Paid: "Сплачено", Left: "Залишилося сплатити", Payments: "Платежі", Date: "Дата", Method: "Спосіб",
			NoPayments: "Платежів поки немає.", Email: "Ел. пошта", Phone: "Телефон", Website: "Сайт",
			Contact: "Контакти", Print: "Друк", DownloadPDF: "Завантажити PDF", Tuition: "Періодична оплата",
			Installments: "Оплата частинами", UntilCancelled: "до скасування", Of: "%d з %d",
			Statuses: map[billing.ReceiptStatus]string{billing.ReceiptIssued: "Виставлено",
				billing.ReceiptPartiallyPaid: "Сплачено частково", billing.ReceiptPaid: "Сплачено",
				billing.ReceiptOverdue: "Прострочено", billing.ReceiptWaived: "Списано",
				billing.ReceiptCancelled: "Скасовано"},
			Methods: map[string]string{billing.MethodOrder: "Платіжне посилання", billing.MethodCash: "Готівка"},
		},
		months: [12]string{"січня", "лютого", "березня", "квітня", "травня", "червня", "липня", "серпня", "вересня",
			"жовтня", "листопада", "грудня"},
		date:    func(d int, m string, y int) string { return fmt.Sprintf("%d %s %d р.", d, m, y) },
		every:   map[billing.Unit]string{billing.Week: "щотижня", billing.Month: "щомісяця", billing.Year: "щороку"},
		everyN:  map[billing.Unit][3]string{billing.Week: {"раз на %d тиждень", "раз на %d тижні", "раз на %d тижнів"}, billing.Month: {"раз на %d місяць", "раз на %d місяці", "раз на %d місяців"}, billing.Year: {"раз на %d рік", "раз на %d роки", "раз на %d років"}},
		periods: [3]string{"%d період", "%d періоди", "%d періодів"},
		parts:   [3]string{"%d платіж", "%d платежі", "%d платежів"},
	},
}

// wordsFor returns the texts of lang ("ru", "ru-UA"), English when it has none.
func wordsFor(lang string) (string, words) {
	if w, ok := catalog[lang]; ok {
		return lang, w
	}
	if len(lang) > 2 {
		if w, ok := catalog[lang[:2]]; ok {
			return lang[:2], w
		}
	}
	return "en", catalog["en"]
}

// Date is t's calendar day in loc, written the way lang writes dates ("2 января 2027 г."); exported for the
// e-mails, which show the same dates.
func Date(lang string, t time.Time, loc *time.Location) string {
	_, w := wordsFor(lang)
	t = t.In(loc)
	return w.date(t.Day(), w.months[t.Month()-1], t.Year())
}

// schedule says how an enrollment is billed: "every month, 12 periods", "3 parts, every month".
func (w words) schedule(lang string, e billing.Enrollment) string {
	s := e.Schedule
	every := w.every[s.Unit]
	if s.Every > 1 {
		every = plural(lang, s.Every, w.everyN[s.Unit])
	}
	if e.Kind == billing.KindInstallments {
		if s.Periods == 0 {
			return every
		}
		return plural(lang, s.Periods, w.parts) + ", " + every
	}
	if s.Periods == 0 {
		return every + ", " + w.UntilCancelled
	}
	return every + ", " + plural(lang, s.Periods, w.periods)
}
