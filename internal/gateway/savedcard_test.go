package gateway_test

import (
	"strings"
	"testing"

	"github.com/bursar/bursar/internal/gateway"
)

func TestChargeRef(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		ref := gateway.NewChargeRef(42)
		if !strings.HasPrefix(ref, "S42-") || len(ref) != len("S42-")+8 {
			t.Fatalf("NewChargeRef(42) = %q", ref)
		}
		if seen[ref] {
			t.Fatalf("NewChargeRef repeated %q", ref)
		}
		seen[ref] = true
		if got := gateway.ChargeRefSubscription(ref); got != 42 {
			t.Fatalf("ChargeRefSubscription(%q) = %d, want 42", ref, got)
		}
	}
	// Orders' references (digits first) and anything else name no subscription.
	for _, ref := range []string{"", "S", "S-", "S42", "S42-", "42-ABCDEFGH", "s42-ABCDEFGH", "S042-ABCDEFGH",
		"S4x2-ABCDEFGH", "S-1-ABCDEFGH", "S99999999999999999999-AB", "SS42-AB", "S0-AB"} {
		if got := gateway.ChargeRefSubscription(ref); got != 0 {
			t.Errorf("ChargeRefSubscription(%q) = %d, want 0", ref, got)
		}
	}
}

func TestSavedCardsCapability(t *testing.T) {
	for typ, want := range map[string]bool{gateway.TypeWayForPay: true, gateway.TypeFondy: true,
		gateway.TypeStripe: false, gateway.TypePayPal: false, gateway.TypeRedsys: false, gateway.TypeManual: false} {
		if got := gateway.TypeCan(typ, gateway.SavedCards); got != want {
			t.Errorf("TypeCan(%s, SavedCards) = %v, want %v", typ, got, want)
		}
		if want && !gateway.TypeCan(typ, gateway.Recurring) {
			t.Errorf("%s saves cards but cannot sell subscriptions", typ)
		}
	}
}
