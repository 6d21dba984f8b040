package stripe

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	stripego "github.com/stripe/stripe-go/v76"

	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/gateway/stripemock"
	"github.com/bursar/bursar/internal/money"
)

// stripe-mock's canned PaymentIntent is in USD with nothing refunded yet.
var usd500 = money.Money{Amount: 500, Currency: "USD"}

func TestRefund(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t, stripemock.Start(t))
	tests := []struct {
		name     string
		ref      string
		wantPath string
	}{
		{"by session", "cs_test_a1", "/v1/checkout/sessions/cs_test_a1"},
		{"by payment intent", "pi_3Abc", "/v1/payment_intents/pi_3Abc"},
	}
	p := New(Options{})
	for _, tt := range tests {
		before := len(rec.requests())
		res, err := p.Refund(context.Background(), apiAccount(rec.URL),
			gateway.RefundRequest{Ref: tt.ref, Amount: usd500, Reason: "asked by the student"})
		if err != nil {
			t.Fatalf("%s: Refund = %v", tt.name, err)
		}
		if !strings.HasPrefix(res.ID, "re_") || res.Status != "succeeded" {
			t.Fatalf("%s: result = %+v, want a re_ id, succeeded", tt.name, res)
		}
		reqs := rec.requests()[before:]
		if len(reqs) != 2 || reqs[0].Method != http.MethodGet || reqs[0].Path != tt.wantPath ||
			reqs[1].Method != http.MethodPost || reqs[1].Path != "/v1/refunds" {
			t.Fatalf("%s: requests = %+v, want GET %s then POST /v1/refunds", tt.name, reqs, tt.wantPath)
		}
		f := reqs[1].Form
		pi := f.Get("payment_intent")
		if !strings.HasPrefix(pi, "pi_") || f.Get("amount") != "500" || f.Get("reason") != "requested_by_customer" ||
			f.Get("metadata[bursar_reason]") != "asked by the student" {
			t.Fatalf("%s: refund form = %v", tt.name, f)
		}
		if got, want := reqs[1].Header.Get("Idempotency-Key"), "bursar-refund-"+pi+"-500-after-0"; got != want {
			t.Fatalf("%s: Idempotency-Key = %q, want %q", tt.name, got, want)
		}
	}
}

// TestRefundIdempotencyKey: a refund asked with Bursar's own key is sent with that key, twice the same when asked
// again (the re-check of a refund whose answer was lost).
func TestRefundIdempotencyKey(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t, stripemock.Start(t))
	p := New(Options{})
	for range 2 {
		if _, err := p.Refund(context.Background(), apiAccount(rec.URL), gateway.RefundRequest{Ref: "cs_test_a1",
			Amount: usd500, IdempotencyKey: "bursar-refund-cs_test_a1-7"}); err != nil {
			t.Fatal(err)
		}
	}
	var keys []string
	for _, r := range rec.requests() {
		if r.Method == http.MethodPost {
			keys = append(keys, r.Header.Get("Idempotency-Key"))
		}
	}
	if len(keys) != 2 || keys[0] != "bursar-refund-cs_test_a1-7" || keys[1] != keys[0] {
		t.Fatalf("Idempotency-Keys = %q, want bursar-refund-cs_test_a1-7 twice", keys)
	}
}

func TestRefundRejects(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t, stripemock.Start(t))
	tests := []struct {
		name string
		req  gateway.RefundRequest
	}{
		{"another currency", gateway.RefundRequest{Ref: "cs_test_a1", Amount: money.Money{Amount: 500, Currency: "EUR"}}},
		{"zero amount", gateway.RefundRequest{Ref: "cs_test_a1", Amount: money.Money{Currency: "USD"}}},
		{"no reference", gateway.RefundRequest{Amount: usd500}},
	}
	p := New(Options{})
	for _, tt := range tests {
		_, err := p.Refund(context.Background(), apiAccount(rec.URL), tt.req)
		if err == nil || errors.Is(err, gateway.ErrUnavailable) {
			t.Errorf("%s: Refund = %v, want a plain error", tt.name, err)
		}
	}
	for _, r := range rec.requests() {
		if r.Method == http.MethodPost {
			t.Fatalf("a rejected refund still posted %s", r.Path)
		}
	}
}

func TestStatus(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t, stripemock.Start(t))
	ev, err := New(Options{}).Status(context.Background(), apiAccount(rec.URL), "cs_test_a1")
	if err != nil {
		t.Fatalf("Status = %v", err)
	}
	// stripe-mock's session is always open and unpaid.
	if ev.Kind != gateway.EventPending || ev.Type != "checkout.session:open/unpaid" || ev.ID != "" ||
		!strings.HasPrefix(ev.Ref, "cs_") || !strings.HasPrefix(ev.AltRef, "pi_") {
		t.Fatalf("Status = %+v, want a pending open session with its payment intent", ev)
	}
	reqs := rec.requests()
	if len(reqs) != 1 || reqs[0].Path != "/v1/checkout/sessions/cs_test_a1" || reqs[0].Form.Get("expand[0]") != "payment_intent" {
		t.Fatalf("requests = %+v, want GET of the session expanding payment_intent", reqs)
	}
}

func TestStatusUnavailable(t *testing.T) {
	t.Parallel()
	srv := newFailing(t, http.StatusBadGateway)
	_, err := New(Options{}).Status(context.Background(), apiAccount(srv), "cs_test_a1")
	if !errors.Is(err, gateway.ErrUnavailable) {
		t.Fatalf("Status(502) = %v, want ErrUnavailable", err)
	}
	_, err = New(Options{}).Refund(context.Background(), apiAccount(srv), gateway.RefundRequest{Ref: "cs_test_a1", Amount: usd500})
	if !errors.Is(err, gateway.ErrUnavailable) {
		t.Fatalf("Refund(502) = %v, want ErrUnavailable", err)
	}
}

// newFailing is a server answering every request with status.
func newFailing(t *testing.T, status int) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(status) }))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestStatusKind(t *testing.T) {
	t.Parallel()
	pi := func(s stripego.PaymentIntentStatus) *stripego.PaymentIntent {
		return &stripego.PaymentIntent{ID: "pi_1", Status: s}
	}
	tests := []struct {
		name string
		s    stripego.CheckoutSession
		want gateway.EventKind
	}{
		{"open", stripego.CheckoutSession{Status: "open", PaymentStatus: "unpaid"}, gateway.EventPending},
		{"complete and paid", stripego.CheckoutSession{Status: "complete", PaymentStatus: "paid", PaymentIntent: pi("succeeded")}, gateway.EventPaid},
		{"complete, nothing to pay", stripego.CheckoutSession{Status: "complete", PaymentStatus: "no_payment_required"}, gateway.EventPaid},
		{"complete, processing", stripego.CheckoutSession{Status: "complete", PaymentStatus: "unpaid", PaymentIntent: pi("processing")}, gateway.EventPending},
		{"complete, declined", stripego.CheckoutSession{Status: "complete", PaymentStatus: "unpaid", PaymentIntent: pi("requires_payment_method")}, gateway.EventFailed},
		{"complete, canceled", stripego.CheckoutSession{Status: "complete", PaymentStatus: "unpaid", PaymentIntent: pi("canceled")}, gateway.EventFailed},
		{"expired", stripego.CheckoutSession{Status: "expired", PaymentStatus: "unpaid"}, gateway.EventExpired},
	}
	for _, tt := range tests {
		if got := statusKind(&tt.s); got != tt.want {
			t.Errorf("%s: statusKind = %s, want %s", tt.name, got, tt.want)
		}
	}
}
