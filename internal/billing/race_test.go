package billing_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bursar/bursar/internal/billing"
	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/money"
	"github.com/bursar/bursar/internal/offer"
	"github.com/bursar/bursar/internal/order"
	"github.com/bursar/bursar/internal/paylink"
)

// together runs fns at the same moment and waits for all.
func together(fns ...func()) {
	start := make(chan struct{})
	var wg sync.WaitGroup
	for _, fn := range fns {
		wg.Go(func() {
			<-start
			fn()
		})
	}
	close(start)
	wg.Wait()
}

// activeWithSecond is an active enrollment (its first receipt paid) with its second receipt issued now.
func (f *fixture) activeWithSecond(of offer.Offer) (billing.Enrollment, billing.Receipt) {
	f.t.Helper()
	en := f.enroll(of)
	if _, err := f.pay(en.Receipt); err != nil {
		f.t.Fatal(err)
	}
	r, err := f.bill.IssueNext(f.ctx, en.Enrollment.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	return en.Enrollment, r
}

// begin opens the order of r's link by card, as the payer's page does.
func (f *fixture) begin(r billing.Receipt) (paylink.Begun, money.Money) {
	f.t.Helper()
	l, err := f.links.Get(f.ctx, r.LinkID)
	if err != nil {
		f.t.Fatal(err)
	}
	b, err := f.links.Begin(context.Background(), l.Token, paylink.Payment{PaymentSystemID: f.cards.ID,
		Checkout: func(a order.Attempt) gateway.Checkout {
			return gateway.Checkout{OrderID: a.Order.ID, OrderNumber: a.Order.Number, Amount: a.Order.Price,
				Title: a.Order.OfferTitle, SuccessURL: "https://school.test/ok", CancelURL: "https://school.test/no"}
		}})
	if err != nil {
		f.t.Fatal(err)
	}
	return b, l.Price
}

// TestWaiveVersusPay: a manager waives a receipt while its payment arrives: exactly one outcome — paid (one
// payment, the waive refused as ErrNotOpen) or waived (no payment; the order cancelled, its payment a late_payment
// exception). Never both, never neither.
func TestWaiveVersusPay(t *testing.T) {
	t.Parallel()
	f := newFixture(t, time.Date(2027, 5, 5, 10, 0, 0, 0, madrid))
	of := f.newOffer(offer.Tuition, 4900, "EUR", 0, 1, nil)
	for i := range 6 {
		_, r := f.activeWithSecond(of)
		b, price := f.begin(r)
		var werr, perr error
		var out order.Outcome
		together(func() { _, werr = f.bill.Waive(f.ctx, r.ID, "scholarship") },
			func() { out, perr = f.paid(b, price) })
		if perr != nil {
			t.Fatalf("round %d: paid: %v", i, perr)
		}
		got, err := f.bill.Receipt(f.ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		pays := f.count(`SELECT count(*) FROM receipt_payments WHERE receipt_id = $1`, r.ID)
		exceptions := f.count(`SELECT count(*) FROM payment_exceptions WHERE order_id = $1 AND kind = 'late_payment'`,
			b.Order.ID)
		switch got.Status {
		case billing.ReceiptPaid:
			if !errors.Is(werr, billing.ErrNotOpen) || pays != 1 || exceptions != 0 || out.Result != order.ResultCompleted {
				t.Fatalf("round %d paid: waive %v, %d payments, %d exceptions, %+v", i, werr, pays, exceptions, out)
			}
		case billing.ReceiptWaived:
			if werr != nil || pays != 0 || exceptions != 1 {
				t.Fatalf("round %d waived: waive %v, %d payments, %d exceptions, %+v", i, werr, pays, exceptions, out)
			}
		default:
			t.Fatalf("round %d: receipt %s", i, got.Status)
		}
	}
}

// TestLateAndDuplicatePayments: the same paid notification twice records one payment; a payment arriving after
// the receipt was waived records none (a late_payment exception on the order's side).
func TestLateAndDuplicatePayments(t *testing.T) {
	t.Parallel()
	f := newFixture(t, time.Date(2027, 5, 5, 10, 0, 0, 0, madrid))
	of := f.newOffer(offer.Tuition, 4900, "EUR", 0, 1, nil)
	_, r := f.activeWithSecond(of)
	b, price := f.begin(r)
	ev := gateway.Event{ID: "evt_dup", Type: "checkout.session.completed", Kind: gateway.EventPaid,
		OrderID: b.Order.ID, Ref: b.Redirect.Ref, Amount: price, PayerEmail: f.payer.Email}
	for range 2 {
		if _, err := f.orders.Ingest(context.Background(), f.cards, ev, []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.count(`SELECT count(*) FROM receipt_payments WHERE receipt_id = $1`, r.ID); n != 1 {
		t.Fatalf("%d payments after a duplicate notification", n)
	}
	_, r2 := f.activeWithSecond(of)
	b2, price2 := f.begin(r2)
	if _, err := f.bill.Waive(f.ctx, r2.ID, "scholarship"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.bill.Waive(f.ctx, r2.ID, "again"); !errors.Is(err, billing.ErrNotOpen) {
		t.Fatalf("second waive = %v; want ErrNotOpen", err)
	}
	out, err := f.paid(b2, price2)
	if err != nil {
		t.Fatal(err)
	}
	if n := f.count(`SELECT count(*) FROM receipt_payments WHERE receipt_id = $1`, r2.ID); n != 0 || out.ExceptionID == 0 {
		t.Fatalf("late payment: %d payments, outcome %+v", n, out)
	}
	if got, _ := f.bill.Receipt(f.ctx, r2.ID); got.Status != billing.ReceiptWaived {
		t.Fatalf("receipt %s after a late payment", got.Status)
	}
}

// TestConcurrentIssueDue: four processes issuing at once give one receipt per enrollment and period.
func TestConcurrentIssueDue(t *testing.T) {
	t.Parallel()
	f := newFixture(t, time.Date(2027, 5, 5, 10, 0, 0, 0, madrid))
	of := f.newOffer(offer.Tuition, 4900, "EUR", 0, 1, nil)
	var ids []int64
	for i := range 20 {
		f.payer = f.newContact(fmt.Sprintf("p%d@example.com", i))
		en := f.enroll(of)
		if _, err := f.pay(en.Receipt); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, en.Enrollment.ID)
	}
	f.clock.Add(62 * 24 * time.Hour) // two periods due
	var mu sync.Mutex
	total := 0
	fns := make([]func(), 4)
	for i := range fns {
		fns[i] = func() {
			n, err := f.bill.IssueDue(f.ctx)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			total += n
			mu.Unlock()
		}
	}
	together(fns...)
	if total != 40 {
		t.Fatalf("issued %d; want 40", total)
	}
	for _, id := range ids {
		if n := f.count(`SELECT count(*) FROM receipts WHERE enrollment_id = $1`, id); n != 3 {
			t.Fatalf("enrollment %d has %d receipts; want 3", id, n)
		}
	}
	if n := f.count(`SELECT count(DISTINCT seq) FROM receipts`); n != 60 ||
		f.count(`SELECT max(seq) FROM receipts WHERE year = 2027`) != 60 {
		t.Fatalf("numbers not gapless: %d distinct", n)
	}
}

// TestCashPartialAndCancel: a partial cash payment relinks the rest; cancelling ends the access at paid_through.
func TestCashPartialAndCancel(t *testing.T) {
	t.Parallel()
	f := newFixture(t, time.Date(2027, 5, 5, 10, 0, 0, 0, madrid))
	of := f.newOffer(offer.Tuition, 4900, "EUR", 0, 1, nil)
	e, r := f.activeWithSecond(of)
	got, err := f.bill.RecordPayment(f.ctx, r.ID, billing.CashPayment{Amount: money.New(1000, "EUR"), Note: "cash"})
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != billing.ReceiptPartiallyPaid || got.Paid != 1000 || got.LinkID == r.LinkID || got.PayURL == "" {
		t.Fatalf("after 10.00 cash: %+v", got)
	}
	if l, _ := f.links.Get(f.ctx, got.LinkID); l.Price != money.New(3900, "EUR") {
		t.Fatalf("new link asks %s", l.Price)
	}
	if _, err := f.bill.RecordPayment(f.ctx, r.ID, billing.CashPayment{Amount: money.New(5000, "EUR")}); err == nil {
		t.Fatal("more than due accepted")
	}
	if _, err := f.pay(got); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.bill.Receipt(f.ctx, r.ID); got.Status != billing.ReceiptPaid || got.Paid != 4900 {
		t.Fatalf("after paying the rest: %+v", got)
	}
	// A second click of "record a payment" on the paid receipt is the not-open conflict, not an amount error.
	if _, err := f.bill.RecordPayment(f.ctx, r.ID, billing.CashPayment{Amount: money.New(100, "EUR")}); !errors.Is(err, billing.ErrNotOpen) {
		t.Fatalf("cash on a paid receipt: %v, want ErrNotOpen", err)
	}
	r3, err := f.bill.IssueNext(f.ctx, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.bill.Cancel(f.ctx, e.ID, strings.Repeat("x", billing.MaxReason+1)); err == nil {
		t.Fatal("a reason over the limit accepted")
	} else if errs, ok := check.AsErrors(err); !ok || errs["reason"] == "" {
		t.Fatalf("long reason: %v, want a field error on reason", err)
	}
	c, err := f.bill.Cancel(f.ctx, e.ID, "moving away")
	if err != nil || c.Status != billing.EnrollmentCancelled {
		t.Fatalf("Cancel = %+v, %v", c, err)
	}
	if got, _ := f.bill.Receipt(f.ctx, r3.ID); got.Status != billing.ReceiptCancelled {
		t.Fatalf("open receipt after cancel: %s", got.Status)
	}
	if l, _ := f.links.Get(f.ctx, r3.LinkID); l.Status != paylink.StatusCancelled {
		t.Fatalf("its link: %s", l.Status)
	}
	gs, err := f.grants.ForContact(f.ctx, f.payer.ID)
	if err != nil || len(gs) != 1 || gs[0].EndsAt == nil || !gs[0].EndsAt.Equal(*c.PaidThrough) {
		t.Fatalf("grant after cancel = %+v, %v (paid through %v)", gs, err, c.PaidThrough)
	}
}

// TestExpirePending: a first receipt not paid in time drops the enrollment and cancels the receipt; its link
// expires.
func TestExpirePending(t *testing.T) {
	t.Parallel()
	f := newFixture(t, time.Date(2027, 5, 5, 10, 0, 0, 0, madrid))
	of := f.newOffer(offer.Tuition, 4900, "EUR", 0, 1, nil)
	en := f.enroll(of)
	if done, err := f.bill.ExpirePending(f.ctx, en.Enrollment.ID); done || err != nil {
		t.Fatalf("before the expiry: %v, %v", done, err)
	}
	f.clock.Add(billing.DefaultFirstPaymentWindow + time.Minute)
	if done, err := f.bill.ExpirePending(f.ctx, en.Enrollment.ID); !done || err != nil {
		t.Fatalf("after the expiry: %v, %v", done, err)
	}
	if e := f.enrollment(en.Enrollment.ID); e.Status != billing.EnrollmentDropped {
		t.Fatalf("enrollment %s", e.Status)
	}
	if r, _ := f.bill.Receipt(f.ctx, en.Receipt.ID); r.Status != billing.ReceiptCancelled {
		t.Fatalf("receipt %s", r.Status)
	}
	if l, _ := f.links.Get(f.ctx, en.Receipt.LinkID); l.Status != paylink.StatusExpired {
		t.Fatalf("link %s", l.Status)
	}
}

// TestPauseResume: a paused enrollment issues nothing and has no access; resumed, it bills from the next period
// due after now (the paused periods are not billed) and the same grant gives access again.
func TestPauseResume(t *testing.T) {
	t.Parallel()
	f := newFixture(t, time.Date(2027, 5, 5, 10, 0, 0, 0, madrid))
	of := f.newOffer(offer.Tuition, 4900, "EUR", 0, 1, nil)
	en := f.enroll(of)
	if _, err := f.pay(en.Receipt); err != nil {
		t.Fatal(err)
	}
	if _, err := f.bill.Pause(f.ctx, en.Enrollment.ID, "holiday"); err != nil {
		t.Fatal(err)
	}
	if g, _ := f.grants.Active(f.ctx, f.payer.ID); len(g) != 0 {
		t.Fatalf("access while paused: %+v", g)
	}
	f.clock.Add(70 * 24 * time.Hour)
	if n, err := f.bill.IssueDue(f.ctx); n != 0 || err != nil {
		t.Fatalf("IssueDue while paused = %d, %v", n, err)
	}
	e, err := f.bill.Resume(f.ctx, en.Enrollment.ID)
	if err != nil || e.Status != billing.EnrollmentActive || e.NextPeriod != 3 {
		t.Fatalf("Resume = %+v, %v; want next period 3", e, err)
	}
	if g, _ := f.grants.Active(f.ctx, f.payer.ID); len(g) != 1 {
		t.Fatalf("no access after resuming: %+v", g)
	}
}
