package email

import (
	"context"
	"fmt"
	"strings"
)

// BillingKind names a billing e-mail; the values match billing.EmailKind.
type BillingKind string

// Billing e-mails: a receipt's to its payer, the welcome to the learner, the suspension and resumption to both.
const (
	BillingIssued    BillingKind = "receipt_issued"
	BillingDueSoon   BillingKind = "receipt_due_soon"
	BillingDueToday  BillingKind = "receipt_due_today"
	BillingOverdue   BillingKind = "receipt_overdue"
	BillingPaid      BillingKind = "receipt_paid"
	BillingWelcome   BillingKind = "enrollment_welcome"
	BillingSuspended BillingKind = "enrollment_suspended"
	BillingResumed   BillingKind = "enrollment_resumed"
)

// BillingKinds lists every billing e-mail.
var BillingKinds = []BillingKind{BillingIssued, BillingDueSoon, BillingDueToday, BillingOverdue, BillingPaid,
	BillingWelcome, BillingSuspended, BillingResumed}

// BillingAction is what an e-mail's button does.
type BillingAction string

// Billing e-mails' buttons.
const (
	ActionPay     BillingAction = "pay"     // the receipt's payment link
	ActionSignIn  BillingAction = "sign_in" // the welcome's single-use sign-in link
	ActionAccount BillingAction = "account" // the student's cabinet
)

// BillingEmail is the view model of a billing e-mail: every value already formatted in Lang.
type BillingEmail struct {
	School School
	Lang   string
	Kind   BillingKind
	Title  string // what is paid for: the enrollment's title
	// The receipt (empty in the welcome and, when none is named, the suspension and resumption).
	Number string // R-2027-000123
	Period string // the period's dates (tuition) or "2 of 3" (installments, Part set)
	Part   bool
	Amount string // the receipt's amount
	Left   string // what is left to pay
	Due    string // the due date
	PayBy  string // overdue: the last day of the grace, before access is suspended
	// Attached says the receipt's PDF is attached (the paid e-mail).
	Attached bool
	Link     string
	Action   BillingAction
}

type billingKindTexts struct {
	subject string // {number}, {title}, {due}
	lead    string // {title}, {due}, {grace}
}

type billingTexts struct {
	hello, what, number, period, part, amount, left, due, payBy, attached string
	actions                                                               map[BillingAction]string
	kinds                                                                 map[BillingKind]billingKindTexts
}

var billingCatalog = map[string]billingTexts{
	"en": {"Hello,", "For", "Receipt", "Period", "Part", "Amount", "Left to pay", "Due date", "Pay by",
		"The receipt's PDF is attached to this e-mail.",
		map[BillingAction]string{ActionPay: "Pay now", ActionSignIn: "Sign in", ActionAccount: "Open your account"},
		map[BillingKind]billingKindTexts{
			BillingIssued:    {"Receipt {number}: {title}", "A new receipt has been issued for {title}. Please pay it by the due date."},
			BillingDueSoon:   {"Reminder: receipt {number} is due on {due}", "This is a reminder that the receipt below is due on {due}."},
			BillingDueToday:  {"Receipt {number} is due today", "The receipt below is due today."},
			BillingOverdue:   {"Receipt {number} is overdue", "The receipt below was due on {due} and has not been paid yet. Please pay it by {grace} to keep your access to {title}."},
			BillingPaid:      {"Receipt {number} is paid: thank you", "Thank you! The receipt below is paid in full."},
			BillingWelcome:   {"Welcome to {title}", "You have been enrolled in {title}. Sign in to your account to start."},
			BillingSuspended: {"Access to {title} is suspended", "Access to {title} is suspended because a receipt was not paid in time. It comes back as soon as the receipt is paid."},
			BillingResumed:   {"Access to {title} is back", "Thank you! Every overdue receipt is paid and access to {title} is back."},
		}},
	"es": {"Hola:", "Concepto", "Recibo", "Periodo", "Plazo", "Importe", "Pendiente de pago", "Fecha de vencimiento",
		"Pagar antes del", "Adjuntamos el PDF del recibo.",
		map[BillingAction]string{ActionPay: "Pagar ahora", ActionSignIn: "Iniciar sesión", ActionAccount: "Abrir mi cuenta"},
		map[BillingKind]billingKindTexts{
			BillingIssued:    {"Recibo {number}: {title}", "Se ha emitido un nuevo recibo de {title}. Págalo antes de la fecha de vencimiento."},
			BillingDueSoon:   {"Recordatorio: el recibo {number} vence el {due}", "Te recordamos que el recibo siguiente vence el {due}."},
			BillingDueToday:  {"El recibo {number} vence hoy", "El recibo siguiente vence hoy."},
			BillingOverdue:   {"El recibo {number} está vencido", "El recibo siguiente venció el {due} y aún no está pagado. Págalo antes del {grace} para mantener tu acceso a {title}."},
			BillingPaid:      {"Recibo {number} pagado: gracias", "¡Gracias! El recibo siguiente está pagado por completo."},
			BillingWelcome:   {"Te damos la bienvenida a {title}", "Te han inscrito en {title}. Inicia sesión en tu cuenta para empezar."},
			BillingSuspended: {"Acceso a {title} suspendido", "El acceso a {title} está suspendido porque un recibo no se pagó a tiempo. Se restablece en cuanto se pague."},
			BillingResumed:   {"Acceso a {title} restablecido", "¡Gracias! Todos los recibos vencidos están pagados y el acceso a {title} se ha restablecido."},
		}},
	"fr": {"Bonjour,", "Objet", "Avis de paiement", "Période", "Échéance", "Montant", "Reste à payer", "Date d’échéance",
		"À régler avant le", "Le PDF de l’avis de paiement est joint à cet e-mail.",
		map[BillingAction]string{ActionPay: "Payer maintenant", ActionSignIn: "Se connecter", ActionAccount: "Ouvrir mon compte"},
		map[BillingKind]billingKindTexts{
			BillingIssued:    {"Avis de paiement {number} : {title}", "Un nouvel avis de paiement a été émis pour {title}. Merci de le régler avant la date d’échéance."},
			BillingDueSoon:   {"Rappel : l’avis {number} arrive à échéance le {due}", "Pour rappel, l’avis de paiement ci-dessous arrive à échéance le {due}."},
			BillingDueToday:  {"L’avis {number} arrive à échéance aujourd’hui", "L’avis de paiement ci-dessous arrive à échéance aujourd’hui."},
			BillingOverdue:   {"L’avis {number} est en retard", "L’avis de paiement ci-dessous était dû le {due} et n’est pas encore réglé. Merci de le régler avant le {grace} pour garder votre accès à {title}."},
			BillingPaid:      {"Avis {number} réglé : merci", "Merci ! L’avis de paiement ci-dessous est entièrement réglé."},
			BillingWelcome:   {"Bienvenue dans {title}", "Vous êtes inscrit(e) à {title}. Connectez-vous à votre compte pour commencer."},
			BillingSuspended: {"Accès à {title} suspendu", "Votre accès à {title} est suspendu car un avis de paiement n’a pas été réglé à temps. Il est rétabli dès son règlement."},
			BillingResumed:   {"Accès à {title} rétabli", "Merci ! Tous les avis en retard sont réglés et votre accès à {title} est rétabli."},
		}},
	"ru": {"Здравствуйте!", "За что", "Квитанция", "Период", "Платёж", "Сумма", "Осталось оплатить", "Срок оплаты",
		"Оплатить до", "PDF квитанции приложен к письму.",
		map[BillingAction]string{ActionPay: "Оплатить", ActionSignIn: "Войти", ActionAccount: "Открыть личный кабинет"},
		map[BillingKind]billingKindTexts{
			BillingIssued:    {"Квитанция {number}: {title}", "Выставлена новая квитанция за «{title}». Оплатите её до срока оплаты."},
			BillingDueSoon:   {"Напоминание: квитанцию {number} нужно оплатить до {due}", "Напоминаем: срок оплаты квитанции ниже — {due}."},
			BillingDueToday:  {"Сегодня срок оплаты квитанции {number}", "Сегодня последний день оплаты квитанции ниже."},
			BillingOverdue:   {"Квитанция {number} просрочена", "Срок оплаты квитанции ниже истёк {due}, но она ещё не оплачена. Оплатите её до {grace}, чтобы сохранить доступ к «{title}»."},
			BillingPaid:      {"Квитанция {number} оплачена — спасибо", "Спасибо! Квитанция ниже оплачена полностью."},
			BillingWelcome:   {"Добро пожаловать: {title}", "Вас записали на «{title}». Войдите в личный кабинет, чтобы начать."},
			BillingSuspended: {"Доступ к «{title}» приостановлен", "Доступ к «{title}» приостановлен, потому что квитанция не оплачена вовремя. Он восстановится сразу после оплаты."},
			BillingResumed:   {"Доступ к «{title}» восстановлен", "Спасибо! Все просроченные квитанции оплачены, доступ к «{title}» восстановлен."},
		}},
	"uk": {"Вітаємо!", "За що", "Квитанція", "Період", "Платіж", "Сума", "Залишилося сплатити", "Строк оплати",
		"Сплатити до", "PDF квитанції додано до листа.",
		map[BillingAction]string{ActionPay: "Сплатити", ActionSignIn: "Увійти", ActionAccount: "Відкрити особистий кабінет"},
		map[BillingKind]billingKindTexts{
			BillingIssued:    {"Квитанція {number}: {title}", "Виставлено нову квитанцію за «{title}». Сплатіть її до строку оплати."},
			BillingDueSoon:   {"Нагадування: квитанцію {number} треба сплатити до {due}", "Нагадуємо: строк оплати квитанції нижче — {due}."},
			BillingDueToday:  {"Сьогодні строк оплати квитанції {number}", "Сьогодні останній день оплати квитанції нижче."},
			BillingOverdue:   {"Квитанцію {number} прострочено", "Строк оплати квитанції нижче минув {due}, але її ще не сплачено. Сплатіть її до {grace}, щоб зберегти доступ до «{title}»."},
			BillingPaid:      {"Квитанцію {number} сплачено — дякуємо", "Дякуємо! Квитанцію нижче сплачено повністю."},
			BillingWelcome:   {"Ласкаво просимо: {title}", "Вас записано на «{title}». Увійдіть до особистого кабінету, щоб почати."},
			BillingSuspended: {"Доступ до «{title}» призупинено", "Доступ до «{title}» призупинено, бо квитанцію не сплачено вчасно. Його буде відновлено одразу після оплати."},
			BillingResumed:   {"Доступ до «{title}» відновлено", "Дякуємо! Усі прострочені квитанції сплачено, доступ до «{title}» відновлено."},
		}},
}

// billingRow is a labelled value of a billing e-mail.
type billingRow struct {
	label, value, testID string
}

// billingView is what the HTML body of a billing e-mail shows.
type billingView struct {
	BillingEmail
	t       billingTexts
	subject string
	lead    string
	rows    []billingRow
	action  string
}

// Billing renders a billing e-mail in v.Lang (English when the language has no texts).
func Billing(ctx context.Context, v BillingEmail) (Rendered, error) {
	if v.Lang == "" {
		v.Lang = "en"
	}
	t := pick(billingCatalog, v.Lang)
	k, ok := t.kinds[v.Kind]
	if !ok {
		return Rendered{}, fmt.Errorf("unknown billing e-mail kind %q", v.Kind)
	}
	action, ok := t.actions[v.Action]
	if !ok {
		return Rendered{}, fmt.Errorf("unknown billing e-mail action %q", v.Action)
	}
	fill := strings.NewReplacer("{number}", v.Number, "{title}", v.Title, "{due}", v.Due, "{grace}", v.PayBy)
	bv := billingView{BillingEmail: v, t: t, subject: strings.Join(strings.Fields(fill.Replace(k.subject)), " "),
		lead: fill.Replace(k.lead), rows: billingRows(v, t), action: action}
	return render(ctx, bv.subject, billingHTML(bv), v.School, billingText(bv))
}

// billingRows are the values an e-mail of v's kind lists, the empty ones left out: what is paid for, the receipt
// and its period, the amount (issued, paid) or what is left (reminders, overdue, suspended), the due date while it
// matters, and the grace's end when overdue.
func billingRows(v BillingEmail, t billingTexts) []billingRow {
	period := t.period
	if v.Part {
		period = t.part
	}
	rows := []billingRow{{t.what, v.Title, "email-billing-title"}}
	if v.Kind == BillingWelcome || v.Kind == BillingResumed {
		return rows
	}
	rows = append(rows, billingRow{t.number, v.Number, "email-receipt-number"}, billingRow{period, v.Period, "email-period"})
	switch v.Kind {
	case BillingIssued, BillingPaid:
		rows = append(rows, billingRow{t.amount, v.Amount, "email-amount"})
	default:
		rows = append(rows, billingRow{t.left, v.Left, "email-left"})
	}
	switch v.Kind {
	case BillingIssued, BillingDueSoon, BillingDueToday, BillingOverdue:
		rows = append(rows, billingRow{t.due, v.Due, "email-due"})
	}
	if v.Kind == BillingOverdue {
		rows = append(rows, billingRow{t.payBy, v.PayBy, "email-pay-by"})
	}
	out := rows[:0]
	for _, r := range rows {
		if strings.TrimSpace(r.value) != "" {
			out = append(out, r)
		}
	}
	return out
}

func billingText(v billingView) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n%s\n", v.t.hello, v.lead)
	if v.Attached {
		fmt.Fprintf(&b, "%s\n", v.t.attached)
	}
	b.WriteString("\n")
	for _, r := range v.rows {
		fmt.Fprintf(&b, "%s: %s\n", r.label, r.value)
	}
	if v.Link != "" {
		fmt.Fprintf(&b, "\n%s: %s\n", v.action, v.Link)
	}
	return b.String()
}
