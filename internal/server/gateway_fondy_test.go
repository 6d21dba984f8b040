package server

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/bursar/bursar/internal/crm"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/offer"
	"github.com/bursar/bursar/internal/order"
)

// Fondy's public test merchant.
const (
	fondyMerchant = "1396424"
	fondySecret   = "test"
)

// fondySign signs fields as Fondy does: hex SHA-1 of the payment key and the non-empty values sorted by name,
// joined with "|", signature and response_signature_string left out.
func fondySign(secret string, fields map[string]string) string {
	var names []string
	for k, v := range fields {
		if v != "" && k != "signature" && k != "response_signature_string" {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	parts := []string{secret}
	for _, k := range names {
		parts = append(parts, fields[k])
	}
	sum := sha1.Sum([]byte(strings.Join(parts, "|")))
	return hex.EncodeToString(sum[:])
}

// fondyAPI is a fake of Fondy's checkout API: it records each checkout request and answers with a checkout page.
type fondyAPI struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []map[string]string
}

const fondyCheckoutPage = "https://pay.fondy.eu/merchants/5ad6b888f4becb0c33d543d54e57d86c/default/index.html?token=t0k3n"

func fondyNewAPI(t *testing.T) *fondyAPI {
	t.Helper()
	f := &fondyAPI{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Request map[string]string `json:"request"`
		}
		if r.URL.Path != "/api/checkout/url/" || json.NewDecoder(r.Body).Decode(&body) != nil {
			http.Error(w, `{"response":{"response_status":"failure","error_message":"bad request","error_code":1000}}`, http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		f.reqs = append(f.reqs, body.Request)
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"response":{"response_status":"success","checkout_url":%q,"payment_id":805243692}}`, fondyCheckoutPage)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fondyAPI) requests() []map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]map[string]string(nil), f.reqs...)
}

// fondyFixture is a school selling "Fondy course" (49.00 EUR) through a Fondy payment system of the test merchant.
type fondyFixture struct {
	sys   gateway.System
	offer offer.Offer
}

func fondyNewFixture(t *testing.T, a *testApp) fondyFixture {
	t.Helper()
	sys, err := a.srv.paymentSystems.Create(a.ctx(), gateway.Input{Type: gateway.TypeFondy, Name: "Fondy",
		Mode: gateway.ModeTest, Enabled: true, Settings: map[string]any{"merchant_id": fondyMerchant},
		Credentials: map[string]string{"secret_key": fondySecret}})
	if err != nil {
		t.Fatal(err)
	}
	of := a.offer(func(in *offer.Input) {
		in.Title, in.Slug, in.PaymentSystemIDs = "Fondy course", "fondy-course", []int64{sys.ID}
		in.Language = "uk"
	})
	return fondyFixture{sys: sys, offer: of}
}

// openOrder opens a gateway order for a new contact, its pending attempt referenced as ref.
func (f fondyFixture) openOrder(t *testing.T, a *testApp, email, ref string) order.Attempt {
	t.Helper()
	c, err := a.srv.contacts.Create(a.ctx(), crm.Input{Email: email})
	if err != nil {
		t.Fatal(err)
	}
	att, err := a.srv.orders.OpenGateway(a.ctx(), order.NewGateway{OfferID: f.offer.ID, ContactID: c.ID,
		PaymentSystemID: f.sys.ID, Channel: order.ChannelCheckout})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.srv.orders.AttachRef(a.ctx(), att.Payment.ID, ref); err != nil {
		t.Fatal(err)
	}
	return att
}

// fondyCallback is Fondy's server callback about order_id ref of order o, in status, signed with secret.
func fondyCallback(secret, ref string, o order.Order, status string) map[string]string {
	f := map[string]string{"order_id": ref, "merchant_id": fondyMerchant, "order_status": status, "tran_type": "purchase",
		"amount": fmt.Sprint(o.Price.Amount), "actual_amount": fmt.Sprint(o.Price.Amount), "currency": o.Price.Currency,
		"actual_currency": o.Price.Currency, "merchant_data": fmt.Sprint(o.ID), "payment_id": "805243692",
		"sender_email": "payer@example.com", "masked_card": "444455XXXXXX6666", "card_type": "VISA",
		"response_status": "success", "reversal_amount": "0", "settlement_amount": "0", "rrn": "", "fee": "",
		"order_time": "01.02.2026 10:00:00", "payment_system": "card", "response_code": "", "response_description": "",
		"response_signature_string": "**********|…"}
	f["signature"] = fondySign(secret, f)
	return f
}

// fondyJSON is a callback as Fondy posts it in JSON, with merchant_id and payment_id as numbers.
func fondyJSON(f map[string]string) []byte {
	parts := make([]string, 0, len(f))
	for k, v := range f {
		if k == "merchant_id" || k == "payment_id" {
			parts = append(parts, fmt.Sprintf("%q: %s", k, v))
			continue
		}
		b, _ := json.Marshal(v)
		parts = append(parts, fmt.Sprintf("%q: %s", k, b))
	}
	return []byte("{" + strings.Join(parts, ", ") + "}")
}

// fondyDeliver posts a callback to the webhook of system id as contentType; it returns the status and the body.
func fondyDeliver(t *testing.T, a *testApp, id int64, body []byte, contentType string) (int, string) {
	t.Helper()
	res, err := http.Post(fmt.Sprintf("%s/webhooks/%d", a.ts.URL, id), contentType, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(raw)
}

func TestCheckoutThroughFondy(t *testing.T) {
	t.Parallel()
	api := fondyNewAPI(t)
	a := newGatewaysApp(t, map[string]string{gateway.TypeFondy: api.URL})
	f := fondyNewFixture(t, a)
	pay := "/o/fondy-course/pay?system=" + itoa(f.sys.ID)
	c := a.student("ana@example.com")
	_, doc := a.get(c, pay)
	token, _ := doc.Find(`input[name="form_token"]`).Attr("value")
	res := a.postForm(c, pay, url.Values{"form_token": {token}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != fondyCheckoutPage {
		t.Fatalf("pay: status %d, Location %q; want 303 to Fondy's checkout page", res.StatusCode, res.Header.Get("Location"))
	}

	// The attempt is Fondy's order_id, and Fondy was asked for exactly this order, signed.
	o := gatewayOrderOf(t, a, "ana@example.com")
	if o.Status != order.StatusOpen || len(o.Payments) != 1 {
		t.Fatalf("order %s with %d payments", o.Status, len(o.Payments))
	}
	p := o.Payments[0]
	if p.Status != order.PaymentPending || p.PaymentSystemID != f.sys.ID || !strings.HasPrefix(p.GatewayRef, itoa(o.ID)+"-") {
		t.Fatalf("attempt %+v", p)
	}
	reqs := api.requests()
	if len(reqs) != 1 {
		t.Fatalf("Fondy got %d checkout requests, want 1", len(reqs))
	}
	got := reqs[0]
	want := map[string]string{
		"order_id":            p.GatewayRef,
		"merchant_id":         fondyMerchant,
		"order_desc":          "Fondy course",
		"amount":              "4900",
		"currency":            "EUR",
		"merchant_data":       itoa(o.ID),
		"sender_email":        "ana@example.com",
		"lang":                "uk",
		"server_callback_url": fmt.Sprintf("http://127.0.0.1/webhooks/%d", f.sys.ID),
		"response_url":        fmt.Sprintf("http://127.0.0.1/o/fondy-course/paid?order=%s&attempt=%d", url.QueryEscape(o.Number), p.ID),
		"signature":           fondySign(fondySecret, got),
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("checkout %s = %q, want %q", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("checkout request has fields %v, want exactly %v", got, want)
	}

	// Fondy's approved callback completes the order; Fondy wants an empty 200.
	body := fondyJSON(fondyCallback(fondySecret, p.GatewayRef, o, "approved"))
	if code, reply := fondyDeliver(t, a, f.sys.ID, body, "application/json"); code != http.StatusOK || reply != "" {
		t.Fatalf("callback: status %d, body %q; want an empty 200", code, reply)
	}
	// The same callback again changes nothing.
	if code, _ := fondyDeliver(t, a, f.sys.ID, body, "application/json"); code != http.StatusOK {
		t.Fatalf("redelivery: status %d", code)
	}
	d, err := a.srv.orders.Detail(a.ctx(), o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != order.StatusCompleted || len(d.Grants) != 1 || len(d.Payments) != 1 {
		t.Fatalf("order %s with %d grants and %d payments, want completed with 1 and 1", d.Status, len(d.Grants), len(d.Payments))
	}
	if p := d.Payments[0]; p.Status != order.PaymentSucceeded || p.PayerEmail != "payer@example.com" {
		t.Errorf("payment %+v, want succeeded by payer@example.com", p)
	}
	checks := []struct {
		name, query string
		want        int
	}{
		{"OneEventStored", "SELECT count(*) FROM gateway_events", 1},
		{"Completed", "SELECT count(*) FROM gateway_events WHERE result = 'completed' AND event_id = '" + p.GatewayRef + ":approved:0'", 1},
		{"OneGrant", "SELECT count(*) FROM access_grants", 1},
		{"OneSucceededPayment", "SELECT count(*) FROM payments WHERE status = 'succeeded'", 1},
		{"NoExceptions", "SELECT count(*) FROM payment_exceptions", 0},
	}
	for _, tt := range checks {
		if n := countRows(t, a, tt.query); n != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, n, tt.want)
		}
	}
}

func TestFondyWebhookRejectsUnauthentic(t *testing.T) {
	t.Parallel()
	a := newGatewaysApp(t, map[string]string{gateway.TypeFondy: "http://127.0.0.1:1"})
	f := fondyNewFixture(t, a)
	att := f.openOrder(t, a, "ana@example.com", "1-forged00")
	good := fondyCallback(fondySecret, "1-forged00", att.Order, "approved")
	tampered := fondyCallback(fondySecret, "1-forged00", att.Order, "approved")
	tampered["amount"] = "1"
	unsigned := fondyCallback(fondySecret, "1-forged00", att.Order, "approved")
	delete(unsigned, "signature")
	tests := []struct {
		name string
		body []byte
	}{
		{"WrongKey", fondyJSON(fondyCallback("not the key", "1-forged00", att.Order, "approved"))},
		{"Tampered", fondyJSON(tampered)},
		{"Unsigned", fondyJSON(unsigned)},
		{"Garbage", []byte("{" + string(fondyJSON(good)))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if code, _ := fondyDeliver(t, a, f.sys.ID, tt.body, "application/json"); code != http.StatusBadRequest {
				t.Fatalf("status %d, want 400", code)
			}
		})
	}
	if n := countRows(t, a, "SELECT count(*) FROM gateway_events"); n != 0 {
		t.Errorf("%d gateway events stored, want 0", n)
	}
	if st := a.orderStatus(att.Order.ID); st != order.StatusOpen {
		t.Errorf("order %s, want open", st)
	}
	if strings.Contains(a.log.String(), "payer@example.com") {
		t.Error("a rejected body was logged")
	}
}

func TestFondyWebhookDeclined(t *testing.T) {
	t.Parallel()
	a := newGatewaysApp(t, map[string]string{gateway.TypeFondy: "http://127.0.0.1:1"})
	f := fondyNewFixture(t, a)
	att := f.openOrder(t, a, "ana@example.com", "1-declined")
	// Fondy may post its callback as a form too.
	v := url.Values{}
	for k, x := range fondyCallback(fondySecret, "1-declined", att.Order, "declined") {
		v.Set(k, x)
	}
	if code, reply := fondyDeliver(t, a, f.sys.ID, []byte(v.Encode()), "application/x-www-form-urlencoded"); code != http.StatusOK || reply != "" {
		t.Fatalf("declined callback: status %d, body %q; want an empty 200", code, reply)
	}
	o, err := a.srv.orders.Get(a.ctx(), att.Order.ID)
	if err != nil {
		t.Fatal(err)
	}
	if o.Status != order.StatusOpen || len(o.Payments) != 1 || o.Payments[0].Status != order.PaymentFailed {
		t.Fatalf("order %s with payments %+v; want open with the attempt failed", o.Status, o.Payments)
	}
	if n := countRows(t, a, "SELECT count(*) FROM gateway_events WHERE result = 'attempt_failed'"); n != 1 {
		t.Errorf("%d failed-attempt events, want 1", n)
	}
	if n := countRows(t, a, "SELECT count(*) FROM access_grants"); n != 0 {
		t.Errorf("%d grants after a decline", n)
	}
}
