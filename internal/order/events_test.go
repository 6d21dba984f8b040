package order_test

import (
	"testing"

	"github.com/bursar/bursar/internal/events"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/money"
	"github.com/bursar/bursar/internal/order"
)

// ev is an event of type t about object id.
func ev(t events.Type, id int64) events.Event { return events.Event{Type: t, ID: id} }

// grantsOf are access.granted (or another type) of every grant the order made, in product order.
func (f *fixture) grantEvents(t events.Type, orderID int64) []events.Event {
	f.t.Helper()
	d, err := f.svc.Detail(f.ctx, orderID)
	if err != nil {
		f.t.Fatal(err)
	}
	out := make([]events.Event, 0, len(d.Grants))
	for _, g := range d.Grants {
		out = append(out, ev(t, g.GrantID))
	}
	return out
}

// TestOrderEventsManual: a manual order's life emits each event once, in the transaction of each step, the
// completion's (order.completed, payment.succeeded, access.granted of both products) in one EmitTx; a refused
// decision emits nothing.
func TestOrderEventsManual(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	f.rec.Emitted(t) // the fixture's contacts

	o := f.open()
	f.rec.Check(t, 1, ev(events.OrderCreated, o.ID))
	if again := f.open(); again.ID != o.ID { // the contact's open order comes back: nothing new
		t.Fatalf("second open = %d", again.ID)
	}
	f.rec.Check(t, 0)

	done, err := f.svc.Approve(f.ctx, o.ID, order.Adjustment{})
	if err != nil {
		t.Fatal(err)
	}
	pay := done.Payments[0].ID
	f.rec.Check(t, 1, append([]events.Event{ev(events.OrderCompleted, o.ID), ev(events.PaymentSucceeded, pay)},
		f.grantEvents(events.AccessGranted, o.ID)...)...)
	if _, err := f.svc.Approve(f.ctx, o.ID, order.Adjustment{}); err == nil {
		t.Fatal("approved twice")
	}
	if _, err := f.svc.Reject(f.ctx, o.ID, "late"); err == nil {
		t.Fatal("rejected a completed order")
	}
	f.rec.Check(t, 0)

	if _, err := f.svc.Refund(f.ctx, o.ID, "changed their mind"); err != nil {
		t.Fatal(err)
	}
	refunds, err := f.svc.RefundsOf(f.ctx, o.ID)
	if err != nil || len(refunds) != 1 {
		t.Fatalf("refunds %v, %v", refunds, err)
	}
	// Each revocation is access's own EmitTx; the refund and the order's state come together.
	f.rec.Check(t, 3, append(f.grantEvents(events.AccessRevoked, o.ID),
		ev(events.RefundCreated, refunds[0].ID), ev(events.OrderRefunded, o.ID))...)

	// Rejected: its pending payment fails with it.
	r := f.open()
	f.rec.Check(t, 1, ev(events.OrderCreated, r.ID))
	if _, err := f.svc.Reject(f.ctx, r.ID, "no money arrived"); err != nil {
		t.Fatal(err)
	}
	f.rec.Check(t, 1, ev(events.PaymentFailed, r.Payments[0].ID), ev(events.OrderRejected, r.ID))

	// Expired by its deadline: the same, as order.expired.
	x := f.open()
	f.rec.Check(t, 1, ev(events.OrderCreated, x.ID))
	if done, err := f.svc.Expire(f.ctx, x.ID); err != nil || done {
		t.Fatalf("expired before its deadline: %v, %v", done, err)
	}
	if _, err := f.pool.Exec(f.ctx, `UPDATE orders SET deadline_at = now() - interval '1 minute' WHERE id = $1`, x.ID); err != nil {
		t.Fatal(err)
	}
	if done, err := f.svc.Expire(f.ctx, x.ID); err != nil || !done {
		t.Fatalf("expire: %v, %v", done, err)
	}
	f.rec.Check(t, 1, ev(events.PaymentFailed, x.Payments[0].ID), ev(events.OrderExpired, x.ID))
}

// TestOrderEventsGateway: a gateway order emits order.created with its first attempt, payment.failed for a failed
// attempt, the completion's events once for a notification delivered twice, and refund.created with the order's
// refund (and the grants revoked) for a refund made in the gateway.
func TestOrderEventsGateway(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	sys := f.stripeSystem()
	f.rec.Emitted(t)

	att := f.openGateway(sys, "cs_fail")
	f.rec.Check(t, 1, ev(events.OrderCreated, att.Order.ID))
	failed := gateway.Event{ID: "evt_fail", Type: "checkout.session.expired", Kind: gateway.EventFailed,
		OrderID: att.Order.ID, Ref: "cs_fail"}
	for range 2 { // the gateway's retry of the same event changes nothing
		if _, err := f.svc.Ingest(f.ctx, sys, failed, []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
	}
	f.rec.Check(t, 1, ev(events.PaymentFailed, att.Payment.ID))

	att2, err := f.svc.OpenGateway(f.ctx, order.NewGateway{OfferID: f.offer.ID, ContactID: f.contact.ID,
		PaymentSystemID: sys.ID, Channel: order.ChannelCheckout})
	if err != nil || att2.Order.ID != att.Order.ID {
		t.Fatalf("second attempt: %+v, %v", att2, err)
	}
	f.rec.Check(t, 0) // the same open order: no second order.created
	if err := f.svc.AttachRef(f.ctx, att2.Payment.ID, "cs_paid"); err != nil {
		t.Fatal(err)
	}
	paid := gateway.Event{ID: "evt_paid", Type: "checkout.session.completed", Kind: gateway.EventPaid,
		OrderID: att.Order.ID, Ref: "cs_paid", AltRef: "pi_cs_paid", Amount: att.Order.Price, PayerEmail: f.contact.Email}
	for range 2 {
		if _, err := f.svc.Ingest(f.ctx, sys, paid, []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
	}
	f.rec.Check(t, 1, append([]events.Event{ev(events.OrderCompleted, att.Order.ID),
		ev(events.PaymentSucceeded, att2.Payment.ID)}, f.grantEvents(events.AccessGranted, att.Order.ID)...)...)

	refund := gateway.Event{ID: "evt_refund", Type: "charge.refunded", Kind: gateway.EventRefunded, Ref: "pi_cs_paid",
		Amount: money.New(4900, "EUR"), RefundedAmount: 4900}
	if _, err := f.svc.Ingest(f.ctx, sys, refund, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	refunds, err := f.svc.RefundsOf(f.ctx, att.Order.ID)
	if err != nil || len(refunds) != 1 {
		t.Fatalf("refunds %v, %v", refunds, err)
	}
	f.rec.Check(t, 4, append(f.grantEvents(events.AccessRevoked, att.Order.ID), ev(events.OrderRefunded, att.Order.ID),
		ev(events.RefundCreated, refunds[0].ID))...)

	// A checkout abandoned: the sweep expires the order with its pending attempt failed.
	f.contact = f.newContact("walker@example.com")
	gone := f.openGateway(sys, "cs_gone")
	f.rec.Emitted(t)
	for _, q := range []string{`UPDATE orders SET created_at = now() - interval '8 days' WHERE id = $1`,
		`UPDATE payments SET created_at = now() - interval '8 days' WHERE order_id = $1`} {
		if _, err := f.pool.Exec(f.ctx, q, gone.Order.ID); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := f.svc.ExpireAbandoned(f.ctx); err != nil || n != 1 {
		t.Fatalf("ExpireAbandoned = %d, %v", n, err)
	}
	f.rec.Check(t, 1, ev(events.PaymentFailed, gone.Payment.ID), ev(events.OrderExpired, gone.Order.ID))
}
