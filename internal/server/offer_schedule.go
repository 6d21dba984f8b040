package server

import (
	"time"

	"github.com/bursar/bursar/internal/billing"
	"github.com/bursar/bursar/internal/i18n"
	"github.com/bursar/bursar/internal/money"
	"github.com/bursar/bursar/internal/offer"
)

// billingSentence says exactly what a tuition or an installment plan bills and when, in the offer's language:
// "€49.00 per month, on the 5th of each month, for 10 months (enrollment fee €20.00, paid with the first month)";
// "€300.00 in 3 payments: €100.00 today, then €100.00 on 3 January 2027 and 3 February 2027". An installment plan
// enrolled now (in loc, the school's time zone) is split by billing.Split and dated by billing.Schedule, as the
// enrollment will be.
func billingSentence(o offer.Offer, now time.Time, loc *time.Location) (string, error) {
	lang := o.Language
	if o.Kind == offer.Installments {
		parts, err := billing.Split(o.Price(), o.Installments)
		if err != nil {
			return "", err
		}
		sch := billing.Schedule{First: now, Every: o.BillingEvery, Unit: billing.Unit(o.BillingUnit), Day: o.BillingDay,
			Periods: o.Installments, Location: loc}
		if err := sch.Validate(); err != nil {
			return "", err
		}
		dates := make([]string, 0, len(parts)-1)
		for k := 1; k < len(parts); k++ {
			dates = append(dates, i18n.LongDate(lang, sch.Due(k).In(loc)))
		}
		n := len(parts)
		return i18n.F(lang, i18n.InNPayments, o.Price().Format(lang), n, i18n.Plural(lang, i18n.Payments, n)) + " " +
			i18n.F(lang, i18n.PartToday, parts[0].Format(lang)) + ", " +
			i18n.F(lang, i18n.PartsThen, parts[1].Format(lang), i18n.JoinAnd(lang, dates)), nil
	}
	s := o.Price().Format(lang) + " " + perPeriod(lang, o.BillingEvery, o.BillingUnit)
	if o.BillingUnit == offer.UnitMonth {
		switch {
		case o.BillingDay == 0:
			s += ", " + i18n.T(lang, i18n.OnEnrollDay)
		case o.BillingEvery == 1:
			s += ", " + i18n.F(lang, i18n.OnDayEach, i18n.DayOrdinal(lang, o.BillingDay))
		default:
			s += ", " + i18n.F(lang, i18n.OnDayOf, i18n.DayOrdinal(lang, o.BillingDay))
		}
		if o.BillingDay > 28 {
			s += ", " + i18n.T(lang, i18n.LastDayNote)
		}
	}
	if o.BillingPeriods == 0 {
		s += ", " + i18n.T(lang, i18n.UntilCancel)
	} else {
		n := o.BillingPeriods * o.BillingEvery
		s += ", " + i18n.F(lang, i18n.ForN, n, i18n.Plural(lang, unitNouns[o.BillingUnit], n))
	}
	if o.EnrollmentFee > 0 {
		fee := money.Money{Amount: o.EnrollmentFee, Currency: o.Currency}.Format(lang)
		s += " (" + i18n.F(lang, feeFirst[o.BillingUnit], fee) + ")"
	}
	return s, nil
}

var (
	unitNouns = map[string]i18n.Key{offer.UnitWeek: i18n.Weeks, offer.UnitMonth: i18n.Months, offer.UnitYear: i18n.Years}
	feeFirst  = map[string]i18n.Key{offer.UnitWeek: i18n.FeeFirstWeek, offer.UnitMonth: i18n.FeeFirstMon,
		offer.UnitYear: i18n.FeeFirstYear}
)

// perPeriod is "per month" or "every 2 months" in lang.
func perPeriod(lang string, every int, unit string) string {
	if every <= 1 {
		switch unit {
		case offer.UnitWeek:
			return i18n.T(lang, i18n.PerWeek)
		case offer.UnitYear:
			return i18n.T(lang, i18n.PerYear)
		}
		return i18n.T(lang, i18n.PerMonth)
	}
	switch unit {
	case offer.UnitWeek:
		return i18n.F(lang, i18n.EveryNWeeks, every)
	case offer.UnitYear:
		return i18n.F(lang, i18n.EveryNYears, every)
	}
	return i18n.F(lang, i18n.EveryNMonths, every)
}
