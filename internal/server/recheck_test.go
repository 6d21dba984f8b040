package server

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/bursar/bursar/internal/gateway/stripemock"
	"github.com/bursar/bursar/internal/order"
)

// fakeSessions is Stripe's Checkout Sessions API reduced to retrieving one: it answers every session with the
// state set last, and counts the questions.
type fakeSessions struct {
	mu     sync.Mutex
	status string // open, complete, expired
	paid   bool
	order  int64
	asked  []string
}

func newFakeSessions(t *testing.T) (*fakeSessions, string) {
	t.Helper()
	f := &fakeSessions{status: "open"}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, ok := strings.CutPrefix(r.URL.Path, "/v1/checkout/sessions/")
		if r.Method != http.MethodGet || !ok {
			http.Error(w, `{"error":{"message":"unexpected","type":"invalid_request_error"}}`, http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		f.asked = append(f.asked, id)
		payment, piStatus := "unpaid", "requires_payment_method"
		if f.paid {
			payment, piStatus = "paid", "succeeded"
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"id": id, "object": "checkout.session", "mode": "payment",
			"status": f.status, "payment_status": payment, "amount_total": 4900, "currency": "eur",
			"client_reference_id": itoa(f.order), "metadata": map[string]string{"order_id": itoa(f.order)},
			"customer_details": map[string]any{"email": "payer@example.com"},
			"payment_intent":   map[string]any{"id": "pi_" + strings.TrimPrefix(id, "cs_"), "object": "payment_intent", "status": piStatus}})
	}))
	t.Cleanup(srv.Close)
	return f, srv.URL
}

func (f *fakeSessions) set(status string, paid bool, orderID int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.status, f.paid, f.order = status, paid, orderID
}

func (f *fakeSessions) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.asked)
}

func TestAdminRecheckWithStripeMock(t *testing.T) {
	t.Parallel()
	a := newGatewayApp(t, stripemock.Start(t))
	c := a.owner()
	key := a.apiKey()
	f := newStripeFixture(t, a)
	att := f.openOrder(t, a, "ana@example.com", "cs_test_recheck")
	page := orderURL(att.Order.ID)

	_, doc := a.get(c, page)
	if got := doc.Find(`[data-testid="recheck"]`).Text(); got != "Re-check with Cards" {
		t.Fatalf("re-check button %q", got)
	}
	// stripe-mock's session is always open and unpaid: the attempt is waiting at the gateway.
	res := a.postForm(c, page+"/recheck", nil)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != page {
		t.Fatalf("re-check: status %d", res.StatusCode)
	}
	_, doc = a.get(c, page)
	if got := doc.Find(`[data-testid="flash"]`).Text(); !strings.Contains(got, "Cards payment cs_test_recheck is not paid yet") {
		t.Errorf("flash = %q", got)
	}
	if st := doc.Find(`[data-testid="payment-row"]`).AttrOr("data-status", ""); st != order.PaymentProcessing {
		t.Errorf("attempt %s, want processing", st)
	}
	ev := doc.Find(`[data-testid="gateway-event"]`)
	if ev.Length() != 1 || ev.AttrOr("data-event-id", "") != "status:cs_test_recheck:pending" ||
		ev.AttrOr("data-result", "") != order.ResultProcessing ||
		!strings.Contains(ev.Find(`[data-testid="gateway-event-body"]`).Text(), `"type": "checkout.session:open/unpaid"`) {
		t.Errorf("gateway event %q", ev.Text())
	}

	// Again: the same answer changes nothing and is not stored twice.
	a.postForm(c, page+"/recheck", nil)
	_, doc = a.get(c, page)
	if got := doc.Find(`[data-testid="flash"]`).Text(); !strings.Contains(got, "is still pending: nothing changed") {
		t.Errorf("flash = %q", got)
	}
	var out recheckJSON
	res2, raw := a.api(key, "POST", "/api/v1/orders/"+itoa(att.Order.ID)+"/recheck", nil, &out)
	wantStatus(t, res2, raw, http.StatusOK)
	if len(out.Checks) != 1 || out.Checks[0].Kind != "pending" || out.Checks[0].Result != order.ResultDuplicate ||
		out.Checks[0].Error != "" || out.Checks[0].PaymentID != att.Payment.ID || out.Order.Status != "open" {
		t.Errorf("API re-check = %s", raw)
	}
	if n := countRows(t, a, "SELECT count(*) FROM gateway_events"); n != 1 {
		t.Errorf("%d gateway events, want 1", n)
	}
	if st := a.orderStatus(att.Order.ID); st != order.StatusOpen {
		t.Errorf("order %s, want open", st)
	}
}

func TestRecheckCompletesOrder(t *testing.T) {
	t.Parallel()
	stripe, apiURL := newFakeSessions(t)
	a := newGatewayApp(t, apiURL)
	c := a.owner()
	key := a.apiKey()
	f := newStripeFixture(t, a)
	att := f.openOrder(t, a, "ana@example.com", "cs_test_paid_later")
	stripe.set("complete", true, att.Order.ID)

	res := a.postForm(c, orderURL(att.Order.ID)+"/recheck", nil)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("re-check: status %d", res.StatusCode)
	}
	_, doc := a.get(c, orderURL(att.Order.ID))
	if got := doc.Find(`[data-testid="flash"]`).Text(); !strings.Contains(got, "is paid: the order is completed") {
		t.Errorf("flash = %q", got)
	}
	if doc.Find(`[data-testid="recheck"]`).Length() != 0 {
		t.Error("a completed order still offers a re-check")
	}
	if st := a.orderStatus(att.Order.ID); st != order.StatusCompleted || activeOrderGrants(t, a, att.Order.ID) != 1 {
		t.Fatalf("order %s with %d grants, want completed with 1", st, activeOrderGrants(t, a, att.Order.ID))
	}
	// Stripe's webhook of the same payment, arriving afterwards, finds it applied: one completion, one e-mail.
	if code := a.deliverSigned(f.sys.ID, paidEvent("evt_paid_later", att, "cs_test_paid_later")); code != http.StatusOK {
		t.Fatalf("webhook: status %d", code)
	}
	checks := []struct {
		name, query string
		want        int
	}{
		{"AlreadyPaid", "SELECT count(*) FROM gateway_events WHERE event_id = 'evt_paid_later' AND result = 'already_paid'", 1},
		{"StatusStored", "SELECT count(*) FROM gateway_events WHERE event_id = 'status:cs_test_paid_later:paid' AND result = 'completed'", 1},
		{"OneCompletion", "SELECT count(*) FROM order_events WHERE kind = 'order.completed'", 1},
		{"OneEmail", "SELECT count(*) FROM outbound_emails WHERE dedup_key LIKE 'order:%:completed'", 1},
	}
	for _, c := range checks {
		if n := countRows(t, a, c.query); n != c.want {
			t.Errorf("%s: %d, want %d", c.name, n, c.want)
		}
	}
	// A completed order is not re-checked.
	var p Problem
	res2, raw := a.api(key, "POST", "/api/v1/orders/"+itoa(att.Order.ID)+"/recheck", nil, &p)
	wantStatus(t, res2, raw, http.StatusConflict)
	if stripe.count() != 1 {
		t.Errorf("Stripe was asked %d times, want 1", stripe.count())
	}
}

func TestRecheckUnavailable(t *testing.T) {
	t.Parallel()
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "bad gateway", http.StatusBadGateway)
	}))
	t.Cleanup(down.Close)
	a := newGatewayApp(t, down.URL)
	c := a.owner()
	f := newStripeFixture(t, a)
	att := f.openOrder(t, a, "ana@example.com", "cs_test_down")
	res := a.postForm(c, orderURL(att.Order.ID)+"/recheck", nil)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("re-check: status %d, want a redirect with the answer, not an error page", res.StatusCode)
	}
	_, doc := a.get(c, orderURL(att.Order.ID))
	if got := doc.Find(`[data-testid="flash"]`).Text(); !strings.Contains(got, "Cards could not be reached: try again") {
		t.Errorf("flash = %q", got)
	}
	if n := countRows(t, a, "SELECT count(*) FROM payments WHERE status = 'pending' AND last_checked_at IS NOT NULL"); n != 1 {
		t.Error("the attempt is not pending and marked checked")
	}
}

func TestRecheckJobAsksStaleAttempts(t *testing.T) {
	t.Parallel()
	stripe, apiURL := newFakeSessions(t)
	a := newGatewayApp(t, apiURL)
	f := newStripeFixture(t, a)
	att := f.openOrder(t, a, "ana@example.com", "cs_test_stale")
	stripe.set("open", false, att.Order.ID)
	w := a.app.Workers(nil).Recheck
	if w.PeriodicJob() == nil {
		t.Fatal("no periodic job")
	}
	work := func() {
		t.Helper()
		if err := w.Work(a.ctx(), &river.Job[order.RecheckArgs]{JobRow: &rivertype.JobRow{ID: 1}}); err != nil {
			t.Fatal(err)
		}
	}
	// Started just now: the payer may still be at Stripe (BURSAR_RECHECK_AFTER defaults to 30 minutes).
	work()
	if stripe.count() != 0 {
		t.Fatalf("a fresh attempt was re-checked")
	}
	if _, err := a.pool.Exec(a.ctx(), "UPDATE payments SET created_at = now() - interval '31 minutes' WHERE id = $1", att.Payment.ID); err != nil {
		t.Fatal(err)
	}
	work()
	if stripe.count() != 1 {
		t.Fatalf("Stripe asked %d times, want once", stripe.count())
	}
	if n := countRows(t, a, "SELECT count(*) FROM payments WHERE id = $1 AND status = 'processing' AND last_checked_at IS NOT NULL", att.Payment.ID); n != 1 {
		t.Error("the stale attempt was not re-checked")
	}
	// Within the interval it is not asked about again.
	work()
	if stripe.count() != 1 {
		t.Fatalf("Stripe asked %d times within one interval, want once", stripe.count())
	}
	// Paid meanwhile, and the interval has passed: the next run completes the order.
	stripe.set("complete", true, att.Order.ID)
	if _, err := a.pool.Exec(a.ctx(), "UPDATE payments SET last_checked_at = now() - interval '1 hour'"); err != nil {
		t.Fatal(err)
	}
	work()
	if st := a.orderStatus(att.Order.ID); st != order.StatusCompleted || stripe.count() != 2 {
		t.Fatalf("order %s after %d questions, want completed after 2", st, stripe.count())
	}
	if n := countRows(t, a, "SELECT count(*) FROM audit_log WHERE action = 'order.complete' AND actor_label = 'system'"); n != 1 {
		t.Errorf("completion not audited as the system: %d", n)
	}
}
