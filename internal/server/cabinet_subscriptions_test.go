package server

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/gateway/stripe/stripetest"
	"github.com/bursar/bursar/internal/gateway/stripemock"
	"github.com/bursar/bursar/internal/i18n"
	"github.com/bursar/bursar/internal/offer"
)

// cabinetSubFixture is a school selling "Monthly club" (9.00 EUR every month, 7 free days, until cancelled) through a
// Stripe payment system.
type cabinetSubFixture struct {
	sys   gateway.System
	offer offer.Offer
	pay   string // the pay route of the Stripe system
}

func newCabinetSubFixture(t testing.TB, a *testApp, edit func(*offer.Input)) cabinetSubFixture {
	t.Helper()
	sys, err := a.srv.paymentSystems.Create(a.ctx(), gateway.Input{Type: gateway.TypeStripe, Name: "Cards",
		Mode: gateway.ModeTest, Enabled: true,
		Credentials: map[string]string{"secret_key": "sk_test_123", "webhook_secret": testWebhookSecret}})
	if err != nil {
		t.Fatal(err)
	}
	of := a.offer(func(in *offer.Input) {
		in.Title, in.Slug, in.Language, in.Amount = "Monthly club", "club", "en", 900
		in.Kind, in.Interval, in.IntervalCount, in.TrialDays = offer.Recurring, offer.IntervalMonth, 1, 7
		in.PaymentSystemIDs, in.Contact = []int64{sys.ID}, offer.Contact{Email: "hello@school.test"}
		if edit != nil {
			edit(in)
		}
	})
	return cabinetSubFixture{sys: sys, offer: of, pay: "/o/" + of.Slug + "/pay?system=" + itoa(sys.ID)}
}

// linkManual adds a manual payment system to offer id behind the offer service's back (a recurring offer is not
// sold through one): the page must still not offer it.
func (a *testApp) linkManual(offerID int64, name string) int64 {
	a.t.Helper()
	id := a.paymentSystem(name)
	if _, err := a.pool.Exec(a.ctx(), `INSERT INTO offer_payment_systems (offer_id, payment_system_id, position)
		VALUES ($1, $2, 9)`, offerID, id); err != nil {
		a.t.Fatal(err)
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		a.t.Fatal(err)
	}
	return n
}

// cabinetSubscribe signs up email and starts subscribing to f's offer through Stripe: the gateway's URL and the
// subscription's id.
func (a *testApp) cabinetSubscribe(f cabinetSubFixture, email string) (*http.Client, string, int64) {
	a.t.Helper()
	c := a.student(email)
	res := a.postForm(c, f.pay, url.Values{})
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "https://") {
		a.t.Fatalf("subscribe: status %d, Location %q\n%s", res.StatusCode, res.Header.Get("Location"), a.log)
	}
	var id int64
	if err := a.pool.QueryRow(a.ctx(), `SELECT id FROM subscriptions WHERE contact_id = $1`, a.contactID(email)).Scan(&id); err != nil {
		a.t.Fatal(err)
	}
	return c, res.Header.Get("Location"), id
}

// activateStripeSub delivers what Stripe sends once the payer subscribed: the subscription created (active for
// [start, end)), the Checkout Session completed in subscription mode, and the first invoice paid.
func (a *testApp) activateStripeSub(f cabinetSubFixture, id int64, ref string, start, end time.Time) {
	a.t.Helper()
	now := time.Now()
	for i, body := range [][]byte{
		stripetest.SubscriptionEvent("evt_c_"+ref, "customer.subscription.created", now, ref, "cus_"+ref, id, "active",
			start, end, false, 900, "EUR"),
		stripetest.SessionCompletedSubscription("evt_s_"+ref, now, "cs_"+ref, ref, "cus_"+ref, id),
		stripetest.InvoicePaid("evt_i_"+ref, now, "in_"+ref, ref, id, "pi_"+ref, 900, "EUR", start, end),
	} {
		if code := a.deliverSigned(f.sys.ID, body); code != http.StatusOK {
			a.t.Fatalf("event %d: status %d\n%s", i, code, a.log)
		}
	}
}

func TestSubscribeOfferPage(t *testing.T) {
	t.Parallel()
	a := newGatewayApp(t, stripemock.Start(t))
	f := newCabinetSubFixture(t, a, func(in *offer.Input) { in.IntervalCount, in.MaxCharges = 2, 12 })
	a.linkManual(f.offer.ID, "Bank transfer")

	res, doc := a.get(a.client(), "/o/club")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d", res.StatusCode)
	}
	terms := doc.Find(`[data-testid="subscription-terms"]`).Text()
	checks := []struct {
		name string
		ok   bool
	}{
		{"Period", doc.Find(`[data-testid="offer-terms"]`).Text() == "every 2 months"},
		{"Trial", strings.Contains(terms, "Free trial: 7 days")},
		{"Charges", strings.Contains(terms, "Number of charges: 12")},
		{"CancelAnyTime", strings.Contains(terms, "Cancel any time")},
		{"OneSubscribeButton", doc.Find(`[data-testid="subscribe-link"]`).Length() == 1},
		{"SubscribeText", doc.Find(`[data-testid="subscribe-link"]`).Text() == "Subscribe with Cards"},
		{"NoPayOnce", doc.Find(`[data-testid="pay-link"]`).Length() == 0},
		{"NotTheManualSystem", !strings.Contains(doc.Find(`[data-testid="payment-systems"]`).Text(), "Bank transfer")},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("%s: terms %q, page %q", c.name, terms, doc.Find("article").Text())
		}
	}
	if href, _ := doc.Find(`[data-testid="subscribe-link"]`).Attr("href"); href != "/o/club/checkout?system="+itoa(f.sys.ID) {
		t.Errorf("subscribe link %q", href)
	}

	// In the offer's language.
	fr := a.offer(func(in *offer.Input) {
		in.Title, in.Slug, in.Language, in.Amount = "Club", "club-fr", "fr", 900
		in.Kind, in.Interval, in.IntervalCount, in.TrialDays = offer.Recurring, offer.IntervalWeek, 1, 0
		in.PaymentSystemIDs = []int64{f.sys.ID}
	})
	_, doc = a.get(a.client(), "/o/"+fr.Slug)
	if got := doc.Find(`[data-testid="offer-terms"]`).Text(); got != "par semaine" {
		t.Errorf("French period %q", got)
	}
	if got := doc.Find(`[data-testid="subscription-terms"]`).Text(); !strings.Contains(got, "Résiliable à tout moment") ||
		strings.Contains(got, "Essai") {
		t.Errorf("French terms %q", got)
	}
	if got := doc.Find(`[data-testid="subscribe-link"]`).Text(); got != "S’abonner avec Cards" {
		t.Errorf("French button %q", got)
	}

	// No system that charges on schedule: no Subscribe button, and the direct link says it is not available.
	only := a.offer(func(in *offer.Input) {
		in.Title, in.Slug, in.Kind, in.Interval = "Manual club", "manual-club", offer.Recurring, offer.IntervalMonth
		in.PaymentSystemIDs = []int64{f.sys.ID}
	})
	if _, err := a.pool.Exec(a.ctx(), `DELETE FROM offer_payment_systems WHERE offer_id = $1`, only.ID); err != nil {
		t.Fatal(err)
	}
	manual := a.linkManual(only.ID, "Cash")
	_, doc = a.get(a.client(), "/o/manual-club")
	if doc.Find(`[data-testid="subscribe-link"]`).Length() != 0 || doc.Find(`[data-testid="pay-link"]`).Length() != 0 ||
		doc.Find(`[data-testid="no-payment-systems"]`).Length() != 1 {
		t.Errorf("an offer with no recurring-capable system shows a way to pay: %q", doc.Find("article").Text())
	}
	c := a.student("ana@example.com")
	if res, _ := a.get(c, "/o/manual-club/pay?system="+itoa(manual)); res.StatusCode != http.StatusNotImplemented {
		t.Errorf("pay route through a manual system: status %d, want 501", res.StatusCode)
	}
	if res := a.postForm(c, "/o/manual-club/pay?system="+itoa(manual), url.Values{}); res.StatusCode != http.StatusNotImplemented {
		t.Errorf("subscribing through a manual system: status %d, want 501", res.StatusCode)
	}
	if n := a.count(`SELECT count(*) FROM subscriptions`); n != 0 {
		t.Errorf("%d subscriptions started through a manual system", n)
	}
}

func TestSubscribeThroughStripe(t *testing.T) {
	t.Parallel()
	a := newGatewayApp(t, stripemock.Start(t))
	f := newCabinetSubFixture(t, a, nil)

	// A visitor is asked to sign up (a subscription belongs to an account).
	if res, doc := a.get(a.client(), strings.Replace(f.pay, "/pay?", "/checkout?", 1)); res.StatusCode != http.StatusOK ||
		doc.Find(`input[name="password"]`).Length() == 0 {
		t.Fatalf("visitor: status %d, want the sign-up page", res.StatusCode)
	}
	c := a.student("ana@example.com")
	res, doc := a.get(c, f.pay)
	if res.StatusCode != http.StatusOK || doc.Find(`[data-testid="subscribe-submit"]`).Text() != "Subscribe" {
		t.Fatalf("subscribe page: status %d", res.StatusCode)
	}
	if got := doc.Find(`[data-testid="pay-amount"]`).Text() + " " + doc.Find(`[data-testid="pay-period"]`).Text(); !strings.Contains(got, "9.00") ||
		!strings.Contains(got, "per month") {
		t.Errorf("amount %q", got)
	}
	if !strings.Contains(doc.Find(`[data-testid="subscription-terms"]`).Text(), "Free trial: 7 days") {
		t.Error("the subscribe page does not say the terms")
	}
	res = a.postForm(c, f.pay, url.Values{})
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "https://") {
		t.Fatalf("subscribe: status %d, Location %q", res.StatusCode, loc)
	}
	// The second click reuses the pending subscription.
	if res := a.postForm(c, f.pay, url.Values{}); res.StatusCode != http.StatusSeeOther {
		t.Errorf("second click: status %d", res.StatusCode)
	}
	var status, checkout string
	if err := a.pool.QueryRow(a.ctx(), `SELECT status, coalesce(checkout_ref, '') FROM subscriptions WHERE contact_id = $1`,
		a.contactID("ana@example.com")).Scan(&status, &checkout); err != nil {
		t.Fatalf("one subscription: %v", err)
	}
	if status != "pending" || !strings.HasPrefix(checkout, "cs_") {
		t.Errorf("subscription %s with checkout %q", status, checkout)
	}

	// Coming back promises nothing: the webhook activates it.
	res, doc = a.get(c, "/o/club/subscribed?system="+itoa(f.sys.ID))
	body := doc.Find(`[data-testid="subscription-confirming"]`).Text()
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "confirming your subscription with Stripe") ||
		!strings.Contains(body, "within a minute") {
		t.Fatalf("return page: status %d, %q", res.StatusCode, body)
	}
	if strings.Contains(strings.ToLower(doc.Find("main").Text()), "active") {
		t.Error("the return page claims the subscription is active")
	}
	if res, _ := a.get(c, "/o/club/subscribed?system=999999"); res.StatusCode != http.StatusNotFound {
		t.Errorf("return page of another system: status %d", res.StatusCode)
	}
	if got := a.count(`SELECT count(*) FROM subscriptions WHERE status = 'pending'`); got != 1 {
		t.Errorf("%d pending subscriptions after the return, want 1", got)
	}
	// An offer that allows paying without an account still asks for one to subscribe: the direct link shows the
	// sign-up page, and a visitor's post starts nothing.
	guest := a.offer(func(in *offer.Input) {
		in.Title, in.Slug, in.Kind, in.Interval = "Open club", "open-club", offer.Recurring, offer.IntervalMonth
		in.PaymentSystemIDs, in.GuestCheckout = []int64{f.sys.ID}, true
	})
	pay := "/o/" + guest.Slug + "/pay?system=" + itoa(f.sys.ID)
	if res, doc := a.get(a.client(), pay); res.StatusCode != http.StatusOK || doc.Find(`input[name="password"]`).Length() == 0 {
		t.Errorf("visitor on a guest offer's direct link: status %d, want the sign-up page", res.StatusCode)
	}
	if res := a.postForm(a.client(), pay, url.Values{}); res.StatusCode != http.StatusSeeOther ||
		!strings.Contains(res.Header.Get("Location"), "/checkout?") {
		t.Errorf("visitor's subscribe: status %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	if got := a.count(`SELECT count(*) FROM subscriptions`); got != 1 {
		t.Errorf("%d subscriptions, want the one student's", got)
	}
}

// switchable is Stripe's API (stripe-mock) that can be turned off: 503 to every request.
type switchable struct {
	down atomic.Bool
	URL  string
}

func newSwitchable(t *testing.T, upstream string) *switchable {
	t.Helper()
	u, err := url.Parse(upstream)
	if err != nil {
		t.Fatal(err)
	}
	sw := &switchable{}
	proxy := httputil.NewSingleHostReverseProxy(u)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if sw.down.Load() {
			http.Error(w, `{"error":{"message":"down","type":"api_error"}}`, http.StatusServiceUnavailable)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	sw.URL = ts.URL
	return sw
}

func TestCabinetSubscriptions(t *testing.T) {
	t.Parallel()
	stripe := newSwitchable(t, stripemock.Start(t))
	a := newGatewayApp(t, stripe.URL)
	f := newCabinetSubFixture(t, a, nil)
	c, _, id := a.cabinetSubscribe(f, "ana@example.com")
	page := "/account/subscriptions"

	// Pending (the gateway has not confirmed it): not listed yet.
	_, doc := a.get(c, page)
	if doc.Find(`[data-testid="subscription"]`).Length() != 0 || doc.Find(`[data-testid="no-subscriptions"]`).Length() != 1 {
		t.Fatal("a pending subscription is listed")
	}
	var sub *goquery.Selection

	start := time.Now().UTC().Truncate(time.Second)
	end := start.AddDate(0, 1, 0)
	a.activateStripeSub(f, id, "sub_ana", start, end)
	loc := a.srv.schoolLocation(a.ctx())
	_, doc = a.get(c, page)
	sub = doc.Find(`[data-testid="subscription"]`)
	text := func(s *goquery.Selection, id string) string {
		return strings.TrimSpace(s.Find(`[data-testid="` + id + `"]`).First().Text())
	}
	if got := text(sub, "subscription-status"); got != "active" {
		t.Errorf("status %q", got)
	}
	if got := text(sub, "subscription-offer"); got != "Monthly club" {
		t.Errorf("offer %q", got)
	}
	if got := text(sub, "subscription-price"); got != "€9.00 per month" && got != "9.00 € per month" {
		t.Errorf("price %q", got)
	}
	if got, want := text(sub, "subscription-next-charge"), i18n.LongDate("en", end.In(loc)); got != want {
		t.Errorf("next charge %q, want %q", got, want)
	}
	if text(sub, "subscription-access-until") == "" {
		t.Error("no access date")
	}
	charges := sub.Find(`[data-testid="subscription-charge"]`)
	if charges.Length() != 1 || charges.AttrOr("data-status", "") != "paid" {
		t.Fatalf("%d charges", charges.Length())
	}
	if href, _ := charges.Find(`[data-testid="charge-order"]`).Attr("href"); !strings.HasPrefix(href, "/account/orders/") {
		t.Errorf("charge links to %q, want its order", href)
	} else if res, _ := a.get(c, href); res.StatusCode != http.StatusOK {
		t.Errorf("the charge's order: status %d", res.StatusCode)
	}
	if sub.Find(`[data-testid="subscription-keep"]`).Length() != 0 || sub.Find(`[data-testid="subscription-card"]`).Length() != 1 {
		t.Error("an active subscription offers to keep it, or not to change the card")
	}
	// Subscribing again (another tab, an old link) leads to it.
	if res := a.postForm(c, f.pay, url.Values{}); res.StatusCode != http.StatusSeeOther ||
		!strings.HasPrefix(res.Header.Get("Location"), page) {
		t.Errorf("subscribing twice: status %d to %q", res.StatusCode, res.Header.Get("Location"))
	} else if _, doc := a.get(c, page); doc.Find(`[data-testid="flash"]`).Text() != i18n.T("en", i18n.SubAlready) {
		t.Errorf("flash %q", doc.Find(`[data-testid="flash"]`).Text())
	}
	// The cabinet's home lists it too.
	if _, home := a.get(c, "/account"); home.Find(`[data-testid="cabinet-subscription"]`).AttrOr("data-status", "") != "active" {
		t.Error("the cabinet does not list the subscription")
	}

	// Another student cannot touch it: 404, and nothing changed.
	other := a.student("eve@example.com")
	before := a.count(`SELECT count(*) FROM subscription_events WHERE subscription_id = $1`, id)
	for _, action := range []string{"cancel", "keep", "card"} {
		res := a.postForm(other, page+"/"+itoa(id)+"/"+action, url.Values{})
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("another student's %s: status %d, want 404", action, res.StatusCode)
		}
	}
	if after := a.count(`SELECT count(*) FROM subscription_events WHERE subscription_id = $1`, id); after != before {
		t.Errorf("another student's actions wrote %d timeline lines", after-before)
	}
	if a.count(`SELECT count(*) FROM subscriptions WHERE id = $1 AND status = 'active' AND NOT cancel_at_period_end`, id) != 1 {
		t.Error("another student's cancel changed the subscription")
	}
	if res := a.postForm(c, page+"/abc/cancel", url.Values{}); res.StatusCode != http.StatusNotFound {
		t.Errorf("a malformed id: status %d", res.StatusCode)
	}

	// The gateway down: the retry page, nothing changed.
	stripe.down.Store(true)
	res, doc := a.postFormDoc(c, page+"/"+itoa(id)+"/card", url.Values{"lang": {"es"}})
	if res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("change card, gateway down: status %d, want 503", res.StatusCode)
	}
	if got := doc.Find(`[data-testid="provider-unavailable"]`).Text(); got != i18n.T("es", i18n.SubPortalDown) {
		t.Errorf("retry page says %q", got)
	}
	if action, _ := doc.Find(`[data-testid="retry-form"]`).Attr("action"); action != page+"/"+itoa(id)+"/card" ||
		doc.Find(`[data-testid="retry-submit"]`).Is("button") == false {
		t.Errorf("retry form posts to %q", action)
	}
	res, doc = a.postFormDoc(c, page+"/"+itoa(id)+"/cancel", url.Values{})
	if res.StatusCode != http.StatusServiceUnavailable || doc.Find(`[data-testid="provider-unavailable"]`).Text() != i18n.T("en", i18n.SubActionDown) {
		t.Errorf("cancel, gateway down: status %d", res.StatusCode)
	}
	if a.count(`SELECT count(*) FROM subscriptions WHERE id = $1 AND NOT cancel_at_period_end`, id) != 1 {
		t.Error("a cancel the gateway did not answer changed the subscription")
	}
	stripe.down.Store(false)

	// Change card: the gateway's page.
	res = a.postForm(c, page+"/"+itoa(id)+"/card", url.Values{})
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "http") {
		t.Errorf("change card: status %d, Location %q", res.StatusCode, res.Header.Get("Location"))
	}

	// Cancel at the period's end; the gateway's notification mirrors it.
	res = a.postForm(c, page+"/"+itoa(id)+"/cancel", url.Values{"lang": {"en"}})
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), page) {
		t.Fatalf("cancel: status %d, Location %q\n%s", res.StatusCode, res.Header.Get("Location"), a.log)
	}
	if code := a.deliverSigned(f.sys.ID, stripetest.SubscriptionEvent("evt_u_ana", "customer.subscription.updated",
		time.Now().Add(2*time.Second), "sub_ana", "cus_sub_ana", id, "active", start, end, true, 900, "EUR")); code != http.StatusOK {
		t.Fatalf("updated: status %d", code)
	}
	_, doc = a.get(c, page)
	sub = doc.Find(`[data-testid="subscription"]`)
	if got, want := text(sub, "subscription-ends"), "Ends on "+i18n.LongDate("en", end.In(loc)); got != want {
		t.Errorf("ends %q, want %q", got, want)
	}
	if sub.Find(`[data-testid="subscription-keep"]`).Length() != 1 || sub.Find(`[data-testid="subscription-cancel"]`).Length() != 0 ||
		text(sub, "subscription-next-charge") != "" {
		t.Error("a cancelling subscription offers to cancel again, or promises a next charge")
	}
	// Keep it: the action reaches the gateway (stripe-mock answers) and says so.
	res = a.postForm(c, page+"/"+itoa(id)+"/keep", url.Values{})
	if res.StatusCode != http.StatusSeeOther {
		t.Errorf("keep: status %d", res.StatusCode)
	}
	_, doc = a.get(c, page)
	if got := doc.Find(`[data-testid="flash"]`).Text(); got != i18n.T("en", i18n.SubKeptFlash) {
		t.Errorf("flash %q", got)
	}
}

func TestCabinetSubscriptionsPastDueAndLanguages(t *testing.T) {
	t.Parallel()
	a := newGatewayApp(t, stripemock.Start(t))
	f := newCabinetSubFixture(t, a, func(in *offer.Input) { in.Language = "uk" })
	c, _, id := a.cabinetSubscribe(f, "ana@example.com")
	start := time.Now().UTC().Truncate(time.Second)
	a.activateStripeSub(f, id, "sub_uk", start, start.AddDate(0, 1, 0))
	body := stripetest.InvoiceFailed("evt_f_uk", time.Now().Add(time.Second), "in_uk2", "sub_uk", id, "pi_uk2", 900,
		"EUR", start.AddDate(0, 1, 0), start.AddDate(0, 2, 0), "https://invoice.stripe.test/i/in_uk2")
	if code := a.deliverSigned(f.sys.ID, body); code != http.StatusOK {
		t.Fatalf("failed invoice: status %d", code)
	}
	_, doc := a.get(c, "/account/subscriptions")
	if doc.Find("html").AttrOr("lang", "") != "uk" {
		t.Error("the page is not in the subscription's language")
	}
	banner := doc.Find(`[data-testid="subscription-past-due"]`)
	if banner.Length() != 1 || !strings.Contains(banner.Text(), i18n.T("uk", i18n.SubPastDueBanner)) {
		t.Fatalf("past due banner %q (status %q)", banner.Text(), doc.Find(`[data-testid="subscription"]`).AttrOr("data-status", ""))
	}
	if href, _ := banner.Find(`[data-testid="subscription-update"]`).Attr("href"); href != "https://invoice.stripe.test/i/in_uk2" {
		t.Errorf("update link %q", href)
	}
	for _, lang := range i18n.Languages {
		res, doc := a.get(c, "/account/subscriptions?lang="+lang)
		if res.StatusCode != http.StatusOK || doc.Find("h1").Text() != i18n.T(lang, i18n.MySubscriptions) ||
			doc.Find(`[data-testid="subscription-status"]`).Text() != i18n.T(lang, i18n.SubPastDue) {
			t.Errorf("%s: status %d, h1 %q", lang, res.StatusCode, doc.Find("h1").Text())
		}
	}
	// No subscriptions: said so.
	_, doc = a.get(a.student("eve@example.com"), "/account/subscriptions")
	if doc.Find(`[data-testid="no-subscriptions"]`).Length() != 1 {
		t.Error("an empty list is not said")
	}
	// A visitor is asked to sign in.
	if res, _ := a.get(a.client(), "/account/subscriptions"); res.StatusCode != http.StatusSeeOther ||
		!strings.HasPrefix(res.Header.Get("Location"), "/account/login") {
		t.Errorf("visitor: status %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
}
