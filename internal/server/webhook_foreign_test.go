package server

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/bursar/bursar/internal/crm"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/offer"
	"github.com/bursar/bursar/internal/order"
)

// TestWebhookForeignSystem: a notification correctly signed by a payment system completes nothing it did not start.
// Fondy's public test merchant (a system on no offer) naming a bank-transfer order waiting for a manager, and a
// Stripe event signed with a test-mode system's secret naming an order opened on the live system, are stored and
// answered as the gateway expects, open a foreign_system exception, and leave the order, its grants and its e-mails
// as they were.
func TestWebhookForeignSystem(t *testing.T) {
	t.Parallel()
	a := newGatewayApp(t, "http://127.0.0.1:1")

	// A bank-transfer order waiting for a manager.
	bank, err := a.srv.paymentSystems.Create(a.ctx(), gateway.Input{Type: gateway.TypeManual, Name: "Bank transfer",
		Enabled: true, Settings: map[string]any{"supported_currencies": []any{"EUR"}}})
	if err != nil {
		t.Fatal(err)
	}
	manualOffer := a.offer(func(in *offer.Input) { in.Slug, in.PaymentSystemIDs = "by-transfer", []int64{bank.ID} })
	student, err := a.srv.contacts.Create(a.ctx(), crm.Input{Email: "victim@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	manual, err := a.srv.orders.CreateManual(a.ctx(), order.NewManual{OfferID: manualOffer.ID, ContactID: student.ID,
		Channel: order.ChannelCheckout})
	if err != nil {
		t.Fatal(err)
	}
	fondy, err := a.srv.paymentSystems.Create(a.ctx(), gateway.Input{Type: gateway.TypeFondy, Name: "Fondy",
		Mode: gateway.ModeTest, Enabled: true, Settings: map[string]any{"merchant_id": fondyMerchant},
		Credentials: map[string]string{"secret_key": fondySecret}})
	if err != nil {
		t.Fatal(err)
	}
	cb := fondyCallback(fondySecret, "attacker-1", manual, "approved")
	form := url.Values{}
	for k, v := range cb {
		form.Set(k, v)
	}
	if code, reply := fondyDeliver(t, a, fondy.ID, []byte(form.Encode()), "application/x-www-form-urlencoded"); code != http.StatusOK {
		t.Fatalf("Fondy callback: %d %s", code, reply)
	}

	// A live Stripe order named by an event signed with the test-mode system's secret.
	live, err := a.srv.paymentSystems.Create(a.ctx(), gateway.Input{Type: gateway.TypeStripe, Name: "Cards live",
		Mode: gateway.ModeLive, Enabled: true,
		Credentials: map[string]string{"secret_key": "sk_live_123", "webhook_secret": "whsec_live"}})
	if err != nil {
		t.Fatal(err)
	}
	test, err := a.srv.paymentSystems.Create(a.ctx(), gateway.Input{Type: gateway.TypeStripe, Name: "Cards test",
		Mode: gateway.ModeTest, Enabled: true,
		Credentials: map[string]string{"secret_key": "sk_test_123", "webhook_secret": testWebhookSecret}})
	if err != nil {
		t.Fatal(err)
	}
	liveOffer := a.offer(func(in *offer.Input) { in.Slug, in.PaymentSystemIDs = "by-card", []int64{live.ID, test.ID} })
	att, err := a.srv.orders.OpenGateway(a.ctx(), order.NewGateway{OfferID: liveOffer.ID, ContactID: student.ID,
		PaymentSystemID: live.ID, Channel: order.ChannelCheckout})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.srv.orders.AttachRef(a.ctx(), att.Payment.ID, "cs_live_1"); err != nil {
		t.Fatal(err)
	}
	body := paidEvent("evt_test_forged", att, "cs_live_1")
	if code, reply := a.deliver(test.ID, body, stripeSignature(testWebhookSecret, time.Now(), body)); code != http.StatusOK {
		t.Fatalf("Stripe event: %d %s", code, reply)
	}

	for _, o := range []order.Order{manual, att.Order} {
		if st := a.orderStatus(o.ID); st != order.StatusOpen {
			t.Errorf("order %s is %s, want open", o.Number, st)
		}
		if n := countRows(t, a, "SELECT count(*) FROM orders WHERE id = $1 AND payment_system_id = $2", o.ID,
			o.PaymentSystemID); n != 1 {
			t.Errorf("order %s moved to another payment system", o.Number)
		}
	}
	if n := countRows(t, a, "SELECT count(*) FROM order_grants"); n != 0 {
		t.Errorf("%d grants, want 0", n)
	}
	if n := countRows(t, a, "SELECT count(*) FROM payments WHERE status = 'succeeded'"); n != 0 {
		t.Errorf("%d succeeded payments, want 0", n)
	}
	if n := countRows(t, a, "SELECT count(*) FROM outbound_emails WHERE dedup_key NOT LIKE 'order:%:received'"); n != 0 {
		t.Errorf("%d e-mails besides the order received, want 0", n)
	}
	for _, sys := range []gateway.System{fondy, test} {
		if n := countRows(t, a, `SELECT count(*) FROM payment_exceptions WHERE kind = 'foreign_system' AND status = 'open'
			AND payment_system_id = $1`, sys.ID); n != 1 {
			t.Errorf("%s: %d foreign_system exceptions, want 1", sys.Name, n)
		}
		if n := countRows(t, a, "SELECT count(*) FROM gateway_events WHERE payment_system_id = $1 AND result = 'exception:foreign_system'", sys.ID); n != 1 {
			t.Errorf("%s: %d stored events with the exception's result, want 1", sys.Name, n)
		}
	}

	// The inbox shows the exception in words, and refuses to accept it.
	c := a.owner()
	res, doc := a.get(c, "/admin/exceptions?status=open&kind=foreign_system")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("inbox: %d", res.StatusCode)
	}
	if got := doc.Find("body").Text(); !strings.Contains(got, "Notification from a payment system the order never used") {
		t.Errorf("inbox does not name the kind")
	}
}
