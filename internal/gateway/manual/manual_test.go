package manual

import (
	"testing"

	"github.com/bursar/bursar/internal/gateway"
)

func TestSettingsOf(t *testing.T) {
	t.Parallel()
	sys := gateway.System{ID: 1, Type: gateway.TypeManual, Settings: map[string]any{
		"fee_percent": "2.75", "fixed_fee": int64(30), "fixed_fee_currency": "EUR", "account_currency": "EUR",
		"fallback_currency": "EUR", "supported_currencies": []string{"EUR", "USD"}, "comment_hint": "IBAN last 4",
	}}
	st, err := SettingsOf(sys)
	if err != nil {
		t.Fatal(err)
	}
	if st.Fees.PercentBP != 275 || st.Fees.Fixed.Amount != 30 || st.Fees.Fixed.Currency != "EUR" || st.CommentHint != "IBAN last 4" {
		t.Fatalf("SettingsOf = %+v", st)
	}
	tests := []struct {
		in, want string
		ok       bool
	}{{"USD", "USD", true}, {"GBP", "EUR", true}}
	for _, tt := range tests {
		if got, ok := st.TransactionCurrency(tt.in); got != tt.want || ok != tt.ok {
			t.Errorf("TransactionCurrency(%s) = %s, %v", tt.in, got, ok)
		}
	}
	st.FallbackCurrency = ""
	if _, ok := st.TransactionCurrency("GBP"); ok {
		t.Error("GBP accepted without a fallback")
	}
	if _, err := SettingsOf(gateway.System{Type: gateway.TypeStripe}); err == nil {
		t.Error("SettingsOf(stripe) did not fail")
	}
}
