package server

import (
	"encoding/csv"
	"github.com/bursar/bursar/internal/offer"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/bursar/bursar/internal/paylink"
)

func TestAdminPaymentLinks(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	c := a.owner()
	f := newLinkFixture(t, a)

	// From the contact's card to the form, with the contact filled in.
	_, doc := a.get(c, "/admin/contacts/"+itoa(f.contact.ID))
	href, ok := doc.Find("[data-testid=new-payment-link]").Attr("href")
	if !ok {
		t.Fatal("no New payment link on the contact card")
	}
	res, doc := a.get(c, href)
	if res.StatusCode != http.StatusOK || doc.Find("#contact_email").AttrOr("value", "") != "payer@example.com" {
		t.Fatalf("new link form: %d, contact %q", res.StatusCode, doc.Find("#contact_email").AttrOr("value", ""))
	}
	token := doc.Find("input[name=form_token]").AttrOr("value", "")

	t.Run("DraftOfferNotOffered", func(t *testing.T) {
		// A draft cannot be sold by link (paylink refuses it): the form does not offer it; the list's filter does,
		// since its links may still be there.
		draft := a.offer(func(in *offer.Input) { in.Title, in.Slug, in.Status = "Borrador", "borrador-link", offer.StatusDraft })
		opt := "select#offer_id option[value='" + itoa(draft.ID) + "']"
		if _, doc := a.get(c, href); doc.Find(opt).Length() != 0 {
			t.Error("the new-link form offers a draft offer")
		}
		if _, doc := a.get(c, "/admin/payment-links"); doc.Find(opt).Length() != 1 {
			t.Error("the list's offer filter lacks the draft offer")
		}
	})

	t.Run("FieldErrors", func(t *testing.T) {
		tests := []struct {
			name  string
			form  url.Values
			field string
		}{
			{"NoContact", url.Values{"offer_id": {itoa(f.offer.ID)}}, "contact_email"},
			{"UnknownContact", url.Values{"contact_email": {"nobody@example.com"}, "offer_id": {itoa(f.offer.ID)}}, "contact_email"},
			{"NoOfferNorAmount", url.Values{"contact_email": {"payer@example.com"}}, "amount"},
			{"BadAmount", url.Values{"contact_email": {"payer@example.com"}, "amount": {"12,3x"}, "currency": {"EUR"}, "description": {"x"}}, "amount"},
			{"UnknownCurrency", url.Values{"contact_email": {"payer@example.com"}, "amount": {"10"}, "currency": {"ABC"}, "description": {"x"},
				"payment_system_ids": {itoa(f.bank.ID)}}, "currency"},
			{"NoDescription", url.Values{"contact_email": {"payer@example.com"}, "amount": {"10"}, "currency": {"EUR"},
				"payment_system_ids": {itoa(f.bank.ID)}}, "description"},
			{"ExpiryPast", url.Values{"contact_email": {"payer@example.com"}, "offer_id": {itoa(f.offer.ID)}, "expires_at": {"2020-01-01"}}, "expires_at"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				res, doc := a.postFormDoc(c, "/admin/payment-links", tt.form)
				if res.StatusCode != http.StatusUnprocessableEntity || doc.Find("#"+tt.field+"-error").Text() == "" {
					t.Errorf("status %d, message on %s %q", res.StatusCode, tt.field, doc.Find("#"+tt.field+"-error").Text())
				}
			})
		}
		if n := a.count("SELECT count(*) FROM payment_links"); n != 0 {
			t.Errorf("%d links after bad input", n)
		}
	})

	form := url.Values{"form_token": {token}, "contact_email": {"payer@example.com"}, "offer_id": {itoa(f.offer.ID)},
		"language": {"fr"}, "note": {"Merci"}, "send_email": {"1"}}
	res = a.postForm(c, "/admin/payment-links", form)
	where := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(where, "/admin/payment-links/") {
		t.Fatalf("create: %d to %q", res.StatusCode, where)
	}
	if res := a.postForm(c, "/admin/payment-links", form); res.Header.Get("Location") != where {
		t.Errorf("double submit went to %q", res.Header.Get("Location"))
	}
	if n := a.count("SELECT count(*) FROM payment_links WHERE creator_type = 'admin' AND language = 'fr'"); n != 1 {
		t.Fatalf("%d links made by the operator", n)
	}
	if n := a.count("SELECT count(*) FROM outbound_emails WHERE related_type = 'payment_link'"); n != 1 {
		t.Errorf("%d link e-mails", n)
	}
	id := parseID(strings.TrimPrefix(where, "/admin/payment-links/"))
	l, _ := a.srv.links.Get(a.ctx(), id)

	_, doc = a.get(c, where)
	if doc.Find("[data-testid=link-url]").AttrOr("value", "") != l.URL || doc.Find("[data-testid=copy-url]").Length() != 1 ||
		doc.Find("[data-testid=link-send]").Length() != 1 || doc.Find("[data-testid=link-cancel]").Length() != 1 ||
		doc.Find("[data-testid=event][data-kind='link.sent']").Length() != 1 {
		t.Error("the link's page lacks its URL, copy, send, cancel or the sent event")
	}
	if doc.Find("[data-testid=link-step][data-done]").Length() != 2 { // created, sent
		t.Errorf("%d steps done; want created and sent", doc.Find("[data-testid=link-step][data-done]").Length())
	}

	t.Run("QR", func(t *testing.T) {
		for ext, typ := range map[string]string{"png": "image/png", "svg": "image/svg+xml"} {
			res, err := c.Get(a.ts.URL + where + "/qr." + ext + "?download=1")
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != typ || len(b) < 100 ||
				!strings.Contains(res.Header.Get("Content-Disposition"), "payment-link-"+itoa(id)+"."+ext) {
				t.Errorf("qr.%s: %d %s, %d bytes", ext, res.StatusCode, res.Header.Get("Content-Type"), len(b))
			}
		}
		if res, _ := a.get(a.client(), where+"/qr.png"); res.StatusCode == http.StatusOK {
			t.Error("a visitor gets the QR code")
		}
	})

	t.Run("ListAndCSV", func(t *testing.T) {
		a.get(a.client(), strings.TrimPrefix(l.URL, a.srv.cfg.BaseURL)) // opened by the payer
		_, doc := a.get(c, "/admin/payment-links?status=active&email=payer@example.com&offer_id="+itoa(f.offer.ID))
		if doc.Find("[data-testid=link-row]").Length() != 1 || doc.Find("[data-testid=link-row] td").Eq(6).Text() == "" {
			t.Error("the filtered list does not show the opened link")
		}
		_, doc = a.get(c, "/admin/payment-links?status=paid")
		if doc.Find("[data-testid=link-row]").Length() != 0 {
			t.Error("paid filter lists an active link")
		}
		if res, _ := a.get(c, "/admin/payment-links?from=yesterday"); res.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("bad date: %d", res.StatusCode)
		}
		res, err := c.Get(a.ts.URL + "/admin/payment-links.csv?status=active")
		if err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(res.Body).ReadAll()
		res.Body.Close()
		if err != nil || len(rows) != 2 || rows[1][0] != itoa(id) || rows[1][3] != "payer@example.com" || rows[1][12] == "" {
			t.Errorf("csv = %v, %v", rows, err)
		}
	})

	t.Run("SendAndCancel", func(t *testing.T) {
		if res := a.postForm(c, where+"/send", nil); res.StatusCode != http.StatusSeeOther {
			t.Errorf("send: %d", res.StatusCode)
		}
		if n := a.count("SELECT count(*) FROM outbound_emails WHERE related_type = 'payment_link'"); n != 2 {
			t.Errorf("%d link e-mails after sending again", n)
		}
		if res := a.postForm(c, where+"/cancel", url.Values{"comment": {"wrong offer"}}); res.StatusCode != http.StatusSeeOther {
			t.Errorf("cancel: %d", res.StatusCode)
		}
		if st := f.status(id); st != paylink.StatusCancelled {
			t.Errorf("link %s", st)
		}
		// Cancelling again says what became of it.
		a.postForm(c, where+"/cancel", nil)
		_, doc := a.get(c, where)
		if !strings.Contains(doc.Find("[data-testid=flash]").Text(), "cancelled") || doc.Find("[data-testid=link-cancel]").Length() != 0 {
			t.Errorf("second cancel flash %q", doc.Find("[data-testid=flash]").Text())
		}
	})
}
