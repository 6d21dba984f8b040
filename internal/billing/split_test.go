package billing

import (
	"errors"
	"testing"

	"pgregory.net/rapid"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/money"
)

func TestSplit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		total money.Money
		parts int
		want  []int64
	}{
		{"EUR", money.New(10000, "EUR"), 3, []int64{3334, 3333, 3333}},
		{"JPY", money.New(10000, "JPY"), 3, []int64{3334, 3333, 3333}},
		{"KWD", money.New(100000, "KWD"), 3, []int64{33334, 33333, 33333}},
		{"Even", money.New(12000, "EUR"), 12, []int64{1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000}},
		{"RemainderOfTwo", money.New(101, "USD"), 3, []int64{35, 33, 33}},
		{"OnePart", money.New(4999, "EUR"), 1, []int64{4999}},
		{"OneMinorUnitEach", money.New(3, "EUR"), 3, []int64{1, 1, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Split(tt.total, tt.parts)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("Split(%v, %d) = %v, want %v", tt.total, tt.parts, got, tt.want)
			}
			for i, p := range got {
				if p.Amount != tt.want[i] || p.Currency != tt.total.Currency {
					t.Errorf("part %d = %v, want %d %s", i, p, tt.want[i], tt.total.Currency)
				}
			}
		})
	}
}

func TestSplitFormats(t *testing.T) {
	t.Parallel()
	// The parts read as people expect in each currency's decimals.
	tests := []struct {
		total money.Money
		want  []string
	}{
		{money.New(10000, "EUR"), []string{"33.34", "33.33", "33.33"}},
		{money.New(10000, "JPY"), []string{"3334", "3333", "3333"}},
		{money.New(100000, "KWD"), []string{"33.334", "33.333", "33.333"}},
	}
	for _, tt := range tests {
		got, err := Split(tt.total, 3)
		if err != nil {
			t.Fatal(err)
		}
		for i, p := range got {
			if p.Decimal() != tt.want[i] {
				t.Errorf("%v part %d = %s, want %s", tt.total, i, p.Decimal(), tt.want[i])
			}
		}
	}
}

func TestSplitRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		total money.Money
		parts int
		field string
		msg   string
	}{
		{"ZeroParts", money.New(10000, "EUR"), 0, "parts", "must be between 1 and 60"},
		{"NegativeParts", money.New(10000, "EUR"), -2, "parts", "must be between 1 and 60"},
		{"TooManyParts", money.New(10000, "EUR"), 61, "parts", "must be between 1 and 60"},
		{"ZeroTotal", money.New(0, "EUR"), 3, "amount", "must be greater than zero"},
		{"NegativeTotal", money.New(-300, "EUR"), 3, "amount", "must not be negative"},
		{"HugeTotal", money.New(money.MaxAmount+1, "EUR"), 3, "amount", "is too large"},
		{"UnknownCurrency", money.New(10000, "XXX"), 3, "currency", "must be an ISO 4217 currency code such as EUR"},
		{"SmallerThanParts", money.New(2, "EUR"), 3, "amount", "0.02 EUR cannot be split into 3 parts of at least 0.01 EUR"},
		{"SmallerThanPartsJPY", money.New(59, "JPY"), 60, "amount", "59 JPY cannot be split into 60 parts of at least 1 JPY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Split(tt.total, tt.parts)
			if got != nil {
				t.Errorf("Split(%v, %d) returned parts %v with an error", tt.total, tt.parts, got)
			}
			var errs check.Errors
			if !errors.As(err, &errs) {
				t.Fatalf("Split(%v, %d) error = %v, want check.Errors", tt.total, tt.parts, err)
			}
			if errs[tt.field] != tt.msg {
				t.Errorf("Split(%v, %d) %s = %q, want %q (all: %v)", tt.total, tt.parts, tt.field, errs[tt.field], tt.msg, errs)
			}
		})
	}
}

func TestSplitProperties(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(rt *rapid.T) {
		currency := rapid.SampledFrom([]string{"EUR", "JPY", "KWD", "USD", "BHD", "CLP"}).Draw(rt, "currency")
		parts := rapid.IntRange(1, MaxParts).Draw(rt, "parts")
		amount := rapid.Int64Range(int64(parts), money.MaxAmount).Draw(rt, "amount")
		got, err := Split(money.New(amount, currency), parts)
		if err != nil {
			rt.Fatal(err)
		}
		if len(got) != parts {
			rt.Fatalf("%d parts, want %d", len(got), parts)
		}
		var sum int64
		lo, hi := got[0].Amount, got[0].Amount
		for _, p := range got {
			if p.Currency != currency {
				rt.Fatalf("part %v not in %s", p, currency)
			}
			if p.Amount < 1 {
				rt.Fatalf("part %v is not positive", p)
			}
			sum += p.Amount
			lo, hi = min(lo, p.Amount), max(hi, p.Amount)
		}
		if sum != amount {
			rt.Fatalf("parts %v sum to %d, want %d", got, sum, amount)
		}
		if hi-lo > int64(parts-1) || got[0].Amount != hi {
			rt.Fatalf("parts %v: the first must be the largest", got)
		}
		for _, p := range got[1:] {
			if p.Amount != got[len(got)-1].Amount {
				rt.Fatalf("parts %v: all but the first must be equal", got)
			}
			if got[0].Amount-p.Amount >= int64(parts) {
				rt.Fatalf("parts %v: the first carries more than the remainder", got)
			}
		}
	})
}
