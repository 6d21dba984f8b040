package server

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/bursar/bursar/internal/offer"
)

// publishedOffer creates a product and an offer through the service, with edit applied to the input.
func (a *testApp) offer(edit func(*offer.Input)) offer.Offer {
	a.t.Helper()
	p, err := a.srv.offers.CreateProduct(a.ctx(), offer.ProductInput{Name: "Curso de español A1", Kind: offer.KindCourse})
	if err != nil {
		a.t.Fatal(err)
	}
	in := offer.NewInput()
	in.Title, in.Amount, in.Currency, in.ProductIDs = "Español A1", 4900, "EUR", []int64{p.ID}
	in.Status = offer.StatusPublished
	edit(&in)
	o, err := a.srv.offers.Create(a.ctx(), in)
	if err != nil {
		a.t.Fatal(err)
	}
	return o
}

func TestPublicOfferPage(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	ps, _ := strconv.ParseInt(a.paymentSystem("Transferencia bancaria"), 10, 64)
	o := a.offer(func(in *offer.Input) {
		in.Language = "es"
		in.Slug = "espanol-a1"
		in.PaymentSystemIDs = []int64{ps}
		in.AccessDays = 90
		in.Description = "## Qué aprenderás\n\n**Gramática** y [más](https://school.test/a1).\n\n<script>alert('x')</script>\n\n<img src=x onerror=alert(1)>"
		in.Contact = offer.Contact{Email: "hola@school.test", Phone: "+34 600 000 000", Note: "Lunes a viernes"}
	})

	res, doc := a.get(a.client(), "/o/espanol-a1")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d", res.StatusCode)
	}
	html, _ := doc.Html()
	tests := []struct {
		name string
		ok   bool
	}{
		{"LangAttribute", doc.Find("html").AttrOr("lang", "") == "es"},
		{"OneH1", doc.Find("h1").Length() == 1 && doc.Find("h1").Text() == "Español A1"},
		{"SpanishPrice", doc.Find("[data-testid=offer-price]").Text() == "49,00\u00a0€"},
		{"Terms", doc.Find("[data-testid=offer-terms]").Text() == "pago único"},
		{"Access", doc.Find("[data-testid=offer-access]").Text() == "Acceso durante 90 días"},
		{"Products", doc.Find("[data-testid=offer-products]").Text() == "Curso de español A1"},
		{"MarkdownRendered", doc.Find("[data-testid=offer-description] strong").Text() == "Gramática"},
		{"NoScript", !strings.Contains(html, "<script") && !strings.Contains(html, "alert(") && !strings.Contains(html, "onerror")},
		{"PaymentSystem", doc.Find("[data-testid=payment-system] strong").Text() == "Transferencia bancaria"},
		{"PayLink", doc.Find("[data-testid=pay-link]").AttrOr("href", "") == "/o/espanol-a1/checkout?system="+itoa(ps)},
		{"PayLabel", doc.Find("[data-testid=pay-link]").Text() == "Pagar con Transferencia bancaria"},
		{"Contact", strings.Contains(doc.Find("[data-testid=offer-contact]").Text(), "hola@school.test")},
		{"Viewport", doc.Find(`meta[name=viewport]`).Length() == 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !tt.ok {
				t.Fatalf("page does not satisfy %s:\n%s", tt.name, html)
			}
		})
	}

	t.Run("EditShowsNewPrice", func(t *testing.T) {
		if _, err := a.srv.offers.Update(a.ctx(), o.ID, func(in *offer.Input) {
			in.Amount = 9000
		}); err != nil {
			t.Fatal(err)
		}
		// The page was cached; the change reaches this process's cache through PostgreSQL.
		if err := a.srv.pages.Sync(t.Context(), a.pool); err != nil {
			t.Fatal(err)
		}
		_, doc := a.get(a.client(), "/o/espanol-a1")
		if got := doc.Find("[data-testid=offer-price]").Text(); got != "90,00\u00a0€" {
			t.Fatalf("price after edit %q", got)
		}
		// Installment terms are never shown: an installments offer cannot be published (TestOfferNotSoldAlreadyPublished).
		if got := doc.Find("[data-testid=offer-terms]").Text(); got != "pago único" {
			t.Fatalf("terms %q", got)
		}
	})

	t.Run("NotFound", func(t *testing.T) {
		draft := a.offer(func(in *offer.Input) { in.Slug, in.Status = "borrador", offer.StatusDraft })
		archived := a.offer(func(in *offer.Input) { in.Slug, in.Status = "viejo", offer.StatusArchived })
		for _, slug := range []string{draft.Slug, archived.Slug, "no-such-offer", "UPPER"} {
			if res, _ := a.get(a.client(), "/o/"+slug); res.StatusCode != http.StatusNotFound {
				t.Errorf("/o/%s: %d, want 404", slug, res.StatusCode)
			}
		}
	})

	t.Run("EnglishNoPaymentSystems", func(t *testing.T) {
		// A recurring offer cannot be published, so "per month" is never shown (TestOfferNotSoldCannotBePublished).
		a.offer(func(in *offer.Input) {
			in.Slug, in.Amount, in.Currency = "monthly", 123456, "USD"
		})
		_, doc := a.get(a.client(), "/o/monthly")
		if doc.Find("html").AttrOr("lang", "") != "en" || doc.Find("[data-testid=offer-price]").Text() != "$1,234.56" ||
			doc.Find("[data-testid=offer-terms]").Text() != "one-time payment" || doc.Find("[data-testid=no-payment-systems]").Length() != 1 ||
			doc.Find("[data-testid=offer-access]").Text() != "Lifetime access" {
			h, _ := doc.Html()
			t.Fatalf("page:\n%s", h)
		}
	})
}

// TestOfferPageSession: the offer page sets no cookie for a visitor without a session and answers "Vary: Cookie"
// like every public page, the security headers included; a signed-in student's session is still extended by viewing
// it, as by any page (the idle timeout).
func TestOfferPageSession(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	a.offer(func(in *offer.Input) { in.Slug = "sesion" })

	for i := range 2 { // rendered, then from the page cache
		res, _ := a.get(a.client(), "/o/sesion")
		if res.StatusCode != http.StatusOK || len(res.Cookies()) != 0 || res.Header.Get("Vary") != "Cookie" ||
			res.Header.Get("Cache-Control") != "no-cache" || res.Header.Get("X-Frame-Options") != "DENY" ||
			res.Header.Get("X-Content-Type-Options") != "nosniff" ||
			!strings.Contains(res.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
			t.Fatalf("visit %d: status %d, cookies %v, headers %v", i+1, res.StatusCode, res.Cookies(), res.Header)
		}
	}

	student := a.student("ana@example.org")
	res, _ := a.get(student, "/o/sesion")
	extended := false
	for _, c := range res.Cookies() {
		extended = extended || (c.Name == a.srv.sessions.Cookie.Name && c.Value != "")
	}
	if res.StatusCode != http.StatusOK || !extended || res.Header.Get("Vary") != "Cookie" {
		t.Fatalf("signed in: status %d, cookies %v, Vary %q", res.StatusCode, res.Cookies(), res.Header.Get("Vary"))
	}
}

// TestOfferTermsInstallmentPart: the installments' short terms name the part the first receipt asks (billing.Split
// puts the remainder there), not a rounded-up share: 100.01 EUR in 3 is 33.35 + 33.33 + 33.33.
func TestOfferTermsInstallmentPart(t *testing.T) {
	o := offer.Offer{Input: offer.Input{Kind: offer.Installments, Installments: 3, Amount: 10001, Currency: "EUR",
		Language: "en"}}
	if got := offerTerms(o); !strings.Contains(got, "33.35") {
		t.Fatalf("offerTerms = %q, want the first part 33.35", got)
	}
}
