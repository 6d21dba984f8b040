package server

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/bursar/bursar/internal/offer"
	"github.com/bursar/bursar/internal/order"
)

// TestPayPalCaptureOnReturn: coming back from PayPal, the return page asks PayPal (server to server) about the
// approved order and captures it, so the order completes before any webhook; the APPROVED webhook arriving later
// captures nothing more and changes nothing.
func TestPayPalCaptureOnReturn(t *testing.T) {
	t.Parallel()
	f := paypalNewFixture(t)
	c := f.a.student("ret@example.com")
	_, doc := f.a.get(c, f.pay)
	token, _ := doc.Find(`input[name="form_token"]`).Attr("value")
	res := f.a.postForm(c, f.pay, url.Values{"form_token": {token}})
	id, ok := strings.CutPrefix(res.Header.Get("Location"), "https://www.sandbox.paypal.com/checkoutnow?token=")
	if res.StatusCode != http.StatusSeeOther || !ok {
		t.Fatalf("pay: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	o := gatewayOrderOf(t, f.a, "ret@example.com")

	// Back before approving (the payer pressed back): nothing to capture, the order stays open.
	if _, doc := f.a.get(c, "/o/paypal-course/paid?order="+o.Number); doc.Find(`[data-testid="payment-confirming"]`).Length() != 1 {
		t.Fatal("no confirming page")
	}
	if f.fake.Captures(id) != 0 || f.a.orderStatus(o.ID) != order.StatusOpen {
		t.Fatalf("before approval: %d captures, order %s", f.fake.Captures(id), f.a.orderStatus(o.ID))
	}

	if err := f.fake.Approve(id, "ret.payer@paypal.example"); err != nil {
		t.Fatal(err)
	}
	if res, _ := f.a.get(c, "/o/paypal-course/paid?order="+o.Number); res.StatusCode != http.StatusOK {
		t.Fatalf("return page: %d", res.StatusCode)
	}
	if st := f.a.orderStatus(o.ID); st != order.StatusCompleted || f.fake.Captures(id) != 1 {
		t.Fatalf("after the return: order %s, %d captures; want completed, 1", st, f.fake.Captures(id))
	}
	// A reload and the webhook that follows change nothing.
	f.a.get(c, "/o/paypal-course/paid?order="+o.Number)
	f.paypalDeliverSigned(t, f.paypalEvent(t, "CHECKOUT.ORDER.APPROVED", id))
	if f.fake.Captures(id) != 1 || countRows(t, f.a, `SELECT count(*) FROM payments WHERE status = 'succeeded'`) != 1 ||
		countRows(t, f.a, `SELECT count(*) FROM access_grants`) != 1 {
		t.Fatalf("after the webhook: %d captures, payments/grants doubled", f.fake.Captures(id))
	}
}

// TestPayPalWebhookWhileVerifyDown: PayPal's verification API failing is 503 (deliver again), with nothing written.
func TestPayPalWebhookWhileVerifyDown(t *testing.T) {
	t.Parallel()
	f := paypalNewFixture(t)
	id, o := f.paypalCheckout(t, "down@example.com")
	if err := f.fake.Approve(id, "down@paypal.example"); err != nil {
		t.Fatal(err)
	}
	body := f.paypalEvent(t, "CHECKOUT.ORDER.APPROVED", id)
	f.fake.Fail("/v1/notifications/verify-webhook-signature", http.StatusInternalServerError)
	if code, _ := f.paypalDeliver(t, body, f.fake.Sign(body)); code != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503", code)
	}
	if n := countRows(t, f.a, `SELECT count(*) FROM gateway_events`); n != 0 || f.a.orderStatus(o.ID) != order.StatusOpen {
		t.Fatalf("%d events stored, order %s", n, f.a.orderStatus(o.ID))
	}
	f.fake.Fail("/v1/notifications/verify-webhook-signature", 0)
	f.paypalDeliverSigned(t, body)
	if st := f.a.orderStatus(o.ID); st != order.StatusCompleted {
		t.Fatalf("after redelivery: order %s", st)
	}
}

// TestManualCheckoutWithoutRate: a manual system that takes only another currency, with no exchange rate set, tells
// the student the payment is not available rather than a form with no visible error; nothing is written.
func TestManualCheckoutWithoutRate(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	var ps int64
	if err := a.pool.QueryRow(a.ctx(), `INSERT INTO payment_systems (type, name, settings)
		VALUES ('manual', 'Cuenta USD', '{"supported_currencies": ["USD"], "fallback_currency": "USD"}') RETURNING id`).Scan(&ps); err != nil {
		t.Fatal(err)
	}
	a.offer(func(in *offer.Input) { in.Slug, in.PaymentSystemIDs = "no-rate", []int64{ps} })
	pay := "/o/no-rate/pay?system=" + itoa(ps)
	c := a.student("rate@example.com")
	_, doc := a.get(c, pay)
	token := doc.Find(`input[name="form_token"]`).AttrOr("value", "")
	res, doc := a.postFormDoc(c, pay, url.Values{"form_token": {token}, "paid_on": {time.Now().Format(time.DateOnly)},
		"comment": {"ref 1"}})
	if res.StatusCode != http.StatusNotImplemented || doc.Find(`[data-testid="not-available"]`).Length() != 1 {
		t.Fatalf("status %d, want the not-available page", res.StatusCode)
	}
	if n := countRows(t, a, `SELECT count(*) FROM orders`); n != 0 {
		t.Fatalf("%d orders written", n)
	}
	// The form's token is claimed in the order's transaction: the refused order left it free, so the same form
	// goes through once the rate is there.
	if n := countRows(t, a, `SELECT count(*) FROM form_tokens WHERE token = $1`, token); n != 0 {
		t.Fatal("the refused order claimed the form's token")
	}
	var of string
	if err := a.pool.QueryRow(a.ctx(), `SELECT currency FROM offers WHERE slug = 'no-rate'`).Scan(&of); err != nil {
		t.Fatal(err)
	}
	if _, err := a.pool.Exec(a.ctx(), `INSERT INTO exchange_rates (base, quote, rate) VALUES ($1, 'USD', 1.1)`, of); err != nil {
		t.Fatal(err)
	}
	res = a.postForm(c, pay, url.Values{"form_token": {token}, "paid_on": {time.Now().Format(time.DateOnly)},
		"comment": {"ref 1"}})
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/account/orders/") {
		t.Fatalf("the same form with the rate set: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	if n := countRows(t, a, `SELECT count(*) FROM orders`); n != 1 {
		t.Fatalf("%d orders, want 1", n)
	}
}
