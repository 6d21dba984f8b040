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
	"github.com/bursar/bursar/internal/paylink"
)

// TestOfferEnrolledNoOrder: a published tuition or installments offer is sold by enrollment only: no channel opens
// an order for its full price (checkout, API and admin manual payments, gateway checkout), no payment link sells it,
// and an old link to its one-payment checkout leads to its enrollment form.
func TestOfferEnrolledNoOrder(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	f := newOrderFixture(t, a)
	c, key := a.owner(), a.apiKey()
	for _, kind := range []string{offer.Tuition, offer.Installments} {
		t.Run(kind, func(t *testing.T) {
			for _, of := range []offer.Offer{f.offer, f.cardsOnly} {
				if _, err := a.srv.offers.Update(a.ctx(), of.ID, func(in *offer.Input) {
					in.Kind, in.Installments = kind, 3
				}); err != nil {
					t.Fatalf("publish %s: %v", kind, err)
				}
			}
			a.syncPages()
			manual := "?system=" + itoa(f.manual.ID)
			student := a.student(kind + "@example.com")
			for _, path := range []string{"/o/" + f.offer.Slug + "/checkout" + manual, "/o/" + f.offer.Slug + "/pay" + manual} {
				res, _ := a.get(student, path)
				if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/o/"+f.offer.Slug+"/enroll" {
					t.Errorf("GET %s: %d to %q, want 303 to the enrollment form", path, res.StatusCode, res.Header.Get("Location"))
				}
			}
			res, doc := a.postFormDoc(student, "/o/"+f.offer.Slug+"/pay"+manual, url.Values{"paid": {"1"}})
			if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(doc.Text(), offer.EnrolledMessage) {
				t.Errorf("POST checkout: %d %q", res.StatusCode, doc.Text())
			}

			var p apiProblem
			res, raw := a.api(key, "POST", "/api/v1/manual-payments", map[string]any{"contact_id": f.contact.ID,
				"offer_id": f.offer.ID}, &p)
			wantStatus(t, res, raw, http.StatusUnprocessableEntity)
			if p.Errors["offer_id"] != offer.EnrolledMessage {
				t.Errorf("API manual payment: %s", raw)
			}

			_, page := a.get(c, "/admin/orders/new")
			if page.Find(`form select[name=offer_id] option[value="`+itoa(f.offer.ID)+`"]`).Length() != 0 {
				t.Errorf("the new manual payment form offers the %s offer", kind)
			}
			form := url.Values{"form_token": {a.formToken(c, "/admin/orders/new")}, "contact_email": {f.contact.Email},
				"offer_id": {itoa(f.offer.ID)}, "payment_system_id": {itoa(f.manual.ID)},
				"paid_on": {time.Now().UTC().Format(time.DateOnly)}}
			res, doc = a.postFormDoc(c, "/admin/orders", form)
			if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(doc.Text(), offer.EnrolledMessage) {
				t.Errorf("admin manual payment: %d, errors %q", res.StatusCode, doc.Find(".field-error").Text())
			}

			_, err := a.srv.orders.OpenGateway(a.ctx(), order.NewGateway{OfferID: f.cardsOnly.ID, ContactID: f.contact.ID,
				PaymentSystemID: f.cardsOnly.PaymentSystemIDs[0], Channel: order.ChannelCheckout})
			if e, ok := check.AsErrors(err); !ok || e["offer_id"] != offer.EnrolledMessage {
				t.Errorf("gateway checkout: %v", err)
			}

			_, err = a.srv.links.Create(a.ctx(), paylink.Input{ContactID: f.contact.ID, OfferID: f.offer.ID})
			if e, ok := check.AsErrors(err); !ok || e["offer_id"] != offer.EnrolledMessage {
				t.Errorf("payment link: %v", err)
			}
		})
	}
	if n := a.count("SELECT count(*) FROM orders"); n != 0 {
		t.Fatalf("%d orders opened for an offer sold by enrollment", n)
	}
	if n := a.count("SELECT count(*) FROM payment_links"); n != 0 {
		t.Fatalf("%d payment links made for an offer sold by enrollment", n)
	}
}
