package order_test

import (
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/money"
	"github.com/bursar/bursar/internal/offer"
	"github.com/bursar/bursar/internal/order"
)

// paidEvent is the gateway's verified payment of amount for order orderID under the reference ref.
func paidEvent(id string, orderID int64, ref string, amount money.Money) gateway.Event {
	return gateway.Event{ID: id, Type: "checkout.session.completed", Kind: gateway.EventPaid, OrderID: orderID,
		Ref: ref, Amount: amount}
}

// ingestException applies ev through sys and returns the exception it opened.
func (f *fixture) ingestException(sys gateway.System, ev gateway.Event) order.ExceptionItem {
	f.t.Helper()
	out, err := f.svc.Ingest(f.ctx, sys, ev, []byte(`{}`))
	if err != nil || out.ExceptionID == 0 {
		f.t.Fatalf("ingest %s: %+v, %v; want an exception", ev.ID, out, err)
	}
	x, err := f.svc.Exception(f.ctx, out.ExceptionID)
	if err != nil {
		f.t.Fatal(err)
	}
	return x
}

// openFor opens a gateway order of of for the fixture's contact through sys, its attempt referenced as ref.
func (f *fixture) openFor(of offer.Offer, contactID int64, sys gateway.System, ref string) order.Order {
	f.t.Helper()
	att, err := f.svc.OpenGateway(f.ctx, order.NewGateway{OfferID: of.ID, ContactID: contactID,
		PaymentSystemID: sys.ID, Channel: order.ChannelCheckout})
	if err != nil {
		f.t.Fatal(err)
	}
	if err := f.svc.AttachRef(f.ctx, att.Payment.ID, ref); err != nil {
		f.t.Fatal(err)
	}
	return att.Order
}

// totals is the Transactions totals in EUR.
func (f *fixture) totals() order.TxnTotal {
	f.t.Helper()
	ts, err := f.svc.TransactionTotals(f.ctx, order.TxnFilter{})
	if err != nil {
		f.t.Fatal(err)
	}
	for _, t := range ts {
		if t.Currency == "EUR" {
			return t
		}
	}
	return order.TxnTotal{Currency: "EUR"}
}

// applySetup: order A (49.00 EUR) paid 29.00 through Stripe (an amount_mismatch exception), and order B of the
// same contact costing 29.00, open.
func applySetup(t *testing.T) (*fixture, gateway.System, order.Order, order.Order, order.ExceptionItem) {
	f := newFixture(t, nil)
	sys := f.stripeSystem()
	a := f.openGateway(sys, "cs_a").Order
	workbook := f.newOffer("Workbook", 2900, "EUR", sys.ID)
	b := f.openFor(workbook, f.contact.ID, sys, "cs_b")
	x := f.ingestException(sys, paidEvent("evt_a", a.ID, "cs_a", money.New(2900, "EUR")))
	if x.Kind != order.ExAmountMismatch || !x.CanApply() {
		t.Fatalf("exception = %+v; want an amount_mismatch that can be applied", x)
	}
	return f, sys, a, b, x
}

func TestApplyExceptionCompletesAnotherOrder(t *testing.T) {
	t.Parallel()
	f, _, a, b, x := applySetup(t)
	cands, err := f.svc.ApplyCandidates(f.ctx, x.ID)
	if err != nil || len(cands) != 1 || cands[0].ID != b.ID {
		t.Fatalf("candidates = %+v, %v; want order B only", cands, err)
	}
	got, _, err := f.svc.ApplyException(f.ctx, x.ID, order.Application{OrderID: b.ID, Note: "  paid the workbook  "})
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != order.ExceptionResolved || !strings.Contains(got.Resolution, b.Number) ||
		!strings.Contains(got.Resolution, "paid the workbook") {
		t.Errorf("exception = %+v; want resolved naming %s and the note", got, b.Number)
	}
	bNow, err := f.svc.Get(f.ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if bNow.Status != order.StatusCompleted {
		t.Fatalf("order B = %s, want completed", bNow.Status)
	}
	var paid []order.Payment
	for _, p := range bNow.Payments {
		if p.Status == order.PaymentSucceeded {
			paid = append(paid, p)
		}
	}
	if len(paid) != 1 || paid[0].GatewayRef != "cs_a" || paid[0].Amount != money.New(2900, "EUR") {
		t.Errorf("B's succeeded payments = %+v; want cs_a of 29.00 moved there", paid)
	}
	aNow, err := f.svc.Get(f.ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if aNow.Status != order.StatusOpen {
		t.Errorf("order A = %s, want still open", aNow.Status)
	}
	for _, p := range aNow.Payments {
		if p.GatewayRef == "cs_a" {
			t.Errorf("order A still has payment cs_a: %+v", p)
		}
	}
	if n := len(f.activeGrants()); n != 2 {
		t.Errorf("active grants = %d, want the offer's 2 products", n)
	}
	if n := f.mails(b.ID, order.EmailCompleted); n != 1 {
		t.Errorf("completed e-mails of B = %d, want 1", n)
	}
	tot := f.totals()
	if tot.PaymentCount != 1 || tot.Payments != 2900 {
		t.Errorf("transactions = %+v; want one payment of 29.00", tot)
	}
	if n := f.count(`SELECT count(*) FROM order_events WHERE order_id = $1 AND kind = $2`, a.ID,
		order.EventExceptionApplied); n != 1 {
		t.Errorf("A's timeline lines of the application = %d, want 1", n)
	}
	if n := f.count(`SELECT count(*) FROM audit_log WHERE action = 'payment_exception.apply' AND entity_id::text = $1::text`,
		strconv.FormatInt(x.ID, 10)); n != 1 {
		t.Errorf("audit entries = %d, want 1", n)
	}
	if _, _, err := f.svc.ApplyException(f.ctx, x.ID, order.Application{OrderID: b.ID, Note: "again"}); !errors.Is(err, check.ErrConflict) {
		t.Errorf("applying again: %v; want a conflict", err)
	}
}

func TestApplyExceptionRefusals(t *testing.T) {
	t.Parallel()
	f, sys, a, b, x := applySetup(t)
	other := f.newContact("other@example.com")
	workbook2 := f.newOffer("Workbook bis", 2900, "EUR", sys.ID)
	stranger := f.openFor(workbook2, other.ID, sys, "cs_other")
	pricier := f.openFor(f.newOffer("Grammar", 4500, "EUR", sys.ID), f.contact.ID, sys, "cs_pricier")
	inUSD := f.openFor(f.newOffer("Grammar USD", 2900, "USD", sys.ID), f.contact.ID, sys, "cs_usd")
	closed := f.openFor(f.newOffer("Closed", 2900, "EUR", sys.ID), f.contact.ID, sys, "cs_closed")
	if _, err := f.svc.Ingest(f.ctx, sys, paidEvent("evt_closed", closed.ID, "cs_closed", money.New(2900, "EUR")), []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.svc.ApplyException(f.ctx, x.ID, order.Application{OrderID: closed.ID, Note: "x"}); !errors.Is(err, order.ErrNotOpen) {
		t.Errorf("a completed order: %v; want ErrNotOpen", err)
	}
	manualOnly := f.newOffer("By transfer", 2900, "EUR", f.manual.ID)
	byTransfer, err := f.svc.CreateManual(f.ctx, order.NewManual{OfferID: manualOnly.ID, ContactID: f.contact.ID,
		PaymentSystemID: f.manual.ID, Channel: order.ChannelCheckout})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		orderID int64
		note    string
		want    string // in the order_id field's message
	}{
		{"NoOrder", 0, "x", "is required"},
		{"Unknown", 999999, "x", "names no order"},
		{"OwnOrder", a.ID, "x", "the one the payment arrived for"},
		{"AnotherContact", stranger.ID, "x", "another contact"},
		{"AnotherAmount", pricier.ID, "x", "costs 45.00"},
		{"AnotherCurrency", inUSD.ID, "x", "in EUR"},
		{"NotSoldThroughTheSystem", byTransfer.ID, "x", "is not sold through Cards"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := f.svc.ApplyException(f.ctx, x.ID, order.Application{OrderID: tt.orderID, Note: tt.note})
			e, ok := check.AsErrors(err)
			if !ok || !strings.Contains(e["order_id"], tt.want) {
				t.Fatalf("error = %v; want order_id %q", err, tt.want)
			}
		})
	}
	if _, _, err := f.svc.ApplyException(f.ctx, x.ID, order.Application{OrderID: b.ID}); err == nil {
		t.Fatal("applying without a note succeeded")
	} else if e, ok := check.AsErrors(err); !ok || e["note"] == "" {
		t.Fatalf("no note: %v; want a note field error", err)
	}
	// Nothing was written by any refusal.
	if cur, _ := f.svc.Exception(f.ctx, x.ID); !cur.Open() {
		t.Error("a refusal resolved the exception")
	}
	if n := f.count(`SELECT count(*) FROM orders WHERE status = 'completed'`); n != 1 {
		t.Errorf("completed orders = %d, want only the closed one", n)
	}
	// An exception naming no order has no contact to match: a conflict.
	orphan := f.ingestException(sys, paidEvent("evt_orphan", 0, "cs_nobody", money.New(2900, "EUR")))
	if _, _, err := f.svc.ApplyException(f.ctx, orphan.ID, order.Application{OrderID: b.ID, Note: "x"}); !errors.Is(err, order.ErrNotApplicable) {
		t.Errorf("applying a payment for no order: %v; want ErrNotApplicable", err)
	}
}

// TestApplyExceptionTwiceAtOnce: two managers apply the same exception at the same moment: one completes the
// order, the other is a conflict; the payment is recorded once.
func TestApplyExceptionTwiceAtOnce(t *testing.T) {
	t.Parallel()
	f, _, _, b, x := applySetup(t)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Go(func() {
			_, _, errs[i] = f.svc.ApplyException(f.ctx, x.ID, order.Application{OrderID: b.ID, Note: "same click"})
		})
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
	if tot := f.totals(); tot.PaymentCount != 1 || tot.Payments != 2900 {
		t.Errorf("transactions = %+v; want one payment of 29.00", tot)
	}
	if n := f.mails(b.ID, order.EmailCompleted); n != 1 {
		t.Errorf("completed e-mails = %d, want 1", n)
	}
}

// TestApplyLatePayment: a second payment for an order completed already (a late_payment) pays another open order
// of the same contact and amount: a new payment is recorded there, the first order keeps its own.
func TestApplyLatePayment(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	sys := f.stripeSystem()
	a := f.paidGateway(sys, "cs_first")
	b := f.openFor(f.newOffer("Spanish A2", 4900, "EUR", sys.ID), f.contact.ID, sys, "cs_b")
	x := f.ingestException(sys, paidEvent("evt_again", a.ID, "cs_second", money.New(4900, "EUR")))
	if x.Kind != order.ExLatePayment {
		t.Fatalf("kind = %s, want late_payment", x.Kind)
	}
	if _, _, err := f.svc.ApplyException(f.ctx, x.ID, order.Application{OrderID: b.ID, Note: "meant for A2"}); err != nil {
		t.Fatal(err)
	}
	bNow, err := f.svc.Get(f.ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if bNow.Status != order.StatusCompleted {
		t.Fatalf("B = %s, want completed", bNow.Status)
	}
	if tot := f.totals(); tot.PaymentCount != 2 || tot.Payments != 9800 {
		t.Errorf("transactions = %+v; want A's and the applied payment, 98.00", tot)
	}
	if n := f.count(`SELECT count(*) FROM payments WHERE gateway_ref = 'cs_second' AND order_id = $1 AND status = 'succeeded'`,
		b.ID); n != 1 {
		t.Errorf("payments cs_second on B = %d, want 1", n)
	}
}
