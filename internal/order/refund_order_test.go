package order_test

import (
	"testing"

	"github.com/bursar/bursar/internal/money"
	"github.com/bursar/bursar/internal/order"
)

// RefundOrder decides inside: a gateway order is refunded through the gateway given once in Deps.Gateways, a manual
// order is recorded as refunded in full; the caller passes no gateway.
func TestRefundOrderDecidesInside(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	gw := &gatewayRecorder{}
	svc := f.withGateways(fakeGateways{refund: gw})

	manual, err := svc.Approve(f.ctx, f.open().ID, order.Adjustment{}) // before stripeSystem changes f.offer
	if err != nil {
		t.Fatal(err)
	}
	paid := f.paidGateway(f.stripeSystem(), "cs_decide")
	o, rec, err := svc.RefundOrder(f.ctx, paid.ID, order.RefundInput{Amount: 1000, Reason: "a week missed"})
	if err != nil {
		t.Fatal(err)
	}
	if asked := gw.asked(); len(asked) != 1 || asked[0].Amount != money.New(1000, "EUR") {
		t.Errorf("the gateway was asked %+v, want one refund of 10.00 EUR", asked)
	}
	if rec.Status != order.RefundSucceeded || rec.GatewayRef != "re_1" || o.ID != paid.ID || o.Status != order.StatusCompleted {
		t.Errorf("gateway refund = %+v, order %+v", rec, o)
	}

	if _, _, err := svc.RefundOrder(f.ctx, manual.ID, order.RefundInput{Amount: 100}); !isField(err, "amount", "in full") {
		t.Errorf("part of a manual order = %v, want an amount error", err)
	}
	o, rec, err = svc.RefundOrder(f.ctx, manual.ID, order.RefundInput{Reason: "course cancelled"})
	if err != nil {
		t.Fatal(err)
	}
	if o.Status != order.StatusRefunded || rec != (order.RefundRecord{}) || len(gw.asked()) != 1 {
		t.Errorf("manual refund = %+v, %+v; the gateway was asked %d times", o.Status, rec, len(gw.asked()))
	}
}
