// Package i18n holds the texts of the public pages in every language an offer page can be shown in.
package i18n

import (
	"fmt"
	"strings"
)

// Key names one text.
type Key string

// Texts of the public offer page.
const (
	Price            Key = "price"
	OneTime          Key = "one_time"
	PerWeek          Key = "per_week"
	PerMonth         Key = "per_month"
	PerYear          Key = "per_year"
	EveryNDays       Key = "every_n_days"      // %d days
	InNInstallments  Key = "in_n_installments" // %d parts
	InstallmentOf    Key = "installment_of"    // %s: one part's amount
	Includes         Key = "includes"
	AccessForever    Key = "access_forever"
	AccessDays       Key = "access_days" // %d days
	ChoosePayment    Key = "choose_payment"
	Pay              Key = "pay"
	PayWith          Key = "pay_with" // %s: payment system name
	NoPaymentSystems Key = "no_payment_systems"
	ContactUs        Key = "contact_us"
	Email            Key = "email"
	Phone            Key = "phone"
	NotFoundTitle    Key = "not_found_title"
	NotFoundBody     Key = "not_found_body"
)

// Languages are the languages with a full catalog.
var Languages = []string{"en", "es", "fr", "ru", "uk"}

// Keys lists every key; a test checks each has a text in each language.
var Keys = append([]Key{Price, OneTime, PerWeek, PerMonth, PerYear, EveryNDays, InNInstallments, InstallmentOf, Includes,
	AccessForever, AccessDays, ChoosePayment, Pay, PayWith, NoPaymentSystems, ContactUs, Email, Phone,
	NotFoundTitle, NotFoundBody}, append(accountKeys, append(gatewayKeys, append(guestKeys, append(proofKeys, append(linkKeys, append(enrollKeys, inboxKeys...)...)...)...)...)...)...)

// catalog is every text by language: the offer page's texts below and the account and checkout texts of
// account.go and gateway.go.
var catalog = merge(offerTexts, accountTexts, gatewayTexts, guestTexts, proofTexts, linkTexts, enrollTexts,
	inboxTexts)

// merge joins catalogs of disjoint keys into one.
func merge(parts ...map[string]map[Key]string) map[string]map[Key]string {
	out := map[string]map[Key]string{}
	for _, p := range parts {
		for lang, texts := range p {
			if out[lang] == nil {
				out[lang] = map[Key]string{}
			}
			for k, v := range texts {
				out[lang][k] = v
			}
		}
	}
	return out
}

var offerTexts = map[string]map[Key]string{
	"en": {
		Price: "Price", OneTime: "one-time payment", PerWeek: "per week", PerMonth: "per month", PerYear: "per year",
		EveryNDays: "every %d days", InNInstallments: "in %d installments", InstallmentOf: "of about %s each",
		Includes: "Includes", AccessForever: "Lifetime access", AccessDays: "Access for %d days",
		ChoosePayment: "Choose how to pay", Pay: "Pay", PayWith: "Pay with %s",
		NoPaymentSystems: "Payment is not available yet. Please contact us.", ContactUs: "Contact us",
		Email: "E-mail", Phone: "Phone", NotFoundTitle: "Page not found",
		NotFoundBody: "The page you asked for does not exist or is no longer available.",
	},
	"es": {
		Price: "Precio", OneTime: "pago único", PerWeek: "por semana", PerMonth: "al mes", PerYear: "al año",
		EveryNDays: "cada %d días", InNInstallments: "en %d plazos", InstallmentOf: "de unos %s cada uno",
		Includes: "Incluye", AccessForever: "Acceso de por vida", AccessDays: "Acceso durante %d días",
		ChoosePayment: "Elige cómo pagar", Pay: "Pagar", PayWith: "Pagar con %s",
		NoPaymentSystems: "El pago aún no está disponible. Contáctanos.", ContactUs: "Contacto",
		Email: "Correo electrónico", Phone: "Teléfono", NotFoundTitle: "Página no encontrada",
		NotFoundBody: "La página que buscas no existe o ya no está disponible.",
	},
	"fr": {
		Price: "Prix", OneTime: "paiement unique", PerWeek: "par semaine", PerMonth: "par mois", PerYear: "par an",
		EveryNDays: "tous les %d jours", InNInstallments: "en %d versements", InstallmentOf: "d’environ %s chacun",
		Includes: "Comprend", AccessForever: "Accès à vie", AccessDays: "Accès pendant %d jours",
		ChoosePayment: "Choisissez votre moyen de paiement", Pay: "Payer", PayWith: "Payer avec %s",
		NoPaymentSystems: "Le paiement n’est pas encore disponible. Contactez-nous.", ContactUs: "Nous contacter",
		Email: "E-mail", Phone: "Téléphone", NotFoundTitle: "Page introuvable",
		NotFoundBody: "La page demandée n’existe pas ou n’est plus disponible.",
	},
	"ru": {
		Price: "Цена", OneTime: "разовый платёж", PerWeek: "в неделю", PerMonth: "в месяц", PerYear: "в год",
		EveryNDays: "каждые %d дн.", InNInstallments: "частями: %d платежей", InstallmentOf: "примерно по %s",
		Includes: "Входит", AccessForever: "Бессрочный доступ", AccessDays: "Доступ на %d дн.",
		ChoosePayment: "Выберите способ оплаты", Pay: "Оплатить", PayWith: "Оплатить: %s",
		NoPaymentSystems: "Оплата пока недоступна. Свяжитесь с нами.", ContactUs: "Контакты",
		Email: "Эл. почта", Phone: "Телефон", NotFoundTitle: "Страница не найдена",
		NotFoundBody: "Запрошенная страница не существует или больше недоступна.",
	},
	"uk": {
		Price: "Ціна", OneTime: "разовий платіж", PerWeek: "на тиждень", PerMonth: "на місяць", PerYear: "на рік",
		EveryNDays: "кожні %d дн.", InNInstallments: "частинами: %d платежів", InstallmentOf: "приблизно по %s",
		Includes: "Входить", AccessForever: "Безстроковий доступ", AccessDays: "Доступ на %d дн.",
		ChoosePayment: "Оберіть спосіб оплати", Pay: "Оплатити", PayWith: "Оплатити: %s",
		NoPaymentSystems: "Оплата поки недоступна. Зв’яжіться з нами.", ContactUs: "Контакти",
		Email: "Ел. пошта", Phone: "Телефон", NotFoundTitle: "Сторінку не знайдено",
		NotFoundBody: "Сторінка, яку ви шукаєте, не існує або більше не доступна.",
	},
}

// T is the text of key in lang, falling back to English, then to the key itself.
func T(lang string, key Key) string {
	if s, ok := catalog[lang][key]; ok {
		return s
	}
	if s, ok := catalog["en"][key]; ok {
		return s
	}
	return string(key)
}

// F is T with its %-verbs filled in from args.
func F(lang string, key Key, args ...any) string {
	s := T(lang, key)
	if !strings.Contains(s, "%") {
		return s
	}
	return fmt.Sprintf(s, args...)
}
