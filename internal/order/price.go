package order

import (
	"context"
	"errors"
	"fmt"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/db"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/gateway/manual"
	"github.com/bursar/bursar/internal/money"
)

// FeeOf is what a payment of amount costs in fees: round-half-up(amount × percent) plus the fixed fee when it is in
// amount's currency, capped at amount so net is never negative. A fixed fee in another currency is converted with
// convert; when convert is nil or fails the fixed fee is left out (the percentage still applies), which is the
// documented rule for a school that keeps no rate for that pair.
func FeeOf(amount money.Money, f gateway.Fees, convert func(money.Money, string) (money.Money, error)) (fee, net int64) {
	if amount.Amount <= 0 {
		return 0, amount.Amount
	}
	// amount ≤ money.MaxAmount (10^12) and PercentBP ≤ 10000, so the product stays far below 2^63.
	fee = (amount.Amount*f.PercentBP + 5000) / 10000
	if f.Fixed.Amount > 0 {
		switch {
		case f.Fixed.Currency == "" || f.Fixed.Currency == amount.Currency:
			fee += f.Fixed.Amount
		case convert != nil:
			if c, err := convert(f.Fixed, amount.Currency); err == nil {
				fee += c.Amount
			}
		}
	}
	fee = min(fee, amount.Amount)
	return fee, amount.Amount - fee
}

// priceTx is what a payer owes for list through sys: list itself when sys takes its currency, else list converted
// into sys's fallback currency with the school's rates.
func (s *Service) priceTx(ctx context.Context, tx db.DBTX, list money.Money, sys gateway.System) (money.Money, error) {
	st, err := manual.SettingsOf(sys)
	if err != nil {
		return money.Money{}, check.Field("payment_system_id", "is not a manual payment system")
	}
	cur := list.Currency
	if len(st.SupportedCurrencies) > 0 {
		var ok bool
		if cur, ok = st.TransactionCurrency(list.Currency); !ok {
			return money.Money{}, check.Field("payment_system_id", fmt.Sprintf(
				"does not accept %s and has no fallback currency", list.Currency))
		}
	}
	if cur == list.Currency {
		return list, nil
	}
	return s.convertTx(ctx, tx, list, cur)
}

// convertTx converts m with the school's rates; a missing rate is the admin's to fix, so it is a field error.
func (s *Service) convertTx(ctx context.Context, tx db.DBTX, m money.Money, to string) (money.Money, error) {
	noRate := check.Field("offer_id", fmt.Sprintf("no exchange rate from %s to %s: add one in Settings", m.Currency, to))
	c, err := s.deps.Rates.ConvertTx(ctx, tx, m, to)
	if _, bad := check.AsErrors(err); bad || errors.Is(err, check.ErrNotFound) {
		return money.Money{}, noRate
	}
	if err != nil {
		return money.Money{}, fmt.Errorf("convert %s to %s: %w", m, to, err)
	}
	return c, nil
}

// feeTx computes fee and net of amount paid through sys, converting a fixed fee in another currency when a rate
// exists.
func (s *Service) feeTx(ctx context.Context, tx db.DBTX, amount money.Money, sys gateway.System) (fee, net int64) {
	convert := func(m money.Money, to string) (money.Money, error) { return s.deps.Rates.ConvertTx(ctx, tx, m, to) }
	return FeeOf(amount, sys.Fees(), convert)
}
