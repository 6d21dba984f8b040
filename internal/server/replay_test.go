package server

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// breakCompletions makes every order completion fail in the database until the returned fix runs.
func breakCompletions(t *testing.T, a *testApp) (fix func()) {
	t.Helper()
	if _, err := a.pool.Exec(a.ctx(), `
CREATE FUNCTION test_fault() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'test fault: completions are broken'; END $$;
CREATE TRIGGER test_fault BEFORE UPDATE ON orders FOR EACH ROW WHEN (NEW.status = 'completed') EXECUTE FUNCTION test_fault();`); err != nil {
		t.Fatal(err)
	}
	return func() {
		t.Helper()
		if _, err := a.pool.Exec(a.ctx(), `DROP TRIGGER test_fault ON orders`); err != nil {
			t.Fatal(err)
		}
	}
}

// TestReplayAPI: a payment whose notification failed to apply (500 to Stripe) is listed as failed; replayed after
// the fix it completes the order; replayed again it changes nothing and says so.
func TestReplayAPI(t *testing.T) {
	t.Parallel()
	a := newGatewayApp(t, "http://127.0.0.1:1")
	f := newStripeFixture(t, a)
	att := f.openOrder(t, a, "ana@example.com", "cs_replay")
	other := f.openOrder(t, a, "ben@example.com", "cs_replay_other")
	fix := breakCompletions(t, a)
	body := sessionEvent("evt_replay", "checkout.session.completed", stripeSession{ID: "cs_replay", Status: "complete",
		PaymentStatus: "paid", Currency: "eur", Amount: 4900, OrderID: att.Order.ID, Email: "ana@example.com"})
	if code := a.deliverSigned(f.sys.ID, body); code != http.StatusInternalServerError {
		t.Fatalf("webhook with the fault: status %d, want 500", code)
	}
	key := a.apiKey()
	base := "/api/v1/orders/" + itoa(att.Order.ID) + "/events"
	var evs List[gatewayEventJSON]
	res, raw := a.api(a.apiKey("orders:read"), http.MethodGet, base, nil, &evs)
	wantStatus(t, res, raw, http.StatusOK)
	if len(evs.Data) != 1 || !evs.Data[0].Failed || evs.Data[0].Result != "apply_failed" || evs.Data[0].Failures != 1 ||
		evs.Data[0].EventID != "evt_replay" || evs.Data[0].Body != string(body) {
		t.Fatalf("events %s; want the failed one, body verbatim", raw)
	}
	ev := evs.Data[0].ID
	replay := fmt.Sprintf("%s/%d/replay", base, ev)

	res, raw = a.api(a.apiKey("orders:read"), http.MethodPost, replay, nil, nil)
	wantStatus(t, res, raw, http.StatusForbidden)
	res, raw = a.api(key, http.MethodPost, fmt.Sprintf("/api/v1/orders/%d/events/%d/replay", other.Order.ID, ev), nil, nil)
	wantStatus(t, res, raw, http.StatusNotFound)
	res, raw = a.api(key, http.MethodGet, "/api/v1/orders/999999/events", nil, nil)
	wantStatus(t, res, raw, http.StatusNotFound)
	// Still broken: the replay fails and the event stays failed.
	res, raw = a.api(key, http.MethodPost, replay, nil, nil)
	wantStatus(t, res, raw, http.StatusInternalServerError)

	fix()
	var out replayJSON
	res, raw = a.api(key, http.MethodPost, replay, nil, &out)
	wantStatus(t, res, raw, http.StatusOK)
	if out.AlreadyApplied || out.Result != "completed" || out.Event.Failed || out.Event.Failures != 2 ||
		out.Event.ProcessedAt == nil {
		t.Fatalf("replay %s; want applied (completed)", raw)
	}
	if st := a.orderStatus(att.Order.ID); st != "completed" {
		t.Fatalf("order %s, want completed", st)
	}
	out = replayJSON{}
	res, raw = a.api(key, http.MethodPost, replay, nil, &out)
	wantStatus(t, res, raw, http.StatusOK)
	if !out.AlreadyApplied || out.Result != "completed" || !strings.Contains(out.Message, "already applied") {
		t.Fatalf("second replay %s; want already applied", raw)
	}
	if n := countRows(t, a, `SELECT count(*) FROM payments WHERE order_id = $1 AND status = 'succeeded'`, att.Order.ID); n != 1 {
		t.Errorf("succeeded payments %d, want 1", n)
	}
	if n := countRows(t, a, `SELECT count(*) FROM audit_log WHERE action = 'gateway_event.replay'`); n != 2 {
		t.Errorf("replays audited %d, want 2", n)
	}
	// Stripe's own retry is now a duplicate.
	if code := a.deliverSigned(f.sys.ID, body); code != http.StatusOK {
		t.Errorf("redelivery: status %d", code)
	}
}

// TestReplayAdmin: the order page marks a failed event and replays it with one click.
func TestReplayAdmin(t *testing.T) {
	t.Parallel()
	a := newGatewayApp(t, "http://127.0.0.1:1")
	f := newStripeFixture(t, a)
	att := f.openOrder(t, a, "ana@example.com", "cs_replay_admin")
	fix := breakCompletions(t, a)
	body := sessionEvent("evt_replay_admin", "checkout.session.completed", stripeSession{ID: "cs_replay_admin",
		Status: "complete", PaymentStatus: "paid", Currency: "eur", Amount: 4900, OrderID: att.Order.ID,
		Email: "ana@example.com"})
	if code := a.deliverSigned(f.sys.ID, body); code != http.StatusInternalServerError {
		t.Fatalf("webhook with the fault: status %d, want 500", code)
	}
	fix()
	c := a.owner()
	res, doc := a.get(c, orderURL(att.Order.ID))
	if res.StatusCode != http.StatusOK {
		t.Fatalf("order page: status %d", res.StatusCode)
	}
	row := doc.Find(`[data-testid="gateway-event"][data-event-id="evt_replay_admin"]`)
	if row.Find(`[data-testid="gateway-event-failed"]`).Length() != 1 {
		t.Fatalf("event row %q; want it marked failed", row.Text())
	}
	action, _ := row.Find(`[data-testid="replay-form"]`).Attr("action")
	if action == "" {
		t.Fatal("no replay form")
	}
	res = a.postForm(c, action, nil)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("replay: status %d", res.StatusCode)
	}
	res, doc = a.get(c, orderURL(att.Order.ID))
	if res.StatusCode != http.StatusOK || !strings.Contains(doc.Text(), "Gateway event replayed: completed.") {
		t.Errorf("after the replay: status %d, no flash", res.StatusCode)
	}
	if st := a.orderStatus(att.Order.ID); st != "completed" {
		t.Errorf("order %s, want completed", st)
	}
	res = a.postForm(c, action, nil)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("second replay: status %d", res.StatusCode)
	}
	if _, doc = a.get(c, orderURL(att.Order.ID)); !strings.Contains(doc.Text(), "already applied (completed): nothing changed") {
		t.Error("the second replay does not say it changed nothing")
	}
}
