package server

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/bursar/bursar/internal/crm"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/gateway/stripemock"
	"github.com/bursar/bursar/internal/offer"
	"github.com/bursar/bursar/internal/order"
	"github.com/bursar/bursar/internal/staff"
)

// stripeSubRecorder is a proxy to a Stripe API (stripe-mock) that records the calls made on subscriptions.
type stripeSubRecorder struct {
	URL   string
	mu    sync.Mutex
	calls []string // "POST /v1/subscriptions/sub_1 cancel_at_period_end=true"
}

func newStripeSubRecorder(t *testing.T, target string) *stripeSubRecorder {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rec := &stripeSubRecorder{}
	proxy := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		if strings.HasPrefix(r.URL.Path, "/v1/subscriptions") && r.Method != http.MethodGet {
			rec.mu.Lock()
			rec.calls = append(rec.calls, r.Method+" "+r.URL.Path+" "+string(body))
			rec.mu.Unlock()
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	rec.URL = srv.URL
	return rec
}

// since returns the calls recorded after the first n.
func (r *stripeSubRecorder) since(n int) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.calls[n:]...)
}

func (r *stripeSubRecorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.calls)
}

// subFixture is a Stripe system (stripe-mock behind a recorder), two published recurring offers sold through it,
// and subscriptions written with SQL as the gateway's notifications would leave them.
type subFixture struct {
	rec           *stripeSubRecorder
	sys           gateway.System
	monthly, plus offer.Offer
	ana, bob      crm.Contact
	live, ended   int64 // ana's active subscription (sub_live), bob's cancelled one (sub_ended)
	orderID       int64 // the order of live's paid charge
	periodEnd     time.Time
}

func newSubFixture(t *testing.T) (*testApp, subFixture) {
	t.Helper()
	rec := newStripeSubRecorder(t, stripemock.Start(t))
	a := newGatewayApp(t, rec.URL)
	sf := newStripeFixture(t, a)
	f := subFixture{rec: rec, sys: sf.sys}
	recurring := func(title string, amount int64) offer.Offer {
		return a.offer(func(in *offer.Input) {
			in.Title, in.Slug, in.Amount, in.PaymentSystemIDs = title, offer.Slugify(title), amount, []int64{sf.sys.ID}
			in.Kind, in.Interval, in.GraceDays = offer.Recurring, offer.IntervalMonth, 3
		})
	}
	f.monthly, f.plus = recurring("Spanish monthly", 1900), recurring("Spanish plus", 2900)
	var err error
	if f.ana, err = a.srv.contacts.Create(a.ctx(), crm.Input{Email: "ana@example.com", Name: "Ana Díaz"}); err != nil {
		t.Fatal(err)
	}
	if f.bob, err = a.srv.contacts.Create(a.ctx(), crm.Input{Email: "bob@example.com"}); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	f.periodEnd = start.AddDate(0, 1, 0)
	insert := func(c crm.Contact, status, ref string) int64 {
		var id int64
		if err := a.pool.QueryRow(a.ctx(), `INSERT INTO subscriptions (contact_id, offer_id, offer_title,
			payment_system_id, status, amount, currency, interval, interval_count, grace_days, gateway_ref,
			customer_ref, checkout_ref, current_period_start, current_period_end, paid_through, charges, state_at)
			VALUES ($1, $2, 'Spanish monthly', $3, $4, 1900, 'EUR', 'month', 1, 3, $5, 'cus_'||$5, 'cs_'||$5, $6, $7,
			$7, 1, $6) RETURNING id`, c.ID, f.monthly.ID, sf.sys.ID, status, ref, start, f.periodEnd).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	f.live, f.ended = insert(f.ana, "active", "sub_live"), insert(f.bob, "cancelled", "sub_ended")
	att, err := a.srv.orders.OpenGateway(a.ctx(), order.NewGateway{OfferID: sf.offer.ID, ContactID: f.ana.ID,
		PaymentSystemID: sf.sys.ID, Channel: order.ChannelCheckout})
	if err != nil {
		t.Fatal(err)
	}
	f.orderID = att.Order.ID
	if _, err := a.pool.Exec(a.ctx(), `INSERT INTO subscription_charges (subscription_id, payment_system_id,
		charge_ref, order_id, status, amount, currency, period_start, period_end, charged_at) VALUES
		($1, $2, 'in_paid', $3, 'paid', 1900, 'EUR', $4, $5, $4),
		($1, $2, 'in_failed', NULL, 'failed', 1900, 'EUR', $4, $5, $4 + interval '1 hour')`,
		f.live, sf.sys.ID, f.orderID, start, f.periodEnd); err != nil {
		t.Fatal(err)
	}
	if _, err := a.pool.Exec(a.ctx(), `INSERT INTO subscription_events (subscription_id, kind, message)
		VALUES ($1, 'charged', 'Charged €19.00')`, f.live); err != nil {
		t.Fatal(err)
	}
	return a, f
}

// TestAdminSubscriptions: a manager lists subscriptions with filters and CSV, reads one (payer, offer, system,
// periods, refs, charges linked to their orders, timeline) and acts on it: each action asks Stripe (stripe-mock)
// for that change; bad input and a subscription no longer live are said, and Stripe is not asked.
func TestAdminSubscriptions(t *testing.T) {
	t.Parallel()
	a, f := newSubFixture(t)
	a.createAdmin("manager@school.test", staff.RoleManager)
	c := a.signIn("manager@school.test")
	live, ended := itoa(f.live), itoa(f.ended)

	t.Run("List", func(t *testing.T) {
		res, doc := a.get(c, "/admin/subscriptions")
		if res.StatusCode != http.StatusOK || doc.Find(`nav a[href="/admin/subscriptions"]`).Length() == 0 {
			t.Fatalf("status %d, nav %d", res.StatusCode, doc.Find(`nav a[href="/admin/subscriptions"]`).Length())
		}
		ids := func(path string) []string {
			t.Helper()
			_, doc := a.get(c, path)
			var out []string
			doc.Find("[data-testid=subscription-row]").Each(func(_ int, s *goquery.Selection) {
				id, _ := s.Attr("data-id")
				out = append(out, id)
			})
			return out
		}
		for path, want := range map[string]string{
			"/admin/subscriptions":                                     ended + "," + live,
			"/admin/subscriptions?status=active":                       live,
			"/admin/subscriptions?q=bob":                               ended,
			"/admin/subscriptions?offer_id=" + itoa(f.plus.ID):         "",
			"/admin/subscriptions?payment_system_id=" + itoa(f.sys.ID): ended + "," + live,
			"/admin/subscriptions?contact_id=" + itoa(f.ana.ID):        live,
		} {
			if got := strings.Join(ids(path), ","); got != want {
				t.Errorf("%s: rows %q, want %q", path, got, want)
			}
		}
		res, doc = a.get(c, "/admin/subscriptions?status=gone")
		if res.StatusCode != http.StatusUnprocessableEntity || doc.Find("[data-testid=status-error]").Length() != 1 {
			t.Fatalf("bad status: %d", res.StatusCode)
		}
	})
	t.Run("CSV", func(t *testing.T) {
		res, err := c.Get(a.ts.URL + "/admin/subscriptions.csv?status=active")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		lines := strings.Split(strings.TrimSpace(string(body)), "\n")
		if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") ||
			len(lines) != 2 || !strings.Contains(lines[1], "ana@example.com") {
			t.Fatalf("status %d, %s:\n%s", res.StatusCode, res.Header.Get("Content-Type"), body)
		}
	})
	t.Run("Page", func(t *testing.T) {
		res, doc := a.get(c, "/admin/subscriptions/"+live)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("status %d", res.StatusCode)
		}
		text := func(id string) string { return strings.TrimSpace(doc.Find("[data-testid=" + id + "]").First().Text()) }
		if text("subscription-contact") != "ana@example.com" || text("subscription-offer") != "Spanish monthly" ||
			text("subscription-system") != "Cards" || text("subscription-next-charge") != "2026-12-20" ||
			text("subscription-access-until") == "" || !strings.HasPrefix(text("subscription-access-until"), "2026-12-23") ||
			!strings.Contains(text("subscription-refs"), "sub_live") || !strings.Contains(text("subscription-refs"), "cus_sub_live") {
			t.Fatalf("details:\n%s", doc.Find("[data-testid=subscription-details]").Text())
		}
		if n := doc.Find("[data-testid=charge-row]").Length(); n != 2 {
			t.Fatalf("%d charges", n)
		}
		if href, _ := doc.Find("[data-testid=charge-order]").Attr("href"); href != "/admin/orders/"+itoa(f.orderID) {
			t.Fatalf("charge's order link %q", href)
		}
		if doc.Find("[data-testid=subscription-timeline] [data-testid=event]").Length() != 1 {
			t.Fatal("no timeline")
		}
		plans := doc.Find("[data-testid=subscription-change-plan-form] option[value]")
		if plans.Length() != 2 || plans.Last().AttrOr("value", "") != itoa(f.plus.ID) {
			t.Fatalf("plans %q", plans.Text())
		}
		if res, _ := a.get(c, "/admin/subscriptions/999999"); res.StatusCode != http.StatusNotFound {
			t.Fatalf("unknown subscription: %d", res.StatusCode)
		}
		_, doc = a.get(c, "/admin/contacts/"+itoa(f.ana.ID))
		if doc.Find("[data-testid=contact-subscriptions] [data-testid=subscription-row]").Length() != 1 {
			t.Fatal("the contact's page does not list the subscription")
		}
	})
	t.Run("Actions", func(t *testing.T) {
		n := f.rec.count()
		lines := a.count("SELECT count(*) FROM subscription_events WHERE subscription_id = $1", f.live)
		res := a.postForm(c, "/admin/subscriptions/"+live+"/cancel-at-period-end", url.Values{})
		calls := f.rec.since(n)
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/admin/subscriptions/"+live ||
			len(calls) != 1 || !strings.HasPrefix(calls[0], "POST /v1/subscriptions/sub_live") ||
			!strings.Contains(calls[0], "cancel_at_period_end=true") {
			t.Fatalf("status %d, calls %q", res.StatusCode, calls)
		}
		if a.count("SELECT count(*) FROM subscription_events WHERE subscription_id = $1", f.live) <= lines {
			t.Error("the action left no line on the timeline")
		}
		_, doc := a.get(c, "/admin/subscriptions/"+live)
		if doc.Find("[data-testid=flash]").Text() == "" {
			t.Error("no flash after the action")
		}

		// Bad input: the page again with the message, Stripe not asked.
		n = f.rec.count()
		res, doc = a.postFormDoc(c, "/admin/subscriptions/"+live+"/cancel", url.Values{})
		if res.StatusCode != http.StatusUnprocessableEntity || doc.Find("[data-testid=cancel-confirm-error]").Length() != 1 {
			t.Fatalf("cancel without confirming: %d", res.StatusCode)
		}
		res, doc = a.postFormDoc(c, "/admin/subscriptions/"+live+"/change-plan", url.Values{"offer_id": {""}})
		if res.StatusCode != http.StatusUnprocessableEntity ||
			!strings.Contains(doc.Find("[data-testid=form-errors]").Text(), "choose the offer to move to") {
			t.Fatalf("change plan to nothing: %d", res.StatusCode)
		}
		// A cancelled subscription: the page offers no actions, and a forged one is refused with the reason.
		_, doc = a.get(c, "/admin/subscriptions/"+ended)
		if doc.Find("form[action^='/admin/subscriptions/']").Length() != 0 {
			t.Error("a cancelled subscription offers actions")
		}
		if res := a.postForm(c, "/admin/subscriptions/"+ended+"/pause", url.Values{}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("pause a cancelled one: %d", res.StatusCode)
		}
		_, doc = a.get(c, "/admin/subscriptions/"+ended)
		if !strings.Contains(doc.Find("[data-testid=flash]").Text(), "no longer live") {
			t.Errorf("flash %q", doc.Find("[data-testid=flash]").Text())
		}
		if calls := f.rec.since(n); len(calls) != 0 {
			t.Fatalf("refused actions called Stripe: %q", calls)
		}

		res = a.postForm(c, "/admin/subscriptions/"+live+"/cancel", url.Values{"confirm": {"yes"}})
		if calls := f.rec.since(n); res.StatusCode != http.StatusSeeOther || len(calls) != 1 ||
			!strings.HasPrefix(calls[0], "DELETE /v1/subscriptions/sub_live") {
			t.Fatalf("cancel now: %d, calls %q", res.StatusCode, calls)
		}
	})
}

// TestAdminSubscriptionPayPalActions: a PayPal subscription's page offers only what PayPal can do (cancel now,
// pause) and says why the others are missing.
func TestAdminSubscriptionPayPalActions(t *testing.T) {
	t.Parallel()
	a, f := newSubFixture(t)
	a.createAdmin("manager@school.test", staff.RoleManager)
	c := a.signIn("manager@school.test")
	pp, err := a.srv.paymentSystems.Create(a.ctx(), gateway.Input{Type: gateway.TypePayPal, Name: "PayPal",
		Mode: gateway.ModeTest, Enabled: true, Settings: map[string]any{"client_id": "id", "webhook_id": "WH-1"},
		Credentials: map[string]string{"client_secret": "secret"}})
	if err != nil {
		t.Fatal(err)
	}
	page := func() *goquery.Document {
		t.Helper()
		res, doc := a.get(c, "/admin/subscriptions/"+itoa(f.live))
		if res.StatusCode != http.StatusOK {
			t.Fatalf("status %d", res.StatusCode)
		}
		return doc
	}
	has := func(doc *goquery.Document, id string) bool { return doc.Find("[data-testid="+id+"]").Length() > 0 }
	if doc := page(); !has(doc, "subscription-cancel-at-end") || !has(doc, "subscription-change-plan-form") ||
		has(doc, "subscription-unoffered") {
		t.Fatal("a Stripe subscription's page lacks Stripe's actions")
	}
	if _, err := a.pool.Exec(a.ctx(), `UPDATE subscriptions SET payment_system_id = $1 WHERE id = $2`, pp.ID, f.live); err != nil {
		t.Fatal(err)
	}
	doc := page()
	if has(doc, "subscription-cancel-at-end") || has(doc, "subscription-change-plan-form") ||
		!has(doc, "subscription-cancel-form") || !has(doc, "subscription-pause") ||
		!strings.Contains(doc.Find("[data-testid=subscription-unoffered]").Text(), "PayPal cannot cancel at the period's end") {
		t.Fatalf("PayPal subscription's actions:\n%s", doc.Find("main").Text())
	}
}
