// Package fx is the school's exchange rates, maintained by the admin in Settings, and conversion of prices with
// them in exact integer arithmetic.
package fx

import (
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/money"
)

// Limits on a rate: positive, at most MaxRate, at most MaxRateDecimals digits after the point (the column is
// NUMERIC(20,10)).
const (
	MaxRate         = 1_000_000_000
	MaxRateDecimals = 10
)

// Rate is one exchange rate: 1 Base = Rate Quote.
type Rate struct {
	ID        int64
	Base      string
	Quote     string
	Rate      string // exact decimal with a dot and no trailing zeros, e.g. "41.25"
	UpdatedAt time.Time
	UpdatedBy string // who saved it last (an admin's e-mail, an API key's name)
}

// NewRate is a rate to add or update, as typed by a person.
type NewRate struct {
	Base  string
	Quote string
	Rate  string // "41,25" or "41.25"
}

// Normalize trims and upper-cases the codes and trims the rate.
func (n NewRate) Normalize() NewRate {
	n.Base = strings.ToUpper(strings.TrimSpace(n.Base))
	n.Quote = strings.ToUpper(strings.TrimSpace(n.Quote))
	n.Rate = strings.TrimSpace(n.Rate)
	return n
}

// Validate names each bad field of a normalized NewRate and returns the rate in canonical form.
func (n NewRate) Validate() (string, error) {
	errs := check.Errors{}
	if !money.Known(n.Base) {
		errs.Add("base", "must be an ISO 4217 currency code such as EUR")
	}
	if !money.Known(n.Quote) {
		errs.Add("quote", "must be an ISO 4217 currency code such as UAH")
	} else if n.Quote == n.Base {
		errs.Add("quote", "must differ from the base currency")
	}
	r, err := ParseRate(n.Rate)
	if err != nil {
		errs.Add("rate", err.Error())
	}
	return r, errs.Err()
}

// ParseRate reads a decimal rate typed by a person ("41,25", "41.25", "1 000.5") and returns it canonical
// ("41.25"); it must be greater than zero, at most MaxRate, with at most MaxRateDecimals decimals.
func ParseRate(s string) (string, error) {
	s = strings.NewReplacer(" ", "", "\u00a0", "", "\u202f", "", "_", "").Replace(strings.TrimSpace(s))
	if s == "" {
		return "", fmt.Errorf("is required")
	}
	if len(s) > 40 {
		return "", fmt.Errorf("is not a decimal number such as 41.25")
	}
	intPart, frac, hasSep := strings.Cut(strings.ReplaceAll(s, ",", "."), ".")
	if intPart == "" {
		intPart = "0"
	}
	if !digits(intPart) || hasSep && (frac == "" || !digits(frac)) {
		return "", fmt.Errorf("is not a decimal number such as 41.25")
	}
	if len(frac) > MaxRateDecimals {
		return "", fmt.Errorf("may have at most %d decimal places", MaxRateDecimals)
	}
	r, ok := new(big.Rat).SetString(intPart + "." + frac + "0")
	if !ok {
		return "", fmt.Errorf("is not a decimal number such as 41.25")
	}
	if r.Sign() <= 0 {
		return "", fmt.Errorf("must be greater than zero")
	}
	if r.Cmp(big.NewRat(MaxRate, 1)) > 0 {
		return "", fmt.Errorf("must be at most %d", MaxRate)
	}
	return canonical(r), nil
}

func digits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// canonical renders r (with at most MaxRateDecimals decimals) without trailing zeros.
func canonical(r *big.Rat) string {
	s := r.FloatString(MaxRateDecimals)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// canonicalText tidies a rate as PostgreSQL prints NUMERIC(20,10) ("41.2500000000" → "41.25").
func canonicalText(s string) string {
	if r, ok := new(big.Rat).SetString(s); ok {
		return canonical(r)
	}
	return s
}

// Convert converts m with rate (1 m.Currency = rate units of to), exactly: amount × rate × 10^(exp(to) −
// exp(from)), rounded half away from zero to minor units of to.
func Convert(m money.Money, rate *big.Rat, to string) (money.Money, error) {
	v := new(big.Rat).Mul(new(big.Rat).SetInt64(m.Amount), rate)
	shift := money.Exponent(to) - money.Exponent(m.Currency)
	pow := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(abs(shift))), nil)
	if shift >= 0 {
		v.Mul(v, new(big.Rat).SetInt(pow))
	} else {
		v.Quo(v, new(big.Rat).SetInt(pow))
	}
	n := roundHalfAway(v)
	if !n.IsInt64() || abs64(n.Int64()) > money.MaxAmount {
		return money.Money{}, check.Field("amount", fmt.Sprintf("is too large once converted to %s", to))
	}
	return money.Money{Amount: n.Int64(), Currency: to}, nil
}

// roundHalfAway rounds v to the nearest integer, halves away from zero.
func roundHalfAway(v *big.Rat) *big.Int {
	num := new(big.Int).Abs(v.Num())
	den := v.Denom()
	// floor((2·|num| + den) / (2·den)) rounds |v| half up.
	q := new(big.Int).Add(new(big.Int).Lsh(num, 1), den)
	q.Quo(q, new(big.Int).Lsh(den, 1))
	if v.Sign() < 0 {
		q.Neg(q)
	}
	return q
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

func abs64(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

// missingRate is the error when no rate links from and to.
func missingRate(from, to string) error {
	return check.Field("currency", fmt.Sprintf("no exchange rate from %s to %s: add one in Settings", from, to))
}
