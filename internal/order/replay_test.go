package order_test

import (
	"errors"
	"sync"
	"testing"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/order"
)

// breakCompletion makes every order completion fail in the database (a fault a later fix removes: fixCompletion).
func (f *fixture) breakCompletion() {
	f.t.Helper()
	if _, err := f.pool.Exec(f.ctx, `
CREATE FUNCTION test_fault() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'test fault: completions are broken'; END $$;
CREATE TRIGGER test_fault BEFORE UPDATE ON orders FOR EACH ROW WHEN (NEW.status = 'completed') EXECUTE FUNCTION test_fault();`); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) fixCompletion() {
	f.t.Helper()
	if _, err := f.pool.Exec(f.ctx, `DROP TRIGGER test_fault ON orders`); err != nil {
		f.t.Fatal(err)
	}
}

// failedEvent: a gateway order whose verified payment failed to apply (twice: the gateway delivered it again);
// it returns the order and its stored notification.
func failedEvent(t *testing.T) (*fixture, gateway.System, gateway.Event, order.Order, order.GatewayEvent) {
	f := newFixture(t, nil)
	sys := f.stripeSystem()
	att := f.openGateway(sys, "cs_replay")
	f.breakCompletion()
	ev := gateway.Event{ID: "evt_replay", Type: "checkout.session.completed", Kind: gateway.EventPaid,
		OrderID: att.Order.ID, Ref: "cs_replay", Amount: att.Order.Price, PayerEmail: f.contact.Email}
	for range 2 {
		if out, err := f.svc.Ingest(f.ctx, sys, ev, []byte(`{"id":"evt_replay"}`)); err == nil {
			t.Fatalf("ingest with the fault: %+v; want an error", out)
		}
	}
	evs, err := f.svc.GatewayEvents(f.ctx, att.Order.ID)
	if err != nil || len(evs) != 1 {
		t.Fatalf("events = %+v, %v; want the failed one", evs, err)
	}
	e := evs[0]
	if !e.Failed() || e.Failures != 2 || e.FailedAt == nil || e.ProcessedAt != nil || e.Body != `{"id":"evt_replay"}` {
		t.Fatalf("stored event = %+v; want failed twice, unprocessed, body verbatim", e)
	}
	return f, sys, ev, att.Order, e
}

func TestReplayFailedEvent(t *testing.T) {
	t.Parallel()
	f, sys, ev, o, e := failedEvent(t)
	// Still broken: the replay fails and counts it.
	if _, err := f.svc.ReplayEvent(f.ctx, o.ID, e.ID); err == nil {
		t.Fatal("replay with the fault still there succeeded")
	}
	f.fixCompletion()
	r, err := f.svc.ReplayEvent(f.ctx, o.ID, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r.AlreadyApplied || r.Outcome.Result != order.ResultCompleted || r.Event.Result != order.ResultCompleted ||
		r.Event.ProcessedAt == nil || r.Event.Failures != 3 {
		t.Fatalf("replay = %+v; want applied (completed), processed, 3 failures kept as history", r)
	}
	cur, err := f.svc.Get(f.ctx, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if cur.Status != order.StatusCompleted || len(f.activeGrants()) != 2 || f.mails(o.ID, order.EmailCompleted) != 1 {
		t.Fatalf("order = %s, grants %d, e-mails %d; want completed, 2, 1", cur.Status, len(f.activeGrants()),
			f.mails(o.ID, order.EmailCompleted))
	}
	// Replaying what applied changes nothing, and says so.
	again, err := f.svc.ReplayEvent(f.ctx, o.ID, e.ID)
	if err != nil || !again.AlreadyApplied || again.Event.Result != order.ResultCompleted {
		t.Fatalf("second replay = %+v, %v; want already applied", again, err)
	}
	if tot := f.totals(); tot.PaymentCount != 1 || tot.Payments != 4900 {
		t.Errorf("transactions = %+v; want one payment", tot)
	}
	if n := f.count(`SELECT count(*) FROM audit_log WHERE action = 'gateway_event.replay'`); n != 2 {
		t.Errorf("replays audited = %d, want 2", n)
	}
	// The gateway's own later delivery is now a duplicate.
	if out, err := f.svc.Ingest(f.ctx, sys, ev, []byte(`{}`)); err != nil || !out.Duplicate {
		t.Errorf("delivery after the replay = %+v, %v; want a duplicate", out, err)
	}
	if _, err := f.svc.ReplayEvent(f.ctx, o.ID+1000, e.ID); !errors.Is(err, check.ErrNotFound) {
		t.Errorf("replay under another order: %v; want not found", err)
	}
}

// TestRedeliveryAppliesFailedEvent: after the fix, the gateway's next delivery applies the stored failed
// notification (it is not taken for a duplicate).
func TestRedeliveryAppliesFailedEvent(t *testing.T) {
	t.Parallel()
	f, sys, ev, o, e := failedEvent(t)
	f.fixCompletion()
	out, err := f.svc.Ingest(f.ctx, sys, ev, []byte(`{}`))
	if err != nil || out.Result != order.ResultCompleted {
		t.Fatalf("redelivery = %+v, %v; want completed", out, err)
	}
	evs, err := f.svc.GatewayEvents(f.ctx, o.ID)
	if err != nil || len(evs) != 1 || evs[0].ID != e.ID || evs[0].Result != order.ResultCompleted {
		t.Fatalf("events = %+v, %v; want the one row, completed", evs, err)
	}
	r, err := f.svc.ReplayEvent(f.ctx, o.ID, e.ID)
	if err != nil || !r.AlreadyApplied {
		t.Fatalf("replay = %+v, %v; want already applied", r, err)
	}
}

// TestReplayTwiceAtOnce: two replays of a failed notification at once apply it once.
func TestReplayTwiceAtOnce(t *testing.T) {
	t.Parallel()
	f, _, _, o, e := failedEvent(t)
	f.fixCompletion()
	var wg sync.WaitGroup
	rs := make([]order.Replay, 2)
	errs := make([]error, 2)
	for i := range rs {
		wg.Go(func() { rs[i], errs[i] = f.svc.ReplayEvent(f.ctx, o.ID, e.ID) })
	}
	wg.Wait()
	applied := 0
	for i := range rs {
		if errs[i] != nil {
			t.Fatalf("replay %d: %v", i, errs[i])
		}
		if !rs[i].AlreadyApplied {
			applied++
		}
	}
	if applied != 1 {
		t.Fatalf("replays that applied = %d, want 1 (%+v)", applied, rs)
	}
	if n := f.count(`SELECT count(*) FROM payments WHERE order_id = $1 AND status = 'succeeded'`, o.ID); n != 1 {
		t.Errorf("succeeded payments = %d, want 1", n)
	}
	if n := f.mails(o.ID, order.EmailCompleted); n != 1 {
		t.Errorf("completed e-mails = %d, want 1", n)
	}
}
