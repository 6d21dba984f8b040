package server

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// catalogFixture makes a payment system with plain SQL (the gateway module owns its table).
func (a *testApp) paymentSystem(name string) string {
	a.t.Helper()
	var id int64
	if err := a.pool.QueryRow(a.ctx(), `INSERT INTO payment_systems (type, name, description) VALUES ('manual', $1, 'Pay by bank transfer') RETURNING id`, name).Scan(&id); err != nil {
		a.t.Fatal(err)
	}
	return itoa(id)
}

func (a *testApp) count(query string, args ...any) int {
	a.t.Helper()
	var n int
	if err := a.pool.QueryRow(a.ctx(), query, args...).Scan(&n); err != nil {
		a.t.Fatal(err)
	}
	return n
}

// formToken reads the one-time token of the form on path.
func (a *testApp) formToken(c *http.Client, path string) string {
	a.t.Helper()
	res, doc := a.get(c, path)
	if res.StatusCode != http.StatusOK {
		a.t.Fatalf("GET %s: %d", path, res.StatusCode)
	}
	tok, ok := doc.Find("input[name=form_token]").Attr("value")
	if !ok || tok == "" {
		a.t.Fatalf("%s has no form token", path)
	}
	return tok
}

func TestAdminCatalog(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	c := a.owner()
	ps := itoa(a.systemOfType("stripe", "Cards")) // charges a saved card on schedule: it sells recurring offers

	// A product, through the form.
	res := a.postForm(c, "/admin/products", url.Values{"form_token": {a.formToken(c, "/admin/products/new")},
		"name": {"Spanish A1"}, "kind": {"course"}, "external_url": {"https://lms.example/a1"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create product: %d", res.StatusCode)
	}
	productURL := res.Header.Get("Location")
	productID := strings.TrimPrefix(productURL, "/admin/products/")
	_, doc := a.get(c, "/admin/products?q=spanish")
	if n := doc.Find("[data-testid=product-row]").Length(); n != 1 {
		t.Fatalf("product list shows %d rows", n)
	}

	t.Run("ProductEdit", func(t *testing.T) {
		res, doc := a.get(c, productURL)
		if res.StatusCode != http.StatusOK || doc.Find("#name").AttrOr("value", "") != "Spanish A1" {
			t.Fatalf("edit page %d", res.StatusCode)
		}
		res = a.postForm(c, productURL, url.Values{"name": {"Spanish A1"}, "kind": {"course"}, "external_id": {"a1-2025"}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("update: %d", res.StatusCode)
		}
		if n := a.count("SELECT count(*) FROM products WHERE external_id = 'a1-2025' AND external_url = ''"); n != 1 {
			t.Fatal("form update not stored")
		}
		res, doc = a.postFormDoc(c, productURL, url.Values{"name": {"Spanish A1"}, "kind": {"course"}, "external_url": {"nope"}})
		if res.StatusCode != http.StatusUnprocessableEntity || doc.Find("[data-testid=external_url-error]").Length() != 1 {
			t.Fatalf("bad update: %d", res.StatusCode)
		}
	})
	t.Run("ProductBadInput", func(t *testing.T) {
		res, doc := a.postFormDoc(c, "/admin/products", url.Values{"name": {""}, "kind": {"book"}})
		if res.StatusCode != http.StatusUnprocessableEntity || doc.Find("[data-testid=name-error]").Length() != 1 ||
			doc.Find("[data-testid=kind-error]").Length() != 1 {
			t.Fatalf("status %d, errors %q", res.StatusCode, doc.Find(".field-error").Text())
		}
	})

	form := url.Values{"title": {"Spanish A1 — monthly"}, "price": {"49,90"}, "currency": {"EUR"}, "kind": {"recurring"},
		"interval": {"month"}, "product_ids": {productID}, "payment_system_ids": {ps}, "language": {"es"},
		"manual_confirm_days": {"14"}, "rf_0_key": {"company"}, "rf_0_label": {"Company"}, "rf_0_type": {"text"},
		"contact_email": {"hola@school.test"}}

	t.Run("OfferBadInput", func(t *testing.T) {
		bad := url.Values{}
		for k, v := range form {
			bad[k] = v
		}
		bad.Set("price", "lots")
		bad.Set("rf_0_key", "Company Name")
		res, doc := a.postFormDoc(c, "/admin/offers", bad)
		if res.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("status %d", res.StatusCode)
		}
		for _, id := range []string{"price", "registration_fields"} {
			if doc.Find("[data-testid="+id+"-error]").Length() != 1 {
				t.Errorf("no %s error; errors: %q", id, doc.Find(".field-error").Text())
			}
		}
		if v, _ := doc.Find("#title").Attr("value"); v != "Spanish A1 — monthly" {
			t.Errorf("title not shown back: %q", v)
		}
		if n := a.count("SELECT count(*) FROM offers"); n != 0 {
			t.Fatalf("bad input made %d offers", n)
		}
	})

	var offerURL string
	t.Run("CreateOnceOnDoubleSubmit", func(t *testing.T) {
		form.Set("form_token", a.formToken(c, "/admin/offers/new"))
		first := a.postForm(c, "/admin/offers", form)
		second := a.postForm(c, "/admin/offers", form)
		if first.StatusCode != http.StatusSeeOther || second.StatusCode != http.StatusSeeOther {
			t.Fatalf("statuses %d, %d", first.StatusCode, second.StatusCode)
		}
		offerURL = first.Header.Get("Location")
		if second.Header.Get("Location") != offerURL {
			t.Fatalf("second submit led to %q, first to %q", second.Header.Get("Location"), offerURL)
		}
		if n := a.count("SELECT count(*) FROM offers"); n != 1 {
			t.Fatalf("double submit made %d offers", n)
		}
		var amount int64
		var slug string
		if err := a.pool.QueryRow(a.ctx(), "SELECT amount, slug FROM offers").Scan(&amount, &slug); err != nil || amount != 4990 || slug != "spanish-a1-monthly" {
			t.Fatalf("stored amount %d slug %q, %v", amount, slug, err)
		}
	})

	t.Run("EditAndPublish", func(t *testing.T) {
		res, doc := a.get(c, offerURL)
		if res.StatusCode != http.StatusOK || doc.Find("[data-testid=offer-status]").Text() != "draft" {
			t.Fatalf("edit page %d, status %q", res.StatusCode, doc.Find("[data-testid=offer-status]").Text())
		}
		if v, _ := doc.Find("#price").Attr("value"); v != "49.90" {
			t.Fatalf("price shown as %q", v)
		}
		if v, _ := doc.Find("#rf_0_key").Attr("value"); v != "company" {
			t.Fatalf("registration field shown as %q", v)
		}
		edit := url.Values{}
		for k, v := range form {
			edit[k] = v
		}
		edit.Del("form_token")
		edit.Set("title", "Spanish A1 — every month")
		edit.Set("slug", "spanish-a1")
		edit.Set("kind", "one_time")
		if res := a.postForm(c, offerURL, edit); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("update: %d", res.StatusCode)
		}
		if res := a.postForm(c, offerURL+"/status", url.Values{"status": {"published"}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("publish: %d", res.StatusCode)
		}
		_, doc = a.get(c, "/admin/offers?status=published")
		rows := doc.Find("[data-testid=offer-row]")
		if rows.Length() != 1 || !strings.Contains(rows.Text(), "Spanish A1 — every month") || rows.Find("[data-testid=offer-status]").Text() != "published" {
			t.Fatalf("published list: %q", rows.Text())
		}
		if res, _ := a.get(a.client(), "/o/spanish-a1"); res.StatusCode != http.StatusOK {
			t.Fatalf("public page after publish: %d", res.StatusCode)
		}
		if n := a.count("SELECT count(*) FROM audit_log WHERE entity = 'offer'"); n != 3 {
			t.Fatalf("audit has %d offer entries, want create, update, publish", n)
		}
	})

	t.Run("ArchivedProductCannotPublish", func(t *testing.T) {
		if res := a.postForm(c, offerURL+"/status", url.Values{"status": {"draft"}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("unpublish: %d", res.StatusCode)
		}
		if res := a.postForm(c, productURL+"/archive", nil); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("archive: %d", res.StatusCode)
		}
		res, doc := a.postFormDoc(c, offerURL+"/status", url.Values{"status": {"published"}})
		if res.StatusCode != http.StatusUnprocessableEntity || doc.Find("[data-testid=status-error]").Length() != 1 {
			t.Fatalf("publish with archived product: %d", res.StatusCode)
		}
		_, doc = a.get(c, "/admin/offers/new")
		if strings.Contains(doc.Find("[data-testid=offer-products]").Text(), "Spanish A1") {
			t.Fatal("an archived product is offered for new offers")
		}
	})
}
