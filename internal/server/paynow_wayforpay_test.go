package server

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/gateway/wayforpay/wayforpayfake"
	"github.com/bursar/bursar/internal/money"
)

// TestPayNowThroughWayForPay: a past-due payer presses Pay now in the cabinet and gets WayForPay's Purchase form for
// the charge due (card entry only, back to the cabinet); WayForPay's notification of the payment, with the card it
// saved, makes the subscription active again: no more retries, the new card charged from then on.
func TestPayNowThroughWayForPay(t *testing.T) {
	t.Parallel()
	fake := wayforpayfake.New(wayforpayAccount, wayforpaySecret)
	t.Cleanup(fake.Close)
	a := newGatewaysApp(t, map[string]string{gateway.TypeWayForPay: fake.URL})
	f := newOwnScheduleFixture(t, a)
	page := "/account/subscriptions"
	now := time.Now().UTC().Truncate(time.Second)
	ana := a.student("ana@example.com")
	id := f.subscribe("ana@example.com", ownSub{status: "past_due", start: now.AddDate(0, -1, -1),
		end: now.AddDate(0, 0, -1), next: now.Add(time.Hour), retries: 1})

	res, doc := a.postFormDoc(ana, page+"/"+itoa(id)+"/pay", url.Values{"lang": {"en"}})
	form := doc.Find(`form[data-testid="gateway-form"]`)
	if res.StatusCode != http.StatusOK || form.Length() != 1 {
		t.Fatalf("Pay now: status %d, gateway forms %d\n%s", res.StatusCode, form.Length(), a.log)
	}
	if action := form.AttrOr("action", ""); action != fake.URL+"/pay" {
		t.Errorf("the form posts to %q, want WayForPay's page %q", action, fake.URL+"/pay")
	}
	fields := url.Values{}
	form.Find(`input[type="hidden"]`).Each(func(_ int, s *goquery.Selection) {
		fields.Add(s.AttrOr("name", ""), s.AttrOr("value", ""))
	})
	ref := fields.Get("orderReference")
	if gateway.ChargeRefSubscription(ref) != id {
		t.Fatalf("orderReference %q does not name subscription %d", ref, id)
	}
	if fields.Get("currency") != "UAH" || fields.Get("paymentSystems") != "card" ||
		fields.Get("returnUrl") != a.srv.cfg.BaseURL+page+"?lang=en" {
		t.Errorf("form fields %v", fields)
	}
	if n := a.count(`SELECT count(*) FROM subscription_attempts WHERE subscription_id = $1 AND ref = $2
		AND kind = 'checkout' AND status = 'sent'`, id, ref); n != 1 {
		t.Errorf("%d attempts written for the payment, want 1", n)
	}

	// WayForPay notifies the payment with the card it saved.
	body := wayforpayfake.Notification(wayforpaySecret, wayforpayAccount, wayforpayfake.Note{Ref: ref,
		Amount: money.New(25000, "UAH"), Email: "ana@example.com", RecToken: "tok_new_card"})
	res, raw := wayforpayDeliver(t, a, f.sys.ID, "application/json", body)
	wayforpayCheckReply(t, res, raw, ref)
	var status, token string
	var retries int
	if err := a.pool.QueryRow(a.ctx(), `SELECT status, card_token, retries FROM subscriptions WHERE id = $1`, id).
		Scan(&status, &token, &retries); err != nil {
		t.Fatal(err)
	}
	if status != "active" || token != "tok_new_card" || retries != 0 {
		t.Fatalf("after the payment: %s, card %q, %d retries\n%s", status, token, retries, a.log)
	}
	_, doc = a.get(ana, page)
	sub := doc.Find(`[data-testid="subscription"]`)
	if sub.AttrOr("data-status", "") != "active" || sub.Find(`[data-testid="subscription-past-due"]`).Length() != 0 ||
		sub.Find(`[data-testid="subscription-pay-form"]`).Length() != 0 {
		t.Errorf("the cabinet after paying: %q", sub.AttrOr("data-status", ""))
	}
	if strings.TrimSpace(sub.Find(`[data-testid="subscription-next-charge"]`).Text()) == "" {
		t.Error("no next charge after paying")
	}
}
