package server

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/i18n"
	"github.com/bursar/bursar/internal/offer"
)

// ownScheduleFixture is a school selling "Card club" (250.00 UAH every month, no trial) through a WayForPay payment
// system: subscriptions Bursar charges on its own schedule through the card WayForPay saved.
type ownScheduleFixture struct {
	a     *testApp
	sys   gateway.System
	offer offer.Offer
}

func newOwnScheduleFixture(t *testing.T, a *testApp) ownScheduleFixture {
	t.Helper()
	sys, err := a.srv.paymentSystems.Create(a.ctx(), gateway.Input{Type: gateway.TypeWayForPay, Name: "Картка",
		Mode: gateway.ModeTest, Enabled: true,
		Settings:    map[string]any{"merchant_account": wayforpayAccount, "merchant_domain": wayforpayDomain},
		Credentials: map[string]string{"secret_key": wayforpaySecret}})
	if err != nil {
		t.Fatal(err)
	}
	return ownScheduleThrough(a, sys)
}

// ownScheduleThrough is the school selling "Card club" through sys (a WayForPay or Fondy payment system).
func ownScheduleThrough(a *testApp, sys gateway.System) ownScheduleFixture {
	a.t.Helper()
	of := a.offer(func(in *offer.Input) {
		in.Title, in.Slug, in.Language, in.Amount, in.Currency = "Card club", "card-club", "en", 25000, "UAH"
		in.Kind, in.Interval, in.IntervalCount, in.TrialDays = offer.Recurring, offer.IntervalMonth, 1, 0
		in.PaymentSystemIDs = []int64{sys.ID}
	})
	return ownScheduleFixture{a: a, sys: sys, offer: of}
}

// ownSub is a subscription written as the charge job leaves it: the card saved (and the first payment's reference
// naming it), the period [start, end) paid, the job next looking at it at next after retries failed charges.
type ownSub struct {
	status     string
	start, end time.Time
	next       time.Time
	retries    int
}

// subscribe writes sub for the contact of email, in SQL: its state is what the test is about, not how it got there
// (the subscription module's tests cover that).
func (f ownScheduleFixture) subscribe(email string, sub ownSub) int64 {
	a := f.a
	a.t.Helper()
	var id int64
	if err := a.pool.QueryRow(a.ctx(), `INSERT INTO subscriptions (contact_id, offer_id, offer_title, payment_system_id,
		status, amount, currency, interval, interval_count, language, current_period_start, current_period_end,
		paid_through, charges, card_token, next_charge_at, retries, update_url, state_at, gateway_ref)
		VALUES ($1, $2, $3, $4, $5, 25000, 'UAH', 'month', 1, 'en', $6, $7, $7, 1, $11, $8, $9, $10, $6, $12)
		RETURNING id`, a.contactID(email), f.offer.ID, f.offer.Title, f.sys.ID, sub.status, sub.start, sub.end,
		sub.next, sub.retries, a.srv.cfg.BaseURL+"/account/subscriptions", "tok_"+email, "first_"+email).Scan(&id); err != nil {
		a.t.Fatal(err)
	}
	return id
}

// TestCabinetOwnSchedule: a subscription Bursar charges through a saved card has no Change card; past due, it says
// to pay the charge due and when the card is tried again, and offers Pay now in every language; active, it shows
// the next charge. Pay now is the payer's own: another payer's is not found, and one with nothing due says so.
func TestCabinetOwnSchedule(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	f := newOwnScheduleFixture(t, a)
	page := "/account/subscriptions"
	now := time.Now().UTC().Truncate(time.Second)
	ana := a.student("ana@example.com")
	retry := now.Add(26 * time.Hour)
	pastDue := f.subscribe("ana@example.com", ownSub{status: "past_due", start: now.AddDate(0, -1, -1),
		end: now.AddDate(0, 0, -1), next: retry, retries: 1})
	bob := a.student("bob@example.com")
	periodEnd := now.AddDate(0, 1, 0)
	active := f.subscribe("bob@example.com", ownSub{status: "active", start: now, end: periodEnd, next: periodEnd})
	loc := a.srv.schoolLocation(a.ctx())
	text := func(s *goquery.Selection, id string) string {
		return strings.TrimSpace(s.Find(`[data-testid="` + id + `"]`).First().Text())
	}

	t.Run("PastDueOffersPayNow", func(t *testing.T) {
		_, doc := a.get(ana, page)
		sub := doc.Find(`[data-testid="subscription"][data-id="` + itoa(pastDue) + `"]`)
		if sub.AttrOr("data-status", "") != "past_due" {
			t.Fatalf("status %q", sub.AttrOr("data-status", ""))
		}
		banner := sub.Find(`[data-testid="subscription-past-due"]`)
		if !strings.Contains(banner.Text(), i18n.T("en", i18n.SubPastDuePay)) ||
			strings.Contains(banner.Text(), i18n.T("en", i18n.SubPastDueBanner)) {
			t.Errorf("banner %q", banner.Text())
		}
		if got, want := text(sub, "subscription-retry"), "We will try your card again on "+
			i18n.LongDate("en", retry.In(loc))+"."; got != want {
			t.Errorf("retry %q, want %q", got, want)
		}
		if action := sub.Find(`[data-testid="subscription-pay-form"]`).AttrOr("action", ""); action != page+"/"+itoa(pastDue)+"/pay" {
			t.Errorf("pay form posts to %q", action)
		}
		if !strings.HasPrefix(text(sub, "subscription-pay"), "Pay now") {
			t.Errorf("pay button %q", text(sub, "subscription-pay"))
		}
		// No card page: the payer pays with another card on the gateway's page; the e-mail's link is this page.
		if sub.Find(`[data-testid="subscription-card"]`).Length() != 0 || sub.Find(`[data-testid="subscription-update"]`).Length() != 0 {
			t.Error("a saved-card subscription offers to change the card or links to an update page")
		}
		if text(sub, "subscription-next-charge") != "" {
			t.Errorf("a past-due subscription promises a next charge %q", text(sub, "subscription-next-charge"))
		}
		if sub.Find(`[data-testid="subscription-cancel"]`).Length() != 1 {
			t.Error("a past-due subscription cannot be cancelled at the period's end")
		}
		// The cabinet's home says what to do too.
		if _, home := a.get(ana, "/account"); home.Find(`[data-testid="cabinet-subscription-past-due"]`).Text() !=
			i18n.T("en", i18n.SubPastDuePay) {
			t.Errorf("the cabinet's home says %q", home.Find(`[data-testid="cabinet-subscription-past-due"]`).Text())
		}
	})
	t.Run("Languages", func(t *testing.T) {
		for _, lang := range i18n.Languages {
			_, doc := a.get(ana, page+"?lang="+lang)
			sub := doc.Find(`[data-testid="subscription"]`)
			if !strings.HasPrefix(text(sub, "subscription-pay"), i18n.T(lang, i18n.SubPayNow)) ||
				!strings.Contains(sub.Find(`[data-testid="subscription-past-due"]`).Text(), i18n.T(lang, i18n.SubPastDuePay)) ||
				text(sub, "subscription-retry") != i18n.F(lang, i18n.SubRetryOn, i18n.LongDate(lang, retry.In(loc))) {
				t.Errorf("%s: pay %q, retry %q", lang, text(sub, "subscription-pay"), text(sub, "subscription-retry"))
			}
			if v := sub.Find(`[data-testid="subscription-pay-form"] input[name="lang"]`).AttrOr("value", ""); v != lang {
				t.Errorf("%s: the pay form keeps the language %q", lang, v)
			}
		}
	})
	t.Run("ActiveShowsNextCharge", func(t *testing.T) {
		_, doc := a.get(bob, page)
		sub := doc.Find(`[data-testid="subscription"]`)
		if got, want := text(sub, "subscription-next-charge"), i18n.LongDate("en", periodEnd.In(loc)); got != want {
			t.Errorf("next charge %q, want %q", got, want)
		}
		if sub.Find(`[data-testid="subscription-pay-form"]`).Length() != 0 || sub.Find(`[data-testid="subscription-card"]`).Length() != 0 ||
			sub.Find(`[data-testid="subscription-past-due"]`).Length() != 0 {
			t.Error("an active saved-card subscription offers Pay now or Change card")
		}
	})

	attempts := func() int { return a.count(`SELECT count(*) FROM subscription_attempts`) }
	lines := func(id int64) int {
		return a.count(`SELECT count(*) FROM subscription_events WHERE subscription_id = $1`, id)
	}
	t.Run("AnotherPayerNotFound", func(t *testing.T) {
		before := lines(pastDue)
		for _, c := range []*http.Client{bob, a.student("eve@example.com")} {
			if res := a.postForm(c, page+"/"+itoa(pastDue)+"/pay", url.Values{}); res.StatusCode != http.StatusNotFound {
				t.Errorf("another payer's Pay now: status %d, want 404", res.StatusCode)
			}
		}
		if res := a.postForm(ana, page+"/abc/pay", url.Values{}); res.StatusCode != http.StatusNotFound {
			t.Errorf("a malformed id: status %d", res.StatusCode)
		}
		if n := attempts(); n != 0 {
			t.Errorf("another payer's Pay now wrote %d attempts", n)
		}
		if after := lines(pastDue); after != before {
			t.Errorf("another payer's Pay now wrote %d timeline lines", after-before)
		}
		if res := a.postForm(a.client(), page+"/"+itoa(pastDue)+"/pay", url.Values{}); res.StatusCode != http.StatusSeeOther ||
			!strings.HasPrefix(res.Header.Get("Location"), "/account/login") {
			t.Errorf("a visitor's Pay now: status %d to %q", res.StatusCode, res.Header.Get("Location"))
		}
	})
	t.Run("NothingDue", func(t *testing.T) {
		res := a.postForm(bob, page+"/"+itoa(active)+"/pay", url.Values{"lang": {"uk"}})
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != page+"?lang=uk" {
			t.Fatalf("Pay now with nothing due: status %d to %q", res.StatusCode, res.Header.Get("Location"))
		}
		if _, doc := a.get(bob, page+"?lang=uk"); doc.Find(`[data-testid="flash"]`).Text() != i18n.T("uk", i18n.SubNothingDue) {
			t.Errorf("flash %q", doc.Find(`[data-testid="flash"]`).Text())
		}
		if n := attempts(); n != 0 {
			t.Errorf("Pay now with nothing due wrote %d attempts", n)
		}
	})
	t.Run("ChargeInFlight", func(t *testing.T) {
		// The charge job is charging the card (its answer not in yet): Pay now waits, and says so.
		if _, err := a.pool.Exec(a.ctx(), `INSERT INTO subscription_attempts (subscription_id, payment_system_id,
			ref, kind, amount, currency) VALUES ($1, $2, 'in-flight', 'charge', 25000, 'UAH')`, pastDue, f.sys.ID); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _, _ = a.pool.Exec(a.ctx(), `DELETE FROM subscription_attempts WHERE ref = 'in-flight'`) })
		res := a.postForm(ana, page+"/"+itoa(pastDue)+"/pay", url.Values{"lang": {"es"}})
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != page+"?lang=es" {
			t.Fatalf("Pay now during a charge: status %d to %q", res.StatusCode, res.Header.Get("Location"))
		}
		if _, doc := a.get(ana, page+"?lang=es"); doc.Find(`[data-testid="flash"]`).Text() != i18n.T("es", i18n.SubPayBusy) {
			t.Errorf("flash %q", doc.Find(`[data-testid="flash"]`).Text())
		}
		if n := a.count(`SELECT count(*) FROM subscription_attempts WHERE kind = 'checkout'`); n != 0 {
			t.Errorf("Pay now during a charge wrote %d payments", n)
		}
	})
	t.Run("CardPageRefused", func(t *testing.T) {
		// Not offered; posted anyway (an old page), it is said to be impossible, nothing asked of the gateway.
		res := a.postForm(bob, page+"/"+itoa(active)+"/card", url.Values{})
		if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), page) {
			t.Fatalf("change card: status %d to %q", res.StatusCode, res.Header.Get("Location"))
		}
		if _, doc := a.get(bob, page); doc.Find(`[data-testid="flash"]`).Text() != i18n.T("en", i18n.SubNotSupported) {
			t.Errorf("flash %q", doc.Find(`[data-testid="flash"]`).Text())
		}
	})
	t.Run("CancelAtPeriodEnd", func(t *testing.T) {
		res := a.postForm(bob, page+"/"+itoa(active)+"/cancel", url.Values{})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("cancel: status %d\n%s", res.StatusCode, a.log)
		}
		_, doc := a.get(bob, page)
		sub := doc.Find(`[data-testid="subscription"]`)
		if got, want := text(sub, "subscription-ends"), "Ends on "+i18n.LongDate("en", periodEnd.In(loc)); got != want {
			t.Errorf("ends %q, want %q", got, want)
		}
		if text(sub, "subscription-next-charge") != "" || sub.Find(`[data-testid="subscription-keep"]`).Length() != 1 {
			t.Error("a cancelling subscription promises a next charge, or cannot be kept")
		}
		if res := a.postForm(bob, page+"/"+itoa(active)+"/keep", url.Values{}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("keep: status %d", res.StatusCode)
		}
		if _, doc := a.get(bob, page); text(doc.Find(`[data-testid="subscription"]`), "subscription-next-charge") !=
			i18n.LongDate("en", periodEnd.In(loc)) {
			t.Error("a kept subscription shows no next charge")
		}
	})
}

// TestAdminAndAPIOwnSchedule: the admin's page of a saved-card subscription says Bursar charges it, with the card
// saved, the failed charges and the retry, and offers every action; one Stripe charges says so. The API object
// carries schedule, next_charge_at and retries (checked against the OpenAPI document by the test app).
func TestAdminAndAPIOwnSchedule(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	f := newOwnScheduleFixture(t, a)
	now := time.Now().UTC().Truncate(time.Second)
	a.student("ana@example.com")
	retry := now.Add(26 * time.Hour)
	pastDue := f.subscribe("ana@example.com", ownSub{status: "past_due", start: now.AddDate(0, -1, -1),
		end: now.AddDate(0, 0, -1), next: retry, retries: 2})
	stripe := a.systemOfType(gateway.TypeStripe, "Cards")
	var byStripe int64
	if err := a.pool.QueryRow(a.ctx(), `INSERT INTO subscriptions (contact_id, offer_id, offer_title, payment_system_id,
		status, amount, currency, interval, interval_count, gateway_ref, current_period_start, current_period_end)
		VALUES ($1, $2, 'Card club', $3, 'active', 25000, 'UAH', 'month', 1, 'sub_1', $4, $5) RETURNING id`,
		a.contactID("ana@example.com"), f.offer.ID, stripe, now, now.AddDate(0, 1, 0)).Scan(&byStripe); err != nil {
		t.Fatal(err)
	}
	c := a.owner()
	text := func(doc *goquery.Document, id string) string {
		return strings.Join(strings.Fields(doc.Find(`[data-testid="`+id+`"]`).First().Text()), " ")
	}

	t.Run("AdminPage", func(t *testing.T) {
		res, doc := a.get(c, subscriptionURL(pastDue))
		if res.StatusCode != http.StatusOK {
			t.Fatalf("status %d", res.StatusCode)
		}
		if got := text(doc, "subscription-schedule"); got != "Charged by Bursar on schedule (saved card)" {
			t.Errorf("schedule %q", got)
		}
		if got := text(doc, "subscription-card-saved"); got != "yes" {
			t.Errorf("card saved %q", got)
		}
		if got := text(doc, "subscription-retries"); !strings.HasPrefix(got, "2 since the last paid one") {
			t.Errorf("retries %q", got)
		}
		if got := text(doc, "subscription-retry"); got != retry.Format(timeFormat) {
			t.Errorf("retry %q, want %q", got, retry.Format(timeFormat))
		}
		if !strings.Contains(text(doc, "subscription-actions-hint"), "Bursar charges this subscription itself") {
			t.Errorf("actions hint %q", text(doc, "subscription-actions-hint"))
		}
		for _, id := range []string{"subscription-cancel-at-end", "subscription-change-plan-form", "subscription-cancel-form"} {
			if doc.Find(`[data-testid="`+id+`"]`).Length() != 1 {
				t.Errorf("a saved-card subscription does not offer %s", id)
			}
		}
		_, doc = a.get(c, subscriptionURL(byStripe))
		if got := text(doc, "subscription-schedule"); got != "Charged by Cards" {
			t.Errorf("Stripe's schedule %q", got)
		}
		if doc.Find(`[data-testid="subscription-retries"]`).Length() != 0 {
			t.Error("a Stripe subscription shows Bursar's retries")
		}
	})
	t.Run("API", func(t *testing.T) {
		key := a.apiKey()
		var got map[string]any
		res, raw := a.api(key, "GET", "/api/v1/subscriptions/"+itoa(pastDue), nil, &got)
		wantStatus(t, res, raw, http.StatusOK)
		if got["schedule"] != "bursar" || got["retries"] != float64(2) ||
			got["next_charge_at"] != retry.Format(time.RFC3339) || got["next_charge"] != retry.Format(time.RFC3339) {
			t.Errorf("saved-card subscription %s", raw)
		}
		var list struct{ Data []map[string]any }
		res, raw = a.api(key, "GET", "/api/v1/subscriptions", nil, &list)
		wantStatus(t, res, raw, http.StatusOK)
		schedules := map[float64]any{}
		for _, s := range list.Data {
			schedules[s["id"].(float64)] = s["schedule"]
			if s["id"] == float64(byStripe) && (s["next_charge_at"] != nil || s["retries"] != float64(0)) {
				t.Errorf("Stripe's subscription %v", s)
			}
		}
		if schedules[float64(pastDue)] != "bursar" || schedules[float64(byStripe)] != "gateway" {
			t.Errorf("schedules %v", schedules)
		}
	})
}
