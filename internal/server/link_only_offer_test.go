package server

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/bursar/bursar/internal/crm"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/offer"
	"github.com/bursar/bursar/internal/paylink"
)

// TestLinkOnlyOfferOutOfTheCatalog: the offer a custom amount's link is sold through is in no list or picker of
// offers (admin offers, API offers, the orders' filter, the new manual payment, the payment links' filter and new
// link form), yet the orders show its title,
// its page says which link it belongs to, and neither the admin screens nor the API can edit it.
func TestLinkOnlyOfferOutOfTheCatalog(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	key := a.apiKey()
	owner := a.owner()
	bank, err := a.srv.paymentSystems.Create(a.ctx(), gateway.Input{Type: gateway.TypeManual, Name: "Bank transfer",
		Enabled: true, Description: "IBAN ES00 1234", Settings: map[string]any{"supported_currencies": []any{"EUR"}}})
	if err != nil {
		t.Fatal(err)
	}
	listed := a.offer(func(in *offer.Input) { in.Title, in.PaymentSystemIDs = "Spanish A1", []int64{bank.ID} })
	c, err := a.srv.contacts.Create(a.ctx(), crm.Input{Email: "tutee@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	const title = "Exam fee, June session"
	l, err := a.srv.links.Create(a.ctx(), paylink.Input{ContactID: c.ID, Amount: 3500, Currency: "EUR",
		Description: title, PaymentSystemIDs: []int64{bank.ID}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := a.srv.links.Begin(a.ctx(), l.Token, paylink.Payment{PaymentSystemID: bank.ID, Comment: "ref 7"})
	if err != nil {
		t.Fatal(err)
	}
	own := itoa(l.OfferID)

	// The lists and pickers: the catalog's offer is there, the link's is not.
	options := func(doc *goquery.Document, sel string) []string {
		var ids []string
		doc.Find(sel).Each(func(_ int, s *goquery.Selection) { ids = append(ids, s.AttrOr("value", "")) })
		return ids
	}
	for _, page := range []struct{ path, sel string }{
		{"/admin/offers", "[data-testid=offer-row] a"},
		{"/admin/offers?q=exam", "[data-testid=offer-row] a"},
		{"/admin/orders", "select#offer_id option"},
		{"/admin/orders/new", "select#offer_id option"},
		{"/admin/payment-links", "select#offer_id option"},
		{"/admin/payment-links/new", "select#offer_id option"},
	} {
		res, doc := a.get(owner, page.path)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d", page.path, res.StatusCode)
		}
		var got []string
		if strings.HasPrefix(page.sel, "select") {
			got = options(doc, page.sel)
		} else {
			doc.Find(page.sel).Each(func(_ int, s *goquery.Selection) {
				got = append(got, strings.TrimPrefix(s.AttrOr("href", ""), "/admin/offers/"))
			})
		}
		listsIt := page.path == "/admin/orders" || page.path == "/admin/payment-links" // its order, its link
		if strings.Contains(doc.Find("main").Text(), title) && !listsIt ||
			slices.Contains(got, own) {
			t.Errorf("%s offers the link's offer %s: %v", page.path, own, got)
		}
		if page.path != "/admin/offers?q=exam" && !slices.Contains(got, itoa(listed.ID)) {
			t.Errorf("%s lacks the catalog's offer %d: %v", page.path, listed.ID, got)
		}
	}
	for _, path := range []string{"/api/v1/offers", "/api/v1/offers?status=published", "/api/v1/offers?q=link-"} {
		var list struct {
			Data []struct {
				ID int64 `json:"id"`
			} `json:"data"`
		}
		res, raw := a.api(key, "GET", path, nil, &list)
		wantStatus(t, res, raw, http.StatusOK)
		for _, o := range list.Data {
			if o.ID == l.OfferID {
				t.Errorf("%s lists the link's offer: %s", path, raw)
			}
		}
		if path == "/api/v1/offers" && (len(list.Data) != 1 || list.Data[0].ID != listed.ID) {
			t.Errorf("%s = %s; want the catalog's offer only", path, raw)
		}
	}

	// The orders show its title, and filter by it.
	_, doc := a.get(owner, "/admin/orders?offer_id="+own)
	row := doc.Find("[data-testid=order-row][data-id='" + itoa(b.Order.ID) + "']")
	if row.Length() != 1 || !strings.Contains(row.Text(), title) {
		t.Fatalf("the orders filtered by the link's offer show %q", doc.Find("[data-testid=orders-table]").Text())
	}
	if _, doc := a.get(owner, orderURL(b.Order.ID)); !strings.Contains(doc.Find("main").Text(), title) {
		t.Fatal("the order page does not show the custom amount's title")
	}

	// Its page says which link it belongs to, with no form; edits are refused, on screen and by the API.
	res, doc := a.get(owner, "/admin/offers/"+own)
	notice := doc.Find("[data-testid=offer-link-only]").Text()
	if res.StatusCode != http.StatusOK || !strings.Contains(notice, "payment link "+itoa(l.ID)) ||
		doc.Find("[data-testid=offer-link]").AttrOr("href", "") != "/admin/payment-links/"+itoa(l.ID) ||
		doc.Find("[data-testid=offer-form]").Length() != 0 || doc.Find("[data-testid=offer-status-bar]").Length() != 0 {
		t.Fatalf("offer page %d: notice %q", res.StatusCode, notice)
	}
	if res := a.postForm(owner, "/admin/offers/"+own, url.Values{"title": {"Spanish B1"}, "price": {"1.00"},
		"currency": {"EUR"}, "kind": {"one_time"}, "language": {"en"}, "manual_confirm_days": {"30"}}); res.StatusCode != http.StatusConflict {
		t.Errorf("POST the edit form: %d, want 409", res.StatusCode)
	}
	if res := a.postForm(owner, "/admin/offers/"+own+"/status", url.Values{"status": {"archived"}}); res.StatusCode != http.StatusConflict {
		t.Errorf("POST archive: %d, want 409", res.StatusCode)
	}
	var problem map[string]any
	res, raw := a.api(key, "PATCH", "/api/v1/offers/"+own, map[string]any{"unlisted": false}, &problem)
	wantStatus(t, res, raw, http.StatusConflict)
	if !strings.Contains(problem["detail"].(string), "payment link") {
		t.Errorf("PATCH problem = %s", raw)
	}
	var got map[string]any
	res, raw = a.api(key, "GET", "/api/v1/offers/"+own, nil, &got)
	wantStatus(t, res, raw, http.StatusOK)
	if got["link_only"] != true || got["unlisted"] != true || got["title"] != title || got["amount"] != float64(3500) {
		t.Fatalf("the link's offer after the refused edits: %s", raw)
	}
}
