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
	"github.com/bursar/bursar/internal/staff"
)

// TestBrowserManualPayment is issue 3's flow F3 in Chromium: a student on a phone signs up at checkout and pays by
// bank transfer, sends the receipt as a PDF, a manager sees it on the order page and approves the payment, and the
// student finds the course in the cabinet.
func TestBrowserManualPayment(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	ctx := a.ctx()
	a.createAdmin(testOwnerEmail, staff.RoleOwner)
	sys, err := a.srv.paymentSystems.Create(ctx, gateway.Input{Type: "manual", Name: "Transferencia bancaria", Enabled: true,
		Description: "IBAN ES00 0000 0000 0000 0000 0000", Settings: map[string]any{
			"supported_currencies": []any{"EUR"}, "comment_hint": "Escribe la referencia de la transferencia."}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := a.srv.offers.CreateProduct(ctx, offer.ProductInput{Name: "Español A1", Kind: "course", ExternalURL: "https://lms.example.org/es-a1"})
	if err != nil {
		t.Fatal(err)
	}
	in := offer.NewInput()
	in.Title, in.Slug, in.Language, in.Status = "Curso de español A1", "espanol-a1", "es", offer.StatusPublished
	in.Amount, in.Currency, in.ProductIDs, in.PaymentSystemIDs = 4900, "EUR", []int64{p.ID}, []int64{sys.ID}
	if _, err := a.srv.offers.Create(ctx, in); err != nil {
		t.Fatal(err)
	}

	phone := newBrowser(t, 390, 844)
	browse(t, phone, "offer", chromedp.Navigate(a.ts.URL+"/o/espanol-a1"), chromedp.Click(`[data-testid="pay-link"]`),
		chromedp.WaitVisible(`[data-testid="signup-form"]`))
	screenshot(t, phone, "f3-1-signup-390")
	browse(t, phone, "signup",
		chromedp.SendKeys(`#email`, "lucia@example.org"),
		chromedp.SendKeys(`#password`, "una contraseña larga"),
		chromedp.SendKeys(`#name`, "Lucía Pérez"),
		chromedp.Click(`[data-testid="signup-submit"]`),
		chromedp.WaitVisible(`[data-testid="pay-form"]`))
	screenshot(t, phone, "f3-2-pay-form-390")
	browse(t, phone, "pay",
		chromedp.SendKeys(`#comment`, "Transferencia REF-123"),
		chromedp.Click(`[data-testid="pay-submit"]`),
		chromedp.WaitVisible(`[data-testid="processing"]`))
	screenshot(t, phone, "f3-3-processing-390")
	number, err := chromedp.Run(phone, chromedp.Text(`[data-testid="order-number"]`))
	if err != nil || number == "" {
		t.Fatalf("order number %q (%v)", number, err)
	}
	number = strings.TrimSpace(number)
	sideways, _ := chromedp.Run(phone, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`))
	if sideways {
		t.Error("the processing page scrolls sideways at 390 px")
	}

	// The proof of payment, on the page checkout lands on: a PDF receipt with the transfer's reference.
	receipt := filepath.Join(t.TempDir(), "recibo.pdf")
	if err := os.WriteFile(receipt, prooftest.PDF("Transferencia REF-123"), 0o600); err != nil {
		t.Fatal(err)
	}
	browse(t, phone, "proof",
		chromedp.WaitVisible(`[data-testid="proof-form"]`),
		chromedp.SendKeys(`#reference`, "REF-123"),
		chromedp.SetUploadFiles(`#file`, []string{receipt}),
		chromedp.Click(`[data-testid="proof-submit"]`),
		chromedp.WaitVisible(`[data-testid="proofs"]`))
	screenshot(t, phone, "f3-3b-proof-sent-390")
	sent, _ := chromedp.Run(phone, chromedp.Text(`[data-testid="proofs"]`))
	if !strings.Contains(sent, "recibo.pdf") || !strings.Contains(sent, "REF-123") {
		t.Fatalf("the order page lists %q, want the receipt sent", sent)
	}
	if sideways, _ := chromedp.Run(phone, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`)); sideways {
		t.Error("the proof form scrolls sideways at 390 px")
	}

	var orderID int64
	if err := a.pool.QueryRow(ctx, "SELECT id FROM orders WHERE number = $1 AND status = 'open'", number).Scan(&orderID); err != nil {
		t.Fatalf("open order %s: %v", number, err)
	}
	admin := newBrowser(t, 1280, 900)
	browse(t, admin, "admin-sign-in",
		chromedp.Navigate(a.ts.URL+"/admin/login"),
		chromedp.SendKeys("#email", testOwnerEmail),
		chromedp.SendKeys("#password", testPassword),
		chromedp.Submit("#password"),
		chromedp.WaitVisible(`[data-testid="admin-user"]`))
	browse(t, admin, "orders", chromedp.Navigate(a.ts.URL+"/admin/orders"), chromedp.WaitVisible(`[data-testid="orders-table"]`))
	list, _ := chromedp.Run(admin, chromedp.Text(`[data-testid="orders-table"]`))
	if !strings.Contains(list, number) {
		t.Fatalf("orders list lacks %s:\n%s", number, list)
	}
	browse(t, admin, "approve",
		chromedp.Navigate(a.ts.URL+"/admin/orders/"+itoa(orderID)),
		chromedp.WaitVisible(`[data-testid="approve-form"]`),
		chromedp.WaitVisible(`[data-testid="proofs"] [data-testid="proof-download"]`))
	screenshot(t, admin, "f3-4a-admin-proof")
	proof, _ := chromedp.Run(admin, chromedp.Text(`[data-testid="proofs"]`))
	if !strings.Contains(proof, "recibo.pdf") || !strings.Contains(proof, "PDF") || !strings.Contains(proof, "REF-123") {
		t.Fatalf("the order page shows the proof as %q", proof)
	}
	browse(t, admin, "approve-click",
		chromedp.Click(`[data-testid="approve-form"] button[type="submit"]`),
		chromedp.WaitVisible(`[data-testid="order-decided"]`))
	screenshot(t, admin, "f3-4-admin-approved")
	status, _ := chromedp.Run(admin, chromedp.Text(`[data-testid="status"]`))
	if !strings.Contains(status, "completed") {
		t.Fatalf("order status after approve %q", status)
	}

	browse(t, phone, "cabinet", chromedp.Navigate(a.ts.URL+"/account"), chromedp.WaitVisible(`[data-testid="products"]`))
	screenshot(t, phone, "f3-5-cabinet-390")
	product, _ := chromedp.Run(phone, chromedp.Text(`[data-testid="product-name"]`))
	link, _ := chromedp.Run(phone, chromedp.Evaluate[string](`document.querySelector('[data-testid="product-open"]').href`))
	lang, _ := chromedp.Run(phone, chromedp.Evaluate[string](`document.documentElement.lang`))
	if !strings.Contains(product, "Español A1") || link != "https://lms.example.org/es-a1" {
		t.Fatalf("cabinet shows %q linking to %q", product, link)
	}
	if lang != "es" {
		t.Errorf("cabinet lang %q, want the language of the student's order", lang)
	}
}
