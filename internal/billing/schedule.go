package billing

import (
	"fmt"
	"time"

	"github.com/bursar/bursar/internal/check"
)

// Unit is the calendar unit a Schedule counts its periods in.
type Unit string

// The units a Schedule can repeat by.
const (
	Week  Unit = "week"
	Month Unit = "month"
	Year  Unit = "year"
)

// MaxEvery bounds Schedule.Every; MaxPeriods bounds a fixed Schedule.Periods. Both keep due dates within years a
// school could mean.
const (
	MaxEvery   = 120
	MaxPeriods = 1200
)

// Schedule says when each period of a tuition or each part of an installment plan is due. Period 0 is due on
// First's date (read in Location: for installments, the checkout day); period k every Every Units later. A monthly
// schedule falls on Day (1–31; 0 means First's day) of each later month, and on the month's last day when the month
// is shorter (the 31st is 30 April, 28 or 29 February); a yearly one on First's month and day (29 February is the
// 28th in other years). Each due date is computed from First, never from the previous one, so the 31st never
// drifts to the 30th. A period is due at the start of its due day in Location (local midnight, or the moment the
// day begins when a daylight-saving change skips midnight).
//
// Call Validate before using a Schedule built from input; Due and PeriodsDueBy assume a valid one.
type Schedule struct {
	First    time.Time      // its date in Location is period 0's due day
	Every    int            // periods are Every units apart, 1..MaxEvery
	Unit     Unit           // Week, Month or Year
	Day      int            // for Month: the day of month, 1..31, or 0 for First's day; 0 for other units
	Periods  int            // how many periods, 1..MaxPeriods, or 0 for no end (until cancelled)
	Location *time.Location // the school's time zone
}

// Validate reports what is wrong with s as a check.Errors keyed by field ("every", "unit", "day", "periods",
// "location", "first"), or nil.
func (s Schedule) Validate() error {
	errs := check.Errors{}
	if s.Every < 1 || s.Every > MaxEvery {
		errs.Add("every", fmt.Sprintf("must be between 1 and %d", MaxEvery))
	}
	switch s.Unit {
	case Week, Year:
		if s.Day != 0 {
			errs.Add("day", "only a monthly schedule takes a day of the month")
		}
	case Month:
		if s.Day < 0 || s.Day > 31 {
			errs.Add("day", "must be a day of the month between 1 and 31")
		}
	default:
		errs.Add("unit", fmt.Sprintf("must be %s, %s or %s, not %q", Week, Month, Year, s.Unit))
	}
	if s.Periods < 0 || s.Periods > MaxPeriods {
		errs.Add("periods", fmt.Sprintf("must be between 1 and %d, or 0 for no end", MaxPeriods))
	}
	if s.Location == nil {
		errs.Add("location", "the school's time zone is missing")
	}
	if s.First.IsZero() {
		errs.Add("first", "the first due date is missing")
	}
	return errs.Err()
}

// Bounded reports whether s has a fixed number of periods.
func (s Schedule) Bounded() bool { return s.Periods > 0 }

// Due is the instant period k (from 0) is due: the start of its due day in s.Location. It is defined for every
// k >= 0, past s.Periods too (callers of a bounded schedule stop at s.Periods); it panics when k < 0.
func (s Schedule) Due(k int) time.Time {
	y, m, d := s.dueDate(k)
	return startOfDay(y, m, d, s.Location)
}

// dueDate is period k's due day as a civil date.
func (s Schedule) dueDate(k int) (int, time.Month, int) {
	if k < 0 {
		panic(fmt.Sprintf("billing: period %d is negative", k))
	}
	y, m, d := s.First.In(s.Location).Date()
	if k == 0 {
		return y, m, d
	}
	n := k * s.Every
	switch s.Unit {
	case Week:
		// time.Date normalises the day count into a calendar date; no clock time is involved, so DST cannot shift it.
		t := time.Date(y, m, d+7*n, 12, 0, 0, 0, time.UTC)
		return t.Date()
	case Year:
		return y + n, m, min(d, daysIn(y+n, m))
	default: // Month
		day := s.Day
		if day == 0 {
			day = d
		}
		months := int(m) - 1 + n
		y, m = y+months/12, time.Month(months%12+1)
		return y, m, min(day, daysIn(y, m))
	}
}

// PeriodsDueBy is how many periods are due at t: those whose due instant is t or earlier, at most s.Periods when
// s is bounded. A period is due from its due instant on, so at Due(k) exactly the count is k+1 and a nanosecond
// before it is k.
func (s Schedule) PeriodsDueBy(t time.Time) int {
	if t.Before(s.Due(0)) {
		return 0
	}
	// Estimate the last period due from the calendar, then correct it: the estimate is off by at most one or two
	// periods (clamped month ends, the time of day), so the loops run a few times at most.
	k := s.estimate(t)
	if s.Bounded() && k > s.Periods-1 {
		k = s.Periods - 1
	}
	for k > 0 && s.Due(k).After(t) {
		k--
	}
	for (!s.Bounded() || k+1 < s.Periods) && !s.Due(k+1).After(t) {
		k++
	}
	return k + 1
}

// estimate guesses the index of the last period due at t (t not before period 0).
func (s Schedule) estimate(t time.Time) int {
	fy, fm, fd := s.First.In(s.Location).Date()
	ty, tm, td := t.In(s.Location).Date()
	switch s.Unit {
	case Week:
		days := int(time.Date(ty, tm, td, 12, 0, 0, 0, time.UTC).Sub(time.Date(fy, fm, fd, 12, 0, 0, 0, time.UTC)).Hours() / 24)
		return days / (7 * s.Every)
	case Year:
		return (ty - fy) / s.Every
	default:
		return ((ty-fy)*12 + int(tm) - int(fm)) / s.Every
	}
}

// startOfDay is the first instant of the date y-m-d in loc: local midnight, or, where a daylight-saving change
// skips midnight (São Paulo until 2019), the change itself.
func startOfDay(y int, m time.Month, d int, loc *time.Location) time.Time {
	t := time.Date(y, m, d, 0, 0, 0, 0, loc)
	if ty, tm, td := t.Date(); ty == y && tm == m && td == d {
		if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 {
			return t
		}
		// Normalised forward past the gap: the day began when the zone changed.
		start, _ := t.ZoneBounds()
		return start
	}
	// Normalised back into the previous day: the day begins when that zone ends.
	_, end := t.ZoneBounds()
	return end
}

// daysIn is the number of days of month m in year y.
func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 12, 0, 0, 0, time.UTC).Day()
}
