package server

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/gateway/fondy/fondyfake"
	"github.com/bursar/bursar/internal/i18n"
)

// TestPayNowThroughFondy: Pay now sends a past-due payer to Fondy's hosted checkout (a redirect), asking for the
// card to be saved; Fondy's callback of the payment makes the subscription active with the new card. Fondy down
// is the retry page (503), nothing paid.
func TestPayNowThroughFondy(t *testing.T) {
	t.Parallel()
	fake := fondyfake.Start(t)
	a := newGatewaysApp(t, map[string]string{gateway.TypeFondy: fake.URL})
	sys, err := a.srv.paymentSystems.Create(a.ctx(), gateway.Input{Type: gateway.TypeFondy, Name: "Fondy",
		Mode: gateway.ModeTest, Enabled: true, Settings: map[string]any{"merchant_id": fondyfake.MerchantID},
		Credentials: map[string]string{"secret_key": fondyfake.Secret}})
	if err != nil {
		t.Fatal(err)
	}
	f := ownScheduleThrough(a, sys)
	page := "/account/subscriptions"
	now := time.Now().UTC().Truncate(time.Second)
	ana := a.student("ana@example.com")
	id := f.subscribe("ana@example.com", ownSub{status: "past_due", start: now.AddDate(0, -1, -1),
		end: now.AddDate(0, 0, -1), next: now.Add(time.Hour), retries: 2})
	pay := page + "/" + itoa(id) + "/pay"

	t.Run("FondyDown", func(t *testing.T) {
		fake.FailNext(1)
		res, doc := a.postFormDoc(ana, pay, url.Values{"lang": {"fr"}})
		if res.StatusCode != http.StatusServiceUnavailable ||
			doc.Find(`[data-testid="provider-unavailable"]`).Text() != i18n.T("fr", i18n.SubPortalDown) {
			t.Fatalf("Pay now, Fondy down: status %d\n%s", res.StatusCode, a.log)
		}
		if action := doc.Find(`[data-testid="retry-form"]`).AttrOr("action", ""); action != pay {
			t.Errorf("the retry page posts to %q", action)
		}
		if a.count(`SELECT count(*) FROM subscriptions WHERE id = $1 AND status = 'past_due'`, id) != 1 {
			t.Error("a Pay now Fondy did not answer changed the subscription")
		}
	})
	res := a.postForm(ana, pay, url.Values{"lang": {"en"}})
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "http") {
		t.Fatalf("Pay now: status %d to %q\n%s", res.StatusCode, res.Header.Get("Location"), a.log)
	}
	var ref string
	if err := a.pool.QueryRow(a.ctx(), `SELECT ref FROM subscription_attempts WHERE subscription_id = $1
		AND kind = 'checkout' ORDER BY id DESC LIMIT 1`, id).Scan(&ref); err != nil {
		t.Fatal(err)
	}
	req, ok := fake.Request(ref)
	if !ok || req["required_rectoken"] != "Y" || req["response_url"] != a.srv.cfg.BaseURL+page+"?lang=en" {
		t.Errorf("the checkout asked of Fondy: %v", req)
	}
	body, token, err := fake.Pay(ref, "ana@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if res, raw := wayforpayDeliver(t, a, sys.ID, "application/json", body); res.StatusCode != http.StatusOK {
		t.Fatalf("Fondy's callback: status %d %s\n%s", res.StatusCode, raw, a.log)
	}
	var status, saved string
	var retries int
	if err := a.pool.QueryRow(a.ctx(), `SELECT status, card_token, retries FROM subscriptions WHERE id = $1`, id).
		Scan(&status, &saved, &retries); err != nil {
		t.Fatal(err)
	}
	if status != "active" || saved != token || retries != 0 {
		t.Fatalf("after the payment: %s, card %q (want %q), %d retries\n%s", status, saved, token, retries, a.log)
	}
	_, doc := a.get(ana, page)
	if sub := doc.Find(`[data-testid="subscription"]`); sub.AttrOr("data-status", "") != "active" ||
		sub.Find(`[data-testid="subscription-pay-form"]`).Length() != 0 {
		t.Errorf("the cabinet after paying: %q", sub.AttrOr("data-status", ""))
	}
}
