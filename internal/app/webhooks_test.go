package app_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/bursar/bursar/internal/app"
	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/config"
	"github.com/bursar/bursar/internal/crm"
	"github.com/bursar/bursar/internal/db/dbtest"
	"github.com/bursar/bursar/internal/events"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/offer"
	"github.com/bursar/bursar/internal/order"
	"github.com/bursar/bursar/internal/webhook"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// verify is the Standard Webhooks verification, written from the specification: webhook-id, webhook-timestamp and
// webhook-signature present, the timestamp within five minutes of now, and one of the space-separated
// "v1,<base64>" signatures equal (in constant time) to the base64 of HMAC-SHA256, keyed with the base64-decoded
// part of the secret after "whsec_", of "<webhook-id>.<webhook-timestamp>.<body>".
func verify(secret string, h http.Header, body []byte, now time.Time) error {
	id, ts, sigs := h.Get("webhook-id"), h.Get("webhook-timestamp"), h.Get("webhook-signature")
	if id == "" || ts == "" || sigs == "" {
		return errors.New("missing webhook headers")
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("bad timestamp %q", ts)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > 5*time.Minute || d < -5*time.Minute {
		return fmt.Errorf("timestamp %s is %s from now", ts, d)
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return err
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id + "." + ts + "." + string(body)))
	want := m.Sum(nil)
	for _, s := range strings.Fields(sigs) {
		v, b64, ok := strings.Cut(s, ",")
		if !ok || v != "v1" {
			continue
		}
		if got, err := base64.StdEncoding.DecodeString(b64); err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return errors.New("no valid signature")
}

// receiver is a school's system: it verifies every delivery and fails every other call (the 1st, 3rd, …) with a
// 500, answering the others 204.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	secret string
	calls  int
	bad    []string
	ok     map[string]int             // webhook-id → successful deliveries
	body   map[string]json.RawMessage // webhook-id → the body verified
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{ok: map[string]int{}, body: map[string]json.RawMessage{}}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		defer rc.mu.Unlock()
		rc.calls++
		if err := verify(rc.secret, r.Header, body, time.Now()); err != nil {
			rc.bad = append(rc.bad, err.Error())
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if rc.calls%2 == 1 {
			http.Error(w, "try again later", http.StatusInternalServerError)
			return
		}
		id := r.Header.Get("webhook-id")
		rc.ok[id]++
		rc.body[id] = body
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(rc.Close)
	return rc
}

// work makes the next try of every webhook.deliver job River's table holds as available or retryable, in the
// test's goroutine, with the app's worker, as River's client would (whatever the job's schedule: the test does not
// wait for the backoff), and marks each job completed or retryable as River does; it returns how many it ran.
func work(t *testing.T, pool *pgxpool.Pool, w *webhook.Worker) int {
	t.Helper()
	ctx := context.Background()
	rows, err := pool.Query(ctx, `SELECT id, args, attempt, max_attempts FROM river_job
		WHERE kind = 'webhook.deliver' AND state IN ('available', 'retryable', 'scheduled') ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	type job struct {
		id            int64
		args          webhook.DeliverArgs
		attempt, max_ int
	}
	var jobs []job
	for rows.Next() {
		var j job
		var raw []byte
		if err := rows.Scan(&j.id, &raw, &j.attempt, &j.max_); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, &j.args); err != nil {
			t.Fatal(err)
		}
		jobs = append(jobs, j)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for _, j := range jobs {
		rj := &river.Job[webhook.DeliverArgs]{JobRow: &rivertype.JobRow{ID: j.id, Attempt: j.attempt + 1,
			MaxAttempts: j.max_, Kind: webhook.DeliverArgs{}.Kind()}, Args: j.args}
		state := "completed"
		if err := w.Work(ctx, rj); err != nil {
			state = "retryable"
		}
		if _, err := pool.Exec(ctx, `UPDATE river_job SET state = $2::river_job_state, attempt = attempt + 1,
			finalized_at = CASE WHEN $2 = 'completed' THEN now() END WHERE id = $1`, j.id, state); err != nil {
			t.Fatal(err)
		}
	}
	return len(jobs)
}

// TestWebhooksThousandOrders is issue 16's check: 1,000 orders completed through the real use cases (a manual
// order made, then approved), two endpoints (one for order.completed, one for order.completed and
// payment.succeeded) whose receivers verify every delivery with the Standard Webhooks algorithm and fail every
// other call → exactly one successful delivery per event and endpoint, each event's data the object as the API
// returns it, and the delivery log shows the failed tries.
func TestWebhooksThousandOrders(t *testing.T) {
	orders := 1000
	if testing.Short() {
		orders = 100
	}
	pool := dbtest.New(t)
	cfg, err := config.Config{DataDir: t.TempDir(), BaseURL: "https://school.test", WebhookAllowPrivate: true}.WithDefaults()
	if err != nil {
		t.Fatal(err)
	}
	ap, err := app.New(app.Deps{Config: cfg, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Pool: pool})
	if err != nil {
		t.Fatal(err)
	}
	s := ap.Services
	ctx := audit.WithActor(context.Background(), audit.Actor{Type: audit.ActorAdmin, ID: 1, Label: "ann@school.test"})

	sys, err := s.PaymentSystems.Create(ctx, gateway.Input{Type: gateway.TypeManual, Name: "Bank transfer", Enabled: true,
		Settings: map[string]any{"supported_currencies": []any{"EUR"}}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.Offers.CreateProduct(ctx, offer.ProductInput{Name: "Spanish A1", Kind: offer.KindCourse})
	if err != nil {
		t.Fatal(err)
	}
	in := offer.NewInput()
	in.Title, in.Amount, in.Currency, in.Status, in.AccessDays = "Spanish A1", 4900, "EUR", offer.StatusPublished, 30
	in.ProductIDs, in.PaymentSystemIDs = []int64{p.ID}, []int64{sys.ID}
	of, err := s.Offers.Create(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.Contacts.Create(ctx, crm.Input{Email: "ana@example.com", Name: "Ana"})
	if err != nil {
		t.Fatal(err)
	}

	completed, both := newReceiver(t), newReceiver(t)
	epA, secA, err := s.Webhooks.Create(ctx, webhook.Input{URL: completed.URL, Types: []events.Type{events.OrderCompleted},
		Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	epB, secB, err := s.Webhooks.Create(ctx, webhook.Input{URL: both.URL, Enabled: true,
		Types: []events.Type{events.OrderCompleted, events.PaymentSucceeded}})
	if err != nil {
		t.Fatal(err)
	}
	completed.secret, both.secret = secA, secB

	ids := map[int64]bool{}
	payments := map[int64]int64{} // payment → order
	for range orders {
		o, err := s.Orders.CreateManual(ctx, order.NewManual{OfferID: of.ID, ContactID: c.ID, PaymentSystemID: sys.ID,
			Channel: order.ChannelAdmin, Comment: "bank transfer"})
		if err != nil {
			t.Fatal(err)
		}
		done, err := s.Orders.Approve(ctx, o.ID, order.Adjustment{})
		if err != nil {
			t.Fatal(err)
		}
		ids[o.ID] = true
		payments[done.Payments[0].ID] = o.ID
	}
	if len(ids) != orders {
		t.Fatalf("%d orders, want %d", len(ids), orders)
	}

	// Each pass tries every pending delivery once; a delivery failed by its receiver is tried again next pass.
	w := s.Webhooks.Worker()
	passes := 0
	for n := work(t, pool, w); n > 0; n = work(t, pool, w) {
		if passes++; passes > 20 {
			t.Fatal("deliveries still pending after 20 passes")
		}
	}

	for _, rc := range []*receiver{completed, both} {
		if len(rc.bad) > 0 {
			t.Fatalf("%d deliveries failed verification, e.g. %s", len(rc.bad), rc.bad[0])
		}
		for id, n := range rc.ok {
			if n != 1 {
				t.Errorf("%s delivered successfully %d times", id, n)
			}
		}
	}
	if len(completed.ok) != orders || len(both.ok) != 2*orders {
		t.Fatalf("successful deliveries: %d and %d, want %d and %d", len(completed.ok), len(both.ok), orders, 2*orders)
	}
	// The events are the API's objects: every order completed once, every payment succeeded once, with its order.
	seen := map[string]map[int64]bool{string(events.OrderCompleted): {}, "A" + string(events.OrderCompleted): {},
		string(events.PaymentSucceeded): {}}
	for name, rc := range map[string]*receiver{"A": completed, "": both} {
		for _, body := range rc.body {
			var msg struct {
				Type string `json:"type"`
				Data struct {
					ID       int64             `json:"id"`
					OrderID  int64             `json:"order_id"`
					Status   string            `json:"status"`
					Payments []json.RawMessage `json:"payments"`
				} `json:"data"`
			}
			if err := json.Unmarshal(body, &msg); err != nil {
				t.Fatal(err)
			}
			data := msg.Data
			switch msg.Type {
			case string(events.OrderCompleted):
				if !ids[data.ID] || msg.Data.Status != "completed" || len(msg.Data.Payments) != 1 {
					t.Fatalf("order.completed %s", body)
				}
			case string(events.PaymentSucceeded):
				if payments[data.ID] != msg.Data.OrderID || msg.Data.Status != "succeeded" {
					t.Fatalf("payment.succeeded %s", body)
				}
			default:
				t.Fatalf("unsubscribed %s delivered to %q", msg.Type, name)
			}
			seen[name+msg.Type][data.ID] = true
		}
	}
	if len(seen["A"+string(events.OrderCompleted)]) != orders || len(seen[string(events.OrderCompleted)]) != orders ||
		len(seen[string(events.PaymentSucceeded)]) != orders {
		t.Errorf("distinct objects: %d, %d, %d; want %d each", len(seen["A"+string(events.OrderCompleted)]),
			len(seen[string(events.OrderCompleted)]), len(seen[string(events.PaymentSucceeded)]), orders)
	}

	// The delivery log: every delivery succeeded, its tries counted, the failed ones shown with their 500.
	for _, tc := range []struct {
		ep    webhook.Endpoint
		rc    *receiver
		total int
	}{{epA, completed, orders}, {epB, both, 2 * orders}} {
		var all []webhook.Delivery
		for before := int64(0); ; {
			page, err := s.Webhooks.Deliveries(ctx, tc.ep.ID, webhook.DeliveryFilter{Before: before})
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			all = append(all, page...)
			before = page[len(page)-1].ID
		}
		tries, retried := 0, []webhook.Delivery{}
		for _, d := range all {
			if d.Status != webhook.StatusSucceeded {
				t.Fatalf("delivery %d is %s", d.ID, d.Status)
			}
			tries += d.Attempts
			if d.Attempts > 1 {
				retried = append(retried, d)
			}
		}
		if len(all) != tc.total || tries != tc.rc.calls || len(retried) == 0 {
			t.Fatalf("endpoint %d: %d deliveries with %d tries (%d retried), receiver got %d calls; want %d deliveries",
				tc.ep.ID, len(all), tries, len(retried), tc.rc.calls, tc.total)
		}
		failed := 0
		for _, d := range retried {
			full, err := s.Webhooks.Delivery(ctx, d.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(full.Tries) != d.Attempts || full.Tries[0].StatusCode != http.StatusNoContent {
				t.Fatalf("delivery %d tries %+v", d.ID, full.Tries)
			}
			for _, tr := range full.Tries[1:] {
				if tr.StatusCode != http.StatusInternalServerError || !strings.Contains(tr.ResponseBody, "try again later") {
					t.Fatalf("delivery %d failed try %+v", d.ID, tr)
				}
				failed++
			}
		}
		if want := (tc.rc.calls + 1) / 2; failed != want {
			t.Errorf("endpoint %d: the log shows %d failed tries, the receiver failed %d", tc.ep.ID, failed, want)
		}
	}
	t.Logf("%d orders; %d and %d calls to the receivers in %d passes", orders, completed.calls, both.calls, passes)
}
