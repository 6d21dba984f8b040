package order_test

import (
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/order"
)

// TestCancelOpenTx: what cancels an order it opened (a payment link) cancels it once, failing its attempt, on both
// timelines and in the audit log; a payment that still arrives is a late_payment exception. A manual order, or a
// payment the gateway is processing, is awaited; a started attempt is not.
func TestCancelOpenTx(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	sys := f.system(gateway.Input{Type: gateway.TypeStripe, Name: "Cards", Mode: gateway.ModeTest, Enabled: true,
		Credentials: map[string]string{"secret_key": "sk_test_1", "webhook_secret": "whsec_1"}})
	f.offer = f.newOffer("Spanish A1 by card", 4900, "EUR", sys.ID, f.manual.ID)
	att := f.openGateway(sys, "cs_cancel")
	cancel := func() bool {
		t.Helper()
		var cancelled bool
		if err := pgx.BeginFunc(f.ctx, f.pool, func(tx pgx.Tx) error {
			o, err := f.svc.LockTx(f.ctx, tx, att.Order.ID)
			if err != nil {
				return err
			}
			if o.Awaited() || len(o.Payments) != 1 {
				t.Errorf("a started gateway attempt: awaited %v, %d payments", o.Awaited(), len(o.Payments))
			}
			cancelled, err = f.svc.CancelOpenTx(f.ctx, tx, o.ID, "payment link 1 cancelled")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return cancelled
	}
	if !cancel() {
		t.Fatal("the open order was not cancelled")
	}
	if cancel() {
		t.Fatal("cancelled twice")
	}
	o, err := f.svc.Get(f.ctx, att.Order.ID)
	if err != nil || o.Status != order.StatusCancelled || o.Payments[0].Status != order.PaymentFailed ||
		o.DecisionNote != "payment link 1 cancelled" {
		t.Fatalf("order = %+v, %v", o, err)
	}
	for _, q := range []string{`SELECT count(*) FROM order_events WHERE kind = 'order.cancelled'`,
		`SELECT count(*) FROM contact_events WHERE kind = 'order.cancelled'`,
		`SELECT count(*) FROM audit_log WHERE action = 'order.cancel'`} {
		if n := f.count(q); n != 1 {
			t.Errorf("%s = %d", q, n)
		}
	}
	out, err := f.svc.Ingest(f.ctx, sys, gateway.Event{ID: "evt_after_cancel", Type: "checkout.session.completed",
		Kind: gateway.EventPaid, OrderID: o.ID, Ref: "cs_cancel", Amount: o.Price, PayerEmail: f.contact.Email},
		[]byte(`{}`))
	if err != nil || out.Result != "exception:"+string(order.ExLatePayment) {
		t.Fatalf("payment after the cancel: %+v, %v", out, err)
	}
	if manual := f.open(); !manual.Awaited() {
		t.Error("a manual order waiting for a manager is not awaited")
	}
}
