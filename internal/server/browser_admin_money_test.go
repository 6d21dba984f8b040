package server

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/bursar/bursar/internal/gateway/stripemock"
	"github.com/bursar/bursar/internal/staff"
)

// TestBrowserAdminMoney opens the money screens of issue 4 in Chromium as a manager would on a laptop: the
// payment-exceptions inbox and one exception with its actions, Transactions with its totals and the placeholder
// flag, and a completed Stripe order with its gateway events, refund form and re-check button.
func TestBrowserAdminMoney(t *testing.T) {
	t.Parallel()
	a := newGatewayApp(t, stripemock.Start(t))
	a.createAdmin(testOwnerEmail, staff.RoleOwner)
	x := newTxnFixture(t, a)
	f := stripeFixture{sys: x.stripe}
	f.offer, _ = a.srv.offers.Offer(a.ctx(), x.ana.OfferID)
	_, exID := mismatchedPayment(t, a, f, "eve@example.com", "cs_browser_mismatch", 100, "eur")

	admin := newBrowser(t, 1280, 900)
	browse(t, admin, "sign-in",
		chromedp.Navigate(a.ts.URL+"/admin/login"),
		chromedp.SendKeys("#email", testOwnerEmail),
		chromedp.SendKeys("#password", testPassword),
		chromedp.Submit("#password"),
		chromedp.WaitVisible(`[data-testid="admin-user"]`))

	browse(t, admin, "exceptions", chromedp.Navigate(a.ts.URL+"/admin/exceptions?status=all"),
		chromedp.WaitVisible(`[data-testid="exceptions-table"]`))
	screenshot(t, admin, "admin-exceptions")
	list, _ := chromedp.Run(admin, chromedp.Text(`[data-testid="exceptions-table"]`))
	if !strings.Contains(list, "Paid another amount") || !strings.Contains(list, "cs_browser_mismatch") {
		t.Errorf("inbox lacks the mismatch:\n%s", list)
	}

	browse(t, admin, "exception", chromedp.Navigate(a.ts.URL+"/admin/exceptions/"+itoa(exID)),
		chromedp.WaitVisible(`[data-testid="accept-form"]`), chromedp.WaitVisible(`[data-testid="resolve-form"]`),
		chromedp.WaitVisible(`[data-testid="event-body"]`))
	screenshot(t, admin, "admin-exception")

	browse(t, admin, "transactions", chromedp.Navigate(a.ts.URL+"/admin/transactions"),
		chromedp.WaitVisible(`[data-testid="total-payments"]`), chromedp.WaitVisible(`[data-testid="placeholder-badge"]`))
	screenshot(t, admin, "admin-transactions")
	totals, _ := chromedp.Run(admin, chromedp.Text(`[data-testid="total-payments"]`))
	if !strings.Contains(totals, "EUR") && !strings.Contains(totals, "€") {
		t.Errorf("payment totals %q", totals)
	}

	browse(t, admin, "order", chromedp.Navigate(a.ts.URL+"/admin/orders/"+itoa(x.ana.ID)),
		chromedp.WaitVisible(`[data-testid="gateway-events"]`), chromedp.WaitVisible(`[data-testid="refunds"]`))
	screenshot(t, admin, "admin-order-gateway")
	sideways, _ := chromedp.Run(admin, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`))
	if sideways {
		t.Error("the order page scrolls sideways at 1280 px")
	}
}
