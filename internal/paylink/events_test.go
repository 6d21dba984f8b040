package paylink_test

import (
	"testing"

	"github.com/bursar/bursar/internal/events"
	"github.com/bursar/bursar/internal/paylink"
)

// TestLinkEvents: the link whose payment completes its order emits payment_link.paid once (a notification
// delivered twice changes nothing), the contact's other link for the offer is voided without an event, a link the
// payer declines emits payment_link.declined once, and one the operator cancels emits nothing.
func TestLinkEvents(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	paid, other := f.link(), f.link()
	b := f.begin(paid)
	for range 2 {
		if _, err := f.paid(b, "evt_link_paid"); err != nil {
			t.Fatal(err)
		}
	}
	if got := f.get(other.ID); got.Status != paylink.StatusVoided {
		t.Fatalf("other link %s, want voided", got.Status)
	}
	f.rec.Check(t, 1, events.Event{Type: events.PaymentLinkPaid, ID: paid.ID})

	declined := f.link()
	if _, err := f.links.Decline(f.ctx, declined.Token, "too expensive"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.links.Decline(f.ctx, declined.Token, "again"); err == nil {
		t.Fatal("declined twice")
	}
	cancelled := f.link()
	if _, err := f.links.Cancel(f.ctx, cancelled.ID, "made by mistake"); err != nil {
		t.Fatal(err)
	}
	f.rec.Check(t, 1, events.Event{Type: events.PaymentLinkDeclined, ID: declined.ID})
}
