package server

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/bursar/bursar/internal/order"
)

// mismatchedPayment opens a Stripe order for email with its attempt referenced as ref and delivers a signed
// checkout.session.completed that paid amount in currency (lower case, as Stripe sends it); it returns the attempt
// and the id of the exception the webhook opened.
func mismatchedPayment(t *testing.T, a *testApp, f stripeFixture, email, ref string, amount int64, currency string) (order.Attempt, int64) {
	t.Helper()
	att := f.openOrder(t, a, email, ref)
	body := sessionEvent("evt_"+ref, "checkout.session.completed", stripeSession{ID: ref, Status: "complete",
		PaymentStatus: "paid", Currency: currency, Amount: amount, OrderID: att.Order.ID, Email: email,
		PaymentIntent: "pi_" + strings.TrimPrefix(ref, "cs_")})
	if code := a.deliverSigned(f.sys.ID, body); code != http.StatusOK {
		t.Fatalf("webhook: status %d", code)
	}
	return att, exceptionOf(t, a, ref)
}

// exceptionOf is the id of the only exception about gateway reference ref.
func exceptionOf(t *testing.T, a *testApp, ref string) int64 {
	t.Helper()
	var id int64
	if err := a.pool.QueryRow(a.ctx(), `SELECT id FROM payment_exceptions WHERE gateway_ref = $1`, ref).Scan(&id); err != nil {
		t.Fatalf("no exception about %s: %v", ref, err)
	}
	return id
}

func exceptionStatus(t *testing.T, a *testApp, id int64) string {
	t.Helper()
	x, err := a.srv.orders.Exception(a.ctx(), id)
	if err != nil {
		t.Fatal(err)
	}
	return x.Status
}

// postConcurrently posts form to path from n clients at once and returns the statuses.
func postConcurrently(a *testApp, c *http.Client, path string, form url.Values, n int) map[int]int {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		codes = map[int]int{}
	)
	for range n {
		wg.Go(func() {
			res, err := c.PostForm(a.ts.URL+path, form)
			if err != nil {
				a.t.Error(err)
				return
			}
			res.Body.Close()
			mu.Lock()
			codes[res.StatusCode]++
			mu.Unlock()
		})
	}
	wg.Wait()
	return codes
}

func TestExceptionsInbox(t *testing.T) {
	t.Parallel()
	a := newGatewayApp(t, "http://127.0.0.1:1")
	f := newStripeFixture(t, a)
	c := a.owner()
	att, amountID := mismatchedPayment(t, a, f, "ana@example.com", "cs_inbox_amount", 100, "eur")
	unknown := sessionEvent("evt_inbox_unknown", "checkout.session.completed", stripeSession{ID: "cs_inbox_nobody",
		Status: "complete", PaymentStatus: "paid", Currency: "eur", Amount: 4900, OrderID: 99999999})
	if code := a.deliverSigned(f.sys.ID, unknown); code != http.StatusOK {
		t.Fatalf("unknown order webhook: status %d", code)
	}
	unknownID := exceptionOf(t, a, "cs_inbox_nobody")

	res, doc := a.get(c, "/admin/exceptions")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("inbox: status %d", res.StatusCode)
	}
	if got := strings.TrimSpace(doc.Find(`[data-testid="nav-open-exceptions"]`).Text()); !strings.HasSuffix(got, "2") {
		t.Errorf("nav badge %q, want 2 open", got)
	}
	row := doc.Find(fmt.Sprintf(`[data-testid="exception-row"][data-id="%d"]`, amountID))
	if row.Length() != 1 {
		t.Fatal("the amount mismatch is not in the inbox")
	}
	if got := row.Find(`[data-testid="exception-kind"]`).Text(); got != "Paid another amount" {
		t.Errorf("kind %q", got)
	}
	link := row.Find(`a[data-testid="exception-order"]`)
	if href, _ := link.Attr("href"); href != orderURL(att.Order.ID) || link.Text() != att.Order.Number {
		t.Errorf("order link %q %q, want %s", href, link.Text(), att.Order.Number)
	}
	if got := row.Find(`[data-testid="exception-amount"]`).Text(); got != "€1.00" {
		t.Errorf("amount %q, want €1.00", got)
	}
	if !strings.Contains(row.Text(), "cs_inbox_amount") || !strings.Contains(row.Text(), "Cards") {
		t.Errorf("row lacks the reference or the payment system: %q", row.Text())
	}
	urow := doc.Find(fmt.Sprintf(`[data-testid="exception-row"][data-id="%d"]`, unknownID))
	if urow.Find(`[data-testid="exception-kind"]`).Text() != "Payment for an unknown order" ||
		urow.Find(`[data-testid="exception-order"]`).Text() != "no order" {
		t.Errorf("unknown order row %q", urow.Text())
	}

	// Resolved ones leave the default (open) list; "all" lists open ones first although they are older.
	if _, err := a.srv.orders.ResolveException(a.ctx(), unknownID, "not ours: refunded in Stripe"); err != nil {
		t.Fatal(err)
	}
	ids := func(path string) []string {
		t.Helper()
		res, doc := a.get(c, path)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d", path, res.StatusCode)
		}
		var out []string
		doc.Find(`[data-testid="exception-row"]`).Each(func(_ int, s *goquery.Selection) {
			out = append(out, s.AttrOr("data-id", ""))
		})
		return out
	}
	tests := []struct {
		name, path string
		want       []int64
	}{
		{"DefaultOpen", "/admin/exceptions", []int64{amountID}},
		{"Resolved", "/admin/exceptions?status=resolved", []int64{unknownID}},
		{"AllOpenFirst", "/admin/exceptions?status=all", []int64{amountID, unknownID}},
		{"Kind", "/admin/exceptions?status=all&kind=unknown_order", []int64{unknownID}},
		{"OtherKind", "/admin/exceptions?kind=currency_mismatch", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want []string
			for _, id := range tt.want {
				want = append(want, itoa(id))
			}
			if got := ids(tt.path); strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("rows %v, want %v", got, want)
			}
		})
	}
	for _, bad := range []string{"?status=bogus", "?kind=bogus", "?cursor=xyz"} {
		if res, _ := a.get(c, "/admin/exceptions"+bad); res.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("%s: status %d, want 422", bad, res.StatusCode)
		}
	}

	// The page of one exception shows the notification verbatim and the actions it allows.
	res, doc = a.get(c, exceptionURL(amountID))
	if res.StatusCode != http.StatusOK {
		t.Fatalf("exception page: status %d", res.StatusCode)
	}
	body := doc.Find(`[data-testid="event-body"]`).Text()
	if !strings.Contains(body, `"id":"evt_cs_inbox_amount"`) || !strings.Contains(body, `"amount_total":100`) {
		t.Errorf("event body %q", body)
	}
	for _, form := range []string{"accept-form", "refund-form", "resolve-form"} {
		if doc.Find(`[data-testid="`+form+`"]`).Length() != 1 {
			t.Errorf("no %s", form)
		}
	}
	if got := doc.Find(`[data-testid="exception-contact"]`).Text(); got != "ana@example.com" {
		t.Errorf("contact %q", got)
	}
	_, doc = a.get(c, exceptionURL(unknownID))
	if doc.Find(`form`).Length() != 1 || doc.Find(`[data-testid="exception-resolved"]`).Length() != 1 { // sign out only
		t.Error("a resolved exception still offers actions, or does not say who resolved it")
	}
	if res, _ := a.get(c, "/admin/exceptions/999999"); res.StatusCode != http.StatusNotFound {
		t.Errorf("unknown exception: status %d", res.StatusCode)
	}
	if res, _ := a.get(a.client(), "/admin/exceptions"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("signed out: status %d, want a redirect to sign in", res.StatusCode)
	}
}

func TestExceptionResolveOnce(t *testing.T) {
	t.Parallel()
	a := newGatewayApp(t, "http://127.0.0.1:1")
	f := newStripeFixture(t, a)
	c := a.owner()
	_, id := mismatchedPayment(t, a, f, "ana@example.com", "cs_resolve", 100, "eur")
	path := exceptionURL(id) + "/resolve"

	res, doc := a.postFormDoc(c, path, url.Values{"note": {"  "}})
	if res.StatusCode != http.StatusUnprocessableEntity || doc.Find(`[data-testid="resolve_note-error"]`).Length() != 1 {
		t.Fatalf("empty note: status %d, want 422 with the note's message", res.StatusCode)
	}
	if st := exceptionStatus(t, a, id); st != order.ExceptionOpen {
		t.Fatalf("an empty note resolved it: %s", st)
	}
	res = a.postForm(c, path, url.Values{"note": {"Refunded by hand in Stripe"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != exceptionURL(id) {
		t.Fatalf("resolve: status %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	_, doc = a.get(c, exceptionURL(id))
	if doc.Find(`[data-testid="flash"]`).Length() != 1 || doc.Find(`[data-testid="exception-resolution"]`).Text() != "Refunded by hand in Stripe" ||
		!strings.Contains(doc.Find(`[data-testid="exception-note"]`).Text(), "the order stays open") ||
		!strings.Contains(doc.Find(`[data-testid="exception-resolved"]`).Text(), testOwnerEmail) {
		t.Error("the page does not show the resolution")
	}
	res, doc = a.postFormDoc(c, path, url.Values{"note": {"again"}})
	if res.StatusCode != http.StatusConflict {
		t.Fatalf("second resolve: status %d, want 409", res.StatusCode)
	}
	if got := doc.Find(`[data-testid="exception-conflict"]`).Text(); !strings.Contains(got, "already resolved by "+testOwnerEmail) {
		t.Errorf("conflict message %q", got)
	}
	if n := countRows(t, a, `SELECT count(*) FROM audit_log WHERE action = 'payment_exception.resolve' AND entity_id = $1`, itoa(id)); n != 1 {
		t.Errorf("%d audit entries, want 1", n)
	}
	if n := countRows(t, a, `SELECT count(*) FROM payment_exceptions WHERE resolution = 'Refunded by hand in Stripe'`); n != 1 {
		t.Error("the second resolve changed the resolution")
	}
}

func TestExceptionAcceptCompletes(t *testing.T) {
	t.Parallel()
	a := newGatewayApp(t, "http://127.0.0.1:1")
	f := newStripeFixture(t, a)
	c := a.owner()
	tests := []struct {
		name     string
		amount   int64
		currency string
	}{
		{"AmountMismatch", 100, "EUR"},
		{"CurrencyMismatch", 4900, "USD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ref := "cs_accept_" + tt.name
			email := strings.ToLower(tt.name) + "@example.com"
			att, id := mismatchedPayment(t, a, f, email, ref, tt.amount, strings.ToLower(tt.currency))
			if n := countRows(t, a, `SELECT count(*) FROM order_grants WHERE order_id = $1`, att.Order.ID); n != 0 {
				t.Fatalf("the mismatch granted %d products", n)
			}
			// Two admins (or a double click) accept at once: one completes the order, the other is told.
			codes := postConcurrently(a, c, exceptionURL(id)+"/accept", url.Values{"note": {"Agreed with the student"}}, 2)
			if codes[http.StatusSeeOther] != 1 || codes[http.StatusConflict] != 1 {
				t.Fatalf("statuses %v, want one 303 and one 409", codes)
			}
			d, err := a.srv.orders.Detail(a.ctx(), att.Order.ID)
			if err != nil {
				t.Fatal(err)
			}
			if d.Status != order.StatusCompleted || d.Price.Amount != tt.amount || d.Price.Currency != tt.currency {
				t.Errorf("order %s at %s, want completed at %d %s", d.Status, d.Price, tt.amount, tt.currency)
			}
			var paid []order.Payment
			for _, p := range d.Payments {
				if p.Status == order.PaymentSucceeded {
					paid = append(paid, p)
				}
			}
			if len(paid) != 1 || paid[0].Amount.Amount != tt.amount || paid[0].Amount.Currency != tt.currency ||
				paid[0].GatewayRef != ref || paid[0].Net != tt.amount-paid[0].Fee {
				t.Errorf("succeeded payments %+v, want one of %d %s referenced %s", paid, tt.amount, tt.currency, ref)
			}
			checks := []struct {
				name, query string
				want        int
			}{
				{"OneGrant", "SELECT count(*) FROM order_grants WHERE order_id = $1::bigint", 1},
				{"AccessActive", `SELECT count(*) FROM access_grants g JOIN order_grants og ON og.grant_id = g.id
					WHERE og.order_id = $1 AND g.revoked_at IS NULL`, 1},
				{"OneEmail", "SELECT count(*) FROM outbound_emails WHERE dedup_key = 'order:' || $1::bigint || ':completed'", 1},
				{"OneCompletion", "SELECT count(*) FROM order_events WHERE order_id = $1 AND kind = 'order.completed'", 1},
				{"Audited", `SELECT count(*) FROM audit_log WHERE action = 'payment_exception.accept'
					AND (details->>'order_id')::bigint = $1`, 1},
			}
			for _, ck := range checks {
				if n := countRows(t, a, ck.query, att.Order.ID); n != ck.want {
					t.Errorf("%s: %d, want %d", ck.name, n, ck.want)
				}
			}
			x, err := a.srv.orders.Exception(a.ctx(), id)
			if err != nil {
				t.Fatal(err)
			}
			if x.Status != order.ExceptionResolved || !strings.Contains(x.Resolution, "Agreed with the student") ||
				x.ResolvedBy != testOwnerEmail {
				t.Errorf("exception %+v", x.Exception)
			}
			// A third try changes nothing either.
			if res := a.postForm(c, exceptionURL(id)+"/accept", url.Values{"note": {"again"}}); res.StatusCode != http.StatusConflict {
				t.Errorf("accept again: status %d, want 409", res.StatusCode)
			}
			if n := countRows(t, a, "SELECT count(*) FROM order_grants WHERE order_id = $1", att.Order.ID); n != 1 {
				t.Errorf("%d grants after accepting again", n)
			}
		})
	}
}

func TestExceptionAcceptValidation(t *testing.T) {
	t.Parallel()
	a := newGatewayApp(t, "http://127.0.0.1:1")
	f := newStripeFixture(t, a)
	c := a.owner()
	att, id := mismatchedPayment(t, a, f, "ana@example.com", "cs_accept_bad", 100, "eur")
	res, doc := a.postFormDoc(c, exceptionURL(id)+"/accept", url.Values{"note": {""}})
	if res.StatusCode != http.StatusUnprocessableEntity || doc.Find(`[data-testid="accept_note-error"]`).Length() != 1 {
		t.Fatalf("no note: status %d, want 422 with the message", res.StatusCode)
	}
	if a.orderStatus(att.Order.ID) != order.StatusOpen || exceptionStatus(t, a, id) != order.ExceptionOpen {
		t.Error("a refused accept changed something")
	}
	// The order completes another way first (the right payment arrives): accepting is then refused.
	if code := a.deliverSigned(f.sys.ID, paidEvent("evt_accept_bad_ok", att, "cs_accept_bad_2")); code != http.StatusOK {
		t.Fatalf("paid: %d", code)
	}
	res, doc = a.postFormDoc(c, exceptionURL(id)+"/accept", url.Values{"note": {"take it"}})
	if res.StatusCode != http.StatusConflict || !strings.Contains(doc.Find(`[data-testid="exception-conflict"]`).Text(), "completed") {
		t.Errorf("accept on a completed order: status %d, message %q", res.StatusCode, doc.Find(`[data-testid="exception-conflict"]`).Text())
	}
	if exceptionStatus(t, a, id) != order.ExceptionOpen {
		t.Error("a refused accept resolved the exception")
	}
}

func TestExceptionAcceptLatePayment(t *testing.T) {
	t.Parallel()
	a := newGatewayApp(t, "http://127.0.0.1:1")
	f := newStripeFixture(t, a)
	c := a.owner()
	late := f.openOrder(t, a, "late@example.com", "cs_acc_late_a")
	if code := a.deliverSigned(f.sys.ID, paidEvent("evt_acc_late_a", late, "cs_acc_late_a")); code != http.StatusOK {
		t.Fatalf("paid: %d", code)
	}
	if _, err := a.srv.orders.Refund(a.ctx(), late.Order.ID, "changed mind"); err != nil {
		t.Fatal(err)
	}
	if code := a.deliverSigned(f.sys.ID, paidEvent("evt_acc_late_b", late, "cs_acc_late_b")); code != http.StatusOK {
		t.Fatalf("late: %d", code)
	}
	id := exceptionOf(t, a, "cs_acc_late_b")
	_, doc := a.get(c, exceptionURL(id))
	if !strings.Contains(doc.Find(`[data-testid="accept-form"]`).Text(), "extra payment") {
		t.Fatal("a late payment does not offer to record it")
	}
	if res := a.postForm(c, exceptionURL(id)+"/accept", url.Values{"note": {"student paid twice, keeps it as credit"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("accept: status %d", res.StatusCode)
	}
	d, err := a.srv.orders.Detail(a.ctx(), late.Order.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != order.StatusRefunded {
		t.Errorf("order %s, want it to stay refunded", d.Status)
	}
	var extra int
	for _, p := range d.Payments {
		if p.GatewayRef == "cs_acc_late_b" && p.Status == order.PaymentSucceeded && p.Amount.Amount == 4900 {
			extra++
		}
	}
	if extra != 1 {
		t.Errorf("payments %+v, want one succeeded cs_acc_late_b of 4900", d.Payments)
	}
	if n := countRows(t, a, `SELECT count(*) FROM order_grants WHERE order_id = $1`, late.Order.ID); n != 1 {
		t.Errorf("%d grants, want the first payment's only", n)
	}
	if n := countRows(t, a, `SELECT count(*) FROM access_grants g JOIN order_grants og ON og.grant_id = g.id
		WHERE og.order_id = $1 AND g.revoked_at IS NULL`, late.Order.ID); n != 0 {
		t.Errorf("%d active grants: a late payment granted access again", n)
	}
	if exceptionStatus(t, a, id) != order.ExceptionResolved {
		t.Error("the exception is still open")
	}
}

func TestExceptionActionsNotOffered(t *testing.T) {
	t.Parallel()
	a := newGatewayApp(t, "http://127.0.0.1:1")
	f := guestFixture(t, a)
	c := a.owner()

	// A visitor's payment without an e-mail: access went to a placeholder, the fix is on the contact card.
	att, err := a.srv.orders.OpenGateway(a.ctx(), order.NewGateway{OfferID: f.offer.ID, PaymentSystemID: f.sys.ID,
		Channel: order.ChannelCheckout, Guest: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.srv.orders.AttachRef(a.ctx(), att.Payment.ID, "cs_noemail"); err != nil {
		t.Fatal(err)
	}
	paid := sessionEvent("evt_noemail", "checkout.session.completed", stripeSession{ID: "cs_noemail", Status: "complete",
		PaymentStatus: "paid", Currency: "eur", Amount: 4900, OrderID: att.Order.ID})
	if code := a.deliverSigned(f.sys.ID, paid); code != http.StatusOK {
		t.Fatalf("paid: %d", code)
	}
	noEmail := exceptionOf(t, a, "cs_noemail")
	o, err := a.srv.orders.Get(a.ctx(), att.Order.ID)
	if err != nil {
		t.Fatal(err)
	}
	_, doc := a.get(c, exceptionURL(noEmail))
	if href, _ := doc.Find(`[data-testid="move-access"] a`).Attr("href"); href != "/admin/contacts/"+itoa(o.ContactID) {
		t.Errorf("move-access link %q, want the placeholder's card", href)
	}
	unknown := sessionEvent("evt_not_offered_unknown", "checkout.session.completed", stripeSession{ID: "cs_not_offered",
		Status: "complete", PaymentStatus: "paid", Currency: "eur", Amount: 4900, OrderID: 99999999})
	if code := a.deliverSigned(f.sys.ID, unknown); code != http.StatusOK {
		t.Fatalf("unknown: %d", code)
	}
	unknownID := exceptionOf(t, a, "cs_not_offered")
	tests := []struct {
		name       string
		id         int64
		wantRefund bool
	}{
		{"NoEmail", noEmail, false},
		{"UnknownOrder", unknownID, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, doc := a.get(c, exceptionURL(tt.id))
			if doc.Find(`[data-testid="accept-form"]`).Length() != 0 {
				t.Error("accept is offered")
			}
			if got := doc.Find(`[data-testid="refund-form"]`).Length() == 1; got != tt.wantRefund {
				t.Errorf("refund offered: %v, want %v", got, tt.wantRefund)
			}
			res, doc := a.postFormDoc(c, exceptionURL(tt.id)+"/accept", url.Values{"note": {"take it"}})
			if res.StatusCode != http.StatusConflict || doc.Find(`[data-testid="exception-conflict"]`).Length() != 1 {
				t.Errorf("accept: status %d, want 409 with why", res.StatusCode)
			}
			if exceptionStatus(t, a, tt.id) != order.ExceptionOpen {
				t.Error("a refused accept resolved it")
			}
		})
	}
	if n := countRows(t, a, "SELECT count(*) FROM order_grants"); n != 1 {
		t.Errorf("%d grants, want the guest payment's only", n)
	}
}

func TestExceptionAcceptGuestOrder(t *testing.T) {
	t.Parallel()
	a := newGatewayApp(t, "http://127.0.0.1:1")
	f := guestFixture(t, a)
	c := a.owner()
	att, err := a.srv.orders.OpenGateway(a.ctx(), order.NewGateway{OfferID: f.offer.ID, PaymentSystemID: f.sys.ID,
		Channel: order.ChannelCheckout, Guest: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.srv.orders.AttachRef(a.ctx(), att.Payment.ID, "cs_guest_short"); err != nil {
		t.Fatal(err)
	}
	short := sessionEvent("evt_guest_short", "checkout.session.completed", stripeSession{ID: "cs_guest_short",
		Status: "complete", PaymentStatus: "paid", Currency: "eur", Amount: 4000, OrderID: att.Order.ID,
		Email: "Paid.By@Example.com"})
	if code := a.deliverSigned(f.sys.ID, short); code != http.StatusOK {
		t.Fatalf("paid: %d", code)
	}
	id := exceptionOf(t, a, "cs_guest_short")
	if n := a.count(`SELECT count(*) FROM contacts`); n != 0 {
		t.Fatalf("the mismatch made %d contacts", n)
	}
	// The order has no contact yet: the form asks for the payer, prefilled from the gateway's notification.
	_, doc := a.get(c, exceptionURL(id))
	if got := doc.Find(`input[name="payer_email"]`).AttrOr("value", ""); got != "Paid.By@Example.com" {
		t.Fatalf("payer e-mail prefilled %q", got)
	}
	res, doc := a.postFormDoc(c, exceptionURL(id)+"/accept", url.Values{"note": {"ok"}, "payer_email": {"not an address"}})
	if res.StatusCode != http.StatusUnprocessableEntity || doc.Find(`[data-testid="accept_payer_email-error"]`).Length() != 1 {
		t.Fatalf("bad e-mail: status %d, want 422 with its message", res.StatusCode)
	}
	if res := a.postForm(c, exceptionURL(id)+"/accept", url.Values{"note": {"short by 9 EUR, agreed"},
		"payer_email": {"Paid.By@Example.com"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("accept: status %d", res.StatusCode)
	}
	o, err := a.srv.orders.Get(a.ctx(), att.Order.ID)
	if err != nil {
		t.Fatal(err)
	}
	ct, err := a.srv.contacts.ByEmail(a.ctx(), "paid.by@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if o.Status != order.StatusCompleted || o.ContactID != ct.ID || o.Price.Amount != 4000 {
		t.Errorf("order %s of contact %d at %s, want completed for %d at 40.00", o.Status, o.ContactID, o.Price, ct.ID)
	}
	if to, _ := a.welcomeLink(o); to != "paid.by@example.com" {
		t.Errorf("welcome e-mail to %q", to)
	}
	if n := a.count(`SELECT count(*) FROM order_grants WHERE order_id = $1`, o.ID); n != 1 {
		t.Errorf("%d grants, want 1", n)
	}
}
