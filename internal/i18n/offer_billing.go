package i18n

import (
	"strconv"
	"strings"
	"time"
)

// Texts of the offer page of a tuition or an installment plan: what is billed and when (internal/server builds the
// sentence from them).
const (
	EveryNWeeks  Key = "every_n_weeks"  // %d ≥ 2
	EveryNMonths Key = "every_n_months" // %d ≥ 2
	EveryNYears  Key = "every_n_years"  // %d ≥ 2
	OnDayEach    Key = "on_day_each"    // %s: DayOrdinal; every month
	OnDayOf      Key = "on_day_of"      // %s: DayOrdinal; every few months
	OnEnrollDay  Key = "on_enroll_day"
	LastDayNote  Key = "last_day_note"
	ForN         Key = "for_n" // %d, %s: Plural of a unit's nouns
	Weeks        Key = "weeks" // plural forms, "|"-separated (Plural)
	Months       Key = "months"
	Years        Key = "years"
	UntilCancel  Key = "until_cancel"
	FeeFirstWeek Key = "fee_first_week" // %s: the enrollment fee
	FeeFirstMon  Key = "fee_first_month"
	FeeFirstYear Key = "fee_first_year"
	InNPayments  Key = "in_n_payments" // %s: the total, %d parts, %s: Plural of Payments
	Payments     Key = "payments"
	PartToday    Key = "part_today" // %s: the first part
	PartsThen    Key = "parts_then" // %s: each later part, %s: their dates
	ListAnd      Key = "list_and"
	Enroll       Key = "enroll"
)

var offerBillingKeys = []Key{EveryNWeeks, EveryNMonths, EveryNYears, OnDayEach, OnDayOf, OnEnrollDay, LastDayNote, ForN,
	Weeks, Months, Years, UntilCancel, FeeFirstWeek, FeeFirstMon, FeeFirstYear, InNPayments, Payments, PartToday, PartsThen,
	ListAnd, Enroll}

var offerBillingTexts = map[string]map[Key]string{
	"en": {
		EveryNWeeks: "every %d weeks", EveryNMonths: "every %d months", EveryNYears: "every %d years",
		OnDayEach: "on the %s of each month", OnDayOf: "on the %s of the month",
		OnEnrollDay: "on the day of the month you enroll", LastDayNote: "or the month’s last day if it is shorter",
		ForN: "for %d %s", Weeks: "week|weeks", Months: "month|months", Years: "year|years",
		UntilCancel:  "until you cancel",
		FeeFirstWeek: "enrollment fee %s, paid with the first week", FeeFirstMon: "enrollment fee %s, paid with the first month",
		FeeFirstYear: "enrollment fee %s, paid with the first year",
		InNPayments:  "%s in %d %s:", Payments: "payment|payments", PartToday: "%s today", PartsThen: "then %s on %s", ListAnd: "and",
		Enroll: "Enroll",
	},
	"es": {
		EveryNWeeks: "cada %d semanas", EveryNMonths: "cada %d meses", EveryNYears: "cada %d años",
		OnDayEach: "el día %s de cada mes", OnDayOf: "el día %s del mes",
		OnEnrollDay: "el mismo día del mes en que te inscribes", LastDayNote: "o el último día si el mes es más corto",
		ForN: "durante %d %s", Weeks: "semana|semanas", Months: "mes|meses", Years: "año|años",
		UntilCancel:  "hasta que canceles",
		FeeFirstWeek: "matrícula de %s, pagada con la primera semana", FeeFirstMon: "matrícula de %s, pagada con el primer mes",
		FeeFirstYear: "matrícula de %s, pagada con el primer año",
		InNPayments:  "%s en %d %s:", Payments: "pago|pagos", PartToday: "%s hoy", PartsThen: "luego %s el %s", ListAnd: "y",
		Enroll: "Inscribirme",
	},
	"fr": {
		EveryNWeeks: "toutes les %d semaines", EveryNMonths: "tous les %d mois", EveryNYears: "tous les %d ans",
		OnDayEach: "le %s de chaque mois", OnDayOf: "le %s du mois",
		OnEnrollDay: "le même jour du mois que votre inscription", LastDayNote: "ou le dernier jour des mois plus courts",
		ForN: "pendant %d %s", Weeks: "semaine|semaines", Months: "mois|mois", Years: "an|ans",
		UntilCancel:  "jusqu’à votre résiliation",
		FeeFirstWeek: "frais d’inscription de %s, payés avec la première semaine",
		FeeFirstMon:  "frais d’inscription de %s, payés avec le premier mois",
		FeeFirstYear: "frais d’inscription de %s, payés avec la première année",
		InNPayments:  "%s en %d %s\u202f:", Payments: "versement|versements", PartToday: "%s aujourd’hui", PartsThen: "puis %s le %s", ListAnd: "et",
		Enroll: "M’inscrire",
	},
	"ru": {
		EveryNWeeks: "каждые %d нед.", EveryNMonths: "каждые %d мес.", EveryNYears: "каждые %d г.",
		OnDayEach: "%s числа каждого месяца", OnDayOf: "%s числа месяца",
		OnEnrollDay: "в тот же день месяца, что и запись", LastDayNote: "или в последний день более короткого месяца",
		ForN: "на %d %s", Weeks: "неделю|недели|недель", Months: "месяц|месяца|месяцев", Years: "год|года|лет",
		UntilCancel:  "пока вы не отмените",
		FeeFirstWeek: "вступительный взнос %s — вместе с первой неделей",
		FeeFirstMon:  "вступительный взнос %s — вместе с первым месяцем",
		FeeFirstYear: "вступительный взнос %s — вместе с первым годом",
		InNPayments:  "%s — %d %s:", Payments: "платёж|платежа|платежей", PartToday: "%s сегодня", PartsThen: "затем %s — %s", ListAnd: "и",
		Enroll: "Записаться",
	},
	"uk": {
		EveryNWeeks: "кожні %d тиж.", EveryNMonths: "кожні %d міс.", EveryNYears: "кожні %d р.",
		OnDayEach: "%s числа кожного місяця", OnDayOf: "%s числа місяця",
		OnEnrollDay: "того ж дня місяця, що й запис", LastDayNote: "або в останній день коротшого місяця",
		ForN: "на %d %s", Weeks: "тиждень|тижні|тижнів", Months: "місяць|місяці|місяців", Years: "рік|роки|років",
		UntilCancel:  "доки ви не скасуєте",
		FeeFirstWeek: "вступний внесок %s — разом із першим тижнем",
		FeeFirstMon:  "вступний внесок %s — разом із першим місяцем",
		FeeFirstYear: "вступний внесок %s — разом із першим роком",
		InNPayments:  "%s — %d %s:", Payments: "платіж|платежі|платежів", PartToday: "%s сьогодні", PartsThen: "потім %s — %s", ListAnd: "і",
		Enroll: "Записатися",
	},
}

// Registered here rather than in i18n.go's lists, so that this file alone carries the offer page's billing texts.
func init() {
	Keys = append(Keys, offerBillingKeys...)
	catalog = merge(catalog, offerBillingTexts)
}

// Plural picks the form of key's "|"-separated nouns for n: English, Spanish and French have one and many (French
// counts 0 as one); Russian and Ukrainian one, few and many.
func Plural(lang string, key Key, n int) string {
	forms := strings.Split(T(lang, key), "|")
	i := 1
	switch lang {
	case "ru", "uk":
		switch n10, n100 := n%10, n%100; {
		case n10 == 1 && n100 != 11:
			i = 0
		case n10 >= 2 && n10 <= 4 && (n100 < 12 || n100 > 14):
			i = 1
		default:
			i = 2
		}
	case "fr":
		if n == 0 || n == 1 {
			i = 0
		}
	default:
		if n == 1 {
			i = 0
		}
	}
	return forms[min(i, len(forms)-1)]
}

// DayOrdinal is a day of the month as an ordinal: 5th, 5, 1er, 5-го.
func DayOrdinal(lang string, d int) string {
	n := strconv.Itoa(d)
	switch lang {
	case "en":
		switch {
		case d%100 >= 11 && d%100 <= 13:
			return n + "th"
		case d%10 == 1:
			return n + "st"
		case d%10 == 2:
			return n + "nd"
		case d%10 == 3:
			return n + "rd"
		}
		return n + "th"
	case "fr":
		if d == 1 {
			return "1er"
		}
	case "ru", "uk":
		return n + "-го"
	}
	return n
}

// monthNames are in the case a date takes (genitive in Russian and Ukrainian).
var monthNames = map[string][12]string{
	"en": {"January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
		"November", "December"},
	"es": {"enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
		"noviembre", "diciembre"},
	"fr": {"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
		"novembre", "décembre"},
	"ru": {"января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября", "октября",
		"ноября", "декабря"},
	"uk": {"січня", "лютого", "березня", "квітня", "травня", "червня", "липня", "серпня", "вересня", "жовтня",
		"листопада", "грудня"},
}

// LongDate is t's date (in t's location) written out: 3 January 2027, 3 de enero de 2027, 1er janvier 2027,
// 3 января 2027 г., 3 січня 2027 р.; English for other languages.
func LongDate(lang string, t time.Time) string {
	names, ok := monthNames[lang]
	if !ok {
		lang, names = "en", monthNames["en"]
	}
	y, m, d := t.Date()
	day, month, year := strconv.Itoa(d), names[m-1], strconv.Itoa(y)
	switch lang {
	case "es":
		return day + " de " + month + " de " + year
	case "fr":
		if d == 1 {
			day = "1er"
		}
		return day + " " + month + " " + year
	case "ru":
		return day + " " + month + " " + year + " г."
	case "uk":
		return day + " " + month + " " + year + " р."
	}
	return day + " " + month + " " + year
}

// JoinAnd lists items as "a, b and c" in lang.
func JoinAnd(lang string, items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " " + T(lang, ListAnd) + " " + items[len(items)-1]
}
