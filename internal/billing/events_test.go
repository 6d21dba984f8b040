package billing_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bursar/bursar/internal/billing"
	"github.com/bursar/bursar/internal/events"
	"github.com/bursar/bursar/internal/events/eventstest"
	"github.com/bursar/bursar/internal/money"
	"github.com/bursar/bursar/internal/offer"
)

func ev(t events.Type, id int64) events.Event { return events.Event{Type: t, ID: id} }

// billingEvents reads what was emitted since the last read, keeps the receipt and enrollment events, and fails t
// unless they are want, in order, all in one EmitTx call (billing's one per transaction).
func (f *fixture) billingEvents(t *testing.T, want ...events.Event) []eventstest.Emitted {
	t.Helper()
	all := f.rec.Emitted(t)
	var got []eventstest.Emitted
	for _, e := range all {
		if strings.HasPrefix(string(e.Type), "receipt.") || strings.HasPrefix(string(e.Type), "enrollment.") {
			got = append(got, e)
		}
	}
	evs := make([]events.Event, len(got))
	for i, e := range got {
		evs[i] = e.Event
	}
	if !slices.Equal(evs, want) || (len(want) > 0 && eventstest.Calls(got) != 1) {
		t.Errorf("billing emitted %v in %d call(s), want %v in one", evs, eventstest.Calls(got), want)
	}
	return all
}

// TestBillingEvents: each change of an enrollment or a receipt emits its event once, all of a transaction's in one
// EmitTx after its writes; a refused change emits
// nothing; the batch issue emits every receipt it issues in one call.
func TestBillingEvents(t *testing.T) {
	t.Parallel()
	start := time.Date(2027, 1, 10, 10, 0, 0, 0, madrid)
	f := newFixture(t, start)
	of := f.newOffer(offer.Tuition, 4900, "EUR", 0, 1, func(in *offer.Input) {
		in.BillingPeriods, in.GraceDays, in.RemindDays = 6, 3, 1
	})
	f.rec.Emitted(t)

	a := f.enroll(of)
	en, r0 := a.Enrollment.ID, a.Receipt.ID
	f.billingEvents(t, ev(events.EnrollmentCreated, en), ev(events.ReceiptIssued, r0))
	if _, err := f.pay(a.Receipt); err != nil {
		t.Fatal(err)
	}
	all := f.billingEvents(t, ev(events.ReceiptPaid, r0), ev(events.EnrollmentActivated, en))
	if !slices.ContainsFunc(all, func(e eventstest.Emitted) bool {
		return e.Event == ev(events.PaymentLinkPaid, a.Receipt.LinkID)
	}) {
		t.Errorf("no payment_link.paid for the receipt's link %d in %v", a.Receipt.LinkID, all)
	}

	// A second enrollment, so that the batch issue has two receipts to issue.
	b := f.enroll(of)
	if _, err := f.pay(b.Receipt); err != nil {
		t.Fatal(err)
	}
	f.rec.Emitted(t)

	if _, err := f.bill.Pause(f.ctx, en, "holidays"); err != nil {
		t.Fatal(err)
	}
	f.billingEvents(t, ev(events.EnrollmentPaused, en))
	if _, err := f.bill.Pause(f.ctx, en, "again"); err == nil {
		t.Fatal("paused twice")
	}
	f.billingEvents(t)
	if _, err := f.bill.Resume(f.ctx, en); err != nil {
		t.Fatal(err)
	}
	f.billingEvents(t, ev(events.EnrollmentResumed, en))

	f.clock.Add(31 * 24 * time.Hour)
	if n, err := f.bill.IssueDue(f.ctx); err != nil || n != 2 {
		t.Fatalf("IssueDue = %d, %v", n, err)
	}
	ra, rb := f.receipts(en)[1], f.receipts(b.Enrollment.ID)[1]
	issued := []events.Event{ev(events.ReceiptIssued, ra.ID), ev(events.ReceiptIssued, rb.ID)}
	slices.SortFunc(issued, func(x, y events.Event) int { return int(x.ID - y.ID) })
	f.billingEvents(t, issued...)

	// Unpaid the day after its due date, then past its grace: overdue, then the enrollment suspended (both
	// enrollments' receipts fall due together).
	f.clock.Set(ra.DueAt.Add(26 * time.Hour))
	if _, err := f.bill.Remind(f.ctx); err != nil {
		t.Fatal(err)
	}
	all = f.rec.Emitted(t)
	if !slices.ContainsFunc(all, func(e eventstest.Emitted) bool { return e.Event == ev(events.ReceiptOverdue, ra.ID) }) {
		t.Errorf("no receipt.overdue for %d in %v", ra.ID, all)
	}
	f.clock.Set(ra.GraceUntil.Add(time.Hour))
	if _, err := f.bill.Remind(f.ctx); err != nil {
		t.Fatal(err)
	}
	all = f.rec.Emitted(t)
	if !slices.ContainsFunc(all, func(e eventstest.Emitted) bool { return e.Event == ev(events.EnrollmentSuspended, en) }) {
		t.Errorf("no enrollment.suspended for %d in %v", en, all)
	}
	// Cash for the whole receipt: paid, and the suspension lifted, in one transaction.
	if _, err := f.bill.RecordPayment(f.ctx, ra.ID, billing.CashPayment{Amount: money.New(4900, "EUR")}); err != nil {
		t.Fatal(err)
	}
	f.billingEvents(t, ev(events.ReceiptPaid, ra.ID), ev(events.EnrollmentResumed, en))

	if _, err := f.bill.Waive(f.ctx, rb.ID, "scholarship"); err != nil {
		t.Fatal(err)
	}
	f.billingEvents(t, ev(events.ReceiptWaived, rb.ID), ev(events.EnrollmentResumed, b.Enrollment.ID))
	if _, err := f.bill.Waive(f.ctx, rb.ID, "twice"); err == nil {
		t.Fatal("waived twice")
	}
	f.billingEvents(t)

	if _, err := f.bill.Cancel(f.ctx, b.Enrollment.ID, "moved away"); err != nil {
		t.Fatal(err)
	}
	f.billingEvents(t, ev(events.EnrollmentCancelled, b.Enrollment.ID))

	// Installments in two parts: paying the last completes the enrollment.
	inst := f.newOffer(offer.Installments, 10000, "EUR", 2, 1, nil)
	c := f.enroll(inst)
	if _, err := f.pay(c.Receipt); err != nil {
		t.Fatal(err)
	}
	f.clock.Add(31 * 24 * time.Hour)
	if _, err := f.bill.IssueDue(f.ctx); err != nil {
		t.Fatal(err)
	}
	last := f.receipts(c.Enrollment.ID)[1]
	f.rec.Emitted(t)
	if _, err := f.pay(last); err != nil {
		t.Fatal(err)
	}
	f.billingEvents(t, ev(events.ReceiptPaid, last.ID), ev(events.EnrollmentCompleted, c.Enrollment.ID))
}
