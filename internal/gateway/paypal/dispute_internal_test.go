package paypal

import (
	"testing"

	"github.com/bursar/bursar/internal/gateway"
)

// TestDisputeOutcomes: PayPal's outcome codes in Bursar's words.
func TestDisputeOutcomes(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"RESOLVED_SELLER_FAVOUR": gateway.DisputeWon, "DENIED": gateway.DisputeWon,
		"RESOLVED_WITH_PAYOUT": gateway.DisputeWon, "RESOLVED_BUYER_FAVOUR": gateway.DisputeLost,
		"ACCEPTED": gateway.DisputeLost, "CANCELED_BY_BUYER": gateway.DisputeWithdrawn, "NONE": gateway.DisputeOther,
		"": gateway.DisputeOther,
	}
	for code, want := range tests {
		if got := outcomeOf(code); got != want {
			t.Errorf("outcomeOf(%q) = %q, want %q", code, got, want)
		}
	}
}
