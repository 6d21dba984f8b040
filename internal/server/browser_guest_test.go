package server

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/chromedp"

	"github.com/bursar/bursar/internal/gateway/stripemock"
	"github.com/bursar/bursar/internal/order"
)

// stripeCheckoutPage stands in for Stripe Checkout, which the sandbox cannot reach; it names no favicon so that
// the browser asks checkout.stripe.com for nothing else.
const stripeCheckoutPage = `<!doctype html><html lang="en"><head><meta charset="utf-8">` +
	`<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">` +
	`<title>Stripe Checkout (test)</title></head>` +
	`<body><h1 data-testid="stripe-checkout">Stripe Checkout (test)</h1></body></html>`

// interceptStripeCheckout answers every request the browser in ctx makes to checkout.stripe.com with
// stripeCheckoutPage, through the DevTools Fetch domain, and returns the URLs it answered, in order.
func interceptStripeCheckout(t *testing.T, ctx context.Context) <-chan string {
	t.Helper()
	ictx, cancel := context.WithCancel(ctx)
	t.Cleanup(cancel) // cleanups run last first, so this ends the loop below before the browser closes
	// Subscribe before enabling, so that no paused request can go unanswered.
	paused := chromedp.Events(ictx, fetch.RequestPaused)
	if _, err := chromedp.Call(ctx, fetch.Enable, fetch.EnableParams{
		Patterns: []*fetch.RequestPattern{{URLPattern: "*://checkout.stripe.com/*"}}}); err != nil {
		t.Fatalf("enable the Fetch domain: %v", err)
	}
	urls := make(chan string, 16)
	go func() {
		for ev, err := range paused {
			if err != nil {
				return // the test is over
			}
			if _, err := chromedp.Call(ictx, fetch.FulfillRequest, fetch.FulfillRequestParams{
				RequestID:    ev.RequestID,
				ResponseCode: http.StatusOK,
				ResponseHeaders: []*fetch.HeaderEntry{
					{Name: "Content-Type", Value: "text/html; charset=utf-8"},
					{Name: "Cache-Control", Value: "no-store"},
				},
				Body: []byte(stripeCheckoutPage),
			}); err != nil {
				return
			}
			select {
			case urls <- ev.Request.URL:
			default:
			}
		}
	}()
	return urls
}

// noSidewaysScroll fails the test when the page in ctx is wider than its 390 px viewport.
func noSidewaysScroll(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	if w, err := chromedp.Run(ctx, chromedp.Evaluate[int](`window.innerWidth`)); err != nil || w != 390 {
		t.Fatalf("%s: the viewport is %d px wide (%v), want 390", page, w, err)
	}
	sideways, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`))
	if err != nil {
		t.Fatalf("%s: measure the page width: %v", page, err)
	}
	if sideways {
		width, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
		t.Errorf("the %s scrolls sideways at 390 px (%d px wide)", page, width)
	}
}

// TestBrowserGuestCheckout is issue 4's flow in Chromium on a phone: a guest pays by card without an account (up to
// Stripe Checkout), Stripe's signed webhook names the payer, and the sign-in link from the welcome e-mail sets a
// password and lands in the cabinet with the course.
func TestBrowserGuestCheckout(t *testing.T) {
	t.Parallel()
	a := newGatewayApp(t, stripemock.Start(t))
	f := guestFixture(t, a)

	phone := newBrowser(t, 390, 844)
	// Headless Chromium keeps its window at least 500 px wide whatever WindowSize says; emulate the phone's screen.
	browse(t, phone, "viewport", chromedp.EmulateViewport(390, 844))
	checkout := interceptStripeCheckout(t, phone)
	browse(t, phone, "offer",
		chromedp.Navigate(a.ts.URL+"/o/"+f.offer.Slug),
		chromedp.WaitVisible(`[data-testid="pay-link"]`))
	screenshot(t, phone, "guest-1-offer-390")
	browse(t, phone, "guest-pay-page",
		chromedp.Click(`[data-testid="pay-link"]`),
		chromedp.WaitVisible(`[data-testid="guest-note"]`),
		chromedp.WaitVisible(`[data-testid="pay-submit"]`))
	screenshot(t, phone, "guest-2-pay-390")
	noSidewaysScroll(t, phone, "guest pay page")
	if n, _ := chromedp.Run(phone, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="signup-form"], #password').length`)); n != 0 {
		t.Error("the guest pay page asks for an account")
	}

	browse(t, phone, "pay", chromedp.Click(`[data-testid="pay-submit"]`))
	var answered string
	select {
	case answered = <-checkout:
	case <-time.After(15 * time.Second):
		loc, _ := chromedp.Run(phone, chromedp.Location())
		t.Fatalf("the browser never asked checkout.stripe.com for the payment page; it is at %s", loc)
	}
	browse(t, phone, "stripe-checkout", chromedp.WaitVisible(`[data-testid="stripe-checkout"]`))
	screenshot(t, phone, "guest-3-stripe-390")
	loc, err := chromedp.Run(phone, chromedp.Location())
	if err != nil || !strings.HasPrefix(loc, "https://checkout.stripe.com/") || loc != answered {
		t.Fatalf("after paying the browser is at %q (%v), want the Checkout URL %q", loc, err, answered)
	}

	var id int64
	if err := a.pool.QueryRow(a.ctx(), `SELECT id FROM orders WHERE contact_id IS NULL ORDER BY id DESC LIMIT 1`).Scan(&id); err != nil {
		t.Fatalf("no guest order: %v", err)
	}
	o, err := a.srv.orders.Get(a.ctx(), id)
	if err != nil {
		t.Fatal(err)
	}
	if o.Status != order.StatusOpen || len(o.Payments) != 1 || !strings.HasPrefix(o.Payments[0].GatewayRef, "cs_") {
		t.Fatalf("guest order %+v, want open with one Checkout Session", o)
	}

	// Stripe reports the payment and the payer's e-mail; the server e-mails the payer a sign-in link.
	if code := a.deliverSigned(f.sys.ID, guestPaid("evt_browser_guest_paid", o, "Phone.Payer@Example.com")); code != http.StatusOK {
		t.Fatalf("webhook: status %d", code)
	}
	if a.orderStatus(o.ID) != order.StatusCompleted {
		t.Fatalf("order %s after the webhook, want completed", a.orderStatus(o.ID))
	}
	to, link := a.welcomeLink(o)
	if to != "phone.payer@example.com" {
		t.Errorf("welcome e-mail to %q", to)
	}

	browse(t, phone, "welcome",
		chromedp.Navigate(a.ts.URL+link),
		chromedp.WaitVisible(`[data-testid="welcome-form"]`))
	screenshot(t, phone, "guest-4-welcome-390")
	noSidewaysScroll(t, phone, "welcome page")
	intro, _ := chromedp.Run(phone, chromedp.Text(`[data-testid="welcome-intro"]`))
	if !strings.Contains(intro, "phone.payer@example.com") {
		t.Errorf("the welcome page does not name the e-mail: %q", intro)
	}
	browse(t, phone, "set-password",
		chromedp.SendKeys(`#password`, testPassword),
		chromedp.SendKeys(`#name`, "Nia Okafor"),
		chromedp.SendKeys(`input[name="field_city"]`, "Lyon"),
		chromedp.Click(`[data-testid="welcome-submit"]`),
		chromedp.WaitVisible(`[data-testid="products"]`))
	screenshot(t, phone, "guest-5-cabinet-390")
	noSidewaysScroll(t, phone, "cabinet")

	loc, _ = chromedp.Run(phone, chromedp.Location())
	if !strings.HasPrefix(loc, a.ts.URL+"/account") {
		t.Errorf("after setting the password the browser is at %s, want the cabinet", loc)
	}
	products, _ := chromedp.Run(phone, chromedp.Text(`[data-testid="products"]`))
	if !strings.Contains(products, "Curso de español A1") {
		t.Fatalf("the cabinet lacks the course:\n%s", products)
	}
	orders, _ := chromedp.Run(phone, chromedp.Text(`[data-testid="orders"]`))
	if !strings.Contains(orders, o.Number) {
		t.Errorf("the cabinet lacks order %s:\n%s", o.Number, orders)
	}
	c, err := a.srv.contacts.ByEmail(a.ctx(), "phone.payer@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "Nia Okafor" || c.CustomFields["city"] != "Lyon" {
		t.Errorf("contact after the first visit: %q %v", c.Name, c.CustomFields)
	}
}
