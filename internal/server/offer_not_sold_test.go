package server

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/offer"
	"github.com/bursar/bursar/internal/order"
)

// systemOfType adds a payment system of typ named name, written with SQL (its credentials play no part here).
func (a *testApp) systemOfType(typ, name string) int64 {
	a.t.Helper()
	var id int64
	if err := a.pool.QueryRow(a.ctx(), `INSERT INTO payment_systems (type, name, enabled) VALUES ($1, $2, true)
		RETURNING id`, typ, name).Scan(&id); err != nil {
		a.t.Fatal(err)
	}
	return id
}

// TestOfferRecurringPublishGuard: the admin form and the API sell a recurring offer only through payment systems
// that charge a saved card on schedule: with Stripe it is saved with its schedule and published; with Redsys it is
// refused with the reason and what to do instead, and nothing is written; with WayForPay it is sold without a free
// trial, and one with a trial is refused on trial_days. The form says which systems can.
func TestOfferRecurringPublishGuard(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	c := a.owner()
	key := a.apiKey()
	stripe := a.systemOfType(gateway.TypeStripe, "Cards")
	wfp := a.systemOfType(gateway.TypeWayForPay, "WayForPay")
	redsys := a.systemOfType(gateway.TypeRedsys, "Redsys")
	oneTime := a.offer(func(in *offer.Input) { in.Slug, in.PaymentSystemIDs = "once", []int64{redsys} })
	product := itoa(oneTime.ProductIDs[0])
	stored := func(id int64) (status, kind string) {
		t.Helper()
		if err := a.pool.QueryRow(a.ctx(), "SELECT status, kind FROM offers WHERE id = $1", id).Scan(&status, &kind); err != nil {
			t.Fatal(err)
		}
		return status, kind
	}
	redsysMessage := offer.NotRecurringMessage("Redsys")
	trialMessage := "WayForPay cannot start a free trial: the first payment saves the payer's card; set no trial, " +
		"or sell through Stripe or PayPal"

	t.Run("AdminFormSaysWhichSystems", func(t *testing.T) {
		_, doc := a.get(c, "/admin/offers/new")
		if !strings.Contains(doc.Find("[data-testid=kind-hint]").Text(), "by Bursar through WayForPay or Fondy") ||
			!strings.Contains(doc.Find("[data-testid=recurring-systems-hint]").Text(), "no free trial") ||
			!strings.Contains(doc.Find("[data-testid=recurring-systems-hint]").Text(), "sell such a programme as tuition") {
			t.Fatalf("hints %q / %q", doc.Find("[data-testid=kind-hint]").Text(), doc.Find("[data-testid=recurring-systems-hint]").Text())
		}
		notes := map[string]string{}
		doc.Find("[data-testid=offer-payment-systems] label").Each(func(_ int, l *goquery.Selection) {
			v, _ := l.Find("input").Attr("value")
			notes[v] = l.Find("[data-testid=payment-system-recurring]").Text()
		})
		if !strings.Contains(notes[itoa(stripe)], "charges a saved card on schedule") ||
			!strings.Contains(notes[itoa(wfp)], "for Bursar to charge on schedule: no free trial") ||
			!strings.Contains(notes[itoa(redsys)], "cannot charge a saved card on schedule") ||
			!strings.Contains(notes[itoa(redsys)], "tuition") {
			t.Fatalf("notes %q", notes)
		}
	})
	form := func(systems ...int64) url.Values {
		v := url.Values{"title": {"Spanish A1 quarterly"}, "price": {"49,00"}, "currency": {"EUR"},
			"kind": {"recurring"}, "interval": {"month"}, "interval_count": {"3"}, "trial_days": {"14"},
			"max_charges": {"4"}, "grace_days": {"5"}, "product_ids": {product}, "language": {"en"},
			"manual_confirm_days": {"30"}}
		for _, id := range systems {
			v.Add("payment_system_ids", itoa(id))
		}
		return v
	}
	offers, audits := a.count("SELECT count(*) FROM offers"), a.count("SELECT count(*) FROM audit_log")

	t.Run("AdminRedsysRefused", func(t *testing.T) {
		f := form(stripe, redsys)
		f.Set("form_token", a.formToken(c, "/admin/offers/new"))
		res, doc := a.postFormDoc(c, "/admin/offers", f)
		if res.StatusCode != http.StatusUnprocessableEntity ||
			doc.Find("[data-testid=payment_system_ids-error]").Text() != redsysMessage {
			t.Fatalf("status %d, errors %q", res.StatusCode, doc.Find(".field-error").Text())
		}
		if v, _ := doc.Find("#interval_count").Attr("value"); v != "3" {
			t.Errorf("interval count shown back as %q", v)
		}
	})
	t.Run("AdminWayForPayTrialRefused", func(t *testing.T) {
		f := form(stripe, wfp)
		f.Set("form_token", a.formToken(c, "/admin/offers/new"))
		res, doc := a.postFormDoc(c, "/admin/offers", f)
		if res.StatusCode != http.StatusUnprocessableEntity ||
			doc.Find("[data-testid=trial_days-error]").Text() != trialMessage ||
			doc.Find("[data-testid=payment_system_ids-error]").Text() != "" {
			t.Fatalf("status %d, errors %q", res.StatusCode, doc.Find(".field-error").Text())
		}
		if v, _ := doc.Find("#trial_days").Attr("value"); v != "14" {
			t.Errorf("trial days shown back as %q", v)
		}
	})
	t.Run("AdminEditPublishedToRecurring", func(t *testing.T) {
		f := form(redsys)
		f.Set("slug", "once")
		res, doc := a.postFormDoc(c, "/admin/offers/"+itoa(oneTime.ID), f)
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(doc.Text(), redsysMessage) {
			t.Fatalf("status %d, errors %q", res.StatusCode, doc.Find(".field-error").Text())
		}
		if st, kind := stored(oneTime.ID); st != offer.StatusPublished || kind != offer.OneTime {
			t.Fatalf("stored %s %s", st, kind)
		}
	})
	t.Run("APICreate", func(t *testing.T) {
		var p apiProblem
		res, raw := a.api(key, "POST", "/api/v1/offers", map[string]any{"title": "Yearly", "amount": 4900,
			"currency": "EUR", "product_ids": oneTime.ProductIDs, "status": "published", "kind": "recurring",
			"interval": "year", "payment_system_ids": []int64{redsys}}, &p)
		wantStatus(t, res, raw, http.StatusUnprocessableEntity)
		if res.Header.Get("Content-Type") != "application/problem+json" || p.Errors["payment_system_ids"] != redsysMessage {
			t.Fatalf("problem %s", raw)
		}
		res, raw = a.api(key, "POST", "/api/v1/offers", map[string]any{"title": "Yearly", "amount": 4900,
			"currency": "EUR", "product_ids": oneTime.ProductIDs, "status": "published", "kind": "recurring",
			"interval": "year", "trial_days": 7, "payment_system_ids": []int64{wfp}}, &p)
		wantStatus(t, res, raw, http.StatusUnprocessableEntity)
		if p.Errors["trial_days"] != trialMessage {
			t.Fatalf("problem %s", raw)
		}
		res, raw = a.api(key, "POST", "/api/v1/offers", map[string]any{"title": "Yearly", "amount": 4900,
			"currency": "EUR", "product_ids": oneTime.ProductIDs, "status": "published", "kind": "recurring",
			"interval": "year"}, &p)
		wantStatus(t, res, raw, http.StatusUnprocessableEntity)
		if !strings.Contains(p.Errors["payment_system_ids"], "needs a payment system that can charge a saved card") {
			t.Fatalf("problem %s", raw)
		}
	})
	t.Run("APIPatchPublishedToRecurring", func(t *testing.T) {
		var p apiProblem
		res, raw := a.api(key, "PATCH", "/api/v1/offers/"+itoa(oneTime.ID), map[string]any{"kind": "recurring",
			"interval": "week"}, &p)
		wantStatus(t, res, raw, http.StatusUnprocessableEntity)
		if p.Errors["payment_system_ids"] != redsysMessage {
			t.Fatalf("problem %s", raw)
		}
	})
	if n := a.count("SELECT count(*) FROM offers"); n != offers {
		t.Errorf("refusals left %d offers, want %d", n, offers)
	}
	if n := a.count("SELECT count(*) FROM audit_log"); n != audits {
		t.Errorf("refusals wrote %d audit entries", n-audits)
	}

	t.Run("AdminStripePublishes", func(t *testing.T) {
		f := form(stripe)
		f.Set("form_token", a.formToken(c, "/admin/offers/new"))
		res := a.postForm(c, "/admin/offers", f)
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("create: %d", res.StatusCode)
		}
		offerURL := res.Header.Get("Location")
		_, doc := a.get(c, offerURL)
		for name, want := range map[string]string{"interval_count": "3", "trial_days": "14", "max_charges": "4",
			"grace_days": "5"} {
			if v, _ := doc.Find("#" + name).Attr("value"); v != want {
				t.Errorf("%s shown as %q, want %q", name, v, want)
			}
		}
		if res := a.postForm(c, offerURL+"/status", url.Values{"status": {"published"}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("publish: %d", res.StatusCode)
		}
		var st string
		var count, trial, maxCharges, grace int
		if err := a.pool.QueryRow(a.ctx(), `SELECT status, recurring_count, trial_days, max_charges, grace_days
			FROM offers WHERE slug = 'spanish-a1-quarterly'`).Scan(&st, &count, &trial, &maxCharges, &grace); err != nil {
			t.Fatal(err)
		}
		if st != offer.StatusPublished || count != 3 || trial != 14 || maxCharges != 4 || grace != 5 {
			t.Fatalf("stored %s every %d, trial %d, %d charges, grace %d", st, count, trial, maxCharges, grace)
		}
	})
	t.Run("APIStripePublishes", func(t *testing.T) {
		var got map[string]any
		res, raw := a.api(key, "POST", "/api/v1/offers", map[string]any{"title": "Weekly", "amount": 900,
			"currency": "EUR", "product_ids": oneTime.ProductIDs, "status": "published", "kind": "recurring",
			"interval": "week", "interval_count": 2, "trial_days": 7, "max_charges": 10, "grace_days": 3,
			"payment_system_ids": []int64{stripe}}, &got)
		wantStatus(t, res, raw, http.StatusCreated)
		if got["interval_count"] != float64(2) || got["trial_days"] != float64(7) || got["max_charges"] != float64(10) ||
			got["grace_days"] != float64(3) || got["status"] != "published" {
			t.Fatalf("created %s", raw)
		}
	})
	t.Run("APIWayForPayWithoutTrialPublishes", func(t *testing.T) {
		var got map[string]any
		res, raw := a.api(key, "POST", "/api/v1/offers", map[string]any{"title": "Monthly by card", "amount": 900,
			"currency": "UAH", "product_ids": oneTime.ProductIDs, "status": "published", "kind": "recurring",
			"interval": "month", "payment_system_ids": []int64{wfp}}, &got)
		wantStatus(t, res, raw, http.StatusCreated)
		if got["trial_days"] != float64(0) || got["status"] != "published" {
			t.Fatalf("created %s", raw)
		}
	})
	t.Run("AdminWayForPayWithoutTrialSaves", func(t *testing.T) {
		f := form(wfp)
		f.Set("title", "Spanish A2 monthly")
		f.Set("trial_days", "")
		f.Set("form_token", a.formToken(c, "/admin/offers/new"))
		if res := a.postForm(c, "/admin/offers", f); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("create: %d", res.StatusCode)
		}
	})
}

// TestRecurringOfferNotSoldAtOnce: a recurring offer is sold by subscription only: no channel opens an order of its
// full price once, nor a payment link, each answering offer.SubscribedMessage.
func TestRecurringOfferNotSoldAtOnce(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	f := newOrderFixture(t, a)
	if _, err := a.pool.Exec(a.ctx(), "UPDATE offers SET kind = 'recurring', recurring_interval = 'month'"); err != nil {
		t.Fatal(err)
	}
	// Another process may have cached the offers: the catalog and the pages learn of changes through PostgreSQL.
	a.syncPages()

	t.Run("APIManualPayment", func(t *testing.T) {
		var p apiProblem
		res, raw := a.api(a.apiKey(), "POST", "/api/v1/manual-payments", map[string]any{"contact_id": f.contact.ID,
			"offer_id": f.offer.ID}, &p)
		wantStatus(t, res, raw, http.StatusUnprocessableEntity)
		if p.Errors["offer_id"] != offer.SubscribedMessage {
			t.Fatalf("problem %s", raw)
		}
	})
	t.Run("APIPaymentLink", func(t *testing.T) {
		var p apiProblem
		res, raw := a.api(a.apiKey(), "POST", "/api/v1/payment-links", map[string]any{"contact_id": f.contact.ID,
			"offer_id": f.offer.ID}, &p)
		wantStatus(t, res, raw, http.StatusUnprocessableEntity)
		if p.Errors["offer_id"] != offer.SubscribedMessage {
			t.Fatalf("problem %s", raw)
		}
	})
	t.Run("AdminManualPayment", func(t *testing.T) {
		c := a.owner()
		_, page := a.get(c, "/admin/orders/new")
		if page.Find(`form select[name=offer_id] option[value="`+itoa(f.offer.ID)+`"]`).Length() != 0 {
			t.Errorf("the new manual payment form offers %s, which is sold by subscription", f.offer.Title)
		}
		form := url.Values{"form_token": {a.formToken(c, "/admin/orders/new")}, "contact_email": {f.contact.Email},
			"offer_id": {itoa(f.offer.ID)}, "payment_system_id": {itoa(f.manual.ID)},
			"paid_on": {time.Now().UTC().Format(time.DateOnly)}}
		res, doc := a.postFormDoc(c, "/admin/orders", form)
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(doc.Text(), offer.SubscribedMessage) {
			t.Fatalf("status %d, errors %q", res.StatusCode, doc.Find(".field-error").Text())
		}
	})
	t.Run("GatewayCheckout", func(t *testing.T) {
		_, err := a.srv.orders.OpenGateway(a.ctx(), order.NewGateway{OfferID: f.cardsOnly.ID, ContactID: f.contact.ID,
			PaymentSystemID: f.cardsOnly.PaymentSystemIDs[0], Channel: order.ChannelCheckout})
		if e, ok := check.AsErrors(err); !ok || e["offer_id"] != offer.SubscribedMessage {
			t.Fatalf("err = %v", err)
		}
	})
	if n := a.count("SELECT count(*) FROM orders"); n != 0 {
		t.Fatalf("%d orders opened for an offer sold by subscription", n)
	}
	if n := a.count("SELECT count(*) FROM payment_links"); n != 0 {
		t.Fatalf("%d payment links made for an offer sold by subscription", n)
	}
}
