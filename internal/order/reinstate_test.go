package order_test

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/money"
	"github.com/bursar/bursar/internal/order"
)

// reinstateSetup: order A paid through Stripe, refunded in full by the gateway, then paid again (a late_payment
// exception of 49.00 under a new reference).
func reinstateSetup(t *testing.T) (*fixture, gateway.System, order.Order, order.ExceptionItem) {
	f := newFixture(t, nil)
	sys := f.stripeSystem()
	a := f.paidGateway(sys, "cs_r")
	if out, err := f.svc.Ingest(f.ctx, sys, refundedEvent("evt_refund", "cs_r", 4900), []byte(`{}`)); err != nil ||
		!strings.HasPrefix(out.Result, order.ResultRefunded) {
		t.Fatalf("refund: %+v, %v", out, err)
	}
	if n := len(f.activeGrants()); n != 0 {
		t.Fatalf("grants after the refund = %d, want 0", n)
	}
	x := f.ingestException(sys, paidEvent("evt_late", a.ID, "cs_r2", money.New(4900, "EUR")))
	if x.Kind != order.ExLatePayment || !x.CanReinstate() {
		t.Fatalf("exception = %+v; want a late_payment that can reinstate", x)
	}
	return f, sys, a, x
}

func TestReinstateException(t *testing.T) {
	t.Parallel()
	f, _, a, x := reinstateSetup(t)
	got, err := f.svc.ReinstateException(f.ctx, x.ID, "paid again after the refund")
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != order.ExceptionResolved {
		t.Errorf("exception = %s, want resolved", got.Status)
	}
	o, err := f.svc.Get(f.ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if o.Status != order.StatusCompleted {
		t.Fatalf("order = %s, want completed again", o.Status)
	}
	statuses := map[string]string{}
	for _, p := range o.Payments {
		statuses[p.GatewayRef] = p.Status
	}
	if statuses["cs_r"] != order.PaymentRefunded || statuses["cs_r2"] != order.PaymentSucceeded {
		t.Errorf("payments = %v; want cs_r refunded and cs_r2 succeeded", statuses)
	}
	if n := len(f.activeGrants()); n != 2 {
		t.Errorf("active grants = %d, want the offer's 2 again", n)
	}
	tot := f.totals()
	if tot.PaymentCount != 2 || tot.Payments != 9800 || tot.RefundCount != 1 || tot.Refunds != 4900 {
		t.Errorf("transactions = %+v; want 2 payments (98.00) and 1 refund (49.00)", tot)
	}
	if n := f.count(`SELECT count(*) FROM audit_log WHERE action = 'payment_exception.reinstate'`); n != 1 {
		t.Errorf("audit entries = %d, want 1", n)
	}
	if n := f.count(`SELECT count(*) FROM order_events WHERE order_id = $1 AND kind = 'order.completed' AND message LIKE '%reinstated%'`,
		a.ID); n != 1 {
		t.Errorf("timeline lines of the reinstatement = %d, want 1", n)
	}
	if _, err := f.svc.ReinstateException(f.ctx, x.ID, "again"); !errors.Is(err, check.ErrConflict) {
		t.Errorf("reinstating again: %v; want a conflict", err)
	}
}

func TestReinstateExceptionRefusals(t *testing.T) {
	t.Parallel()
	f, sys, a, _ := reinstateSetup(t)
	short := f.ingestException(sys, paidEvent("evt_short", a.ID, "cs_r3", money.New(2900, "EUR")))
	if _, err := f.svc.ReinstateException(f.ctx, short.ID, "x"); !errors.Is(err, order.ErrNotReinstatable) {
		t.Errorf("another amount: %v; want ErrNotReinstatable", err)
	}
	b := f.paidGateway(sys, "cs_done")
	late := f.ingestException(sys, paidEvent("evt_done_again", b.ID, "cs_done2", money.New(4900, "EUR")))
	if late.CanReinstate() {
		t.Error("a late payment for a completed order can reinstate")
	}
	if _, err := f.svc.ReinstateException(f.ctx, late.ID, "x"); !errors.Is(err, order.ErrNotReinstatable) {
		t.Errorf("completed order: %v; want ErrNotReinstatable", err)
	}
	c := f.openFor(f.newOffer("Spanish B1", 4900, "EUR", sys.ID), f.contact.ID, sys, "cs_open")
	mismatch := f.ingestException(sys, paidEvent("evt_mis", c.ID, "cs_open", money.New(100, "EUR")))
	if _, err := f.svc.ReinstateException(f.ctx, mismatch.ID, "x"); !errors.Is(err, order.ErrNotReinstatable) {
		t.Errorf("amount mismatch on an open order: %v; want ErrNotReinstatable", err)
	}
	if _, err := f.svc.ReinstateException(f.ctx, short.ID, " "); err == nil {
		t.Error("no note accepted")
	} else if e, ok := check.AsErrors(err); !ok || e["note"] == "" {
		t.Errorf("no note: %v; want a note field error", err)
	}
	if o, _ := f.svc.Get(f.ctx, a.ID); o.Status != order.StatusRefunded {
		t.Errorf("order = %s, want still refunded", o.Status)
	}
}

func TestReinstateExceptionTwiceAtOnce(t *testing.T) {
	t.Parallel()
	f, _, a, x := reinstateSetup(t)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Go(func() { _, errs[i] = f.svc.ReinstateException(f.ctx, x.ID, "same click") })
	}
	wg.Wait()
	ok, conflicts := 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, check.ErrConflict):
			conflicts++
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	if ok != 1 || conflicts != 1 {
		t.Fatalf("results = %v; want one success and one conflict", errs)
	}
	if n := f.count(`SELECT count(*) FROM payments WHERE order_id = $1 AND status = 'succeeded'`, a.ID); n != 1 {
		t.Errorf("succeeded payments = %d, want 1", n)
	}
	if tot := f.totals(); tot.PaymentCount != 2 || tot.Payments != 9800 {
		t.Errorf("transactions = %+v; want 2 payments, 98.00", tot)
	}
}
