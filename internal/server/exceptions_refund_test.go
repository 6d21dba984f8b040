package server

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/bursar/bursar/internal/gateway/stripemock"
	"github.com/bursar/bursar/internal/order"
)

// stripeRefundRecorder is a proxy to a Stripe API (stripe-mock) that counts refunds asked of it.
type stripeRefundRecorder struct {
	URL     string
	mu      sync.Mutex
	refunds int
}

func newStripeRefundRecorder(t *testing.T, target string) *stripeRefundRecorder {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rec := &stripeRefundRecorder{}
	proxy := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/v1/refunds" {
			rec.mu.Lock()
			rec.refunds++
			rec.mu.Unlock()
		}
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	rec.URL = srv.URL
	return rec
}

func (r *stripeRefundRecorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.refunds
}

func TestExceptionRefundThroughStripe(t *testing.T) {
	t.Parallel()
	rec := newStripeRefundRecorder(t, stripemock.Start(t))
	a := newGatewayApp(t, rec.URL)
	f := newStripeFixture(t, a)
	c := a.owner()
	// stripe-mock's canned payment is in USD: the order costs EUR, the payer paid 5.00 USD.
	att, id := mismatchedPayment(t, a, f, "ana@example.com", "cs_test_refund_x", 500, "usd")

	if res := a.postForm(c, exceptionURL(id)+"/refund", url.Values{"note": {""}}); res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("no note: status %d, want 422", res.StatusCode)
	}
	if rec.count() != 0 {
		t.Fatal("a refused refund called Stripe")
	}
	codes := postConcurrently(a, c, exceptionURL(id)+"/refund", url.Values{"note": {"Paid in the wrong currency"}}, 2)
	if codes[http.StatusSeeOther] != 1 || codes[http.StatusConflict] != 1 {
		t.Fatalf("statuses %v, want one 303 and one 409", codes)
	}
	if n := rec.count(); n != 1 {
		t.Fatalf("%d refunds asked of Stripe, want 1", n)
	}
	x, err := a.srv.orders.Exception(a.ctx(), id)
	if err != nil {
		t.Fatal(err)
	}
	if x.Status != order.ExceptionResolved || !strings.Contains(x.Resolution, "refund re_") || !strings.Contains(x.Resolution, "5.00 USD") ||
		x.RefundedAmount != 500 || !strings.Contains(x.Note, "costs 49.00 EUR") {
		t.Errorf("exception %s, resolution %q, refunded %d, note %q: want resolved naming the refund, the note kept",
			x.Status, x.Resolution, x.RefundedAmount, x.Note)
	}
	if res := a.postForm(c, exceptionURL(id)+"/refund", url.Values{"note": {"again"}}); res.StatusCode != http.StatusConflict {
		t.Errorf("refund again: status %d, want 409", res.StatusCode)
	}
	if n := rec.count(); n != 1 {
		t.Errorf("%d refunds asked of Stripe after a third click, want 1", n)
	}
	if a.orderStatus(att.Order.ID) != order.StatusOpen {
		t.Error("refunding the exception changed the order")
	}
	// Stripe's charge.refunded that follows is the refund just made: known, no new exception.
	if code := a.deliverSigned(f.sys.ID, refundedWebhook("evt_refund_x_after", "cs_test_refund_x", "usd", 500)); code != http.StatusOK {
		t.Fatalf("charge.refunded: status %d", code)
	}
	if n := countRows(t, a, `SELECT count(*) FROM payment_exceptions`); n != 1 {
		t.Errorf("%d exceptions after Stripe reported the inbox's refund, want 1", n)
	}
	if got := countRows(t, a, `SELECT count(*) FROM gateway_events WHERE event_id = 'evt_refund_x_after' AND result = 'refund_known'`); got != 1 {
		t.Error("the refund notification is not refund_known")
	}
	checks := []struct {
		name, query string
		want        int
	}{
		{"Audited", `SELECT count(*) FROM audit_log WHERE action = 'payment_exception.refund' AND details->>'gateway_refund_id' LIKE 're_%'`, 1},
		{"OnTimeline", `SELECT count(*) FROM order_events WHERE kind = 'payment.exception_refunded'`, 1},
	}
	for _, ck := range checks {
		if n := countRows(t, a, ck.query); n != ck.want {
			t.Errorf("%s: %d, want %d", ck.name, n, ck.want)
		}
	}
}

func TestExceptionRefundGatewayFails(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		body   string
		want   int
	}{
		{"Unavailable", http.StatusInternalServerError, `{"error":{"message":"boom","type":"api_error"}}`, http.StatusServiceUnavailable},
		{"Refused", http.StatusBadRequest, `{"error":{"message":"No such checkout session","type":"invalid_request_error","code":"resource_missing"}}`, http.StatusBadGateway},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, tt.body)
			}))
			t.Cleanup(api.Close)
			a := newGatewayApp(t, api.URL)
			f := newStripeFixture(t, a)
			c := a.owner()
			_, id := mismatchedPayment(t, a, f, "ana@example.com", "cs_refund_fails", 500, "usd")
			res, doc := a.postFormDoc(c, exceptionURL(id)+"/refund", url.Values{"note": {"wrong currency"}})
			if res.StatusCode != tt.want {
				t.Fatalf("status %d, want %d", res.StatusCode, tt.want)
			}
			if got := doc.Find(`[data-testid="refund-failure"]`).Text(); !strings.Contains(got, "Nothing was refunded") {
				t.Errorf("message %q", got)
			}
			if got := doc.Find(`#refund-note`).Text(); got != "wrong currency" {
				t.Errorf("the note typed was lost: %q", got)
			}
			if exceptionStatus(t, a, id) != order.ExceptionOpen {
				t.Error("a failed refund resolved the exception")
			}
			if n := countRows(t, a, `SELECT count(*) FROM audit_log WHERE action = 'payment_exception.refund'`); n != 0 {
				t.Errorf("%d refund audit entries for a failed refund", n)
			}
		})
	}
}
