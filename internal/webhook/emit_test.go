package webhook_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/bursar/bursar/internal/events"
	"github.com/bursar/bursar/internal/jobs"
	"github.com/bursar/bursar/internal/webhook"
)

// run starts f's listener for the test and waits until its cache of subscribed types is live.
func (f *fixture) run(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		f.svc.Run(ctx)
	}()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case <-f.svc.Ready():
	case <-time.After(30 * time.Second):
		t.Fatal("the subscriptions listener never went live")
	}
}

// closedTx is a transaction already rolled back: any query on it fails.
func closedTx(t *testing.T, f *fixture) pgx.Tx {
	t.Helper()
	tx, err := f.pool.Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(context.Background()); err != nil {
		t.Fatal(err)
	}
	return tx
}

// TestEmitWithoutSubscribersCostsNothing: with the cache live, EmitTx of types no enabled endpoint receives runs no
// query (it succeeds on a closed transaction, on which any query fails) and renders nothing; an endpoint created,
// changed or disabled by another process (another Service on the database) reaches this one's cache by its
// notification.
func TestEmitWithoutSubscribersCostsNothing(t *testing.T) {
	f := newFixture(t)
	other := newFixtureOn(t, f.pool, f.clock)
	f.run(t)
	ctx := context.Background()
	ev := events.Event{Type: events.ContactUpdated, ID: 5}
	if err := f.svc.EmitTx(ctx, closedTx(t, f), ev); err != nil {
		t.Fatalf("EmitTx with no endpoint at all: %v", err)
	}
	e, _ := other.create(t, "https://hooks.example.com/a", events.ContactCreated)
	if err := f.svc.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.EmitTx(ctx, closedTx(t, f), ev); err != nil {
		t.Fatalf("EmitTx of a type no endpoint receives: %v", err)
	}
	if err := f.svc.EmitTx(ctx, closedTx(t, f), events.Event{Type: events.ContactCreated, ID: 5}); err == nil {
		t.Fatal("EmitTx of a subscribed type on a closed transaction succeeded: the cache missed the other process's endpoint")
	}
	// Subscribed by a change elsewhere: written.
	if _, err := other.svc.Update(ctx, e.ID, webhook.Input{URL: e.URL, Types: []events.Type{events.ContactUpdated}, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	f.emit(t, ev)
	// Disabled elsewhere: nothing again.
	if _, err := other.svc.Update(ctx, e.ID, webhook.Input{URL: e.URL, Types: []events.Type{events.ContactUpdated}}); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.EmitTx(ctx, closedTx(t, f), ev); err != nil {
		t.Fatalf("EmitTx after the endpoint was disabled: %v", err)
	}
	if f.rendered != 2 {
		t.Errorf("rendered %d objects, want 2 (the closed transaction's subscribed event and the written one)", f.rendered)
	}
	// This process's own change is in its cache when the call returns, before any notification.
	if _, err := f.svc.Update(ctx, e.ID, webhook.Input{URL: e.URL, Types: []events.Type{events.OrderCreated}, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.EmitTx(ctx, closedTx(t, f), events.Event{Type: events.OrderCreated, ID: 1}); err == nil {
		t.Fatal("this process's own change was not in its cache")
	}
}

// TestEmitRolledBack: events emitted in a transaction that rolls back leave no event, no delivery and no job.
func TestEmitRolledBack(t *testing.T) {
	f := newFixture(t)
	f.create(t, "https://hooks.example.com/a", events.OrderCreated)
	ctx := context.Background()
	boom := errors.New("the order failed")
	err := pgx.BeginFunc(ctx, f.pool, func(tx pgx.Tx) error {
		if err := f.svc.EmitTx(ctx, tx, events.Event{Type: events.OrderCreated, ID: 1}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	var n int
	if err := f.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM webhook_events) + (SELECT count(*) FROM webhook_deliveries)
		+ (SELECT count(*) FROM river_job WHERE kind = 'webhook.deliver')`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d rows after a rollback, %v", n, err)
	}
	f.emit(t, events.Event{Type: events.OrderCreated, ID: 1})
	if err := f.pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = 'webhook.deliver'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d jobs after a commit, %v", n, err)
	}
}

// TestRotationOverlap: after a rotation, deliveries carry both signatures (the new secret's first) until the
// overlap ends by the clock, then only the new one; the receiver verifies with either.
func TestRotationOverlap(t *testing.T) {
	f := newFixture(t)
	rc := newReceiver(t, nil)
	rc.now = f.clock.Now
	e, old := f.create(t, rc.URL, events.OrderCompleted)
	ctx := context.Background()
	_, fresh, err := f.svc.RotateSecret(ctx, e.ID, 2*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.svc.RotateSecret(ctx, e.ID, webhook.MaxOverlap+time.Second); err == nil {
		t.Fatal("an overlap over 7 days was accepted")
	}
	f.emit(t, events.Event{Type: events.OrderCompleted, ID: 1})
	f.work(t)
	f.clock.Add(2*time.Hour + time.Second)
	f.emit(t, events.Event{Type: events.OrderCompleted, ID: 2})
	f.work(t)
	got, bad, _ := rc.snapshot()
	if len(got) != 2 || len(bad) != 0 {
		t.Fatalf("received %d, bad %v", len(got), bad)
	}
	for i, want := range [][]string{{fresh, old}, {fresh}} {
		g := got[i]
		if len(g.sigs) != len(want) {
			t.Fatalf("delivery %d: %d signatures %v, want %d", i, len(g.sigs), g.sigs, len(want))
		}
		for j, sec := range want {
			h := http.Header{}
			h.Set("webhook-id", g.id)
			h.Set("webhook-timestamp", g.ts)
			h.Set("webhook-signature", g.sigs[j])
			if err := verify(sec, h, g.body, time.Time{}); err != nil { // the receiver checked the time
				t.Errorf("delivery %d signature %d: %v", i, j, err)
			}
		}
	}
	h := http.Header{}
	h.Set("webhook-id", got[1].id)
	h.Set("webhook-timestamp", got[1].ts)
	h.Set("webhook-signature", got[1].sigs[0])
	if verify(old, h, got[1].body, time.Time{}) == nil {
		t.Error("the old secret still verifies after the overlap")
	}
}

// TestResendAndTest: SendTest sends a webhook.test to the endpoint alone; Resend tries a delivery again with the same
// webhook-id, even after it succeeded; both are in the log.
func TestResendAndTest(t *testing.T) {
	f := newFixture(t)
	rc := newReceiver(t, nil)
	e, sec := f.create(t, rc.URL, events.OrderCompleted)
	f.create(t, rc.URL+"/other", events.OrderCompleted)
	rc.setSecrets(sec)
	ctx := context.Background()
	d, err := f.svc.SendTest(ctx, e.ID)
	if err != nil || d.EventType != webhook.TestEvent || d.Status != webhook.StatusPending {
		t.Fatalf("SendTest = %+v, %v", d, err)
	}
	f.work(t)
	if _, err := f.svc.Resend(ctx, d.ID); err != nil {
		t.Fatal(err)
	}
	f.work(t)
	got, bad, _ := rc.snapshot()
	if len(got) != 2 || len(bad) != 0 || got[0].id != got[1].id || got[0].id != d.EventID {
		t.Fatalf("received %+v, bad %v", got, bad)
	}
	d, _ = f.svc.Delivery(ctx, d.ID)
	if d.Status != webhook.StatusSucceeded || d.Attempts != 2 || len(d.Tries) != 2 {
		t.Fatalf("delivery = %+v", d)
	}
	if _, err := f.svc.Resend(ctx, 999999); !errors.Is(err, webhook.ErrNotFound) {
		t.Errorf("Resend(unknown) = %v", err)
	}
	if _, err := f.svc.SendTest(ctx, 999999); !errors.Is(err, webhook.ErrNotFound) {
		t.Errorf("SendTest(unknown) = %v", err)
	}
}

// TestRiverWorksDeliveries: the job rows EmitTx writes by hand are worked by a real River client with the
// registered worker (kind, args, attempts as River's own insert would make them).
func TestRiverWorksDeliveries(t *testing.T) {
	f := newFixture(t)
	done := make(chan struct{}, 1)
	rc := newReceiver(t, func(int, http.ResponseWriter, *http.Request) { done <- struct{}{} })
	f.create(t, rc.URL, events.PaymentSucceeded)
	f.emit(t, events.Event{Type: events.PaymentSucceeded, ID: 3})
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	jc, err := jobs.New(f.pool, log, jobs.Config{FetchPollInterval: 50 * time.Millisecond}, f.svc.Worker())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	sub, cancel := jc.River().Subscribe(river.EventKindJobCompleted)
	defer cancel()
	if err := jc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = jc.Stop(ctx) }()
	select {
	case ev := <-sub:
		if ev.Job.Kind != "webhook.deliver" {
			t.Fatalf("completed %s", ev.Job.Kind)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("River never completed the delivery job")
	}
	select {
	case <-done:
	default:
		t.Fatal("the receiver was not called")
	}
}
