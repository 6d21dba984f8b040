package money

import (
	"testing"
	"testing/quick"
)

func TestFormat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		m    Money
		lang string
		want string
	}{
		{New(4900, "EUR"), "en", "€49.00"},
		{New(123450, "EUR"), "es", "1.234,50\u00a0€"},
		{New(123450, "EUR"), "fr", "1\u202f234,50\u00a0€"},
		{New(5000, "JPY"), "en", "¥5,000"},
		{New(1500, "UAH"), "uk", "15,00\u00a0₴"},
		{New(1234, "KWD"), "en", "KWD\u00a01.234"},
		{New(-5, "USD"), "en", "$-0.05"},
	}
	for _, tt := range tests {
		if got := tt.m.Format(tt.lang); got != tt.want {
			t.Errorf("%v.Format(%s) = %q, want %q", tt.m, tt.lang, got, tt.want)
		}
	}
}

func TestParseDecimal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, cur string
		want    int64
		wantErr bool
	}{
		{"49", "EUR", 4900, false},
		{"49.9", "EUR", 4990, false},
		{"49,90", "EUR", 4990, false},
		{"1 234.50", "EUR", 123450, false},
		{"1.234,50", "EUR", 123450, false},
		{"5000", "JPY", 5000, false},
		{"50.5", "JPY", 0, true},
		{"4.999", "EUR", 0, true},
		{"abc", "EUR", 0, true},
		{"", "EUR", 0, true},
		{"99999999999999999999", "EUR", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseDecimal(tt.in, tt.cur)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseDecimal(%q, %s) = %d, %v; want %d, err %v", tt.in, tt.cur, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestParseExact(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, cur string
		want    int64
		wantErr bool
	}{
		{"1547.36", "UAH", 154736, false},
		{"49", "EUR", 4900, false},
		{"49.5", "EUR", 4950, false},
		{"49.000", "EUR", 4900, false},
		{"5000", "JPY", 5000, false},
		{"5000.0", "JPY", 5000, false},
		{"0.10", "KWD", 100, false},
		{"49.001", "EUR", 0, true},
		{"49.", "EUR", 0, true},
		{".5", "EUR", 0, true},
		{"-1", "EUR", 0, true},
		{"+1", "EUR", 0, true},
		{"1e3", "EUR", 0, true},
		{"49,90", "EUR", 0, true},
		{"1 234", "EUR", 0, true},
		{"", "EUR", 0, true},
		{"49", "XXQ", 0, true},
		{"10000000001", "EUR", 0, true},
		{"1234567890123456", "EUR", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseExact(tt.in, tt.cur)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseExact(%q, %s) = %d, %v; want %d, err %v", tt.in, tt.cur, got, err, tt.want, tt.wantErr)
		}
	}
}

// TestDecimalRoundTrip is the property every gateway relies on: Decimal then ParseDecimal is the identity.
func TestDecimalRoundTrip(t *testing.T) {
	t.Parallel()
	for _, cur := range []string{"EUR", "JPY", "KWD"} {
		f := func(a int64) bool {
			a %= MaxAmount
			if a < 0 {
				a = -a
			}
			m := New(a, cur)
			got, err := ParseDecimal(m.Decimal(), cur)
			return err == nil && got == a
		}
		if err := quick.Check(f, nil); err != nil {
			t.Errorf("%s: %v", cur, err)
		}
	}
}
