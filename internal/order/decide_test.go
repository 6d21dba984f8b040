package order_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bursar/bursar/internal/access"
	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/money"
	"github.com/bursar/bursar/internal/order"
)

func TestApproveAndRefund(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	o := f.open()
	paid := time.Now().UTC().AddDate(0, 0, -3)
	got, err := f.svc.Approve(f.ctx, o.ID, order.Adjustment{Amount: ptr(int64(4500)), PaidOn: &paid, Comment: ptr("paid 45 after a discount")})
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != order.StatusCompleted || got.Price != money.New(4500, "EUR") || got.DecidedAt == nil ||
		got.DecidedBy != "ann@school.test" {
		t.Errorf("approved = %+v", got)
	}
	p := got.Payments[0]
	// 2.5% of 45.00 = 1.125 → 1.13 + 0.30 = 1.43.
	if p.Status != order.PaymentSucceeded || p.Amount.Amount != 4500 || p.Fee != 143 || p.Net != 4357 ||
		p.PaidOn.Format(time.DateOnly) != paid.Format(time.DateOnly) || p.Comment != "paid 45 after a discount" {
		t.Errorf("payment = %+v", p)
	}
	grants := f.activeGrants()
	if len(grants) != 2 {
		t.Fatalf("active grants = %d, want both products", len(grants))
	}
	for _, g := range grants {
		if g.Source != access.SourceOrder || g.SourceRef != o.Number || g.EndsAt == nil ||
			time.Until(*g.EndsAt).Round(time.Hour) != 30*24*time.Hour {
			t.Errorf("grant = %+v, want source order %s for 30 days", g, o.Number)
		}
	}
	if f.mails(o.ID, order.EmailCompleted) != 1 {
		t.Error("no payment-confirmed e-mail")
	}
	if n := f.count("SELECT count(*) FROM contact_events WHERE contact_id = $1 AND kind = 'order.completed'", f.contact.ID); n != 1 {
		t.Errorf("timeline events = %d", n)
	}

	refunded, err := f.svc.Refund(f.ctx, o.ID, "course cancelled")
	if err != nil {
		t.Fatal(err)
	}
	if refunded.Status != order.StatusRefunded || refunded.Payments[0].Status != order.PaymentRefunded {
		t.Errorf("refunded = %+v", refunded)
	}
	if gs := f.activeGrants(); len(gs) != 0 {
		t.Errorf("active grants after refund = %d, want 0", len(gs))
	}
	d, err := f.svc.Detail(f.ctx, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Refunds) != 1 || d.Refunds[0].Amount != money.New(4500, "EUR") || d.Refunds[0].Comment != "course cancelled" {
		t.Errorf("refunds = %+v", d.Refunds)
	}
	if len(d.Events) != 3 || d.Events[2].Kind != order.EventRefunded || len(d.Grants) != 2 {
		t.Errorf("events = %+v, grants = %+v", d.Events, d.Grants)
	}
	if f.mails(o.ID, order.EmailRefunded) != 1 {
		t.Error("no refund e-mail")
	}
	if _, err := f.svc.Refund(f.ctx, o.ID, ""); !isConflict(err, order.ErrNotCompleted, "already refunded by ann@school.test") {
		t.Errorf("second refund = %v, want a conflict naming who refunded", err)
	}
}

func TestRefundKeepsExtendedGrants(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	earlier, _, err := f.access.Grant(f.ctx, access.NewGrant{ContactID: f.contact.ID, ProductID: f.course.ID, Source: access.SourceManual, Days: 5})
	if err != nil {
		t.Fatal(err)
	}
	o := f.open()
	if _, err := f.svc.Approve(f.ctx, o.ID, order.Adjustment{}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Refund(f.ctx, o.ID, ""); err != nil {
		t.Fatal(err)
	}
	active := f.activeGrants()
	if len(active) != 1 || active[0].ID != earlier.ID {
		t.Errorf("active after refund = %+v, want only the contact's earlier grant (extended, kept)", active)
	}
}

func TestDecisionConflicts(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	t.Run("ApproveRejected", func(t *testing.T) {
		o := f.open()
		if _, err := f.svc.Reject(f.ctx, o.ID, "no money arrived"); err != nil {
			t.Fatal(err)
		}
		_, err := f.svc.Approve(f.ctx, o.ID, order.Adjustment{})
		if !isConflict(err, order.ErrNotOpen, "already rejected by ann@school.test") {
			t.Errorf("Approve of rejected = %v", err)
		}
		if len(f.activeGrants()) != 0 || f.mails(o.ID, order.EmailCompleted) != 0 || f.mails(o.ID, order.EmailRejected) != 1 {
			t.Error("approving a rejected order changed something")
		}
		got, _ := f.svc.Get(f.ctx, o.ID)
		if got.Status != order.StatusRejected || got.Payments[0].Status != order.PaymentFailed || got.DecisionNote != "no money arrived" {
			t.Errorf("order = %+v", got)
		}
	})
	t.Run("RefundOpen", func(t *testing.T) {
		c := f.newContact("open@example.com")
		o, err := f.svc.CreateManual(f.ctx, order.NewManual{OfferID: f.offer.ID, ContactID: c.ID, Channel: order.ChannelAdmin})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Refund(f.ctx, o.ID, ""); !isConflict(err, order.ErrNotCompleted, "still open") {
			t.Errorf("Refund of open = %v", err)
		}
		if _, err := f.svc.Approve(f.ctx, o.ID, order.Adjustment{}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Approve(f.ctx, o.ID, order.Adjustment{}); !isConflict(err, order.ErrNotOpen, "already completed") {
			t.Errorf("second Approve = %v", err)
		}
		if _, err := f.svc.Reject(f.ctx, o.ID, ""); !isConflict(err, order.ErrNotOpen, "already completed") {
			t.Errorf("Reject of completed = %v", err)
		}
	})
	t.Run("Unknown", func(t *testing.T) {
		for _, err := range []error{
			second(f.svc.Approve(f.ctx, 999999, order.Adjustment{})),
			second(f.svc.Reject(f.ctx, 999999, "")),
			second(f.svc.Refund(f.ctx, 999999, "")),
		} {
			if !isNotFound(err) {
				t.Errorf("decision on unknown order = %v, want not found", err)
			}
		}
	})
}

func second[T any](_ T, err error) error { return err }

func isNotFound(err error) bool { return err != nil && strings.Contains(err.Error(), "not found") }

func TestApproveBadAdjustment(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	o := f.open()
	future := time.Now().AddDate(0, 0, 3)
	tests := []struct {
		name   string
		adj    order.Adjustment
		fields []string
	}{
		{"ZeroAmount", order.Adjustment{Amount: ptr(int64(0))}, []string{"amount"}},
		{"NegativeAmount", order.Adjustment{Amount: ptr(int64(-1))}, []string{"amount"}},
		{"UnknownCurrency", order.Adjustment{Amount: ptr(int64(100)), Currency: ptr("XYZ")}, []string{"currency"}},
		{"CurrencyWithoutAmount", order.Adjustment{Currency: ptr("USD")}, []string{"amount"}},
		{"FutureDate", order.Adjustment{PaidOn: &future}, []string{"paid_on"}},
		{"LongComment", order.Adjustment{Comment: ptr(strings.Repeat("x", order.MaxComment+1))}, []string{"comment"}},
		{"Several", order.Adjustment{Amount: ptr(int64(0)), PaidOn: &future}, []string{"amount", "paid_on"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.svc.Approve(f.ctx, o.ID, tt.adj)
			e, ok := check.AsErrors(err)
			if !ok || len(e) != len(tt.fields) {
				t.Fatalf("Approve = %v, want messages on %v", err, tt.fields)
			}
			for _, k := range tt.fields {
				if e[k] == "" {
					t.Errorf("no message on %s: %v", k, e)
				}
			}
		})
	}
	got, _ := f.svc.Get(f.ctx, o.ID)
	if got.Status != order.StatusOpen || got.Payments[0].Status != order.PaymentPending || len(f.activeGrants()) != 0 ||
		f.mails(o.ID, order.EmailCompleted) != 0 {
		t.Errorf("bad adjustments changed the order: %+v", got)
	}
	t.Run("NewCurrency", func(t *testing.T) {
		got, err := f.svc.Approve(f.ctx, o.ID, order.Adjustment{Amount: ptr(int64(5300)), Currency: ptr("usd")})
		if err != nil {
			t.Fatal(err)
		}
		// 2.5% of 53.00 USD = 1.325 → 1.33; the fixed fee is in EUR and no rates are configured: left out.
		if p := got.Payments[0]; got.Price != money.New(5300, "USD") || p.Fee != 133 || p.Net != 5167 {
			t.Errorf("approved = %v, payment %+v", got.Price, p)
		}
	})
}

// TestApproveRace: managers approving the same order at once, the deadline job and a sweep all racing: exactly one
// decision wins, with one set of grants and one e-mail.
func TestApproveRace(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	o := f.open()
	// The deadline has passed: move it and the job's schedule back, as if 30 days went by.
	if _, err := f.pool.Exec(f.ctx, "UPDATE orders SET created_at = created_at - interval '30 days', deadline_at = deadline_at - interval '30 days' WHERE id = $1", o.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.jobs.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.jobs.Stop(context.Background()) })
	const n = 8
	var (
		wg       sync.WaitGroup
		approved atomic.Int32
		start    = make(chan struct{})
	)
	for i := range n + 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if i >= n {
				if _, err := f.svc.Expire(f.ctx, o.ID); err != nil {
					t.Errorf("Expire: %v", err)
				}
				return
			}
			_, err := f.svc.Approve(f.ctx, o.ID, order.Adjustment{})
			switch {
			case err == nil:
				approved.Add(1)
			case !isConflict(err, order.ErrNotOpen, "already") && !isConflict(err, order.ErrBusy, "right now"):
				t.Errorf("losing Approve = %v, want ErrNotOpen or ErrBusy", err)
			}
		}()
	}
	close(start)
	if _, err := f.pool.Exec(f.ctx, "UPDATE river_job SET scheduled_at = now() WHERE kind = 'order.deadline' AND args->>'order_id' = $1", itoa(o.ID)); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	waitFor(t, func() bool {
		return f.count("SELECT count(*) FROM river_job WHERE kind = 'order.deadline' AND state = 'completed'") == 1
	})
	got, err := f.svc.Get(f.ctx, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	completed, rejected := f.mails(o.ID, order.EmailCompleted), f.mails(o.ID, order.EmailRejected)
	grants := f.count("SELECT count(*) FROM access_grants WHERE contact_id = $1", f.contact.ID)
	switch got.Status {
	case order.StatusCompleted:
		if approved.Load() != 1 || completed != 1 || rejected != 0 || grants != 2 {
			t.Errorf("approve won: approvals %d, completed mails %d, rejected mails %d, grants %d; want 1, 1, 0, 2",
				approved.Load(), completed, rejected, grants)
		}
	case order.StatusRejected:
		if approved.Load() != 0 || completed != 0 || rejected != 1 || grants != 0 {
			t.Errorf("deadline won: approvals %d, completed mails %d, rejected mails %d, grants %d; want 0, 0, 1, 0",
				approved.Load(), completed, rejected, grants)
		}
	default:
		t.Fatalf("status = %s", got.Status)
	}
	if n := f.count("SELECT count(*) FROM order_events WHERE order_id = $1", o.ID); n != 2 {
		t.Errorf("order events = %d, want created + one decision", n)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestDeadlineJob(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	overdue := f.open()
	decided, err := f.svc.CreateManual(f.ctx, order.NewManual{OfferID: f.offer.ID, ContactID: f.newContact("paid@example.com").ID, Channel: order.ChannelAdmin})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Approve(f.ctx, decided.ID, order.Adjustment{}); err != nil {
		t.Fatal(err)
	}
	future := f.open2("later@example.com")
	// 30 days pass for the first two (the third's deadline stays ahead).
	for _, id := range []int64{overdue.ID, decided.ID} {
		if _, err := f.pool.Exec(f.ctx, "UPDATE orders SET created_at = created_at - interval '30 days', deadline_at = deadline_at - interval '30 days' WHERE id = $1", id); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.pool.Exec(f.ctx, "UPDATE river_job SET scheduled_at = now() WHERE kind = 'order.deadline'"); err != nil {
		t.Fatal(err)
	}
	if err := f.jobs.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.jobs.Stop(context.Background()) })
	waitFor(t, func() bool {
		return f.count("SELECT count(*) FROM river_job WHERE kind = 'order.deadline' AND state = 'completed'") == 2 &&
			f.count("SELECT count(*) FROM river_job WHERE kind = 'order.deadline' AND state = 'scheduled'") == 1
	})
	got, _ := f.svc.Get(f.ctx, overdue.ID)
	if got.Status != order.StatusRejected || got.DecisionNote != "not confirmed within 30 days" || got.DecidedBy != "system" ||
		got.Payments[0].Status != order.PaymentFailed {
		t.Errorf("overdue order = %+v", got)
	}
	if f.mails(overdue.ID, order.EmailRejected) != 1 {
		t.Error("no rejection e-mail")
	}
	if n := f.count("SELECT count(*) FROM contact_events WHERE contact_id = $1 AND kind = 'order.expired' AND message LIKE '%not confirmed within 30 days%'", f.contact.ID); n != 1 {
		t.Errorf("timeline events = %d", n)
	}
	if d, _ := f.svc.Get(f.ctx, decided.ID); d.Status != order.StatusCompleted {
		t.Errorf("decided order = %s, want completed (the job is a no-op)", d.Status)
	}
	if fu, _ := f.svc.Get(f.ctx, future.ID); fu.Status != order.StatusOpen {
		t.Errorf("order within its deadline = %s", fu.Status)
	}
	if n, err := f.svc.ExpireOverdue(f.ctx); err != nil || n != 0 {
		t.Errorf("ExpireOverdue after the jobs = %d, %v; want 0", n, err)
	}
}

func (f *fixture) open2(email string) order.Order {
	f.t.Helper()
	o, err := f.svc.CreateManual(f.ctx, order.NewManual{OfferID: f.offer.ID, ContactID: f.newContact(email).ID, Channel: order.ChannelAdmin})
	if err != nil {
		f.t.Fatal(err)
	}
	return o
}

// TestApproveWithoutCommentKeepsPayerComment: the payer's comment stays on the payment; the decision has no note
// of the manager's, so the e-mail and the timeline do not present the payer's words as the school's.
func TestApproveWithoutCommentKeepsPayerComment(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	o := f.open()
	got, err := f.svc.Approve(f.ctx, o.ID, order.Adjustment{})
	if err != nil {
		t.Fatal(err)
	}
	if got.DecisionNote != "" {
		t.Errorf("decision note %q, want none", got.DecisionNote)
	}
	if got.Payments[0].Comment != "card ending 4242" {
		t.Errorf("payment comment %q", got.Payments[0].Comment)
	}
}
