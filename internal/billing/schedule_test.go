package billing

import (
	"errors"
	"testing"
	"time"
	_ "time/tzdata" // the zones below, whatever the machine has installed

	"pgregory.net/rapid"

	"github.com/bursar/bursar/internal/check"
)

func zone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// day is noon of a local date in loc: a First somewhere inside its due day.
func day(loc *time.Location, y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 12, 0, 0, 0, loc)
}

// wantDates checks that s's first periods are due at local midnight of dates ("2027-01-31") in s.Location.
func wantDates(t *testing.T, s Schedule, dates ...string) {
	t.Helper()
	for k, want := range dates {
		got := s.Due(k)
		if got.Location() != s.Location {
			t.Errorf("Due(%d) is in %v, want %v", k, got.Location(), s.Location)
		}
		if d := got.Format(time.DateOnly); d != want {
			t.Errorf("Due(%d) = %s, want %s", k, d, want)
		}
		if h, m, sec := got.Clock(); h != 0 || m != 0 || sec != 0 || got.Nanosecond() != 0 {
			t.Errorf("Due(%d) = %v, want local midnight", k, got)
		}
	}
}

func TestScheduleMonthlyOnThe31st(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"Europe/Madrid", "America/Sao_Paulo"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			loc := zone(t, name)
			s := Schedule{First: day(loc, 2027, time.January, 31), Every: 1, Unit: Month, Day: 31, Periods: 14, Location: loc}
			if err := s.Validate(); err != nil {
				t.Fatal(err)
			}
			wantDates(t, s, "2027-01-31", "2027-02-28", "2027-03-31", "2027-04-30", "2027-05-31", "2027-06-30",
				"2027-07-31", "2027-08-31", "2027-09-30", "2027-10-31", "2027-11-30", "2027-12-31",
				"2028-01-31", "2028-02-29")
			// Day 0 is First's day: the same dates.
			s.Day = 0
			wantDates(t, s, "2027-01-31", "2027-02-28", "2027-03-31", "2027-04-30")
		})
	}
}

func TestScheduleMadridMidnightFollowsDST(t *testing.T) {
	t.Parallel()
	loc := zone(t, "Europe/Madrid")
	s := Schedule{First: day(loc, 2027, time.January, 31), Every: 1, Unit: Month, Day: 31, Location: loc}
	// Winter midnight is 23:00 UTC the day before, summer midnight 22:00 UTC.
	for k, want := range map[int]string{0: "2027-01-30T23:00:00Z", 2: "2027-03-30T22:00:00Z", 9: "2027-10-30T22:00:00Z", 10: "2027-11-29T23:00:00Z"} {
		if got := s.Due(k).UTC().Format(time.RFC3339); got != want {
			t.Errorf("Due(%d) = %s UTC, want %s", k, got, want)
		}
	}
}

func TestScheduleWeeklyAcrossDST(t *testing.T) {
	t.Parallel()
	t.Run("Madrid", func(t *testing.T) {
		t.Parallel()
		loc := zone(t, "Europe/Madrid")
		// Summer time starts on Sunday 28 March 2027 and ends on Sunday 31 October 2027.
		s := Schedule{First: day(loc, 2027, time.March, 22), Every: 1, Unit: Week, Location: loc}
		wantDates(t, s, "2027-03-22", "2027-03-29", "2027-04-05")
		if got := s.Due(1).Sub(s.Due(0)); got != 167*time.Hour {
			t.Errorf("the spring week lasts %v, want 167h", got)
		}
		s.First = day(loc, 2027, time.October, 25)
		wantDates(t, s, "2027-10-25", "2027-11-01")
		if got := s.Due(1).Sub(s.Due(0)); got != 169*time.Hour {
			t.Errorf("the autumn week lasts %v, want 169h", got)
		}
		s.Every = 2
		s.First = day(loc, 2027, time.March, 15)
		wantDates(t, s, "2027-03-15", "2027-03-29", "2027-04-12")
	})
	t.Run("SaoPauloMidnightSkipped", func(t *testing.T) {
		t.Parallel()
		loc := zone(t, "America/Sao_Paulo")
		// On 4 November 2018 São Paulo's clocks went from 00:00 to 01:00: that day began at 01:00 local, 03:00 UTC.
		s := Schedule{First: day(loc, 2018, time.October, 28), Every: 1, Unit: Week, Location: loc}
		got := s.Due(1)
		if want := time.Date(2018, time.November, 4, 3, 0, 0, 0, time.UTC); !got.Equal(want) {
			t.Fatalf("Due(1) = %v, want %v", got, want)
		}
		if d := got.Format(time.DateOnly); d != "2018-11-04" {
			t.Errorf("Due(1) is on %s, want 2018-11-04", d)
		}
		if n := s.PeriodsDueBy(got.Add(-time.Nanosecond)); n != 1 {
			t.Errorf("PeriodsDueBy(just before) = %d, want 1", n)
		}
		if n := s.PeriodsDueBy(got); n != 2 {
			t.Errorf("PeriodsDueBy(Due(1)) = %d, want 2", n)
		}
	})
}

func TestScheduleEveryThreeMonths(t *testing.T) {
	t.Parallel()
	loc := zone(t, "Europe/Madrid")
	s := Schedule{First: day(loc, 2027, time.January, 15), Every: 3, Unit: Month, Location: loc}
	wantDates(t, s, "2027-01-15", "2027-04-15", "2027-07-15", "2027-10-15", "2028-01-15")
	s = Schedule{First: day(loc, 2027, time.November, 30), Every: 3, Unit: Month, Day: 31, Location: loc}
	wantDates(t, s, "2027-11-30", "2028-02-29", "2028-05-31", "2028-08-31", "2028-11-30", "2029-02-28")
}

func TestScheduleInstallmentsFromCheckout(t *testing.T) {
	t.Parallel()
	loc := zone(t, "Europe/Madrid")
	// Bought on 10 January: part 0 at checkout, the next parts on the 1st of each month.
	s := Schedule{First: time.Date(2027, time.January, 10, 18, 42, 0, 0, loc), Every: 1, Unit: Month, Day: 1, Periods: 3, Location: loc}
	wantDates(t, s, "2027-01-10", "2027-02-01", "2027-03-01")
	// The checkout instant itself: part 0 is due (its day began at midnight), part 1 not yet.
	if n := s.PeriodsDueBy(s.First); n != 1 {
		t.Errorf("PeriodsDueBy(checkout) = %d, want 1", n)
	}
}

func TestScheduleYearlyOnFebruary29(t *testing.T) {
	t.Parallel()
	loc := zone(t, "America/Sao_Paulo")
	s := Schedule{First: day(loc, 2028, time.February, 29), Every: 1, Unit: Year, Location: loc}
	wantDates(t, s, "2028-02-29", "2029-02-28", "2030-02-28", "2031-02-28", "2032-02-29", "2033-02-28")
	s.Every = 4
	wantDates(t, s, "2028-02-29", "2032-02-29", "2036-02-29")
}

func TestPeriodsDueBy(t *testing.T) {
	t.Parallel()
	loc := zone(t, "Europe/Madrid")
	s := Schedule{First: day(loc, 2027, time.January, 31), Every: 1, Unit: Month, Day: 31, Periods: 13, Location: loc}
	if n := s.PeriodsDueBy(s.Due(0).Add(-time.Nanosecond)); n != 0 {
		t.Errorf("before period 0: %d, want 0", n)
	}
	for k := range 13 {
		due := s.Due(k)
		if n := s.PeriodsDueBy(due.Add(-time.Nanosecond)); n != k {
			t.Errorf("a nanosecond before Due(%d) = %v: %d due, want %d", k, due, n, k)
		}
		if n := s.PeriodsDueBy(due); n != k+1 {
			t.Errorf("at Due(%d) = %v: %d due, want %d", k, due, n, k+1)
		}
		// The same instant read in another zone counts the same.
		if n := s.PeriodsDueBy(due.UTC()); n != k+1 {
			t.Errorf("at Due(%d) in UTC: %d due, want %d", k, n, k+1)
		}
	}
	if n := s.PeriodsDueBy(s.Due(13)); n != 13 {
		t.Errorf("at the 14th date of a 13-period schedule: %d due, want 13", n)
	}
	if n := s.PeriodsDueBy(time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)); n != 13 {
		t.Errorf("in 2100: %d due, want 13", n)
	}
	s.Periods = 0
	if n := s.PeriodsDueBy(s.Due(500)); n != 501 {
		t.Errorf("unbounded, at Due(500): %d due, want 501", n)
	}
}

func TestScheduleThirteenMonths(t *testing.T) {
	t.Parallel()
	loc := zone(t, "America/Sao_Paulo")
	s := Schedule{First: day(loc, 2027, time.January, 31), Every: 1, Unit: Month, Day: 31, Periods: 13, Location: loc}
	// Move a clock hour by hour through fifteen months and record each instant the count of due periods grows.
	var dues []time.Time
	seen := 0
	for now := s.First.Add(-48 * time.Hour); now.Before(s.First.AddDate(1, 3, 0)); now = now.Add(time.Hour) {
		n := s.PeriodsDueBy(now)
		if n < seen || n > seen+1 {
			t.Fatalf("at %v: %d due after %d", now, n, seen)
		}
		if n == seen+1 {
			dues = append(dues, now)
			seen = n
		}
	}
	if len(dues) != 13 {
		t.Fatalf("%d due instants, want 13: %v", len(dues), dues)
	}
	for k, at := range dues {
		// Hourly steps land exactly on each local midnight (São Paulo has no DST since 2019).
		if !at.Equal(s.Due(k)) {
			t.Errorf("period %d became due at %v, want %v", k, at, s.Due(k))
		}
	}
	if got := dues[12].In(loc).Format(time.DateOnly); got != "2028-01-31" {
		t.Errorf("the 13th period is due on %s, want 2028-01-31", got)
	}
}

func TestScheduleValidate(t *testing.T) {
	t.Parallel()
	loc := zone(t, "Europe/Madrid")
	ok := Schedule{First: day(loc, 2027, time.January, 31), Every: 1, Unit: Month, Day: 31, Periods: 12, Location: loc}
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid schedule: %v", err)
	}
	tests := []struct {
		name   string
		change func(*Schedule)
		field  string
		msg    string
	}{
		{"ZeroEvery", func(s *Schedule) { s.Every = 0 }, "every", "must be between 1 and 120"},
		{"NegativeEvery", func(s *Schedule) { s.Every = -1 }, "every", "must be between 1 and 120"},
		{"HugeEvery", func(s *Schedule) { s.Every = 121 }, "every", "must be between 1 and 120"},
		{"DayZeroIsFirstsDay", nil, "", ""},
		{"Day32", func(s *Schedule) { s.Day = 32 }, "day", "must be a day of the month between 1 and 31"},
		{"DayNegative", func(s *Schedule) { s.Day = -1 }, "day", "must be a day of the month between 1 and 31"},
		{"WeeklyWithDay", func(s *Schedule) { s.Unit = Week }, "day", "only a monthly schedule takes a day of the month"},
		{"YearlyWithDay", func(s *Schedule) { s.Unit = Year }, "day", "only a monthly schedule takes a day of the month"},
		{"UnknownUnit", func(s *Schedule) { s.Unit = "fortnight" }, "unit", `must be week, month or year, not "fortnight"`},
		{"NoUnit", func(s *Schedule) { s.Unit = "" }, "unit", `must be week, month or year, not ""`},
		{"NegativePeriods", func(s *Schedule) { s.Periods = -1 }, "periods", "must be between 1 and 1200, or 0 for no end"},
		{"TooManyPeriods", func(s *Schedule) { s.Periods = 1201 }, "periods", "must be between 1 and 1200, or 0 for no end"},
		{"NoLocation", func(s *Schedule) { s.Location = nil }, "location", "the school's time zone is missing"},
		{"NoFirst", func(s *Schedule) { s.First = time.Time{} }, "first", "the first due date is missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := ok
			if tt.change == nil {
				s.Day = 0
				if err := s.Validate(); err != nil {
					t.Fatal(err)
				}
				return
			}
			tt.change(&s)
			var errs check.Errors
			if err := s.Validate(); !errors.As(err, &errs) {
				t.Fatalf("Validate() = %v, want check.Errors", err)
			}
			if errs[tt.field] != tt.msg {
				t.Errorf("%s = %q, want %q (all: %v)", tt.field, errs[tt.field], tt.msg, errs)
			}
		})
	}
}

func TestScheduleProperties(t *testing.T) {
	t.Parallel()
	zones := []*time.Location{zone(t, "Europe/Madrid"), zone(t, "America/Sao_Paulo"), zone(t, "Pacific/Auckland"),
		zone(t, "Asia/Kolkata"), zone(t, "America/Havana"), time.UTC}
	rapid.Check(t, func(rt *rapid.T) {
		loc := rapid.SampledFrom(zones).Draw(rt, "zone")
		unit := rapid.SampledFrom([]Unit{Week, Month, Year}).Draw(rt, "unit")
		s := Schedule{
			First: time.Date(rapid.IntRange(2000, 2040).Draw(rt, "year"), time.Month(rapid.IntRange(1, 12).Draw(rt, "month")),
				rapid.IntRange(1, 31).Draw(rt, "first day"), rapid.IntRange(0, 23).Draw(rt, "hour"), 0, 0, 0, loc),
			Every:    rapid.IntRange(1, 14).Draw(rt, "every"),
			Unit:     unit,
			Periods:  rapid.IntRange(0, 40).Draw(rt, "periods"),
			Location: loc,
		}
		if unit == Month {
			s.Day = rapid.IntRange(0, 31).Draw(rt, "day")
		}
		if err := s.Validate(); err != nil {
			rt.Fatal(err)
		}
		n := s.Periods
		if n == 0 {
			n = 40
		}
		prev := time.Time{}
		for k := range n {
			due := s.Due(k)
			if !due.After(prev) {
				rt.Fatalf("Due(%d) = %v is not after Due(%d) = %v", k, due, k-1, prev)
			}
			if due.Add(-time.Nanosecond).Format(time.DateOnly) == due.Format(time.DateOnly) {
				rt.Fatalf("Due(%d) = %v is not the start of a day", k, due)
			}
			if want := s.First.Day(); unit == Month && k > 0 {
				if s.Day > 0 {
					want = s.Day
				}
				if _, _, d := due.Date(); d != min(want, daysIn(due.Year(), due.Month())) {
					rt.Fatalf("Due(%d) = %v, want day %d or the month's last", k, due, want)
				}
			}
			if got := s.PeriodsDueBy(due); got != k+1 {
				rt.Fatalf("PeriodsDueBy(Due(%d)) = %d, want %d", k, got, k+1)
			}
			if got := s.PeriodsDueBy(due.Add(-time.Nanosecond)); got != k {
				rt.Fatalf("PeriodsDueBy(Due(%d) - 1ns) = %d, want %d", k, got, k)
			}
			prev = due
		}
	})
}
