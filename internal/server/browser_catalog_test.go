package server

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/bursar/bursar/internal/staff"
)

// TestBrowserPublishOfferInSpanish is issue 2's check: an admin signs in, creates a product and an offer, publishes
// it, and the public page shows it in Spanish on a phone-sized screen without sideways scrolling.
func TestBrowserPublishOfferInSpanish(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	a.createAdmin(testOwnerEmail, staff.RoleOwner)
	if _, err := a.pool.Exec(a.ctx(), `INSERT INTO payment_systems (type, name, description, settings) VALUES ('manual', 'Transferencia bancaria', 'Pago por transferencia', '{"supported_currencies":["EUR"]}')`); err != nil {
		t.Fatal(err)
	}
	ctx := newBrowser(t, 1280, 900)
	browse(t, ctx, "sign-in",
		chromedp.Navigate(a.ts.URL+"/admin/login"),
		chromedp.SendKeys("#email", testOwnerEmail),
		chromedp.SendKeys("#password", testPassword),
		chromedp.Submit("#password"),
		chromedp.WaitVisible(`[data-testid="admin-user"]`))
	browse(t, ctx, "product",
		chromedp.Navigate(a.ts.URL+"/admin/products/new"),
		chromedp.SendKeys("#name", "Español A1"),
		chromedp.SetValue("#kind", "course"),
		chromedp.Submit("#name"),
		chromedp.WaitVisible(`[data-testid="flash"]`))
	browse(t, ctx, "offer",
		chromedp.Navigate(a.ts.URL+"/admin/offers/new"),
		chromedp.SendKeys("#title", "Curso de español"),
		chromedp.SendKeys("#slug", "curso-espanol"),
		chromedp.SendKeys("#description", "Aprende **español** con nosotros."),
		chromedp.SendKeys("#price", "49"),
		chromedp.SetValue("#currency", "EUR"),
		chromedp.SetValue("#language", "es"),
		chromedp.Click(`input[name="product_ids"]`),
		chromedp.Click(`input[name="payment_system_ids"]`),
		chromedp.Submit("#title"),
		chromedp.WaitVisible(`[data-testid="set-published"]`))
	browse(t, ctx, "publish",
		chromedp.Click(`[data-testid="set-published"]`),
		// Only the published offer's page offers to take it back to draft (the old page had a flash too).
		chromedp.WaitVisible(`[data-testid="set-draft"]`))
	screenshot(t, ctx, "admin-offer-published")
	status, err := chromedp.Run(ctx, chromedp.Text(`[data-testid="offer-status"]`))
	if err != nil || !strings.Contains(status, "published") {
		t.Fatalf("offer status %q (%v)", status, err)
	}

	// The student's phone.
	phone := newBrowser(t, 390, 844)
	browse(t, phone, "public-page", chromedp.Navigate(a.ts.URL+"/o/curso-espanol"), chromedp.WaitVisible(`[data-testid="offer-price"]`))
	screenshot(t, phone, "public-offer-es-390")
	lang, _ := chromedp.Run(phone, chromedp.Evaluate[string](`document.documentElement.lang`))
	price, _ := chromedp.Run(phone, chromedp.Text(`[data-testid="offer-price"]`))
	title, _ := chromedp.Run(phone, chromedp.Text(`[data-testid="offer-title"]`))
	pay, _ := chromedp.Run(phone, chromedp.Text(`[data-testid="payment-systems"]`))
	sideways, _ := chromedp.Run(phone, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`))
	if lang != "es" || !strings.Contains(price, "49,00") || !strings.Contains(price, "€") || title != "Curso de español" {
		t.Fatalf("public page: lang %q, price %q, title %q", lang, price, title)
	}
	if !strings.Contains(pay, "Transferencia bancaria") {
		t.Fatalf("payment systems %q", pay)
	}
	if sideways {
		t.Fatal("the offer page scrolls sideways at 390 px")
	}
}
