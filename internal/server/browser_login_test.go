package server

import (
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/bursar/bursar/internal/staff"
)

// TestBrowserAdminSignIn signs in through the real form in Chromium.
func TestBrowserAdminSignIn(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	a.createAdmin(testOwnerEmail, staff.RoleOwner)
	ctx := newBrowser(t, 1280, 900)
	err := chromedp.Do(ctx,
		chromedp.Navigate(a.ts.URL+"/admin"),
		chromedp.WaitVisible("#email"),
		chromedp.SendKeys("#email", testOwnerEmail),
		chromedp.SendKeys("#password", testPassword),
		chromedp.Submit("#password"),
		chromedp.WaitVisible(`[data-testid="admin-user"]`),
	)
	if err != nil {
		t.Fatal(err)
	}
	who, err := chromedp.Run(ctx, chromedp.Text(`[data-testid="admin-user"]`))
	if err != nil || who != testOwnerEmail {
		t.Fatalf("signed in as %q (%v)", who, err)
	}
	screenshot(t, ctx, "admin-dashboard")
}
