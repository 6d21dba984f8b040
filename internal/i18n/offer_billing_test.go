package i18n

import (
	"testing"
	"time"
)

func TestPluralOrdinalDate(t *testing.T) {
	t.Parallel()
	tests := []struct{ got, want string }{
		{Plural("en", Months, 1), "month"}, {Plural("en", Months, 10), "months"},
		{Plural("fr", Years, 0), "an"}, {Plural("fr", Years, 2), "ans"},
		{Plural("ru", Months, 1), "месяц"}, {Plural("ru", Months, 3), "месяца"}, {Plural("ru", Months, 5), "месяцев"},
		{Plural("ru", Months, 11), "месяцев"}, {Plural("ru", Months, 21), "месяц"}, {Plural("ru", Months, 112), "месяцев"},
		{Plural("uk", Weeks, 24), "тижні"}, {Plural("de", Years, 2), "years"},
		{DayOrdinal("en", 1), "1st"}, {DayOrdinal("en", 2), "2nd"}, {DayOrdinal("en", 3), "3rd"},
		{DayOrdinal("en", 11), "11th"}, {DayOrdinal("en", 12), "12th"}, {DayOrdinal("en", 22), "22nd"},
		{DayOrdinal("en", 31), "31st"}, {DayOrdinal("fr", 1), "1er"}, {DayOrdinal("fr", 5), "5"},
		{DayOrdinal("ru", 5), "5-го"}, {DayOrdinal("es", 5), "5"},
		{JoinAnd("en", []string{"a"}), "a"}, {JoinAnd("es", []string{"a", "b", "c"}), "a, b y c"},
	}
	for i, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%d: %q, want %q", i, tt.got, tt.want)
		}
	}
	d := time.Date(2027, 1, 3, 0, 0, 0, 0, time.UTC)
	for lang, want := range map[string]string{"en": "3 January 2027", "es": "3 de enero de 2027", "fr": "3 janvier 2027",
		"ru": "3 января 2027 г.", "uk": "3 січня 2027 р.", "de": "3 January 2027"} {
		if got := LongDate(lang, d); got != want {
			t.Errorf("%s: %q, want %q", lang, got, want)
		}
	}
	if got := LongDate("fr", d.AddDate(0, 1, -2)); got != "1er février 2027" {
		t.Errorf("fr 1st: %q", got)
	}
}
