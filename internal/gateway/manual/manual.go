// Package manual is the manual payment system type (seed 004): payments made outside Bursar (cash, bank transfer,
// card to card) that the payer reports and a manager confirms. This package reads its settings; the fields
// themselves are declared with every other type in package gateway.
package manual

import (
	"fmt"
	"slices"

	"github.com/bursar/bursar/internal/gateway"
)

// Settings is a manual payment system's configuration, typed.
type Settings struct {
	Fees                gateway.Fees
	AccountCurrency     string   // where the money is credited; "" when not stated
	FallbackCurrency    string   // used when the payer's currency is not supported; "" when none
	SupportedCurrencies []string // at least one
	CommentHint         string   // shown to the payer next to the comment field
}

// SettingsOf reads the settings of sys, which must be of type manual.
func SettingsOf(sys gateway.System) (Settings, error) {
	if sys.Type != gateway.TypeManual {
		return Settings{}, fmt.Errorf("payment system %d is %s, not manual", sys.ID, sys.Type)
	}
	return Settings{
		Fees:                sys.Fees(),
		AccountCurrency:     sys.Setting("account_currency"),
		FallbackCurrency:    sys.Setting("fallback_currency"),
		SupportedCurrencies: slices.Clone(sys.SupportedCurrencies()),
		CommentHint:         sys.Setting("comment_hint"),
	}, nil
}

// TransactionCurrency is the currency a payment priced in currency is made in: currency itself when supported,
// else the fallback currency; ok is false when neither applies.
func (s Settings) TransactionCurrency(currency string) (string, bool) {
	if slices.Contains(s.SupportedCurrencies, currency) {
		return currency, true
	}
	if s.FallbackCurrency != "" {
		return s.FallbackCurrency, true
	}
	return "", false
}
