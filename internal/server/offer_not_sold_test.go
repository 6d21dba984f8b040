package server

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/offer"
	"github.com/bursar/bursar/internal/order"
)

// TestOfferNotSoldCannotBePublished: the admin form and the API refuse to publish a recurring offer (checkout would
// charge the full price once), with the reason, and write nothing.
func TestOfferNotSoldCannotBePublished(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	c := a.owner()
	key := a.apiKey()
	recurring := a.offer(func(in *offer.Input) {
		in.Slug, in.Status, in.Kind, in.Interval = "monthly", offer.StatusDraft, offer.Recurring, offer.IntervalMonth
	})
	oneTime := a.offer(func(in *offer.Input) { in.Slug = "once" })
	offers, audits := a.count("SELECT count(*) FROM offers"), a.count("SELECT count(*) FROM audit_log")
	stored := func(id int64) (status, kind string) {
		t.Helper()
		if err := a.pool.QueryRow(a.ctx(), "SELECT status, kind FROM offers WHERE id = $1", id).Scan(&status, &kind); err != nil {
			t.Fatal(err)
		}
		return status, kind
	}

	t.Run("AdminFormSaysSo", func(t *testing.T) {
		_, doc := a.get(c, "/admin/offers/new")
		if !strings.Contains(doc.Find("[data-testid=kind-hint]").Text(), "cannot be published") {
			t.Fatalf("kind hint %q", doc.Find("[data-testid=kind-hint]").Text())
		}
	})
	t.Run("AdminPublishButton", func(t *testing.T) {
		res, doc := a.postFormDoc(c, "/admin/offers/"+itoa(recurring.ID)+"/status", url.Values{"status": {"published"}})
		if res.StatusCode != http.StatusUnprocessableEntity ||
			!strings.Contains(doc.Find("[data-testid=status-error]").Text(), offer.NotSoldMessage) {
			t.Fatalf("status %d, errors %q", res.StatusCode, doc.Find(".field-error").Text())
		}
		if st, _ := stored(recurring.ID); st != offer.StatusDraft {
			t.Fatalf("stored status %q", st)
		}
	})
	t.Run("AdminEditPublishedToRecurring", func(t *testing.T) {
		form := url.Values{"title": {"Español A1"}, "slug": {"once"}, "price": {"49,00"}, "currency": {"EUR"},
			"kind": {"recurring"}, "interval": {"month"}, "product_ids": {itoa(oneTime.ProductIDs[0])},
			"language": {"en"}, "manual_confirm_days": {"30"}}
		res, doc := a.postFormDoc(c, "/admin/offers/"+itoa(oneTime.ID), form)
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(doc.Text(), offer.NotSoldMessage) {
			t.Fatalf("status %d, errors %q", res.StatusCode, doc.Find(".field-error").Text())
		}
		if st, kind := stored(oneTime.ID); st != offer.StatusPublished || kind != offer.OneTime {
			t.Fatalf("stored %s %s", st, kind)
		}
	})
	t.Run("APICreate", func(t *testing.T) {
		var p apiProblem
		res, raw := a.api(key, "POST", "/api/v1/offers", map[string]any{"title": "Yearly", "amount": 4900,
			"currency": "EUR", "product_ids": recurring.ProductIDs, "status": "published", "kind": "recurring",
			"interval": "year"}, &p)
		wantStatus(t, res, raw, http.StatusUnprocessableEntity)
		if res.Header.Get("Content-Type") != "application/problem+json" || !strings.Contains(p.Errors["status"], offer.NotSoldMessage) {
			t.Fatalf("problem %s", raw)
		}
	})
	t.Run("APIPatch", func(t *testing.T) {
		tests := []struct {
			name string
			id   int64
			body map[string]any
		}{
			{"PublishRecurring", recurring.ID, map[string]any{"status": "published"}},
			{"PublishedToRecurring", oneTime.ID, map[string]any{"kind": "recurring", "interval": "week"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var p apiProblem
				res, raw := a.api(key, "PATCH", "/api/v1/offers/"+itoa(tt.id), tt.body, &p)
				wantStatus(t, res, raw, http.StatusUnprocessableEntity)
				if !strings.Contains(p.Errors["status"], offer.NotSoldMessage) {
					t.Fatalf("problem %s", raw)
				}
			})
		}
	})
	if n := a.count("SELECT count(*) FROM offers"); n != offers {
		t.Errorf("refused publishing left %d offers, want %d", n, offers)
	}
	if n := a.count("SELECT count(*) FROM audit_log"); n != audits {
		t.Errorf("refused publishing wrote %d audit entries", n-audits)
	}
}

// TestOfferNotSoldAlreadyPublished: a recurring offer published before the rule (written here with SQL, past
// validation) promises no recurring payments on its page, and no channel opens an order for it.
func TestOfferNotSoldAlreadyPublished(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	f := newOrderFixture(t, a)
	if _, err := a.pool.Exec(a.ctx(), "UPDATE offers SET kind = 'recurring', recurring_interval = 'month'"); err != nil {
		t.Fatal(err)
	}
	// Another process may have cached the offers: the catalog and the pages learn of changes through PostgreSQL.
	a.syncPages()
	manual := "?system=" + itoa(f.manual.ID)

	t.Run("PublicPage", func(t *testing.T) {
		res, doc := a.get(a.client(), "/o/"+f.offer.Slug)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("status %d", res.StatusCode)
		}
		html, _ := doc.Html()
		if got := doc.Find("[data-testid=offer-terms]").Text(); got != "" ||
			strings.Contains(html, "per month") || strings.Contains(html, "/enroll") ||
			doc.Find("[data-testid=pay-link]").Length() != 0 || doc.Find("[data-testid=offer-price]").Text() != "€49.00" {
			t.Fatalf("terms %q, page:\n%s", got, html)
		}
	})
	t.Run("Checkout", func(t *testing.T) {
		student := a.student("payer@example.com")
		for _, path := range []string{"/o/" + f.offer.Slug + "/checkout" + manual, "/o/" + f.offer.Slug + "/pay" + manual} {
			if res, _ := a.get(student, path); res.StatusCode != http.StatusNotFound {
				t.Errorf("%s: %d, want 404", path, res.StatusCode)
			}
		}
	})
	t.Run("APIManualPayment", func(t *testing.T) {
		var p apiProblem
		res, raw := a.api(a.apiKey(), "POST", "/api/v1/manual-payments", map[string]any{"contact_id": f.contact.ID,
			"offer_id": f.offer.ID}, &p)
		wantStatus(t, res, raw, http.StatusUnprocessableEntity)
		if p.Errors["offer_id"] != offer.NotSoldMessage {
			t.Fatalf("problem %s", raw)
		}
	})
	t.Run("AdminManualPayment", func(t *testing.T) {
		c := a.owner()
		_, page := a.get(c, "/admin/orders/new")
		if page.Find(`form select[name=offer_id] option[value="`+itoa(f.offer.ID)+`"]`).Length() != 0 {
			t.Errorf("the new manual payment form offers %s, which cannot be sold", f.offer.Title)
		}
		form := url.Values{"form_token": {a.formToken(c, "/admin/orders/new")}, "contact_email": {f.contact.Email},
			"offer_id": {itoa(f.offer.ID)}, "payment_system_id": {itoa(f.manual.ID)},
			"paid_on": {time.Now().UTC().Format(time.DateOnly)}}
		res, doc := a.postFormDoc(c, "/admin/orders", form)
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(doc.Text(), offer.NotSoldMessage) {
			t.Fatalf("status %d, errors %q", res.StatusCode, doc.Find(".field-error").Text())
		}
	})
	t.Run("GatewayCheckout", func(t *testing.T) {
		_, err := a.srv.orders.OpenGateway(a.ctx(), order.NewGateway{OfferID: f.cardsOnly.ID, ContactID: f.contact.ID,
			PaymentSystemID: f.cardsOnly.PaymentSystemIDs[0], Channel: order.ChannelCheckout})
		if e, ok := check.AsErrors(err); !ok || e["offer_id"] != offer.NotSoldMessage {
			t.Fatalf("err = %v", err)
		}
	})
	if n := a.count("SELECT count(*) FROM orders"); n != 0 {
		t.Fatalf("%d orders opened for an offer that cannot be sold", n)
	}
}
