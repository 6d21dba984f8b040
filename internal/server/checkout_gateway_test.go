package server

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/bursar/bursar/internal/gateway/stripemock"
	"github.com/bursar/bursar/internal/order"
)

// gatewayOrderOf is the signed-up student's only order.
func gatewayOrderOf(t *testing.T, a *testApp, email string) order.Order {
	t.Helper()
	c, err := a.srv.contacts.ByEmail(a.ctx(), email)
	if err != nil {
		t.Fatal(err)
	}
	os, err := a.srv.orders.ForContact(a.ctx(), c.ID)
	if err != nil || len(os) != 1 {
		t.Fatalf("orders of %s: %d, %v", email, len(os), err)
	}
	return os[0]
}

func TestCheckoutThroughStripe(t *testing.T) {
	t.Parallel()
	a := newGatewayApp(t, stripemock.Start(t))
	f := newStripeFixture(t, a)
	pay := "/o/stripe-course/pay?system=" + itoa(f.sys.ID)

	// A visitor coming from the offer page is asked to sign up; the direct link is not for visitors: the offer does
	// not allow paying without signing in.
	if res, _ := a.get(a.client(), pay); res.StatusCode != http.StatusNotFound {
		t.Fatalf("visitor on the direct link: status %d, want 404", res.StatusCode)
	}
	if res, doc := a.get(a.client(), strings.Replace(pay, "/pay?", "/checkout?", 1)); res.StatusCode != http.StatusOK || doc.Find(`[data-testid="pay-form"]`).Length() != 0 ||
		doc.Find(`input[name="password"]`).Length() == 0 {
		t.Fatalf("visitor: status %d, want the sign-up page", res.StatusCode)
	}
	c := a.student("ana@example.com")
	res, doc := a.get(c, pay)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("pay page: status %d", res.StatusCode)
	}
	if got := doc.Find(`[data-testid="pay-amount"]`).Text(); !strings.Contains(got, "49") {
		t.Errorf("amount %q", got)
	}
	token, _ := doc.Find(`input[name="form_token"]`).Attr("value")
	res = a.postForm(c, pay, url.Values{"form_token": {token}})
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "https://") {
		t.Fatalf("pay: status %d, Location %q", res.StatusCode, res.Header.Get("Location"))
	}
	first := res.Header.Get("Location")
	if res := a.postForm(c, pay, url.Values{"form_token": {token}}); res.Header.Get("Location") != first {
		t.Errorf("double submit went to %q, want %q", res.Header.Get("Location"), first)
	}
	o := gatewayOrderOf(t, a, "ana@example.com")
	if o.Status != order.StatusOpen || len(o.Payments) != 1 {
		t.Fatalf("order %s with %d payments", o.Status, len(o.Payments))
	}
	if p := o.Payments[0]; p.Status != order.PaymentPending || !strings.HasPrefix(p.GatewayRef, "cs_") || p.PaymentSystemID != f.sys.ID {
		t.Errorf("attempt %+v", p)
	}

	// Coming back never completes the order.
	res, doc = a.get(c, "/o/stripe-course/paid?order="+o.Number)
	if res.StatusCode != http.StatusOK || doc.Find(`[data-testid="payment-confirming"]`).Length() != 1 {
		t.Fatalf("paid page: status %d", res.StatusCode)
	}
	if got := doc.Find(`[data-testid="order-status"]`).Text(); !strings.Contains(got, o.Number) {
		t.Errorf("order status %q", got)
	}
	if doc.Find(`[data-testid="offer-message"]`).Text() != "Welcome aboard!" || doc.Find(`[data-testid="school-contact"]`).Length() != 1 {
		t.Error("the success message or the school's contact is missing")
	}
	if st := a.orderStatus(o.ID); st != order.StatusOpen {
		t.Errorf("the return page made the order %s", st)
	}
	// Another visitor learns nothing about the order.
	if _, doc := a.get(a.client(), "/o/stripe-course/paid?order="+o.Number); doc.Find(`[data-testid="order-status"]`).Length() != 0 {
		t.Error("a visitor sees someone's order")
	}
	res, doc = a.get(c, "/o/stripe-course/cancelled?order="+o.Number+"&system="+itoa(f.sys.ID))
	if href, _ := doc.Find(`[data-testid="retry-link"]`).Attr("href"); res.StatusCode != http.StatusOK || href != pay {
		t.Errorf("cancel page: status %d, retry %q", res.StatusCode, href)
	}
}

func TestCheckoutStripeUnavailable(t *testing.T) {
	t.Parallel()
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"error":{"message":"boom","type":"api_error"}}`, http.StatusInternalServerError)
	}))
	t.Cleanup(down.Close)
	a := newGatewayApp(t, down.URL)
	f := newStripeFixture(t, a)
	pay := "/o/stripe-course/pay?system=" + itoa(f.sys.ID)
	c := a.student("ana@example.com")
	_, doc := a.get(c, pay)
	token, _ := doc.Find(`input[name="form_token"]`).Attr("value")
	res, doc := a.postFormDoc(c, pay, url.Values{"form_token": {token}})
	if res.StatusCode != http.StatusServiceUnavailable || doc.Find(`[data-testid="gateway-unavailable"]`).Length() != 1 {
		t.Fatalf("status %d, want 503 with the retry page", res.StatusCode)
	}
	if href, _ := doc.Find(`[data-testid="retry-link"]`).Attr("href"); href != pay {
		t.Errorf("retry link %q", href)
	}
	o := gatewayOrderOf(t, a, "ana@example.com")
	for _, p := range o.Payments {
		if p.Status != order.PaymentFailed {
			t.Errorf("attempt %d left %s", p.ID, p.Status)
		}
	}
	if o.Status != order.StatusOpen || len(o.Payments) != 1 {
		t.Errorf("order %s with %d payments", o.Status, len(o.Payments))
	}
}
