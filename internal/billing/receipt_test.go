package billing

import (
	"testing"

	"pgregory.net/rapid"
)

func TestReceiptNumber(t *testing.T) {
	t.Parallel()
	tests := []struct {
		year int
		seq  int64
		want string
	}{
		{2027, 123, "R-2027-000123"},
		{2027, 1, "R-2027-000001"},
		{2026, 999999, "R-2026-999999"},
		{2026, 1000000, "R-2026-1000000"},
		{2030, 123456789012, "R-2030-123456789012"},
	}
	for _, tt := range tests {
		got := ReceiptNumber(tt.year, tt.seq)
		if got != tt.want {
			t.Errorf("ReceiptNumber(%d, %d) = %q, want %q", tt.year, tt.seq, got, tt.want)
		}
		year, seq, err := ParseReceiptNumber(got)
		if err != nil || year != tt.year || seq != tt.seq {
			t.Errorf("ParseReceiptNumber(%q) = %d, %d, %v; want %d, %d", got, year, seq, err, tt.year, tt.seq)
		}
	}
}

func TestParseReceiptNumberRefuses(t *testing.T) {
	t.Parallel()
	for _, s := range []string{
		"", "R-", "R-2027", "R-2027-", "R-2027-00012", "r-2027-000123", "B-2027-000123", "R-27-000123",
		"R-02027-000123", "R-2027-0000123", "R-2027-000000", "R-0999-000001", "R-2027-00012a", "R-2027-+00123",
		"R-2027-000123 ", " R-2027-000123", "R-2027_000123", "R-2027-000-123", "R-2027-99999999999999999999",
		"R-٢٠٢٧-000123",
	} {
		if year, seq, err := ParseReceiptNumber(s); err == nil {
			t.Errorf("ParseReceiptNumber(%q) = %d, %d, want an error", s, year, seq)
		}
	}
}

func TestReceiptNumberRoundTrip(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(rt *rapid.T) {
		year := rapid.IntRange(1000, 9999).Draw(rt, "year")
		seq := rapid.Int64Range(1, 1<<53).Draw(rt, "seq")
		s := ReceiptNumber(year, seq)
		y, q, err := ParseReceiptNumber(s)
		if err != nil || y != year || q != seq {
			rt.Fatalf("ParseReceiptNumber(%q) = %d, %d, %v; want %d, %d", s, y, q, err, year, seq)
		}
	})
}

// FuzzParseReceiptNumber: whatever the text, a number read is the one spelling of its year and sequence.
func FuzzParseReceiptNumber(f *testing.F) {
	for _, s := range []string{"R-2027-000123", "R-2027-1000000", "R-2027-000000", "R-2027-0000123", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		year, seq, err := ParseReceiptNumber(s)
		if err != nil {
			return
		}
		if seq < 1 || year < 1000 || year > 9999 || ReceiptNumber(year, seq) != s {
			t.Fatalf("ParseReceiptNumber(%q) = %d, %d: not its one spelling", s, year, seq)
		}
	})
}
