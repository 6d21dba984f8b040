package server

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/bursar/bursar/internal/gateway/stripe/stripetest"
	"github.com/bursar/bursar/internal/gateway/stripemock"
	"github.com/bursar/bursar/internal/i18n"
	"github.com/bursar/bursar/internal/staff"
)

// TestBrowserSubscription is issue 15's flow in Chromium: a student on a phone subscribes to a monthly offer through
// Stripe (stripe-mock; Stripe Checkout stood in for by interceptStripeCheckout), Stripe's signed notifications
// activate the subscription, the student sees it in the cabinet with its next charge, cancels at the period's end
// and sees when it ends; the admin sees it, cancelling, on the subscriptions screen.
func TestBrowserSubscription(t *testing.T) {
	t.Parallel()
	a := newGatewayApp(t, stripemock.Start(t))
	a.createAdmin(testOwnerEmail, staff.RoleOwner)
	f := newCabinetSubFixture(t, a, nil)

	phone := newBrowser(t, 390, 844)
	checkout := interceptStripeCheckout(t, phone)
	browse(t, phone, "offer",
		chromedp.Navigate(a.ts.URL+"/o/club"),
		chromedp.WaitVisible(`[data-testid="subscribe-link"]`))
	screenshot(t, phone, "subscription-offer-390")
	noSidewaysScroll(t, phone, "recurring offer page")
	terms, _ := chromedp.Run(phone, chromedp.Text(`[data-testid="subscription-terms"]`))
	if !strings.Contains(terms, "Free trial: 7 days") || !strings.Contains(terms, "Cancel any time") {
		t.Errorf("the offer page's terms %q", terms)
	}
	browse(t, phone, "signup",
		chromedp.Click(`[data-testid="subscribe-link"]`),
		chromedp.WaitVisible(`[data-testid="signup-form"]`),
		chromedp.SendKeys(`#email`, "mia@example.org"),
		chromedp.SendKeys(`#password`, testPassword),
		chromedp.SendKeys(`#name`, "Mia Rossi"),
		chromedp.Click(`[data-testid="signup-submit"]`),
		chromedp.WaitVisible(`[data-testid="subscribe-submit"]`))
	screenshot(t, phone, "subscription-subscribe-390")
	noSidewaysScroll(t, phone, "subscribe page")
	browse(t, phone, "subscribe", chromedp.Click(`[data-testid="subscribe-submit"]`))
	select {
	case <-checkout:
	case <-time.After(15 * time.Second):
		loc, _ := chromedp.Run(phone, chromedp.Location())
		t.Fatalf("the browser never reached Stripe Checkout; it is at %s", loc)
	}
	browse(t, phone, "stripe-checkout", chromedp.WaitVisible(`[data-testid="stripe-checkout"]`))

	var id int64
	if err := a.pool.QueryRow(a.ctx(), `SELECT id FROM subscriptions WHERE contact_id = $1 AND status = 'pending'`,
		a.contactID("mia@example.org")).Scan(&id); err != nil {
		t.Fatalf("no pending subscription: %v", err)
	}
	// Stripe sends the payer back; the page promises nothing.
	browse(t, phone, "return",
		chromedp.Navigate(a.ts.URL+"/o/club/subscribed?system="+itoa(f.sys.ID)),
		chromedp.WaitVisible(`[data-testid="subscription-confirming"]`))
	back, _ := chromedp.Run(phone, chromedp.Text(`[data-testid="subscription-confirming"]`))
	if !strings.Contains(back, "confirming your subscription with Stripe") {
		t.Errorf("return page says %q", back)
	}

	// Stripe's signed notifications: the subscription created active, the session completed, the first invoice paid.
	start := time.Now().UTC().Truncate(time.Second)
	end := start.AddDate(0, 1, 0)
	a.activateStripeSub(f, id, "sub_mia", start, end)
	loc := a.srv.schoolLocation(a.ctx())

	browse(t, phone, "cabinet",
		chromedp.Click(`[data-testid="back-link"]`),
		chromedp.WaitVisible(`[data-testid="subscription"]`))
	status, _ := chromedp.Run(phone, chromedp.Text(`[data-testid="subscription-status"]`))
	next, _ := chromedp.Run(phone, chromedp.Text(`[data-testid="subscription-next-charge"]`))
	if status != "active" || next != i18n.LongDate("en", end.In(loc)) {
		t.Fatalf("cabinet shows %q, next charge %q", status, next)
	}
	browse(t, phone, "charges", chromedp.Click(`.charges summary`), chromedp.WaitVisible(`[data-testid="subscription-charge"]`))
	screenshot(t, phone, "subscription-cabinet-390")
	noSidewaysScroll(t, phone, "subscriptions page")

	// Cancel at the period's end: stripe-mock answers the update; Stripe's notification mirrors it.
	browse(t, phone, "cancel",
		chromedp.Click(`[data-testid="subscription-cancel"]`),
		chromedp.WaitVisible(`[data-testid="flash"]`))
	if code := a.deliverSigned(f.sys.ID, stripetest.SubscriptionEvent("evt_u_mia", "customer.subscription.updated",
		time.Now().Add(2*time.Second), "sub_mia", "cus_sub_mia", id, "active", start, end, true, 900, "EUR")); code != http.StatusOK {
		t.Fatalf("customer.subscription.updated: status %d", code)
	}
	browse(t, phone, "ends",
		chromedp.Reload(),
		chromedp.WaitVisible(`[data-testid="subscription-ends"]`),
		chromedp.WaitVisible(`[data-testid="subscription-keep"]`))
	screenshot(t, phone, "subscription-cancelling-390")
	ends, _ := chromedp.Run(phone, chromedp.Text(`[data-testid="subscription-ends"]`))
	if want := "Ends on " + i18n.LongDate("en", end.In(loc)); ends != want {
		t.Errorf("the cabinet says %q, want %q", ends, want)
	}

	// The admin's subscriptions screen (helper sub-admin's) lists it, cancelling at the period's end.
	admin := newBrowser(t, 1280, 900)
	browse(t, admin, "admin-sign-in",
		chromedp.Navigate(a.ts.URL+"/admin/login"),
		chromedp.SendKeys("#email", testOwnerEmail),
		chromedp.SendKeys("#password", testPassword),
		chromedp.Submit("#password"),
		chromedp.WaitVisible(`[data-testid="admin-user"]`))
	browse(t, admin, "admin-subscriptions",
		chromedp.Navigate(a.ts.URL+"/admin/subscriptions"),
		chromedp.WaitVisible(`[data-testid="subscriptions-table"]`))
	row := `[data-testid="subscription-row"][data-id="` + itoa(id) + `"]`
	rowText, err := chromedp.Run(admin, chromedp.Text(row))
	if err != nil || !strings.Contains(rowText, "mia@example.org") || !strings.Contains(rowText, "Monthly club") {
		t.Fatalf("the admin's list shows %q (%v)", rowText, err)
	}
	st, _ := chromedp.Run(admin, chromedp.Evaluate[string](`document.querySelector('`+row+`').dataset.status`))
	cancelling, _ := chromedp.Run(admin, chromedp.Evaluate[int](`document.querySelectorAll('`+row+` [data-testid="subscription-cancelling"]').length`))
	if st != "active" || cancelling != 1 {
		t.Errorf("the admin sees status %q, cancelling %d", st, cancelling)
	}
}
