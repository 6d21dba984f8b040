package server

import (
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/i18n"
	"github.com/bursar/bursar/internal/offer"
)

// recurringPeriod is how often a subscription charges, in lang: "per month", "every 3 weeks", "every 10 days".
// unit is a gateway.Interval* word (day, week, month, year); count the number of units.
func recurringPeriod(lang, unit string, count int) string {
	if unit == gateway.IntervalDay {
		if count <= 1 {
			return i18n.T(lang, i18n.PerDay)
		}
		return i18n.F(lang, i18n.EveryNDays, count)
	}
	return perPeriod(lang, count, unit) // week, month and year are offer.Unit* too
}

// offerPeriod is recurring offer o's period in lang.
func offerPeriod(lang string, o offer.Offer) string {
	if o.Interval == offer.IntervalCustom {
		return recurringPeriod(lang, gateway.IntervalDay, o.IntervalDays)
	}
	return recurringPeriod(lang, o.Interval, o.IntervalCount)
}

// subscriptionTerms are a recurring offer's promises in its language, one sentence each: the free trial, the
// number of charges (or until cancelled) and that it may be cancelled any time.
func subscriptionTerms(o offer.Offer) []string {
	lang := o.Language
	var out []string
	if o.TrialDays > 0 {
		out = append(out, i18n.F(lang, i18n.SubTrial, o.TrialDays))
	}
	if o.MaxCharges > 0 {
		out = append(out, i18n.F(lang, i18n.SubCharges, o.MaxCharges))
	} else {
		out = append(out, i18n.T(lang, i18n.SubUntilCancelled))
	}
	return append(out, i18n.T(lang, i18n.SubCancelAnyTime))
}

// canSubscribe reports whether payment systems of sys's type charge on schedule (a Subscribe button).
func canSubscribe(sys gateway.System) bool { return gateway.TypeCan(sys.Type, gateway.Recurring) }
