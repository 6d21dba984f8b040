package server

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/order"
)

// TestWebhookSecretRotation: the notification path keeps the payment system and its opened credentials in the
// catalog cache; a new webhook secret saved by any process takes effect as soon as the change is committed and
// heard, and disabling the system stops its notifications the same way.
func TestWebhookSecretRotation(t *testing.T) {
	t.Parallel()
	a := newGatewayApp(t, "http://127.0.0.1:1")
	other := secondProcess(t, a) // the admin saves the new secret on another process
	f := newStripeFixture(t, a)
	a.syncPages()
	first := f.openOrder(t, a, "first@example.com", "cs_rot_1")
	if code := a.deliverSigned(f.sys.ID, paidEvent("evt_rot_1", first, "cs_rot_1")); code != http.StatusOK {
		t.Fatalf("before rotation: %d", code)
	}
	const newSecret = "whsec_rotated_secret"
	if _, err := other.srv.paymentSystems.Update(a.ctx(), f.sys.ID, gateway.Patch{
		Credentials: map[string]string{"webhook_secret": newSecret}}); err != nil {
		t.Fatal(err)
	}
	a.syncPages()
	second := f.openOrder(t, a, "second@example.com", "cs_rot_2")
	body := paidEvent("evt_rot_2", second, "cs_rot_2")
	if code, _ := a.deliver(f.sys.ID, body, stripeSignature(testWebhookSecret, time.Now(), body)); code != http.StatusBadRequest {
		t.Fatalf("old secret after rotation: %d, want 400", code)
	}
	if code, _ := a.deliver(f.sys.ID, body, stripeSignature(newSecret, time.Now(), body)); code != http.StatusOK {
		t.Fatalf("new secret: %d, want 200", code)
	}
	if st := a.orderStatus(second.Order.ID); st != order.StatusCompleted {
		t.Fatalf("order %s", st)
	}
	disabled := false
	if _, err := other.srv.paymentSystems.Update(a.ctx(), f.sys.ID, gateway.Patch{Enabled: &disabled}); err != nil {
		t.Fatal(err)
	}
	a.syncPages()
	if code, _ := a.deliver(f.sys.ID, body, stripeSignature(newSecret, time.Now(), body)); code != http.StatusNotFound {
		t.Fatalf("disabled system: %d, want 404", code)
	}
}

// TestDashboardCounts: the admin home shows open orders, orders completed this week and open payment exceptions.
func TestDashboardCounts(t *testing.T) {
	t.Parallel()
	a := newGatewayApp(t, "http://127.0.0.1:1")
	f := newStripeFixture(t, a)
	f.openOrder(t, a, "open@example.com", "cs_dash_open")
	paid := f.openOrder(t, a, "paid@example.com", "cs_dash_paid")
	if code := a.deliverSigned(f.sys.ID, paidEvent("evt_dash_paid", paid, "cs_dash_paid")); code != http.StatusOK {
		t.Fatalf("paid: %d", code)
	}
	mismatchedPayment(t, a, f, "odd@example.com", "cs_dash_odd", 100, "eur")
	_, doc := a.get(a.owner(), "/admin")
	got := map[string]string{}
	doc.Find("main li a").Each(func(_ int, s *goquery.Selection) {
		got[strings.TrimSpace(strings.TrimPrefix(s.Text(), s.Find("strong").Text()))] = s.Find("strong").Text()
	})
	want := map[string]string{"open orders": "2", "orders completed in the last 7 days": "1", "open payment exceptions": "1"}
	for label, n := range want {
		if got[label] != n {
			t.Errorf("%q = %q, want %s (all: %v)", label, got[label], n, got)
		}
	}
}
