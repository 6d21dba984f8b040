package billing

import (
	"fmt"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/money"
)

// MaxParts is the most installments a price can be split into (five years of monthly parts).
const MaxParts = 60

// Split divides total into parts installments that add up exactly to total: each part is total / parts in the
// currency's minor units (0.01 EUR, 1 JPY, 0.001 KWD), and the whole remainder of that division goes to the first
// part (issue 14), so the parts after the first are equal and the first is the largest, by fewer than parts minor
// units. 100.00 EUR in 3 is 33.34 + 33.33 + 33.33; 1.01 USD in 3 is 0.35 + 0.33 + 0.33.
//
// Bad input is a check.Errors keyed "parts", "amount" or "currency": parts outside 1..MaxParts, a total that is not
// positive or over money.MaxAmount, an unknown currency, or a total smaller than parts minor units (every part must
// be worth something).
func Split(total money.Money, parts int) ([]money.Money, error) {
	errs := check.Errors(money.Check(total.Amount, total.Currency, false))
	if parts < 1 || parts > MaxParts {
		errs.Add("parts", fmt.Sprintf("must be between 1 and %d", MaxParts))
	}
	if len(errs) == 0 && total.Amount < int64(parts) {
		unit := money.New(1, total.Currency)
		errs.Add("amount", fmt.Sprintf("%s cannot be split into %d parts of at least %s", total, parts, unit))
	}
	if len(errs) > 0 {
		return nil, errs
	}
	each, rest := total.Amount/int64(parts), total.Amount%int64(parts)
	out := make([]money.Money, parts)
	for i := range out {
		out[i] = money.New(each, total.Currency)
	}
	out[0].Amount += rest
	return out, nil
}
