package server

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/bursar/bursar/internal/gateway/stripemock"
	"github.com/bursar/bursar/internal/offer"
	"github.com/bursar/bursar/internal/order"
)

// guestFixture is the Stripe fixture with its offer open to paying without signing in, and a registration field.
func guestFixture(t *testing.T, a *testApp) stripeFixture {
	t.Helper()
	f := newStripeFixture(t, a)
	of, err := a.srv.offers.Update(a.ctx(), f.offer.ID, func(in *offer.Input) {
		in.GuestCheckout = true
		in.RegistrationFields = []offer.RegistrationField{{Key: "city", Label: "City", Type: "text", Required: true}}
	})
	if err != nil {
		t.Fatal(err)
	}
	a.syncPages()
	f.offer = of
	return f
}

// syncPages waits until the offer pages' cache has seen every catalog change so far.
func (a *testApp) syncPages() {
	a.t.Helper()
	ctx, cancel := context.WithTimeout(a.ctx(), 30*time.Second)
	defer cancel()
	if err := a.srv.pages.Sync(ctx, a.pool); err != nil {
		a.t.Fatalf("page cache listener: %v", err)
	}
}

// guestPay starts paying f's offer as the visitor c, without signing in, and returns the order opened.
func guestPay(t *testing.T, a *testApp, c *http.Client, f stripeFixture) order.Order {
	t.Helper()
	pay := "/o/" + f.offer.Slug + "/pay?system=" + itoa(f.sys.ID)
	res, doc := a.get(c, pay)
	if res.StatusCode != http.StatusOK || doc.Find(`[data-testid="guest-note"]`).Length() != 1 ||
		doc.Find(`[data-testid="guest-sign-in"]`).Length() != 1 {
		t.Fatalf("visitor's pay page: status %d, want the guest pay page", res.StatusCode)
	}
	token := doc.Find(`input[name="form_token"]`).AttrOr("value", "")
	before := a.count(`SELECT count(*) FROM orders`)
	res = a.postForm(c, pay, url.Values{"form_token": {token}})
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "https://") {
		t.Fatalf("pay: status %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	// A second click on the same form goes to the same gateway page and opens nothing more.
	if again := a.postForm(c, pay, url.Values{"form_token": {token}}); again.Header.Get("Location") != res.Header.Get("Location") {
		t.Fatalf("double submit went to %q, want %q", again.Header.Get("Location"), res.Header.Get("Location"))
	}
	if n := a.count(`SELECT count(*) FROM orders`); n != before+1 {
		t.Fatalf("%d orders opened by a click and its double, want 1", n-before)
	}
	var id int64
	if err := a.pool.QueryRow(a.ctx(), `SELECT id FROM orders WHERE contact_id IS NULL ORDER BY id DESC LIMIT 1`).Scan(&id); err != nil {
		t.Fatalf("no order without a contact: %v", err)
	}
	o, err := a.srv.orders.Get(a.ctx(), id)
	if err != nil {
		t.Fatal(err)
	}
	if o.Status != order.StatusOpen || len(o.Payments) != 1 || !strings.HasPrefix(o.Payments[0].GatewayRef, "cs_") {
		t.Fatalf("guest order %+v", o)
	}
	return o
}

// guestPaid is Stripe's checkout.session.completed, paid, for guest order o by the payer email ("" for none).
func guestPaid(evtID string, o order.Order, email string) []byte {
	return sessionEvent(evtID, "checkout.session.completed", stripeSession{ID: o.Payments[0].GatewayRef,
		Status: "complete", PaymentStatus: "paid", Currency: strings.ToLower(o.Price.Currency), Amount: o.Price.Amount,
		OrderID: o.ID, Email: email, PaymentIntent: "pi_" + strings.TrimPrefix(o.Payments[0].GatewayRef, "cs_")})
}

var welcomeLinkRE = regexp.MustCompile(`/account/welcome/[A-Za-z0-9_-]+`)

// welcomeLink is the sign-in link of the welcome e-mail of order o, from the secrets the outbox keeps apart until
// the e-mail is delivered (its body holds only a marker).
func (a *testApp) welcomeLink(o order.Order) (to, link string) {
	a.t.Helper()
	var secrets []string
	if err := a.pool.QueryRow(a.ctx(), `SELECT to_address, secrets FROM outbound_emails WHERE dedup_key = $1`,
		"order:"+itoa(o.ID)+":welcome").Scan(&to, &secrets); err != nil {
		a.t.Fatalf("no welcome e-mail for order %s: %v", o.Number, err)
	}
	link = welcomeLinkRE.FindString(strings.Join(secrets, " "))
	if link == "" {
		a.t.Fatalf("the welcome e-mail has no sign-in link: secrets %q", secrets)
	}
	return to, link
}

func TestGuestCheckout(t *testing.T) {
	t.Parallel()
	a := newGatewayApp(t, stripemock.Start(t))
	f := guestFixture(t, a)
	visitor := a.client()
	o := guestPay(t, a, visitor, f)

	// The return page shows this visitor their order, and nobody else.
	if _, doc := a.get(visitor, "/o/stripe-course/paid?order="+o.Number); !strings.Contains(doc.Find(`[data-testid="order-status"]`).Text(), o.Number) {
		t.Error("the visitor does not see their order's status on the return page")
	}
	if _, doc := a.get(a.client(), "/o/stripe-course/paid?order="+o.Number); doc.Find(`[data-testid="order-status"]`).Length() != 0 {
		t.Error("another visitor sees the order")
	}

	// A delayed payment grants nothing until it is confirmed.
	pending := sessionEvent("evt_guest_pending", "checkout.session.completed", stripeSession{ID: o.Payments[0].GatewayRef,
		Status: "complete", PaymentStatus: "unpaid", Currency: "eur", Amount: o.Price.Amount, OrderID: o.ID,
		Email: "New.Payer@Example.com"})
	if code := a.deliverSigned(f.sys.ID, pending); code != http.StatusOK {
		t.Fatalf("pending: %d", code)
	}
	if n := a.count(`SELECT count(*) FROM contacts`); n != 0 || a.orderStatus(o.ID) != order.StatusOpen {
		t.Fatalf("an unconfirmed payment made %d contacts, order %s", n, a.orderStatus(o.ID))
	}

	// The verified payment names the payer: a new contact by the gateway's e-mail, access, and the welcome e-mail.
	if code := a.deliverSigned(f.sys.ID, guestPaid("evt_guest_paid", o, "New.Payer@Example.com")); code != http.StatusOK {
		t.Fatalf("paid: %d", code)
	}
	if code := a.deliverSigned(f.sys.ID, guestPaid("evt_guest_paid_again", o, "new.payer@example.com")); code != http.StatusOK {
		t.Fatalf("second delivery: %d", code)
	}
	got, err := a.srv.orders.Get(a.ctx(), o.ID)
	if err != nil {
		t.Fatal(err)
	}
	c, err := a.srv.contacts.ByEmail(a.ctx(), "new.payer@example.com")
	if err != nil {
		t.Fatalf("no contact for the payer's e-mail: %v", err)
	}
	if got.Status != order.StatusCompleted || got.ContactID != c.ID || c.Placeholder {
		t.Fatalf("order %s for contact %d, want completed for %d", got.Status, got.ContactID, c.ID)
	}
	if n := a.count(`SELECT count(*) FROM access_grants WHERE contact_id = $1`, c.ID); n != 1 {
		t.Fatalf("%d grants, want 1", n)
	}
	if n := a.count(`SELECT count(*) FROM contacts`); n != 1 {
		t.Fatalf("%d contacts, want 1", n)
	}
	if n := a.count(`SELECT count(*) FROM outbound_emails WHERE related_id = $1`, o.ID); n != 1 {
		t.Fatalf("%d e-mails for the order, want the one welcome e-mail", n)
	}
	to, link := a.welcomeLink(got)
	if to != "new.payer@example.com" {
		t.Errorf("welcome e-mail to %q", to)
	}

	// The first visit asks for a password and the offer's registration fields; a bad form spends nothing.
	guest := a.client()
	res, doc := a.get(guest, link)
	if res.StatusCode != http.StatusOK || doc.Find(`[data-testid="welcome-form"] input[name="password"]`).Length() != 1 ||
		doc.Find(`input[name="field_city"]`).Length() != 1 {
		t.Fatalf("welcome page: status %d, want the password and registration form", res.StatusCode)
	}
	if !strings.Contains(doc.Find(`[data-testid="welcome-intro"]`).Text(), "new.payer@example.com") {
		t.Error("the welcome page does not name the e-mail")
	}
	res, doc = a.postFormDoc(guest, link, url.Values{"password": {"short"}, "name": {"Nia"}})
	if res.StatusCode != http.StatusUnprocessableEntity || doc.Find(`[data-testid="field_city-error"]`).Length() != 1 {
		t.Fatalf("bad first visit: status %d", res.StatusCode)
	}
	if n := a.count(`SELECT count(*) FROM accounts`); n != 0 {
		t.Fatal("a bad form created the account")
	}
	res = a.postForm(guest, link, url.Values{"password": {testPassword}, "name": {"Nia"}, "field_city": {"Lyon"}})
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/account") {
		t.Fatalf("first visit: status %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	res, doc = a.get(guest, "/account")
	if res.StatusCode != http.StatusOK || !strings.Contains(doc.Text(), "Stripe course") {
		t.Fatalf("cabinet: status %d without the course", res.StatusCode)
	}
	c, _ = a.srv.contacts.Contact(a.ctx(), c.ID)
	if c.Name != "Nia" || c.CustomFields["city"] != "Lyon" {
		t.Errorf("contact after the first visit: %q %v", c.Name, c.CustomFields)
	}
	// The link works once; the password works afterwards.
	if res, doc := a.get(a.client(), link); res.StatusCode != http.StatusGone || doc.Find(`[data-testid="welcome-invalid"]`).Length() != 1 {
		t.Errorf("used link: status %d", res.StatusCode)
	}
	if res := a.postForm(a.client(), link, url.Values{"password": {testPassword}, "name": {"Eve"}, "field_city": {"X"}}); res.StatusCode != http.StatusGone {
		t.Errorf("second use: status %d", res.StatusCode)
	}
	res = a.postForm(a.client(), "/account/login", url.Values{"email": {"new.payer@example.com"}, "password": {testPassword}})
	if res.StatusCode != http.StatusSeeOther {
		t.Errorf("sign in with the new password: status %d", res.StatusCode)
	}
}

func TestGuestCheckoutKnownPayer(t *testing.T) {
	t.Parallel()
	a := newGatewayApp(t, stripemock.Start(t))
	f := guestFixture(t, a)
	a.student("ana@example.com") // has an account already
	o := guestPay(t, a, a.client(), f)
	if code := a.deliverSigned(f.sys.ID, guestPaid("evt_known", o, "ANA@example.com")); code != http.StatusOK {
		t.Fatalf("paid: %d", code)
	}
	got, _ := a.srv.orders.Get(a.ctx(), o.ID)
	c, _ := a.srv.contacts.ByEmail(a.ctx(), "ana@example.com")
	if got.Status != order.StatusCompleted || got.ContactID != c.ID || a.count(`SELECT count(*) FROM contacts`) != 1 {
		t.Fatalf("order %s for contact %d, want completed for the existing contact %d", got.Status, got.ContactID, c.ID)
	}
	// The link signs the existing account in, with a button (a mail scanner's GET spends nothing).
	_, link := a.welcomeLink(got)
	c2 := a.client()
	res, doc := a.get(c2, link)
	if res.StatusCode != http.StatusOK || doc.Find(`[data-testid="welcome-form"] input[name="password"]`).Length() != 0 {
		t.Fatalf("welcome back page: status %d", res.StatusCode)
	}
	if res, _ := a.get(c2, link); res.StatusCode != http.StatusOK {
		t.Fatal("a second GET spent the link")
	}
	if res := a.postForm(c2, link, url.Values{}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in with the link: status %d", res.StatusCode)
	}
	if res, doc := a.get(c2, "/account"); res.StatusCode != http.StatusOK || !strings.Contains(doc.Text(), "Stripe course") {
		t.Fatalf("cabinet: status %d", res.StatusCode)
	}
}

func TestGuestCheckoutWithoutEmail(t *testing.T) {
	t.Parallel()
	a := newGatewayApp(t, stripemock.Start(t))
	f := guestFixture(t, a)
	o := guestPay(t, a, a.client(), f)
	if code := a.deliverSigned(f.sys.ID, guestPaid("evt_noemail", o, "")); code != http.StatusOK {
		t.Fatalf("paid: %d", code)
	}
	got, _ := a.srv.orders.Get(a.ctx(), o.ID)
	c, err := a.srv.contacts.Contact(a.ctx(), got.ContactID)
	if err != nil || got.Status != order.StatusCompleted {
		t.Fatalf("order %s, contact %v", got.Status, err)
	}
	if !c.Placeholder || !strings.HasSuffix(c.Email, "@placeholder.invalid") {
		t.Fatalf("contact %q (placeholder %v), want a placeholder", c.Email, c.Placeholder)
	}
	if n := a.count(`SELECT count(*) FROM access_grants WHERE contact_id = $1`, c.ID); n != 1 {
		t.Fatalf("%d grants on the placeholder, want 1 (the admin moves it)", n)
	}
	if kinds := exceptionKinds(t, a); len(kinds) != 1 || kinds[0] != string(order.ExNoEmail) {
		t.Fatalf("exceptions %v, want one no_email", kinds)
	}
	if n := a.count(`SELECT count(*) FROM outbound_emails`); n != 0 {
		t.Fatalf("%d e-mails to a placeholder", n)
	}
}

func TestGuestCheckoutRules(t *testing.T) {
	t.Parallel()
	a := newGatewayApp(t, stripemock.Start(t))
	f := guestFixture(t, a)
	manual := a.paymentSystem("Cash")

	// A manual system on a guest offer still asks a visitor for an account.
	if _, err := a.srv.offers.Update(a.ctx(), f.offer.ID, func(in *offer.Input) {
		in.PaymentSystemIDs = []int64{f.sys.ID, mustID(t, manual)}
	}); err != nil {
		t.Fatal(err)
	}
	a.syncPages()
	if res, doc := a.get(a.client(), "/o/stripe-course/pay?system="+manual); res.StatusCode != http.StatusOK || doc.Find(`[data-testid="signup-form"]`).Length() != 1 {
		t.Errorf("manual on a guest offer: status %d, want the sign-up form", res.StatusCode)
	}
	// A visitor's post to a system that cannot take it is sent to sign up, with nothing written.
	if res := a.postForm(a.client(), "/o/stripe-course/pay?system="+manual, url.Values{}); res.StatusCode != http.StatusSeeOther ||
		!strings.Contains(res.Header.Get("Location"), "/checkout?") {
		t.Errorf("visitor's manual post: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	if n := a.count(`SELECT count(*) FROM orders`); n != 0 {
		t.Errorf("%d orders written", n)
	}

	// The switch needs a system that reports the payer's e-mail.
	key := a.apiKey()
	var prob struct {
		Errors map[string]string `json:"errors"`
	}
	res, raw := a.api(key, http.MethodPatch, "/api/v1/offers/"+itoa(f.offer.ID), map[string]any{
		"payment_system_ids": []int64{mustID(t, manual)}}, &prob)
	wantStatus(t, res, raw, http.StatusUnprocessableEntity)
	if !strings.Contains(string(raw), "guest_checkout") {
		t.Errorf("problem %s does not name guest_checkout", raw)
	}
	if _, err := a.srv.orders.OpenGateway(a.ctx(), order.NewGateway{OfferID: f.offer.ID, PaymentSystemID: mustID(t, manual),
		Channel: order.ChannelAPI, Guest: true}); err == nil {
		t.Error("a guest order outside the checkout was opened")
	}
}

func TestGuestCheckoutSamePayerConcurrently(t *testing.T) {
	t.Parallel()
	a := newGatewayApp(t, stripemock.Start(t))
	f := guestFixture(t, a)
	const n = 6
	orders := make([]order.Order, n)
	for i := range orders {
		att, err := a.srv.orders.OpenGateway(a.ctx(), order.NewGateway{OfferID: f.offer.ID, PaymentSystemID: f.sys.ID,
			Channel: order.ChannelCheckout, Guest: true})
		if err != nil {
			t.Fatal(err)
		}
		if err := a.srv.orders.AttachRef(a.ctx(), att.Payment.ID, "cs_same_"+itoa(int64(i))); err != nil {
			t.Fatal(err)
		}
		orders[i], _ = a.srv.orders.Get(a.ctx(), att.Order.ID)
	}
	var wg sync.WaitGroup
	codes := make([]int, n)
	for i := range orders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i] = a.deliverSigned(f.sys.ID, guestPaid("evt_same_"+itoa(int64(i)), orders[i], "twin@example.com"))
		}()
	}
	wg.Wait()
	for i, code := range codes {
		if code != http.StatusOK {
			t.Fatalf("delivery %d: %d", i, code)
		}
	}
	if got := a.count(`SELECT count(*) FROM contacts`); got != 1 {
		t.Fatalf("%d contacts for one payer, want 1", got)
	}
	if got := a.count(`SELECT count(*) FROM orders WHERE status = 'completed' AND contact_id IS NOT NULL`); got != n {
		t.Fatalf("%d completed orders, want %d", got, n)
	}
}

func mustID(t *testing.T, s string) int64 {
	t.Helper()
	id := parseID(s)
	if id <= 0 {
		t.Fatalf("id %q", s)
	}
	return id
}

func TestCheckoutReturnByPost(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	req, _ := http.NewRequest(http.MethodPost, a.ts.URL+"/o/any-offer/paid?order=B-000001&attempt=3",
		strings.NewReader("order_status=approved&signature=x"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site") // a gateway's page posting the payer back
	res, err := a.client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/o/any-offer/paid?order=B-000001&attempt=3" {
		t.Fatalf("POST return: %d to %q, want 303 to the same page", res.StatusCode, res.Header.Get("Location"))
	}
}

var resetLinkRE = regexp.MustCompile(`/account/reset/[A-Za-z0-9_-]+`)

// TestPasswordResetSignsOutOtherSessions: after a password reset, the student's other sessions are signed out;
// the session that reset it stays signed in.
func TestPasswordResetSignsOutOtherSessions(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	laptop := a.student("kim@example.com")
	if res, _ := a.get(laptop, "/account"); res.StatusCode != http.StatusOK {
		t.Fatalf("cabinet before: %d", res.StatusCode)
	}
	phone := a.client()
	if res := a.postForm(phone, "/account/reset", url.Values{"email": {"kim@example.com"}}); res.StatusCode != http.StatusOK && res.StatusCode != http.StatusSeeOther {
		t.Fatalf("reset request: %d", res.StatusCode)
	}
	var secrets []string
	if err := a.pool.QueryRow(a.ctx(), `SELECT secrets FROM outbound_emails WHERE to_address = 'kim@example.com' ORDER BY id DESC LIMIT 1`).Scan(&secrets); err != nil {
		t.Fatal(err)
	}
	link := resetLinkRE.FindString(strings.Join(secrets, " "))
	if res := a.postForm(phone, link, url.Values{"password": {"a brand new password"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("reset: %d", res.StatusCode)
	}
	if res, _ := a.get(phone, "/account"); res.StatusCode != http.StatusOK {
		t.Errorf("the session that reset the password: %d, want still signed in", res.StatusCode)
	}
	if res, _ := a.get(laptop, "/account"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("the other session: %d, want signed out (redirect to sign-in)", res.StatusCode)
	}
}

// TestGuestOrderInAdmin: a visitor's order not paid yet shows in the admin as a visitor's, without a contact link.
func TestGuestOrderInAdmin(t *testing.T) {
	t.Parallel()
	a := newGatewayApp(t, stripemock.Start(t))
	f := guestFixture(t, a)
	o := guestPay(t, a, a.client(), f)
	c := a.owner()
	res, doc := a.get(c, "/admin/orders")
	if res.StatusCode != http.StatusOK || !strings.Contains(doc.Find(`[data-testid="order-row"]`).Text(), "a visitor") {
		t.Fatalf("orders list: status %d, %q", res.StatusCode, doc.Find(`[data-testid="order-row"]`).Text())
	}
	res, doc = a.get(c, "/admin/orders/"+itoa(o.ID))
	if res.StatusCode != http.StatusOK || doc.Find(`a[data-testid="order-contact"]`).Length() != 0 ||
		!strings.Contains(doc.Find(`[data-testid="order-contact"]`).Text(), "a visitor") {
		t.Fatalf("order page: status %d", res.StatusCode)
	}
	var apiOrder struct {
		ContactID *int64 `json:"contact_id"`
		Status    string `json:"status"`
	}
	res, raw := a.api(a.apiKey(), http.MethodGet, "/api/v1/orders/"+itoa(o.ID), nil, &apiOrder)
	wantStatus(t, res, raw, http.StatusOK)
	if apiOrder.Status != "open" || apiOrder.ContactID != nil {
		t.Errorf("API order %s, want open with contact_id null", raw)
	}
}

// TestAbandonedGatewayOrdersExpire: the hourly sweep expires gateway orders left unpaid for a week (a visitor's
// included), and leaves recent ones and those with a payment on its way; a payment arriving later is an exception.
func TestAbandonedGatewayOrdersExpire(t *testing.T) {
	t.Parallel()
	a := newGatewayApp(t, stripemock.Start(t))
	f := guestFixture(t, a)
	guest := guestPay(t, a, a.client(), f)
	student := f.openOrder(t, a, "left@example.com", "cs_left")
	recent := f.openOrder(t, a, "recent@example.com", "cs_recent")
	delayed := f.openOrder(t, a, "delayed@example.com", "cs_delayed")
	for _, id := range []int64{guest.ID, student.Order.ID, delayed.Order.ID} {
		if _, err := a.pool.Exec(a.ctx(), `UPDATE orders SET created_at = now() - interval '8 days' WHERE id = $1`, id); err != nil {
			t.Fatal(err)
		}
		if _, err := a.pool.Exec(a.ctx(), `UPDATE payments SET created_at = now() - interval '8 days' WHERE order_id = $1`, id); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.pool.Exec(a.ctx(), `UPDATE payments SET status = 'processing' WHERE order_id = $1`, delayed.Order.ID); err != nil {
		t.Fatal(err)
	}
	w := a.app.Workers(nil).Sweep
	if err := w.Work(a.ctx(), &river.Job[order.SweepArgs]{}); err != nil {
		t.Fatal(err)
	}
	want := map[int64]order.Status{guest.ID: order.StatusExpired, student.Order.ID: order.StatusExpired,
		recent.Order.ID: order.StatusOpen, delayed.Order.ID: order.StatusOpen}
	for id, st := range want {
		if got := a.orderStatus(id); got != st {
			t.Errorf("order %d: %s, want %s", id, got, st)
		}
	}
	if n := countRows(t, a, `SELECT count(*) FROM payments WHERE order_id = ANY($1) AND status = 'failed'`,
		[]int64{guest.ID, student.Order.ID}); n != 2 {
		t.Errorf("%d abandoned attempts failed, want 2", n)
	}
	// The student pays after all: the order stays expired and the money is an exception for a human.
	if code := a.deliverSigned(f.sys.ID, paidEvent("evt_left_late", student, "cs_left")); code != http.StatusOK {
		t.Fatalf("late payment: %d", code)
	}
	if kinds := exceptionKinds(t, a); len(kinds) != 1 || kinds[0] != string(order.ExLatePayment) {
		t.Errorf("exceptions %v, want one late_payment", kinds)
	}
}
