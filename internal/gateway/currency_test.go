package gateway_test

import (
	"testing"

	"github.com/bursar/bursar/internal/gateway"
)

// TestTransactionCurrency is the one rule checkout and order share: the price's currency when the system takes it
// (every currency when it lists none), else its fallback currency, else "" (it cannot take the price).
func TestTransactionCurrency(t *testing.T) {
	euro := map[string]any{"supported_currencies": []string{"EUR", "USD"}, "fallback_currency": "EUR"}
	cases := []struct {
		name     string
		settings map[string]any
		price    string
		want     string
	}{
		{"Supported", euro, "USD", "USD"},
		{"Fallback", euro, "GBP", "EUR"},
		{"NoList", map[string]any{"fallback_currency": "EUR"}, "GBP", "GBP"},
		{"NoFallback", map[string]any{"supported_currencies": []string{"EUR"}}, "GBP", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sys := gateway.System{Settings: tc.settings}
			if got := sys.TransactionCurrency(tc.price); got != tc.want {
				t.Errorf("TransactionCurrency(%q) = %q, want %q", tc.price, got, tc.want)
			}
		})
	}
}
