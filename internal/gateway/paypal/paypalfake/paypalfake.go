// Package paypalfake is an in-memory fake of the parts of PayPal's REST API that Bursar calls: OAuth2 client
// credentials, Orders v2 (create, show, capture), captured payments (show, refund), webhook signature
// verification, the Subscriptions API (catalog products, billing plans, subscriptions: create, show, cancel,
// suspend, activate, revise) and the v1 sales that charge subscriptions (show, refund) — see subscription.go. It
// answers in PayPal's JSON shapes, status codes and error names, from state kept under one mutex, and serves over
// httptest for tests of internal/gateway/paypal and of the server.
//
// Test controls stand in for what happens outside the API: Approve is the payer approving an order at PayPal,
// SetCaptureStatus and UpdateCapture are PayPal deciding about the money, Fail makes an endpoint answer a server
// error, Sign signs a webhook body as PayPal would (the fake's verify endpoint accepts only those signatures), and
// WebhookEvent renders the webhook PayPal would send about an order, capture or refund. Counters (Captures,
// CaptureCalls, Calls, Verifications) and Requests let tests assert what Bursar sent.
package paypalfake

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Credentials and the webhook the fake knows: the token endpoint accepts only ClientID and ClientSecret, and the
// verify endpoint only WebhookID.
const (
	ClientID     = "fake-client-id"
	ClientSecret = "fake-client-secret"
	WebhookID    = "2WH90123AB456789C"
)

// Header names of PayPal's webhook transmissions.
const (
	HeaderAuthAlgo         = "PAYPAL-AUTH-ALGO"
	HeaderCertURL          = "PAYPAL-CERT-URL"
	HeaderTransmissionID   = "PAYPAL-TRANSMISSION-ID"
	HeaderTransmissionSig  = "PAYPAL-TRANSMISSION-SIG"
	HeaderTransmissionTime = "PAYPAL-TRANSMISSION-TIME"
)

// Event types WebhookEvent renders.
const (
	EventOrderApproved    = "CHECKOUT.ORDER.APPROVED"
	EventCaptureCompleted = "PAYMENT.CAPTURE.COMPLETED"
	EventCapturePending   = "PAYMENT.CAPTURE.PENDING"
	EventCaptureDenied    = "PAYMENT.CAPTURE.DENIED"
	EventCaptureRefunded  = "PAYMENT.CAPTURE.REFUNDED"
)

// certURL is where PayPal's sandbox publishes the certificate of its webhook signatures.
const certURL = "https://api.sandbox.paypal.com/v1/notifications/certs/CERT-360caa42-fca2a594-a5cafa77"

// signingKey stands in for PayPal's private key: the fake signs with HMAC instead of RSA, which tests cannot tell
// apart through the verify endpoint.
var signingKey = []byte("paypalfake webhook signing key")

// Signature is the transmission signature the fake expects for a webhook: base64 of HMAC-SHA256 over
// "<transmission id>|<transmission time>|<webhook id>|<CRC32 of the body, decimal>", the string PayPal signs.
func Signature(transmissionID, transmissionTime, webhookID string, body []byte) string {
	m := hmac.New(sha256.New, signingKey)
	fmt.Fprintf(m, "%s|%s|%s|%d", transmissionID, transmissionTime, webhookID, crc32.ChecksumIEEE(body))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// Request is one request the fake received.
type Request struct {
	Method  string
	Path    string
	Pattern string // the route that served it, "POST /v2/checkout/orders/{id}/capture"
	Header  http.Header
	Body    []byte
}

// Money is an amount as PayPal writes it.
type Money struct {
	Currency string `json:"currency_code"`
	Value    string `json:"value"`
}

// Order is a snapshot of an order the fake holds.
type Order struct {
	ID          string
	Status      string // CREATED, APPROVED, COMPLETED
	Intent      string
	ReferenceID string
	CustomID    string
	InvoiceID   string
	Description string
	Amount      Money
	ItemNames   []string
	ReturnURL   string
	CancelURL   string
	UserAction  string
	Shipping    string // application_context.shipping_preference
	Locale      string
	PayerEmail  string // as approved ("" for card flows without one)
	RequestID   string // PayPal-Request-Id it was created with
	CaptureIDs  []string
}

// Server is a running fake PayPal API.
type Server struct {
	// URL is the API base ("http://127.0.0.1:<port>"): pass it as the provider's API URL.
	URL string
	srv *httptest.Server

	mu            sync.Mutex
	tokens        map[string]bool
	orders        map[string]*order
	captures      map[string]*capture
	refunds       map[string]*refund
	replays       map[string]reply // route + PayPal-Request-Id → the first answer
	captureStatus string
	fails         map[string]int
	calls         map[string]int
	requests      []Request
	verifications int

	products    map[string]*product
	plans       map[string]*plan
	subs        map[string]*subscription
	sales       map[string]*sale
	saleRefunds map[string]*saleRefund
	fixedNow    time.Time
}

type order struct {
	id, status, intent, requestID string
	unit                          purchaseUnit
	app                           appContext
	payer                         *payer
	captures                      []*capture
	captureCalls                  int
	created, updated              time.Time
}

type purchaseUnit struct {
	ReferenceID string          `json:"reference_id,omitempty"`
	Amount      *unitAmount     `json:"amount"`
	Description string          `json:"description,omitempty"`
	CustomID    string          `json:"custom_id,omitempty"`
	InvoiceID   string          `json:"invoice_id,omitempty"`
	Items       []item          `json:"items,omitempty"`
	Payee       json.RawMessage `json:"payee,omitempty"`
}

type unitAmount struct {
	Money
	Breakdown *struct {
		ItemTotal *Money `json:"item_total,omitempty"`
	} `json:"breakdown,omitempty"`
}

type item struct {
	Name       string `json:"name"`
	Quantity   string `json:"quantity"`
	UnitAmount *Money `json:"unit_amount,omitempty"`
	Category   string `json:"category,omitempty"`
}

type appContext struct {
	ReturnURL          string `json:"return_url,omitempty"`
	CancelURL          string `json:"cancel_url,omitempty"`
	UserAction         string `json:"user_action,omitempty"`
	ShippingPreference string `json:"shipping_preference,omitempty"`
	Locale             string `json:"locale,omitempty"`
	BrandName          string `json:"brand_name,omitempty"`
}

type payer struct {
	email, id string
}

type capture struct {
	id, orderID, status string
	amount              Money
	refunds             []*refund
	created, updated    time.Time
}

type refund struct {
	id, captureID, status, note string
	amount                      Money
	created                     time.Time
}

type reply struct {
	status int
	body   []byte
}

// Start runs a fake PayPal API for t, closed in t.Cleanup.
func Start(t testing.TB) *Server {
	t.Helper()
	s := New()
	t.Cleanup(s.Close)
	return s
}

// New runs a fake PayPal API; Close stops it.
func New() *Server {
	s := &Server{tokens: map[string]bool{}, orders: map[string]*order{}, captures: map[string]*capture{},
		refunds: map[string]*refund{}, replays: map[string]reply{}, captureStatus: "COMPLETED",
		fails: map[string]int{}, calls: map[string]int{}, products: map[string]*product{}, plans: map[string]*plan{},
		subs: map[string]*subscription{}, sales: map[string]*sale{}, saleRefunds: map[string]*saleRefund{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/oauth2/token", s.token)
	mux.HandleFunc("POST /v2/checkout/orders", s.createOrder)
	mux.HandleFunc("GET /v2/checkout/orders/{id}", s.getOrder)
	mux.HandleFunc("POST /v2/checkout/orders/{id}/capture", s.captureOrder)
	mux.HandleFunc("GET /v2/payments/captures/{id}", s.getCapture)
	mux.HandleFunc("POST /v2/payments/captures/{id}/refund", s.refundCapture)
	mux.HandleFunc("GET /v2/payments/refunds/{id}", s.getRefund)
	mux.HandleFunc("POST /v1/notifications/verify-webhook-signature", s.verify)
	mux.HandleFunc("POST /v1/catalogs/products", s.createProduct)
	mux.HandleFunc("POST /v1/billing/plans", s.createPlan)
	mux.HandleFunc("POST /v1/billing/subscriptions", s.createSubscription)
	mux.HandleFunc("GET /v1/billing/subscriptions/{id}", s.getSubscription)
	mux.HandleFunc("POST /v1/billing/subscriptions/{id}/cancel", s.subscriptionAction([]string{"ACTIVE", "SUSPENDED"}, "CANCELLED"))
	mux.HandleFunc("POST /v1/billing/subscriptions/{id}/suspend", s.subscriptionAction([]string{"ACTIVE"}, "SUSPENDED"))
	mux.HandleFunc("POST /v1/billing/subscriptions/{id}/activate", s.subscriptionAction([]string{"SUSPENDED"}, "ACTIVE"))
	mux.HandleFunc("POST /v1/billing/subscriptions/{id}/revise", s.reviseSubscription)
	mux.HandleFunc("GET /v1/payments/sale/{id}", s.getSale)
	mux.HandleFunc("POST /v1/payments/sale/{id}/refund", s.postSaleRefund)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if !s.enter(w, r, true) {
			return
		}
		writeError(w, http.StatusNotFound, "RESOURCE_NOT_FOUND", "The specified resource does not exist.", "", "")
	})
	s.srv = httptest.NewServer(mux)
	s.URL = s.srv.URL
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// Approve is the payer approving order id at PayPal, signed in as payerEmail ("" approves without an e-mail, as
// some card flows do).
func (s *Server) Approve(id, payerEmail string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[id]
	if !ok {
		return fmt.Errorf("paypalfake: no order %s", id)
	}
	if o.status != "CREATED" {
		return fmt.Errorf("paypalfake: order %s is %s, not CREATED", id, o.status)
	}
	o.status = "APPROVED"
	o.payer = &payer{email: payerEmail, id: s.newID()}
	o.updated = time.Now().UTC()
	return nil
}

// SetCaptureStatus sets the status of captures made from now on: COMPLETED (the default), PENDING or DECLINED;
// INSTRUMENT_DECLINED makes capture requests fail with that 422 issue instead (the payer's funding source was
// refused), leaving the order approved.
func (s *Server) SetCaptureStatus(status string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.captureStatus = status
}

// RevokeTokens makes every access token issued so far invalid, as their expiry does.
func (s *Server) RevokeTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.tokens)
}

// UpdateCapture changes capture id's status, as PayPal does when a pending capture completes or is denied.
func (s *Server) UpdateCapture(id, status string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.captures[id]
	if !ok {
		return fmt.Errorf("paypalfake: no capture %s", id)
	}
	c.status = status
	c.updated = time.Now().UTC()
	return nil
}

// Fail makes requests to path answer status with PayPal's INTERNAL_SERVER_ERROR body; 0 restores it. path is a
// request path ("/v2/checkout/orders/5O190127TN364715T/capture") or a route pattern, with or without its method
// ("/v2/checkout/orders/{id}/capture", "POST /v2/checkout/orders").
func (s *Server) Fail(path string, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if status == 0 {
		delete(s.fails, path)
		return
	}
	s.fails[path] = status
}

// Captures is how many captures the fake made of order id.
func (s *Server) Captures(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o, ok := s.orders[id]; ok {
		return len(o.captures)
	}
	return 0
}

// CaptureCalls is how many capture requests order id received, replays and refusals included.
func (s *Server) CaptureCalls(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o, ok := s.orders[id]; ok {
		return o.captureCalls
	}
	return 0
}

// Calls is how many requests the route pattern ("POST /v1/oauth2/token") received.
func (s *Server) Calls(pattern string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[pattern]
}

// Verifications is how many webhook signatures the fake was asked to verify.
func (s *Server) Verifications() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.verifications
}

// Requests returns every request received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// Order returns a snapshot of order id.
func (s *Server) Order(id string) (Order, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[id]
	if !ok {
		return Order{}, false
	}
	out := Order{ID: o.id, Status: o.status, Intent: o.intent, ReferenceID: o.unit.ReferenceID,
		CustomID: o.unit.CustomID, InvoiceID: o.unit.InvoiceID, Description: o.unit.Description,
		Amount: o.unit.Amount.Money, ReturnURL: o.app.ReturnURL, CancelURL: o.app.CancelURL,
		UserAction: o.app.UserAction, Shipping: o.app.ShippingPreference, Locale: o.app.Locale, RequestID: o.requestID}
	for _, it := range o.unit.Items {
		out.ItemNames = append(out.ItemNames, it.Name)
	}
	if o.payer != nil {
		out.PayerEmail = o.payer.email
	}
	for _, c := range o.captures {
		out.CaptureIDs = append(out.CaptureIDs, c.id)
	}
	return out, true
}

// Sign returns the headers PayPal sends with body to a webhook registered as WebhookID: a fresh transmission id
// and time, and their signature.
func (s *Server) Sign(body []byte) map[string]string {
	tid := newUUID()
	at := time.Now().UTC().Format(time.RFC3339)
	return map[string]string{
		HeaderAuthAlgo:         "SHA256withRSA",
		HeaderCertURL:          certURL,
		HeaderTransmissionID:   tid,
		HeaderTransmissionTime: at,
		HeaderTransmissionSig:  Signature(tid, at, WebhookID, body),
	}
}

// WebhookEvent renders the webhook event PayPal sends, as it would send it: eventType about the resource id (an
// order for CHECKOUT.ORDER.*, a capture for PAYMENT.CAPTURE.COMPLETED/PENDING/DENIED, a refund for
// PAYMENT.CAPTURE.REFUNDED) as it stands now. Every call has a new event id.
func (s *Server) WebhookEvent(eventType, id string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var (
		resource     any
		resourceType string
		summary      string
	)
	switch {
	case strings.HasPrefix(eventType, "CHECKOUT.ORDER."):
		o, ok := s.orders[id]
		if !ok {
			return nil, fmt.Errorf("paypalfake: no order %s", id)
		}
		resource, resourceType, summary = s.orderJSON(o), "checkout-order", "An order has been approved by buyer"
	case eventType == EventCaptureRefunded:
		r, ok := s.refunds[id]
		if !ok {
			return nil, fmt.Errorf("paypalfake: no refund %s", id)
		}
		resource, resourceType = s.refundJSON(r), "refund"
		summary = fmt.Sprintf("A %s %s capture payment was refunded", r.amount.Value, r.amount.Currency)
	case strings.HasPrefix(eventType, "PAYMENT.CAPTURE."):
		c, ok := s.captures[id]
		if !ok {
			return nil, fmt.Errorf("paypalfake: no capture %s", id)
		}
		resource, resourceType = s.captureJSON(c), "capture"
		summary = fmt.Sprintf("Payment %s for %s %s", strings.ToLower(c.status), c.amount.Value, c.amount.Currency)
	default:
		return nil, fmt.Errorf("paypalfake: cannot render %s", eventType)
	}
	evID := "WH-" + s.newID() + "-" + s.newID()
	return marshal(map[string]any{
		"id":               evID,
		"event_version":    "1.0",
		"create_time":      time.Now().UTC().Format("2006-01-02T15:04:05.000Z"),
		"resource_type":    resourceType,
		"resource_version": "2.0",
		"event_type":       eventType,
		"summary":          summary,
		"resource":         resource,
		"links": []link{
			{Href: s.URL + "/v1/notifications/webhooks-events/" + evID, Rel: "self", Method: "GET"},
			{Href: s.URL + "/v1/notifications/webhooks-events/" + evID + "/resend", Rel: "resend", Method: "POST"},
		},
	}), nil
}
