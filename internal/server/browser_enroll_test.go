package server

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/bursar/bursar/internal/billing"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/gateway/stripemock"
)

// TestBrowserEnrollment is issue 14's check in Chromium on a 390 px phone: a parent signs up from a monthly
// tuition's enrollment form, enrolls their child ("I am paying for someone else"), picks Stripe, lands on the first
// receipt's payment link page and pays (stripe-mock's Checkout Session, then Stripe's signed webhook); the child,
// signed in through the welcome e-mail's link, finds the course in their cabinet; the parent's cabinet shows the
// paid receipt and its PDF.
func TestBrowserEnrollment(t *testing.T) {
	t.Parallel()
	a := newGatewayApp(t, stripemock.Start(t))
	ctx := a.ctx()
	card, err := a.srv.paymentSystems.Create(ctx, gateway.Input{Type: gateway.TypeStripe, Name: "Card",
		Mode: gateway.ModeTest, Enabled: true,
		Credentials: map[string]string{"secret_key": "sk_test_123", "webhook_secret": testWebhookSecret}})
	if err != nil {
		t.Fatal(err)
	}
	f := newEnrollFixture(t, a, nil, card)

	phone := newBrowser(t, 390, 844)
	checkout := interceptStripeCheckout(t, phone)
	browse(t, phone, "offer",
		chromedp.Navigate(a.ts.URL+"/o/"+f.offer.Slug),
		chromedp.WaitVisible(`[data-testid="enroll-link"]`))
	screenshot(t, phone, "enroll-1-offer-390")
	browse(t, phone, "sign-up",
		chromedp.Click(`[data-testid="enroll-link"]`),
		chromedp.WaitVisible(`[data-testid="signup-form"]`),
		chromedp.SendKeys(`#email`, "marta@example.com"),
		chromedp.SendKeys(`#password`, testPassword),
		chromedp.SendKeys(`#name`, "Marta García"),
		chromedp.Click(`[data-testid="signup-submit"]`),
		chromedp.WaitVisible(`[data-testid="enroll-form"]`))
	screenshot(t, phone, "enroll-2-form-390")
	noSidewaysScroll(t, phone, "enrollment form")
	learnerShown := `getComputedStyle(document.querySelector('[data-testid="learner-fields"]')).display !== "none"`
	if shown, _ := chromedp.Run(phone, chromedp.Evaluate[bool](learnerShown)); shown {
		t.Error("the learner's fields show before the box is ticked")
	}
	// Sent without the learner's e-mail and the required age: the form comes back with both errors, nothing written.
	browse(t, phone, "errors",
		chromedp.Click(`#for_other`),
		chromedp.WaitVisible(`#learner_name`),
		chromedp.Click(`[data-testid="enroll-submit"]`),
		chromedp.WaitVisible(`[data-testid="form-errors"]`),
		chromedp.WaitVisible(`#learner_email-error`),
		chromedp.WaitVisible(`#field_age-error`))
	screenshot(t, phone, "enroll-3-errors-390")
	noSidewaysScroll(t, phone, "enrollment form with errors")
	if n := a.count("SELECT count(*) FROM enrollments"); n != 0 {
		t.Fatalf("%d enrollments written by a refused form", n)
	}
	browse(t, phone, "fill",
		chromedp.SendKeys(`#learner_name`, "Leo García"),
		chromedp.SendKeys(`#learner_email`, "leo@example.com"),
		chromedp.SendKeys(`#field_age`, "11"),
		chromedp.SetValue(`#field_level`, "Beginner"),
		chromedp.Click(`#payment_system-`+itoa(card.ID)))
	screenshot(t, phone, "enroll-4-filled-390")
	noSidewaysScroll(t, phone, "filled enrollment form")

	browse(t, phone, "enroll",
		chromedp.Click(`[data-testid="enroll-submit"]`),
		chromedp.WaitVisible(`[data-testid="pay-now"]`))
	screenshot(t, phone, "enroll-5-link-390")
	noSidewaysScroll(t, phone, "payment link page")
	if loc, _ := chromedp.Run(phone, chromedp.Location()); !strings.HasPrefix(loc, a.ts.URL+"/pay/") {
		t.Fatalf("after enrolling the browser is at %s, want the payment link page", loc)
	}
	if page, _ := chromedp.Run(phone, chromedp.Text(`main`)); !strings.Contains(page, "120.00") {
		t.Errorf("the link page does not show the amount due:\n%s", page)
	}

	browse(t, phone, "pay", chromedp.Click(`[data-testid="pay-now"]`))
	select {
	case <-checkout:
	case <-time.After(15 * time.Second):
		loc, _ := chromedp.Run(phone, chromedp.Location())
		t.Fatalf("the browser never asked checkout.stripe.com for the payment page; it is at %s", loc)
	}
	browse(t, phone, "stripe-checkout", chromedp.WaitVisible(`[data-testid="stripe-checkout"]`))

	// Stripe reports the payment: the receipt is paid and the enrollment active.
	payerID, learnerID := a.contactID("marta@example.com"), a.contactID("leo@example.com")
	receipts, err := a.srv.billing.ForPayer(ctx, payerID)
	if err != nil || len(receipts) != 1 {
		t.Fatalf("the parent's receipts: %v (%v)", receipts, err)
	}
	l, err := a.srv.links.Get(ctx, receipts[0].LinkID)
	if err != nil || l.OrderID == 0 {
		t.Fatalf("the receipt's link %+v (%v) has no order", l, err)
	}
	o, err := a.srv.orders.Get(ctx, l.OrderID)
	if err != nil || len(o.Payments) != 1 {
		t.Fatalf("order %+v (%v)", o, err)
	}
	if code := a.deliverSigned(card.ID, guestPaid("evt_browser_enroll_paid", o, "marta@example.com")); code != http.StatusOK {
		t.Fatalf("webhook: status %d", code)
	}
	rc, err := a.srv.billing.Receipt(ctx, receipts[0].ID)
	if err != nil || rc.Status != billing.ReceiptPaid {
		t.Fatalf("receipt after the webhook: %s (%v), want paid", rc.Status, err)
	}
	if e := a.onlyEnrollment(); e.Status != billing.EnrollmentActive || e.LearnerID != learnerID || e.PayerID != payerID {
		t.Fatalf("enrollment %s, payer %d learner %d", e.Status, e.PayerID, e.LearnerID)
	}

	// The child signs in through the welcome e-mail's link and finds the course.
	child := newBrowser(t, 390, 844)
	browse(t, child, "welcome",
		chromedp.Navigate(a.ts.URL+a.enrollWelcomeLink("leo@example.com")),
		chromedp.WaitVisible(`[data-testid="welcome-form"]`))
	screenshot(t, child, "enroll-6-child-welcome-390")
	browse(t, child, "child-cabinet",
		chromedp.SendKeys(`#password`, testPassword),
		chromedp.Click(`[data-testid="welcome-submit"]`),
		chromedp.WaitVisible(`[data-testid="products"]`))
	screenshot(t, child, "enroll-7-child-cabinet-390")
	noSidewaysScroll(t, child, "child's cabinet")
	if got, _ := chromedp.Run(child, chromedp.Text(`[data-testid="products"]`)); !strings.Contains(got, "Piano lessons") {
		t.Errorf("the child's courses: %q", got)
	}
	if got, _ := chromedp.Run(child, chromedp.Text(`[data-testid="enrollments"]`)); !strings.Contains(got, "Active") ||
		!strings.Contains(got, "Marta García") {
		t.Errorf("the child's enrollments: %q", got)
	}

	// The parent's cabinet: the paid receipt, for Leo, with its PDF.
	browse(t, phone, "parent-cabinet",
		chromedp.Navigate(a.ts.URL+"/account"),
		chromedp.WaitVisible(`[data-testid="receipts"]`))
	screenshot(t, phone, "enroll-8-parent-cabinet-390")
	noSidewaysScroll(t, phone, "parent's cabinet")
	if got, _ := chromedp.Run(phone, chromedp.Text(`[data-testid="receipt"]`)); !strings.Contains(got, rc.Number) ||
		!strings.Contains(got, "Paid") || !strings.Contains(got, "Leo García") {
		t.Errorf("the parent's receipt: %q", got)
	}
	if n, _ := chromedp.Run(phone, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="products"]').length`)); n != 0 {
		t.Error("the parent's cabinet shows the child's course")
	}
	pdfType, err := chromedp.Run(phone, chromedp.Evaluate[string](
		`fetch(document.querySelector('[data-testid="receipt-pdf"]').href).then(r => r.status + " " + r.headers.get("Content-Type"))`,
		chromedp.EvalAwaitPromise))
	if err != nil || pdfType != "200 application/pdf" {
		t.Errorf("the receipt's PDF: %q (%v)", pdfType, err)
	}
}
