package webhook_test

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bursar/bursar/internal/events"
	"github.com/bursar/bursar/internal/settings"
	"github.com/bursar/bursar/internal/webhook"
)

// TestThousandEventsHalfFailing is the check: 1,000 events emitted through EmitTx (in batches of 50, as the
// modules emit in their transactions) to two endpoints whose receiver fails every other call → exactly one
// successful delivery per event and endpoint, each verified, and the log shows the failed tries.
func TestThousandEventsHalfFailing(t *testing.T) {
	f := newFixture(t)
	rc := newReceiver(t, func(n int, w http.ResponseWriter, _ *http.Request) {
		if n%2 == 1 {
			http.Error(w, "try again", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	rc.now = f.clock.Now
	a, secA := f.create(t, rc.URL+"/a", events.OrderCompleted)
	b, secB := f.create(t, rc.URL+"/b", events.OrderCompleted, events.AccessGranted)
	rc.setSecrets(secA, secB)
	const n = 1000
	for i := 0; i < n; i += 50 {
		evs := make([]events.Event, 0, 50)
		for j := i; j < i+50; j++ {
			evs = append(evs, events.Event{Type: events.OrderCompleted, ID: int64(j + 1)})
		}
		f.emit(t, evs...)
	}
	if f.rendered != n {
		t.Fatalf("rendered %d objects, want %d (once per event, whatever the endpoints)", f.rendered, n)
	}
	for round := 0; f.work(t) > 0; round++ {
		if round > 30 {
			t.Fatal("deliveries still pending after 30 rounds")
		}
		f.clock.Add(10 * time.Minute)
	}
	got, bad, _ := rc.snapshot()
	if len(bad) != 0 {
		t.Fatalf("%d deliveries failed verification, first: %s", len(bad), bad[0])
	}
	ctx := context.Background()
	var events, succeeded, failedTries, okTries int
	if err := f.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM webhook_events),
		(SELECT count(*) FROM webhook_deliveries WHERE status = 'succeeded'),
		(SELECT count(*) FROM webhook_attempts WHERE status_code = 500 AND error = ''),
		(SELECT count(*) FROM webhook_attempts WHERE status_code = 204)`).Scan(&events, &succeeded, &failedTries, &okTries); err != nil {
		t.Fatal(err)
	}
	if events != n || succeeded != 2*n || okTries != 2*n || failedTries != len(got)-2*n || failedTries < n {
		t.Fatalf("events %d, succeeded %d, 2xx tries %d, 500 tries %d, calls %d; want %d, %d, %d, calls-%d", events, succeeded,
			okTries, failedTries, len(got), n, 2*n, 2*n, 2*n)
	}
	var dup int
	if err := f.pool.QueryRow(ctx, `SELECT count(*) FROM (SELECT d.id FROM webhook_deliveries d
		JOIN webhook_attempts t ON t.delivery_id = d.id AND t.status_code = 204 GROUP BY d.id HAVING count(*) <> 1) x`).Scan(&dup); err != nil {
		t.Fatal(err)
	}
	if dup != 0 {
		t.Fatalf("%d deliveries without exactly one success", dup)
	}
	for _, e := range []webhook.Endpoint{a, b} {
		ds, err := f.svc.Deliveries(ctx, e.ID, webhook.DeliveryFilter{Limit: 5})
		if err != nil || len(ds) != 5 {
			t.Fatalf("log of %d = %v, %v", e.ID, ds, err)
		}
		d, err := f.svc.Delivery(ctx, ds[0].ID)
		if err != nil || d.Status != webhook.StatusSucceeded || len(d.Tries) != d.Attempts || d.Tries[0].StatusCode != 204 {
			t.Fatalf("delivery = %+v, %v", d, err)
		}
		if got, _ := f.svc.Get(ctx, e.ID); !got.FailingSince.IsZero() {
			t.Errorf("endpoint %d still failing after successes", e.ID)
		}
	}
	// Failed tries are in the log, with the answer's body.
	var body string
	if err := f.pool.QueryRow(ctx, `SELECT response_body FROM webhook_attempts WHERE status_code = 500 LIMIT 1`).Scan(&body); err != nil || body != "try again\n" {
		t.Fatalf("a failed try's body = %q, %v", body, err)
	}
}

// TestReceiverFaults: a receiver that hangs (the try times out), answers 500, redirects (not followed, even to a
// public address) or returns a huge body (at most 4 KiB kept, read bounded) is a failed try in the log, retried.
func TestReceiverFaults(t *testing.T) {
	f := newFixture(t, withTimeout(time.Second))
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	followed := newReceiver(t, nil)
	chunk := []byte(strings.Repeat("x", 64<<10))
	rc := newReceiver(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/hang":
			select {
			case <-release:
			case <-r.Context().Done():
			}
		case "/500":
			http.Error(w, "boom", http.StatusInternalServerError)
		case "/redirect":
			http.Redirect(w, r, followed.URL+"/elsewhere", http.StatusTemporaryRedirect)
		case "/huge":
			w.WriteHeader(http.StatusOK)
			for i := 0; i < 16<<10; i++ { // 1 GiB, unless the client stops reading
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		}
	})
	want := map[string]func(webhook.Attempt) bool{
		"/hang": func(a webhook.Attempt) bool { return a.StatusCode == 0 && strings.Contains(a.Error, "timeout") },
		"/500":  func(a webhook.Attempt) bool { return a.StatusCode == 500 && a.ResponseBody == "boom\n" },
		"/redirect": func(a webhook.Attempt) bool {
			return a.StatusCode == 307 && strings.HasPrefix(a.Error, "redirect not followed")
		},
		"/huge": func(a webhook.Attempt) bool {
			return a.StatusCode == 200 && a.Error == "" && len(a.ResponseBody) == webhook.MaxResponseBody
		},
	}
	ids := map[string]int64{}
	for p := range want {
		e, _ := f.create(t, rc.URL+p, events.ContactCreated)
		ids[p] = e.ID
	}
	f.emit(t, events.Event{Type: events.ContactCreated, ID: 7})
	if n := f.work(t); n != 4 {
		t.Fatalf("worked %d jobs, want 4", n)
	}
	ctx := context.Background()
	for p, ok := range want {
		ds, err := f.svc.Deliveries(ctx, ids[p], webhook.DeliveryFilter{})
		if err != nil || len(ds) != 1 {
			t.Fatalf("%s: %v, %v", p, ds, err)
		}
		d, err := f.svc.Delivery(ctx, ds[0].ID)
		if err != nil || len(d.Tries) != 1 || !ok(d.Tries[0]) {
			t.Fatalf("%s: try = %+v, %v", p, d.Tries, err)
		}
		wantStatus := webhook.StatusPending
		if p == "/huge" {
			wantStatus = webhook.StatusSucceeded
		}
		if d.Status != wantStatus || (wantStatus == webhook.StatusPending && !d.NextAt.Equal(f.clock.Now().Add(5*time.Second))) {
			t.Errorf("%s: status %s, next %v; want %s, retried in 5 s", p, d.Status, d.NextAt, wantStatus)
		}
	}
	if _, _, calls := followed.snapshot(); calls != 0 {
		t.Errorf("the redirect was followed")
	}
	// Retried: one more round tries the three failing ones again.
	if n := f.work(t); n != 3 {
		t.Errorf("second round worked %d jobs, want 3", n)
	}
}

// TestGiveUpAndDisable: a delivery failing is retried on the backoff schedule until 3 days after its event, then
// failed; the endpoint, failing for 3 days, is disabled with a reason, its other pending deliveries cancelled and
// the owners e-mailed in the school's language, in the same transaction. A success before then clears the run.
func TestGiveUpAndDisable(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.pool.Exec(ctx, `INSERT INTO admin_users (email, name, role, password_hash) VALUES
		('owner@school.example', 'Owner', 'owner', 'x'), ('manager@school.example', 'M', 'manager', 'x')`); err != nil {
		t.Fatal(err)
	}
	school := settings.Defaults()
	school.Name, school.Language = "Escuela Sol", "es"
	if _, err := settings.NewService(f.pool, f.al).Update(ctx, school); err != nil {
		t.Fatal(err)
	}
	var down atomic.Bool
	down.Store(true)
	rc := newReceiver(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
		if down.Load() {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	e, _ := f.create(t, rc.URL, events.AccessGranted)
	f.emit(t, events.Event{Type: events.AccessGranted, ID: 1})
	start := f.clock.Now()

	// A failing try, then a success: the run of failures is cleared.
	f.work(t)
	if got, _ := f.svc.Get(ctx, e.ID); !got.FailingSince.Equal(start) {
		t.Fatalf("failing since %v, want %v", got.FailingSince, start)
	}
	down.Store(false)
	f.work(t)
	if got, _ := f.svc.Get(ctx, e.ID); !got.FailingSince.IsZero() {
		t.Fatalf("still failing since %v after a success", got.FailingSince)
	}

	// Now down for good: tries on the schedule until the deadline.
	down.Store(true)
	f.emit(t, events.Event{Type: events.AccessGranted, ID: 2})
	f.emit(t, events.Event{Type: events.AccessGranted, ID: 3})
	ds, _ := f.svc.Deliveries(ctx, e.ID, webhook.DeliveryFilter{})
	last := ds[0].ID
	var tries int
	for f.work(t) > 0 {
		tries++
		d, err := f.svc.Delivery(ctx, last)
		if err != nil {
			t.Fatal(err)
		}
		if d.Status != webhook.StatusPending {
			break
		}
		if d.NextAt.After(start.Add(webhook.GiveUpAfter)) {
			t.Fatalf("next try %v after the deadline", d.NextAt)
		}
		f.clock.Set(d.NextAt) // as River would run it
		if tries > 30 {
			t.Fatal("never gave up")
		}
	}
	d, _ := f.svc.Delivery(ctx, last)
	got, _ := f.svc.Get(ctx, e.ID)
	if got.Enabled || !strings.HasPrefix(got.DisabledReason, "failing since ") {
		t.Fatalf("endpoint after 3 days failing = %+v", got)
	}
	if tries < 10 || tries > 16 {
		t.Errorf("%d rounds of tries over 3 days; want about 13 (5 s, 5 min, 30 min, 2 h, 5 h, 10 h…)", tries)
	}
	var statuses []string
	rows, _ := f.pool.Query(ctx, `SELECT status FROM webhook_deliveries WHERE endpoint_id = $1 ORDER BY id`, e.ID)
	for rows.Next() {
		var s string
		_ = rows.Scan(&s)
		statuses = append(statuses, s)
	}
	// The first succeeded; of the other two, whichever reached the deadline first failed and the other was
	// cancelled with the endpoint, or both failed.
	if len(statuses) != 3 || statuses[0] != webhook.StatusSucceeded || d.Status == webhook.StatusPending ||
		(statuses[1] == webhook.StatusPending || statuses[2] == webhook.StatusPending) {
		t.Fatalf("statuses = %v", statuses)
	}
	var to, subject string
	if err := f.pool.QueryRow(ctx, `SELECT to_address, subject FROM outbound_emails WHERE related_type = 'webhook_endpoint'
		AND related_id = $1`, e.ID).Scan(&to, &subject); err != nil {
		t.Fatalf("owner e-mail: %v", err)
	}
	if to != "owner@school.example" || subject != "Escuela Sol: se ha desactivado un endpoint de webhooks" {
		t.Errorf("e-mail to %s: %q", to, subject)
	}
	// Disabled: new events are not delivered to it, jobs left do nothing.
	_, _, before := rc.snapshot()
	f.emit(t, events.Event{Type: events.AccessGranted, ID: 4})
	f.work(t)
	if _, _, after := rc.snapshot(); after != before {
		t.Errorf("%d calls after the endpoint was disabled", after-before)
	}
	var n int
	if err := f.pool.QueryRow(ctx, `SELECT count(*) FROM webhook_events WHERE object_id = 4`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d events with no endpoint subscribed, %v", n, err)
	}
}
