package server

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserAdminEnrollments opens the Enrollments and Receipts screens in Chromium as a manager would on a laptop:
// the list, an enrollment (a parent paying for a child) and its first receipt, part paid in cash, with its forms.
func TestBrowserAdminEnrollments(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	a.owner()
	f := newBillingFixture(t, a)
	enID, rcID := f.enroll(t, a, a.apiKey(), "child@example.com")
	key := a.apiKey()
	if res, raw := a.api(key, "POST", "/api/v1/receipts/"+itoa(rcID)+"/payments", map[string]any{"amount": 2000,
		"currency": "EUR", "note": "cash at the desk"}, nil); res.StatusCode != 201 {
		t.Fatalf("cash: %d %s", res.StatusCode, raw)
	}

	admin := newBrowser(t, 1280, 900)
	browse(t, admin, "sign-in",
		chromedp.Navigate(a.ts.URL+"/admin/login"),
		chromedp.SendKeys("#email", testOwnerEmail),
		chromedp.SendKeys("#password", testPassword),
		chromedp.Submit("#password"),
		chromedp.WaitVisible(`[data-testid="admin-user"]`))
	for _, p := range []struct{ name, path, wait string }{
		{"admin-enrollments", "/admin/enrollments", `[data-testid="enrollment-row"]`},
		{"admin-enrollment", "/admin/enrollments/" + itoa(enID), `[data-testid="enrollment-timeline"]`},
		{"admin-receipts", "/admin/receipts", `[data-testid="receipt-row"]`},
		{"admin-receipt", "/admin/receipts/" + itoa(rcID), `[data-testid="receipt-payment-form"]`},
	} {
		browse(t, admin, p.name, chromedp.Navigate(a.ts.URL+p.path), chromedp.WaitVisible(p.wait))
		screenshot(t, admin, p.name)
		if sideways, _ := chromedp.Run(admin, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`)); sideways {
			t.Errorf("%s scrolls sideways at 1280 px", p.path)
		}
	}
	text, _ := chromedp.Run(admin, chromedp.Text(`[data-testid="receipt-details"]`))
	if !strings.Contains(text, "20.00") || !strings.Contains(text, "39.00") {
		t.Errorf("the receipt's details lack what was paid and what is left:\n%s", text)
	}
}
