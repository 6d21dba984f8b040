package server

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/offer"
	"github.com/bursar/bursar/internal/order/prooftest"
	"github.com/bursar/bursar/internal/paylink"
	"github.com/bursar/bursar/internal/staff"
)

// TestBrowserPaymentLinks is issue 13's check in Chromium, the payer on a 390 px phone: a contact opens a payment
// link the operator made on the contact's card and declines it, and the operator sees it declined; a second link is
// paid by bank transfer with a PDF receipt, the manager approves it from the order page showing the receipt, and
// the contact's cabinet shows the course. The cancelled and expired pages are visited too (screenshots).
func TestBrowserPaymentLinks(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	ctx := a.ctx()
	a.createAdmin(testOwnerEmail, staff.RoleOwner)
	sys, err := a.srv.paymentSystems.Create(ctx, gateway.Input{Type: "manual", Name: "Transferencia bancaria", Enabled: true,
		Description: "IBAN ES91 2100 0418 4502 0005 1332\nBeneficiario: Academia Sol", Settings: map[string]any{
			"supported_currencies": []any{"EUR"}}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := a.srv.offers.CreateProduct(ctx, offer.ProductInput{Name: "Español A1", Kind: "course", ExternalURL: "https://lms.example.org/es-a1"})
	if err != nil {
		t.Fatal(err)
	}
	in := offer.NewInput()
	in.Title, in.Slug, in.Language, in.Status, in.Unlisted = "Curso de español A1", "espanol-a1", "es", offer.StatusPublished, true
	in.Amount, in.Currency, in.ProductIDs, in.PaymentSystemIDs = 4900, "EUR", []int64{p.ID}, []int64{sys.ID}
	in.Contact = offer.Contact{Email: "hola@academia.test", Phone: "+34 600 000 000"}
	of, err := a.srv.offers.Create(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	a.student("lucia@example.com") // the contact has an account, to find the course in the cabinet
	ct, err := a.srv.contacts.ByEmail(ctx, "lucia@example.com")
	if err != nil {
		t.Fatal(err)
	}
	path := func(l paylink.Link) string { return a.ts.URL + strings.TrimPrefix(l.URL, a.srv.cfg.BaseURL) }

	// The operator makes the first link on the contact's card.
	admin := newBrowser(t, 1280, 900)
	browse(t, admin, "admin-sign-in",
		chromedp.Navigate(a.ts.URL+"/admin/login"),
		chromedp.SendKeys("#email", testOwnerEmail),
		chromedp.SendKeys("#password", testPassword),
		chromedp.Submit("#password"),
		chromedp.WaitVisible(`[data-testid="admin-user"]`))
	browse(t, admin, "new-link",
		chromedp.Navigate(a.ts.URL+"/admin/contacts/"+itoa(ct.ID)),
		chromedp.Click(`[data-testid="new-payment-link"]`),
		chromedp.WaitVisible(`[data-testid="link-form"]`),
		chromedp.SetValue(`#offer_id`, itoa(of.ID)),
		chromedp.SendKeys(`#note`, "Hola Lucía: este es el pago del curso de septiembre."),
		chromedp.Click(`[data-testid="link-create"]`),
		chromedp.WaitVisible(`[data-testid="link-url"]`))
	screenshot(t, admin, "link-admin-1-created")
	first, err := chromedp.Run(admin, chromedp.Value(`[data-testid="link-url"]`))
	if err != nil || !strings.HasPrefix(first, a.srv.cfg.BaseURL+"/pay/") {
		t.Fatalf("the link's page shows the URL %q (%v)", first, err)
	}

	// The contact opens it on the phone and declines it.
	phone := newBrowser(t, 390, 844)
	sideways := func(what string) {
		t.Helper()
		if wide, _ := chromedp.Run(phone, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`)); wide {
			t.Errorf("%s scrolls sideways at 390 px", what)
		}
	}
	firstPage := a.ts.URL + strings.TrimPrefix(first, a.srv.cfg.BaseURL)
	browse(t, phone, "open", chromedp.Navigate(firstPage), chromedp.WaitVisible(`[data-testid="pay-now"]`))
	screenshot(t, phone, "link-1-active-390")
	sideways("the link's page")
	if lang, _ := chromedp.Run(phone, chromedp.Evaluate[string](`document.documentElement.lang`)); lang != "es" {
		t.Errorf("page lang %q", lang)
	}
	browse(t, phone, "decline",
		chromedp.Click(`[data-testid="decline-open"]`),
		chromedp.WaitVisible(`#reason`),
		chromedp.SendKeys(`#reason`, "Ya no puedo asistir en septiembre"))
	screenshot(t, phone, "link-2-decline-form-390")
	browse(t, phone, "decline-submit",
		chromedp.Click(`[data-testid="decline-submit"]`),
		chromedp.WaitVisible(`[data-testid="link-declined"]`))
	screenshot(t, phone, "link-3-declined-390")

	browse(t, admin, "declined",
		chromedp.Navigate(a.ts.URL+"/admin/payment-links?email=lucia@example.com"),
		chromedp.WaitVisible(`[data-testid="link-row"][data-status="declined"]`),
		chromedp.Click(`[data-testid="link-row"] a`),
		chromedp.WaitVisible(`[data-testid="link-decline-reason"]`))
	screenshot(t, admin, "link-admin-2-declined")
	reason, _ := chromedp.Run(admin, chromedp.Text(`[data-testid="link-decline-reason"]`))
	status, _ := chromedp.Run(admin, chromedp.Text(`h1 [data-testid="status"]`))
	if status != "declined" || !strings.Contains(reason, "septiembre") {
		t.Errorf("the operator sees %q with the reason %q", status, reason)
	}

	// The second link is paid by bank transfer with a PDF receipt.
	second, err := a.srv.links.Create(ctx, paylink.Input{ContactID: ct.ID, OfferID: of.ID})
	if err != nil {
		t.Fatal(err)
	}
	browse(t, phone, "pay",
		chromedp.Navigate(path(second)),
		chromedp.Click(`[data-testid="pay-now"]`),
		chromedp.WaitVisible(`[data-testid="bank-details"]`))
	screenshot(t, phone, "link-4-bank-transfer-390")
	sideways("the bank transfer")
	receipt := filepath.Join(t.TempDir(), "recibo.pdf")
	if err := os.WriteFile(receipt, prooftest.PDF("Transferencia REF-777"), 0o600); err != nil {
		t.Fatal(err)
	}
	browse(t, phone, "proof",
		chromedp.SendKeys(`#reference`, "REF-777"),
		chromedp.SetUploadFiles(`#file`, []string{receipt}),
		chromedp.Click(`[data-testid="proof-submit"]`),
		chromedp.WaitVisible(`[data-testid="proofs"]`))
	screenshot(t, phone, "link-5-proof-sent-390")

	browse(t, admin, "order",
		chromedp.Navigate(a.ts.URL+"/admin/payment-links/"+itoa(second.ID)),
		chromedp.Click(`[data-testid="link-order"]`),
		chromedp.WaitVisible(`[data-testid="proofs"] [data-testid="proof-download"]`))
	proof, _ := chromedp.Run(admin, chromedp.Text(`[data-testid="proofs"]`))
	if !strings.Contains(proof, "recibo.pdf") || !strings.Contains(proof, "REF-777") {
		t.Fatalf("the order page shows the proof as %q", proof)
	}
	screenshot(t, admin, "link-admin-3-order-proof")
	browse(t, admin, "approve",
		chromedp.Click(`[data-testid="approve-form"] button[type="submit"]`),
		chromedp.WaitVisible(`[data-testid="order-decided"]`))
	if st, _ := chromedp.Run(admin, chromedp.Text(`[data-testid="status"]`)); !strings.Contains(st, "completed") {
		t.Fatalf("order status after approve %q", st)
	}
	browse(t, phone, "paid", chromedp.Navigate(path(second)), chromedp.WaitVisible(`[data-testid="link-paid"]`))
	screenshot(t, phone, "link-6-paid-390")

	browse(t, phone, "cabinet",
		chromedp.Navigate(a.ts.URL+"/account/login"),
		chromedp.SendKeys(`#email`, "lucia@example.com"),
		chromedp.SendKeys(`#password`, testPassword),
		chromedp.Click(`[data-testid="login-submit"]`),
		chromedp.WaitVisible(`[data-testid="products"]`))
	screenshot(t, phone, "link-7-cabinet-390")
	if product, _ := chromedp.Run(phone, chromedp.Text(`[data-testid="product-name"]`)); !strings.Contains(product, "Español A1") {
		t.Fatalf("cabinet shows %q", product)
	}

	// What a cancelled and an expired link look like.
	cancelled, err := a.srv.links.Create(ctx, paylink.Input{ContactID: ct.ID, OfferID: of.ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.srv.links.Cancel(ctx, cancelled.ID, ""); err != nil {
		t.Fatal(err)
	}
	browse(t, phone, "cancelled", chromedp.Navigate(path(cancelled)), chromedp.WaitVisible(`[data-testid="link-cancelled"]`))
	screenshot(t, phone, "link-8-cancelled-390")
	expired, err := a.srv.links.Create(ctx, paylink.Input{ContactID: ct.ID, OfferID: of.ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.pool.Exec(ctx, "UPDATE payment_links SET expires_at = now() - interval '1 minute' WHERE id = $1", expired.ID); err != nil {
		t.Fatal(err)
	}
	browse(t, phone, "expired", chromedp.Navigate(path(expired)), chromedp.WaitVisible(`[data-testid="link-expired"]`))
	screenshot(t, phone, "link-9-expired-390")
	sideways("the expired page")
}
