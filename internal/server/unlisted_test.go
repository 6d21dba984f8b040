package server

import (
	"net/http"
	"testing"

	"github.com/bursar/bursar/internal/crm"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/offer"
	"github.com/bursar/bursar/internal/paylink"
)

// TestUnlistedOffer: an unlisted offer (admin form or API) has no public page and no checkout, yet a payment link
// sells it; listing it again brings the page back.
func TestUnlistedOffer(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	key := a.apiKey()
	bank, err := a.srv.paymentSystems.Create(a.ctx(), gateway.Input{Type: gateway.TypeManual, Name: "Bank transfer",
		Enabled: true, Description: "IBAN ES00 1234", Settings: map[string]any{"supported_currencies": []any{"EUR"}}})
	if err != nil {
		t.Fatal(err)
	}
	o := a.offer(func(in *offer.Input) {
		in.Slug, in.Unlisted, in.PaymentSystemIDs = "private-tutoring", true, []int64{bank.ID}
	})
	for _, path := range []string{"/o/" + o.Slug, "/o/" + o.Slug + "/checkout?system=" + itoa(bank.ID),
		"/o/" + o.Slug + "/pay?system=" + itoa(bank.ID)} {
		if res, _ := a.get(a.client(), path); res.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d, want 404 for an unlisted offer", path, res.StatusCode)
		}
	}
	var got map[string]any
	res, raw := a.api(key, "GET", "/api/v1/offers/"+itoa(o.ID), nil, &got)
	wantStatus(t, res, raw, http.StatusOK)
	if got["unlisted"] != true {
		t.Fatalf("API offer = %s", raw)
	}

	// Sold by link: the contact pays it by bank transfer through the link.
	c, err := a.srv.contacts.Create(a.ctx(), crm.Input{Email: "tutee@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	l, err := a.srv.links.Create(a.ctx(), paylink.Input{ContactID: c.ID, OfferID: o.ID})
	if err != nil {
		t.Fatal(err)
	}
	b, err := a.srv.links.Begin(a.ctx(), l.Token, paylink.Payment{PaymentSystemID: bank.ID, Comment: "ref 9"})
	if err != nil || b.Order.Status != "open" || b.Instructions != "IBAN ES00 1234" {
		t.Fatalf("Begin = %+v, %v", b, err)
	}

	// Listed again in the admin form: the page is back.
	owner := a.owner()
	_, doc := a.get(owner, "/admin/offers/"+itoa(o.ID))
	if doc.Find("[data-testid=offer-unlisted]").AttrOr("checked", "none") == "none" {
		t.Fatal("the edit form does not show the offer unlisted")
	}
	res, raw = a.api(key, "PATCH", "/api/v1/offers/"+itoa(o.ID), map[string]any{"unlisted": false}, &got)
	wantStatus(t, res, raw, http.StatusOK)
	if err := a.srv.pages.Sync(a.ctx(), a.pool); err != nil {
		t.Fatal(err)
	}
	if res, _ := a.get(a.client(), "/o/"+o.Slug); res.StatusCode != http.StatusOK {
		t.Errorf("listed again: %d", res.StatusCode)
	}
}
