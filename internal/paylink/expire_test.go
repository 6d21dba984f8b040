package paylink_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/bursar/bursar/internal/order"
	"github.com/bursar/bursar/internal/paylink"
)

func TestExpire(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	l := f.link()
	if ok, err := f.links.Expire(f.ctx, l.ID); err != nil || ok {
		t.Fatalf("Expire before the expiry = %v, %v", ok, err)
	}
	f.clock.Add(paylink.DefaultExpiry)
	// Past its expiry, before any job ran, the link is expired for the payer already.
	v, err := f.links.View(context.Background(), l.Token)
	if err != nil || v.Status != paylink.StatusExpired || v.Payable() {
		t.Fatalf("View past expiry = %+v, %v", v.Status, err)
	}
	if _, err := f.links.Begin(context.Background(), l.Token, paylink.Payment{PaymentSystemID: f.cards.ID,
		Checkout: checkout}); !errors.Is(err, paylink.ErrNotActive) {
		t.Fatalf("Begin past expiry = %v", err)
	}
	other := f.link() // made now: its expiry is 7 days ahead
	n, err := f.links.ExpireDue(f.ctx)
	if err != nil || n != 1 {
		t.Fatalf("ExpireDue = %d, %v; want 1", n, err)
	}
	if got := f.get(l.ID); got.Status != paylink.StatusExpired {
		t.Fatalf("link %s", got.Status)
	}
	if got := f.get(other.ID); got.Status != paylink.StatusActive {
		t.Fatalf("the newer link %s", got.Status)
	}
}

// TestExpireJob: the job River runs at the link's expiry snoozes while the clock is before it, then expires the
// link and cancels the order its payment left open.
func TestExpireJob(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	l := f.link()
	b := f.begin(l)
	w := paylink.NewExpireWorker(f.links)
	job := &river.Job[paylink.ExpireArgs]{JobRow: &rivertype.JobRow{ID: 1}, Args: paylink.ExpireArgs{LinkID: l.ID}}
	var snooze *river.JobSnoozeError
	if err := w.Work(f.ctx, job); !errors.As(err, &snooze) {
		t.Fatalf("Work before the expiry = %v; want a snooze", err)
	}
	f.clock.Add(paylink.DefaultExpiry + time.Second)
	if err := w.Work(f.ctx, job); err != nil {
		t.Fatal(err)
	}
	if got := f.get(l.ID); got.Status != paylink.StatusExpired {
		t.Fatalf("link %s", got.Status)
	}
	if s := f.orderStatus(b.Order.ID); s != order.StatusCancelled {
		t.Fatalf("order %s", s)
	}
	if err := w.Work(f.ctx, job); err != nil { // once more: nothing to do
		t.Fatal(err)
	}
}

// TestExpiryWaitsForAReportedTransfer: a bank transfer the payer reported before the link's expiry is not cancelled
// by it: the link can no longer be paid, and the manager's approval makes it paid; once rejected, the sweep expires
// it.
func TestExpiryWaitsForAReportedTransfer(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	approved := f.link()
	f.contact = f.newContact("second@example.com")
	rejected := f.link()
	var orders []order.Order
	for i, l := range []paylink.Link{approved, rejected} {
		b, err := f.links.Begin(context.Background(), l.Token, paylink.Payment{PaymentSystemID: f.bank.ID,
			Comment: "transfer ref " + itoa(int64(i))})
		if err != nil {
			t.Fatal(err)
		}
		orders = append(orders, b.Order)
	}
	f.clock.Add(paylink.DefaultExpiry + time.Minute)
	if n, err := f.links.ExpireDue(f.ctx); err != nil || n != 0 {
		t.Fatalf("ExpireDue = %d, %v; want 0: both wait for their transfers", n, err)
	}
	for _, o := range orders {
		if s := f.orderStatus(o.ID); s != order.StatusOpen {
			t.Fatalf("order %s was %s by the expiry", o.Number, s)
		}
	}
	if _, err := f.links.Begin(context.Background(), approved.Token, paylink.Payment{PaymentSystemID: f.bank.ID}); !errors.Is(err, paylink.ErrNotActive) {
		t.Fatalf("Begin past expiry = %v", err)
	}
	if _, err := f.orders.Approve(f.ctx, orders[0].ID, order.Adjustment{}); err != nil {
		t.Fatal(err)
	}
	if got := f.get(approved.ID); got.Status != paylink.StatusPaid {
		t.Fatalf("approved transfer: link %s", got.Status)
	}
	if _, err := f.orders.Reject(f.ctx, orders[1].ID, "no transfer arrived"); err != nil {
		t.Fatal(err)
	}
	if n, err := f.links.ExpireDue(f.ctx); err != nil || n != 1 {
		t.Fatalf("ExpireDue after the rejection = %d, %v; want 1", n, err)
	}
	if got := f.get(rejected.ID); got.Status != paylink.StatusExpired {
		t.Fatalf("rejected transfer: link %s", got.Status)
	}
}
