package stripe

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/gateway/stripemock"
	"github.com/bursar/bursar/internal/money"
)

// recorded is one request the recorder saw on its way to stripe-mock.
type recorded struct {
	Method, Path string
	Form         url.Values
	Header       http.Header
}

// recorder is a reverse proxy in front of stripe-mock that keeps every request's form (stripe-mock is canned
// and echoes little of what it is sent).
type recorder struct {
	URL  string
	mu   sync.Mutex
	reqs []recorded
}

func newRecorder(t *testing.T, target string) *recorder {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	proxy := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(body))
		for k, v := range r.URL.Query() {
			form[k] = append(form[k], v...)
		}
		rec.mu.Lock()
		rec.reqs = append(rec.reqs, recorded{Method: r.Method, Path: r.URL.Path, Form: form, Header: r.Header.Clone()})
		rec.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	rec.URL = srv.URL
	return rec
}

// requests returns what was recorded so far.
func (r *recorder) requests() []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]recorded(nil), r.reqs...)
}

func apiAccount(apiURL string) gateway.Account {
	a := webhookAccount(vectorSecret)
	a.APIURL = apiURL
	return a
}

func checkout() gateway.Checkout {
	return gateway.Checkout{OrderID: 42, OrderNumber: "A-0042", Amount: money.Money{Amount: 4990, Currency: "EUR"},
		Title: "Curso de español A1", Email: "ana@example.com", Language: "es",
		SuccessURL: "https://school.test/o/a1/success?payment=9", CancelURL: "https://school.test/o/a1/cancel",
		NotifyURL: "https://school.test/webhooks/7"}
}

func TestBeginSendsTheSession(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t, stripemock.Start(t))
	red, err := New(Options{}).Begin(context.Background(), apiAccount(rec.URL), checkout())
	if err != nil {
		t.Fatalf("Begin = %v", err)
	}
	if !strings.HasPrefix(red.URL, "https://checkout.stripe.com/") || !strings.HasPrefix(red.Ref, "cs_") || red.Form != nil {
		t.Fatalf("redirect = %+v, want a checkout.stripe.com URL and a cs_ ref", red)
	}
	reqs := rec.requests()
	if len(reqs) != 1 || reqs[0].Method != http.MethodPost || reqs[0].Path != "/v1/checkout/sessions" {
		t.Fatalf("requests = %+v, want one POST /v1/checkout/sessions", reqs)
	}
	want := map[string]string{
		"mode":                   "payment",
		"client_reference_id":    "42",
		"metadata[order_id]":     "42",
		"metadata[order_number]": "A-0042",
		"payment_intent_data[metadata][order_id]":     "42",
		"payment_intent_data[metadata][order_number]": "A-0042",
		"customer_email":                                "ana@example.com",
		"customer_creation":                             "if_required",
		"line_items[0][price_data][currency]":           "eur",
		"line_items[0][price_data][unit_amount]":        "4990",
		"line_items[0][price_data][product_data][name]": "Curso de español A1",
		"line_items[0][quantity]":                       "1",
		"success_url":                                   "https://school.test/o/a1/success?payment=9&session_id={CHECKOUT_SESSION_ID}",
		"cancel_url":                                    "https://school.test/o/a1/cancel",
		"locale":                                        "es",
	}
	for k, v := range want {
		if got := reqs[0].Form.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	h := reqs[0].Header
	if got := h.Get("Idempotency-Key"); !strings.HasPrefix(got, "bursar-checkout-42-") {
		t.Errorf("Idempotency-Key = %q", got)
	}
	if got := h.Get("Stripe-Version"); got != "2023-10-16" {
		t.Errorf("Stripe-Version = %q", got)
	}
	if got := h.Get("Authorization"); got != "Bearer sk_test_123" {
		t.Errorf("Authorization = %q", got)
	}
}

func TestBeginLocaleAndGuest(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t, stripemock.Start(t))
	tests := []struct {
		lang, email, wantLocale string
	}{
		{"en", "", "en"},
		{"fr", "ana@example.com", "fr"},
		{"ru", "", "ru"},
		{"uk", "", "auto"},
		{"pt-BR", "", "pt-BR"},
		{"de-AT", "", "de"},
		{"", "", "auto"},
	}
	p := New(Options{})
	for _, tt := range tests {
		c := checkout()
		c.Language, c.Email = tt.lang, tt.email
		if _, err := p.Begin(context.Background(), apiAccount(rec.URL), c); err != nil {
			t.Fatalf("Begin(%q) = %v (stripe-mock rejects locales Stripe does not have)", tt.lang, err)
		}
		reqs := rec.requests()
		form := reqs[len(reqs)-1].Form
		if got := form.Get("locale"); got != tt.wantLocale {
			t.Errorf("language %q: locale = %q, want %q", tt.lang, got, tt.wantLocale)
		}
		if _, sent := form["customer_email"]; sent != (tt.email != "") {
			t.Errorf("language %q: customer_email sent = %v, want %v", tt.lang, sent, tt.email != "")
		}
	}
}

func TestCheckoutKey(t *testing.T) {
	t.Parallel()
	a := checkout()
	b := checkout()
	if checkoutKey(a) != checkoutKey(b) {
		t.Fatal("the same checkout has two idempotency keys")
	}
	b.SuccessURL = "https://school.test/o/a1/success?payment=10"
	c := checkout()
	c.Amount.Amount++
	if checkoutKey(a) == checkoutKey(b) || checkoutKey(a) == checkoutKey(c) {
		t.Fatal("a different attempt or amount shares the idempotency key")
	}
}

func TestSuccessURL(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"https://s.test/ok", "https://s.test/ok?session_id={CHECKOUT_SESSION_ID}"},
		{"https://s.test/ok?p=1", "https://s.test/ok?p=1&session_id={CHECKOUT_SESSION_ID}"},
		{"https://s.test/ok?p=1#top", "https://s.test/ok?p=1&session_id={CHECKOUT_SESSION_ID}#top"},
	}
	for _, tt := range tests {
		if got := successURL(tt.in); got != tt.want {
			t.Errorf("successURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestBeginRejectsBadInput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		edit func(*gateway.Checkout)
		acct gateway.Account
	}{
		{"no secret key", func(*gateway.Checkout) {}, gateway.Account{APIURL: "http://127.0.0.1:1"}},
		{"zero amount", func(c *gateway.Checkout) { c.Amount.Amount = 0 }, apiAccount("http://127.0.0.1:1")},
		{"no currency", func(c *gateway.Checkout) { c.Amount.Currency = "" }, apiAccount("http://127.0.0.1:1")},
		{"no order", func(c *gateway.Checkout) { c.OrderID = 0 }, apiAccount("http://127.0.0.1:1")},
		{"no success URL", func(c *gateway.Checkout) { c.SuccessURL = "" }, apiAccount("http://127.0.0.1:1")},
	}
	for _, tt := range tests {
		c := checkout()
		tt.edit(&c)
		_, err := New(Options{}).Begin(context.Background(), tt.acct, c)
		if err == nil || errors.Is(err, gateway.ErrUnavailable) {
			t.Errorf("%s: Begin = %v, want a plain error before calling Stripe", tt.name, err)
		}
	}
}

func TestBeginUnavailable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name            string
		handler         func(w http.ResponseWriter, r *http.Request, hang <-chan struct{})
		wantUnavailable bool
		wantMsg         string
	}{
		{"500 with an HTML page", func(w http.ResponseWriter, _ *http.Request, _ <-chan struct{}) {
			http.Error(w, "<html>oops</html>", http.StatusInternalServerError)
		}, true, ""},
		{"503 with a Stripe error", func(w http.ResponseWriter, _ *http.Request, _ <-chan struct{}) {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, `{"error":{"type":"api_error","message":"Stripe is down"}}`)
		}, true, "Stripe is down"},
		{"429 rate limited", func(w http.ResponseWriter, _ *http.Request, _ <-chan struct{}) {
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = io.WriteString(w, `{"error":{"type":"invalid_request_error","code":"rate_limit","message":"Too many requests"}}`)
		}, true, ""},
		{"hangs past the timeout", func(w http.ResponseWriter, r *http.Request, hang <-chan struct{}) {
			select {
			case <-hang:
			case <-r.Context().Done():
			}
		}, true, ""},
		{"hangs in the body", func(w http.ResponseWriter, r *http.Request, hang <-chan struct{}) {
			w.WriteHeader(http.StatusOK)
			_, _ = io.WriteString(w, `{"id":"cs_`)
			w.(http.Flusher).Flush()
			select {
			case <-hang:
			case <-r.Context().Done():
			}
		}, true, ""},
		{"400 is the caller's problem", func(w http.ResponseWriter, _ *http.Request, _ <-chan struct{}) {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"error":{"type":"invalid_request_error","param":"currency","message":"Invalid currency: xxx"}}`)
		}, false, "Invalid currency: xxx"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			hang := make(chan struct{}) // closed before the server closes (Close waits for handlers)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { tt.handler(w, r, hang) }))
			t.Cleanup(srv.Close)
			t.Cleanup(func() { close(hang) }) // runs first: cleanups run last-in first-out
			start := time.Now()
			_, err := New(Options{Timeout: 300 * time.Millisecond}).Begin(context.Background(), apiAccount(srv.URL), checkout())
			if err == nil || errors.Is(err, gateway.ErrUnavailable) != tt.wantUnavailable {
				t.Fatalf("Begin = %v, want unavailable %v", err, tt.wantUnavailable)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("Begin = %v, want Stripe's message %q", err, tt.wantMsg)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Fatalf("Begin took %s despite a 300 ms timeout", d)
			}
		})
	}
}

func TestBeginUnreachable(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	addr := srv.URL
	srv.Close() // nothing listens there any more
	_, err := New(Options{Timeout: time.Second}).Begin(context.Background(), apiAccount(addr), checkout())
	if !errors.Is(err, gateway.ErrUnavailable) {
		t.Fatalf("Begin(closed port) = %v, want ErrUnavailable", err)
	}
}
