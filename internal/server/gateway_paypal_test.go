package server

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/gateway/paypal"
	"github.com/bursar/bursar/internal/gateway/paypal/paypalfake"
	"github.com/bursar/bursar/internal/offer"
	"github.com/bursar/bursar/internal/order"
)

// paypalFixture is a school selling "PayPal course" (49.00 EUR) through a PayPal payment system whose API is fake.
type paypalFixture struct {
	a    *testApp
	fake *paypalfake.Server
	sys  gateway.System
	pay  string // the offer's pay path
}

func paypalNewFixture(t *testing.T) paypalFixture {
	t.Helper()
	fake := paypalfake.Start(t)
	a := newGatewaysApp(t, map[string]string{gateway.TypePayPal: fake.URL})
	sys, err := a.srv.paymentSystems.Create(a.ctx(), gateway.Input{Type: gateway.TypePayPal, Name: "PayPal",
		Mode: gateway.ModeTest, Enabled: true,
		Settings:    map[string]any{paypal.SettingClientID: paypalfake.ClientID, paypal.SettingWebhookID: paypalfake.WebhookID},
		Credentials: map[string]string{paypal.CredClientSecret: paypalfake.ClientSecret}})
	if err != nil {
		t.Fatal(err)
	}
	a.offer(func(in *offer.Input) {
		in.Title, in.Slug, in.PaymentSystemIDs = "PayPal course", "paypal-course", []int64{sys.ID}
		in.Contact = offer.Contact{Email: "hello@school.test"}
	})
	return paypalFixture{a: a, fake: fake, sys: sys, pay: "/o/paypal-course/pay?system=" + itoa(sys.ID)}
}

// paypalCheckout signs up email, starts paying and follows nothing: it returns the PayPal order id the student was
// sent to approve, and the student's order.
func (f paypalFixture) paypalCheckout(t *testing.T, email string) (string, order.Order) {
	t.Helper()
	c := f.a.student(email)
	_, doc := f.a.get(c, f.pay)
	token, _ := doc.Find(`input[name="form_token"]`).Attr("value")
	res := f.a.postForm(c, f.pay, url.Values{"form_token": {token}})
	loc := res.Header.Get("Location")
	id, ok := strings.CutPrefix(loc, "https://www.sandbox.paypal.com/checkoutnow?token=")
	if res.StatusCode != http.StatusSeeOther || !ok || id == "" {
		t.Fatalf("pay: status %d, Location %q; want the PayPal approval link", res.StatusCode, loc)
	}
	return id, gatewayOrderOf(t, f.a, email)
}

// paypalDeliver posts body to the system's webhook with headers (PayPal's transmission headers).
func (f paypalFixture) paypalDeliver(t *testing.T, body []byte, headers map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/webhooks/%d", f.a.ts.URL, f.sys.ID), bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(raw)
}

// paypalEvent renders the fake's webhook of typ about id.
func (f paypalFixture) paypalEvent(t *testing.T, typ, id string) []byte {
	t.Helper()
	body, err := f.fake.WebhookEvent(typ, id)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// paypalDeliverSigned posts body signed by PayPal and wants 200 with an empty body (all PayPal asks for).
func (f paypalFixture) paypalDeliverSigned(t *testing.T, body []byte) {
	t.Helper()
	if code, reply := f.paypalDeliver(t, body, f.fake.Sign(body)); code != http.StatusOK || reply != "" {
		t.Fatalf("webhook: status %d, body %q; want 200 and nothing", code, reply)
	}
}

func TestCheckoutThroughPayPal(t *testing.T) {
	t.Parallel()
	f := paypalNewFixture(t)
	a := f.a
	id, o := f.paypalCheckout(t, "ana@example.com")

	// The checkout created the PayPal order for this order and attempt.
	if o.Status != order.StatusOpen || len(o.Payments) != 1 {
		t.Fatalf("order %s with %d payments", o.Status, len(o.Payments))
	}
	if p := o.Payments[0]; p.Status != order.PaymentPending || p.GatewayRef != id || p.PaymentSystemID != f.sys.ID {
		t.Fatalf("attempt %+v, want pending with gateway_ref %s", p, id)
	}
	po, _ := f.fake.Order(id)
	wantReturn := fmt.Sprintf("http://127.0.0.1/o/paypal-course/paid?order=%s&attempt=%d", o.Number, o.Payments[0].ID)
	if po.Status != "CREATED" || po.Intent != "CAPTURE" || po.CustomID != itoa(o.ID) || po.ReferenceID != o.Number ||
		po.Amount != (paypalfake.Money{Currency: "EUR", Value: "49.00"}) || po.Description != "PayPal course" ||
		po.ReturnURL != wantReturn || !strings.HasPrefix(po.CancelURL, "http://127.0.0.1/o/paypal-course/cancelled?order="+o.Number) ||
		po.UserAction != "PAY_NOW" {
		t.Fatalf("PayPal order %+v", po)
	}

	// The payer approves at PayPal; PayPal posts CHECKOUT.ORDER.APPROVED: Bursar captures and completes the order.
	if err := f.fake.Approve(id, "payer@paypal.example"); err != nil {
		t.Fatal(err)
	}
	approved := f.paypalEvent(t, paypal.EventOrderApproved, id)
	f.paypalDeliverSigned(t, approved)
	po, _ = f.fake.Order(id)
	if f.fake.Captures(id) != 1 || len(po.CaptureIDs) != 1 {
		t.Fatalf("%d captures, want 1", f.fake.Captures(id))
	}
	capID := po.CaptureIDs[0]
	wantPaid := func(step string) {
		t.Helper()
		d, err := a.srv.orders.Detail(a.ctx(), o.ID)
		if err != nil {
			t.Fatal(err)
		}
		if d.Status != order.StatusCompleted || len(d.Payments) != 1 || len(d.Grants) != 1 {
			t.Fatalf("%s: order %s with %d payments and %d grants; want completed, 1 and 1", step, d.Status,
				len(d.Payments), len(d.Grants))
		}
		p := d.Payments[0]
		if p.Status != order.PaymentSucceeded || p.GatewayRef != id || p.PayerEmail != "payer@paypal.example" ||
			p.Amount.Amount != 4900 || p.Amount.Currency != "EUR" {
			t.Fatalf("%s: payment %+v", step, p)
		}
		if n := countRows(t, a, "SELECT count(*) FROM payments WHERE gateway_alt_ref = $1", capID); n != 1 {
			t.Fatalf("%s: the capture id is not the payment's second reference", step)
		}
		if n := countRows(t, a, "SELECT count(*) FROM order_events WHERE kind = 'order.completed'"); n != 1 {
			t.Fatalf("%s: %d completions", step, n)
		}
		if n := countRows(t, a, "SELECT count(*) FROM outbound_emails WHERE dedup_key LIKE 'order:%:completed'"); n != 1 {
			t.Fatalf("%s: %d completion e-mails", step, n)
		}
	}
	wantPaid("approved")
	if n := countRows(t, a, "SELECT count(*) FROM gateway_events WHERE result = 'completed' AND kind = 'paid' AND type = $1",
		paypal.EventOrderApproved); n != 1 {
		t.Fatalf("%d completing CHECKOUT.ORDER.APPROVED events stored, want 1", n)
	}

	// The same notification again changes nothing.
	f.paypalDeliverSigned(t, approved)
	wantPaid("redelivered")
	if n := countRows(t, a, "SELECT count(*) FROM gateway_events"); n != 1 {
		t.Fatalf("%d gateway events after a redelivery, want 1", n)
	}

	// PAYMENT.CAPTURE.COMPLETED follows: already paid, nothing doubled, nothing captured again.
	f.paypalDeliverSigned(t, f.paypalEvent(t, paypal.EventCaptureCompleted, capID))
	wantPaid("capture completed")
	if n := countRows(t, a, "SELECT count(*) FROM gateway_events WHERE result = 'already_paid' AND type = $1",
		paypal.EventCaptureCompleted); n != 1 {
		t.Fatalf("%d already_paid capture events, want 1", n)
	}
	if f.fake.Captures(id) != 1 {
		t.Fatalf("%d captures, want 1", f.fake.Captures(id))
	}
	if n := countRows(t, a, "SELECT count(*) FROM payment_exceptions"); n != 0 {
		t.Fatalf("%d payment exceptions, want 0", n)
	}
}

func TestPayPalWebhookRejected(t *testing.T) {
	t.Parallel()
	f := paypalNewFixture(t)
	a := f.a
	id, o := f.paypalCheckout(t, "bob@example.com")
	if err := f.fake.Approve(id, "bob@paypal.example"); err != nil {
		t.Fatal(err)
	}
	body := f.paypalEvent(t, paypal.EventOrderApproved, id)
	other := f.paypalEvent(t, paypal.EventOrderApproved, id) // another event id: signed, but not this body
	tampered := bytes.Replace(body, []byte(`"value":"49.00"`), []byte(`"value":"0.49"`), 1)
	noSig := f.fake.Sign(body)
	delete(noSig, paypalfake.HeaderTransmissionSig)
	tests := []struct {
		name    string
		body    []byte
		headers map[string]string
		asked   bool // PayPal's verify-webhook-signature was asked (and answered FAILURE)
	}{
		{"SignedForAnotherBody", body, f.fake.Sign(other), true},
		{"Tampered", tampered, f.fake.Sign(body), true},
		{"NoSignature", body, noSig, false},
		{"NoHeaders", body, nil, false},
	}
	for _, tt := range tests {
		before := f.fake.Verifications()
		if code, _ := f.paypalDeliver(t, tt.body, tt.headers); code != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", tt.name, code)
		}
		if asked := f.fake.Verifications() > before; asked != tt.asked {
			t.Errorf("%s: PayPal asked %v, want %v", tt.name, asked, tt.asked)
		}
	}
	if n := countRows(t, a, "SELECT count(*) FROM gateway_events"); n != 0 {
		t.Errorf("%d gateway events stored, want 0", n)
	}
	if st := a.orderStatus(o.ID); st != order.StatusOpen {
		t.Errorf("order %s, want open", st)
	}
	if n := f.fake.CaptureCalls(id); n != 0 {
		t.Errorf("an unverified webhook made %d capture calls", n)
	}
	if strings.Contains(a.log.String(), "bob@paypal.example") {
		t.Error("a rejected body was logged")
	}

	// Without a webhook_id every webhook is rejected, even one PayPal signed.
	bare, err := a.srv.paymentSystems.Create(a.ctx(), gateway.Input{Type: gateway.TypePayPal, Name: "PayPal without webhook",
		Mode: gateway.ModeTest, Enabled: true, Settings: map[string]any{paypal.SettingClientID: paypalfake.ClientID},
		Credentials: map[string]string{paypal.CredClientSecret: paypalfake.ClientSecret}})
	if err != nil {
		t.Fatal(err)
	}
	g := f
	g.sys = bare
	if code, _ := g.paypalDeliver(t, body, f.fake.Sign(body)); code != http.StatusBadRequest {
		t.Errorf("no webhook_id: status %d, want 400", code)
	}

	// PayPal down while verifying: not 200, so PayPal delivers it again; then it is applied.
	f.fake.Fail("/v1/notifications/verify-webhook-signature", http.StatusServiceUnavailable)
	if code, _ := f.paypalDeliver(t, body, f.fake.Sign(body)); code == http.StatusOK {
		t.Fatal("a webhook PayPal could not verify was answered 200")
	}
	f.fake.Fail("/v1/notifications/verify-webhook-signature", 0)
	f.paypalDeliverSigned(t, body)
	if st := a.orderStatus(o.ID); st != order.StatusCompleted {
		t.Fatalf("after redelivery: order %s, want completed", st)
	}
}

func TestPayPalDeclined(t *testing.T) {
	t.Parallel()
	f := paypalNewFixture(t)
	a := f.a
	f.fake.SetCaptureStatus("DECLINED")
	tests := []struct {
		name, email string
		event       func(orderID, captureID string) []byte
	}{
		{"CaptureDeclinedOnApproval", "cy@example.com", func(id, _ string) []byte {
			return f.paypalEvent(t, paypal.EventOrderApproved, id)
		}},
		{"CaptureDenied", "di@example.com", func(_, capID string) []byte {
			return f.paypalEvent(t, paypal.EventCaptureDenied, capID)
		}},
	}
	for _, tt := range tests {
		id, o := f.paypalCheckout(t, tt.email)
		if err := f.fake.Approve(id, tt.email); err != nil {
			t.Fatal(err)
		}
		capID := ""
		if tt.name == "CaptureDenied" {
			// The payer came back first and the return page's status check captured (declined).
			st, err := a.app.Services.Gateways.Status(a.ctx(), f.sys, id)
			if err != nil || st.Kind != gateway.EventFailed {
				t.Fatalf("%s: Status = %+v, %v", tt.name, st, err)
			}
			capID = st.AltRef
		}
		f.paypalDeliverSigned(t, tt.event(id, capID))
		d, err := a.srv.orders.Detail(a.ctx(), o.ID)
		if err != nil {
			t.Fatal(err)
		}
		if d.Status != order.StatusOpen || len(d.Payments) != 1 || d.Payments[0].Status != order.PaymentFailed ||
			len(d.Grants) != 0 {
			t.Fatalf("%s: order %s, payments %+v, %d grants; want open with its attempt failed", tt.name, d.Status,
				d.Payments, len(d.Grants))
		}
	}
	if n := countRows(t, a, "SELECT count(*) FROM gateway_events WHERE result = 'attempt_failed'"); n != 2 {
		t.Fatalf("%d attempt_failed events, want 2", n)
	}
}
