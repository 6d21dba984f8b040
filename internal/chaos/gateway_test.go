package chaos

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"
)

// session is a Checkout Session as the gateway saw it created: what a real Stripe knows when it later notifies.
type session struct {
	ID       string
	OrderID  int64
	Amount   int64
	Currency string // lower case, as Stripe writes it
}

// stripeGateway stands in front of stripe-mock as Stripe's API. stripe-mock is stateless and answers every
// Checkout Session with the same fixture id; this proxy records each session the servers create (order, amount,
// currency) and gives it a unique id, and a repeated Idempotency-Key gets the first answer's id, as Stripe does.
type stripeGateway struct {
	URL  string
	mock string

	mu    sync.Mutex
	byKey map[string]session // Idempotency-Key → session
	byID  map[string]session
}

func startStripeGateway(t *testing.T, mockURL string) *stripeGateway {
	t.Helper()
	g := &stripeGateway{mock: mockURL, byKey: map[string]session{}, byID: map[string]session{}}
	ts := httptest.NewServer(g)
	t.Cleanup(ts.Close)
	g.URL = ts.URL
	return g
}

func (g *stripeGateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	req, err := http.NewRequestWithContext(r.Context(), r.Method, g.mock+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	req.Header = r.Header.Clone()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	if r.Method == http.MethodPost && r.URL.Path == "/v1/checkout/sessions" && res.StatusCode == http.StatusOK {
		if out, err = g.session(r.Header.Get("Idempotency-Key"), body, out); err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
	}
	for k, v := range res.Header {
		if k != "Content-Length" {
			w.Header()[k] = v
		}
	}
	w.WriteHeader(res.StatusCode)
	_, _ = w.Write(out)
}

// session records the Checkout Session created by form and rewrites stripe-mock's answer with its own id.
func (g *stripeGateway) session(key string, form, answer []byte) ([]byte, error) {
	v, err := url.ParseQuery(string(form))
	if err != nil {
		return nil, err
	}
	orderID, err := strconv.ParseInt(v.Get("client_reference_id"), 10, 64)
	if err != nil {
		return nil, fmt.Errorf("checkout session without an order id in client_reference_id: %q", v.Get("client_reference_id"))
	}
	amount, err := strconv.ParseInt(v.Get("line_items[0][price_data][unit_amount]"), 10, 64)
	if err != nil {
		return nil, fmt.Errorf("checkout session without an amount: %v", err)
	}
	g.mu.Lock()
	s, ok := g.byKey[key]
	if !ok || key == "" {
		s = session{ID: fmt.Sprintf("cs_test_chaos%06d", len(g.byID)+1), OrderID: orderID, Amount: amount,
			Currency: v.Get("line_items[0][price_data][currency]")}
		g.byID[s.ID] = s
		if key != "" {
			g.byKey[key] = s
		}
	}
	g.mu.Unlock()
	var obj map[string]any
	if err := json.Unmarshal(answer, &obj); err != nil {
		return nil, err
	}
	obj["id"], obj["url"] = s.ID, "https://checkout.stripe.com/c/pay/"+s.ID
	obj["client_reference_id"], obj["amount_total"], obj["currency"] = v.Get("client_reference_id"), s.Amount, s.Currency
	return json.Marshal(obj)
}

// lookup returns the session with id.
func (g *stripeGateway) lookup(id string) (session, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	s, ok := g.byID[id]
	return s, ok
}

// sessions is how many distinct sessions were created.
func (g *stripeGateway) sessions() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.byID)
}

// paidEvent is Stripe's checkout.session.completed for s, paid by payer, as Stripe sends it.
func paidEvent(evtID string, s session, payer string) []byte {
	id := strconv.FormatInt(s.OrderID, 10)
	obj := map[string]any{"id": s.ID, "object": "checkout.session", "mode": "payment", "status": "complete",
		"payment_status": "paid", "amount_total": s.Amount, "currency": s.Currency, "client_reference_id": id,
		"metadata": map[string]string{"order_id": id}, "customer_details": map[string]any{"email": payer},
		"payment_intent": "pi_" + s.ID[len("cs_"):]}
	b, _ := json.Marshal(map[string]any{"id": evtID, "object": "event", "api_version": "2023-10-16",
		"created": time.Now().Unix(), "type": "checkout.session.completed", "livemode": false,
		"data": map[string]any{"object": obj}})
	return b
}

// stripeSignature signs body as Stripe does: v1 = HMAC-SHA256(secret, "<t>.<body>").
func stripeSignature(secret string, at time.Time, body []byte) string {
	return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: secret, Timestamp: at}).Header
}
