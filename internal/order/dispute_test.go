package order_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/money"
	"github.com/bursar/bursar/internal/order"
)

// TestIngestDisputeOrderings feeds a dispute's three notifications (opened, under review with a later deadline,
// closed lost) to order.Ingest in every order, each twice: whatever the order, one exception records the latest
// state — closed, lost, the later deadline — and the access stays as the default policy (ask) left it.
func TestIngestDisputeOrderings(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	due1, due2 := t0.Add(7*24*time.Hour), t0.Add(9*24*time.Hour)
	event := func(id string, d gateway.Dispute) gateway.Event {
		return gateway.Event{ID: id, Type: "charge.dispute.x", Kind: gateway.EventDispute, Ref: "pi_cs_a",
			AltRef: "ch_1", Amount: money.New(4900, "EUR"), Dispute: &d}
	}
	events := []gateway.Event{
		event("evt_open", gateway.Dispute{ID: "dp_1", Status: "needs_response", Reason: "fraudulent", EvidenceDue: due1, At: t0}),
		event("evt_review", gateway.Dispute{ID: "dp_1", Status: "under_review", Reason: "fraudulent", EvidenceDue: due2,
			Review: true, At: t0.Add(time.Minute)}),
		event("evt_closed", gateway.Dispute{ID: "dp_1", Status: "lost", Reason: "fraudulent", EvidenceDue: due2,
			Outcome: gateway.DisputeLost, At: t0.Add(time.Hour)}),
	}
	for _, perm := range [][]int{{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}} {
		t.Run(fmt.Sprint(perm), func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, nil)
			sys := f.stripeSystem()
			o := f.paidGateway(sys, "cs_a")
			for _, i := range perm {
				for range 2 {
					out, err := f.svc.Ingest(f.ctx, sys, events[i], []byte(`{}`))
					if err != nil {
						t.Fatalf("event %s: %v", events[i].ID, err)
					}
					if !out.Duplicate && out.OrderID != o.ID {
						t.Errorf("event %s: outcome %+v names no order %d", events[i].ID, out, o.ID)
					}
				}
			}
			var (
				kind, status, outcome, access string
				stage                         int
				due                           time.Time
			)
			if err := f.pool.QueryRow(f.ctx, `SELECT kind, dispute_status, outcome, access, dispute_stage, evidence_due_at
				FROM payment_exceptions`).Scan(&kind, &status, &outcome, &access, &stage, &due); err != nil {
				t.Fatal(err) // how many there are is counted below
			}
			if kind != string(order.ExDispute) || status != "lost" || outcome != gateway.DisputeLost ||
				access != order.AccessAsk || stage != 3 || !due.Equal(due2) {
				t.Errorf("exception %s %s %s %s stage %d due %v", kind, status, outcome, access, stage, due)
			}
			if n := f.count(`SELECT count(*) FROM payment_exceptions`); n != 1 {
				t.Errorf("%d exceptions, want 1", n)
			}
			if n := f.count(`SELECT count(*) FROM gateway_events`); n != 4 { // the payment and three dispute events
				t.Errorf("%d stored notifications, want 4", n)
			}
			if n := len(f.activeGrants()); n != 2 {
				t.Errorf("%d active grants, want 2: ask revokes nothing by itself", n)
			}
		})
	}
}
