package server

import (
	"github.com/PuerkitoBio/goquery"

	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/bursar/bursar/internal/crm"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/money"
	"github.com/bursar/bursar/internal/offer"
	"github.com/bursar/bursar/internal/order"
)

// orderFixture is a school that sells "Spanish A1" (two products, 49.00 EUR) through a manual system, and "Cards
// only" through Stripe alone.
type orderFixture struct {
	manual    gateway.System
	offer     offer.Offer
	cardsOnly offer.Offer
	contact   crm.Contact
}

func newOrderFixture(t *testing.T, a *testApp) orderFixture {
	t.Helper()
	ctx := a.ctx()
	var f orderFixture
	var err error
	f.manual, err = a.srv.paymentSystems.Create(ctx, gateway.Input{Type: gateway.TypeManual, Name: "Bank transfer", Enabled: true,
		Settings: map[string]any{"fee_percent": "2.5", "supported_currencies": []any{"EUR"}}})
	if err != nil {
		t.Fatal(err)
	}
	stripe, err := a.srv.paymentSystems.Create(ctx, gateway.Input{Type: gateway.TypeStripe, Name: "Cards", Mode: gateway.ModeTest,
		Enabled: true, Credentials: map[string]string{"secret_key": "sk_test_1"}})
	if err != nil {
		t.Fatal(err)
	}
	var pids []int64
	for _, name := range []string{"Spanish A1", "Spanish A1 workbook"} {
		p, err := a.srv.offers.CreateProduct(ctx, offer.ProductInput{Name: name, Kind: offer.KindCourse})
		if err != nil {
			t.Fatal(err)
		}
		pids = append(pids, p.ID)
	}
	mk := func(title string, systems ...int64) offer.Offer {
		in := offer.NewInput()
		in.Title, in.Amount, in.Currency, in.Status, in.AccessDays = title, 4900, "EUR", offer.StatusPublished, 90
		in.ProductIDs, in.PaymentSystemIDs = pids, systems
		o, err := a.srv.offers.Create(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	f.offer = mk("Spanish A1", f.manual.ID)
	f.cardsOnly = mk("Cards only", stripe.ID)
	if f.contact, err = a.srv.contacts.Create(ctx, crm.Input{Email: "student@example.com"}); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestAdminOrdersFlow(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	c := a.owner()
	f := newOrderFixture(t, a)

	// From the contact card to a new manual payment.
	_, doc := a.get(c, "/admin/contacts/"+itoa(f.contact.ID))
	href, ok := doc.Find(`[data-testid=add-manual-payment]`).Attr("href")
	if !ok {
		t.Fatal("no add-manual-payment link on the contact card")
	}
	res, doc := a.get(c, href)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("new manual payment: status %d", res.StatusCode)
	}
	if v, _ := doc.Find(`#contact_email`).Attr("value"); v != "student@example.com" {
		t.Errorf("contact e-mail = %q, want the card's contact", v)
	}
	if opts := doc.Find(`#offer_id option[value]`).FilterFunction(func(_ int, s *goquery.Selection) bool { v, _ := s.Attr("value"); return v != "" }); opts.Length() != 1 ||
		!strings.Contains(opts.Text(), "Spanish A1") {
		t.Errorf("offers listed = %q, want only the one with a manual system", opts.Text())
	}
	token, _ := doc.Find(`input[name=form_token]`).Attr("value")
	form := url.Values{"form_token": {token}, "contact_email": {"student@example.com"}, "offer_id": {itoa(f.offer.ID)},
		"paid_on": {time.Now().UTC().Format(time.DateOnly)}, "comment": {"cash at the front desk"}}
	res = a.postForm(c, "/admin/orders", form)
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/admin/orders/") {
		t.Fatalf("create: status %d, location %q", res.StatusCode, res.Header.Get("Location"))
	}
	orderPath := res.Header.Get("Location")
	if again := a.postForm(c, "/admin/orders", form); again.Header.Get("Location") != orderPath {
		t.Errorf("double submit led to %q, want %q", again.Header.Get("Location"), orderPath)
	}
	if n := countRows(t, a, "SELECT count(*) FROM orders"); n != 1 {
		t.Fatalf("orders = %d, want 1", n)
	}
	_, doc = a.get(c, orderPath)
	if doc.Find(`[data-testid=status]`).First().Text() != "open" || doc.Find(`[data-testid=approve-form]`).Length() != 1 {
		t.Fatalf("order page: status %q, approve forms %d", doc.Find(`[data-testid=status]`).First().Text(), doc.Find(`[data-testid=approve-form]`).Length())
	}
	number := doc.Find(`[data-testid=order-number]`).Text()

	t.Run("ListFilters", func(t *testing.T) {
		tests := []struct {
			name  string
			query string
			rows  int
		}{
			{"All", "", 1},
			{"Open", "?status=open", 1},
			{"Completed", "?status=completed", 0},
			{"Offer", "?offer_id=" + itoa(f.offer.ID), 1},
			{"OtherOffer", "?offer_id=" + itoa(f.cardsOnly.ID), 0},
			{"System", "?payment_system_id=" + itoa(f.manual.ID), 1},
			{"Email", "?email=STUDENT@example.com", 1},
			{"UnknownEmail", "?email=nobody@example.com", 0},
			{"Today", "?from=" + time.Now().UTC().Format(time.DateOnly) + "&to=" + time.Now().UTC().Format(time.DateOnly), 1},
			{"Past", "?to=2020-01-01", 0},
		}
		for _, tt := range tests {
			res, doc := a.get(c, "/admin/orders"+tt.query)
			if res.StatusCode != http.StatusOK || doc.Find(`[data-testid=order-row]`).Length() != tt.rows {
				t.Errorf("%s: status %d, rows %d, want %d", tt.name, res.StatusCode, doc.Find(`[data-testid=order-row]`).Length(), tt.rows)
			}
		}
		res, doc := a.get(c, "/admin/orders?from=yesterday")
		if res.StatusCode != http.StatusUnprocessableEntity || doc.Find(`#from-error`).Text() == "" {
			t.Errorf("bad date: status %d, message %q", res.StatusCode, doc.Find(`#from-error`).Text())
		}
	})

	t.Run("ApproveBadInput", func(t *testing.T) {
		res, doc := a.postFormDoc(c, orderPath+"/approve", url.Values{"amount": {"0"}, "currency": {"EUR"}, "paid_on": {"2999-01-01"}})
		if res.StatusCode != http.StatusUnprocessableEntity || doc.Find(`#amount-error`).Text() == "" || doc.Find(`#paid_on-error`).Text() == "" {
			t.Errorf("status %d, amount %q, paid_on %q", res.StatusCode, doc.Find(`#amount-error`).Text(), doc.Find(`#paid_on-error`).Text())
		}
		res, doc = a.postFormDoc(c, orderPath+"/approve", url.Values{"amount": {"abc"}, "currency": {"XYZ"}})
		if res.StatusCode != http.StatusUnprocessableEntity || doc.Find(`#amount-error`).Text() == "" || doc.Find(`#currency-error`).Text() == "" {
			t.Errorf("status %d, amount %q, currency %q", res.StatusCode, doc.Find(`#amount-error`).Text(), doc.Find(`#currency-error`).Text())
		}
		if n := countRows(t, a, "SELECT count(*) FROM orders WHERE status = 'open'"); n != 1 {
			t.Error("bad input changed the order")
		}
	})

	// Approve with a corrected amount.
	res = a.postForm(c, orderPath+"/approve", url.Values{"amount": {"45,00"}, "currency": {"EUR"},
		"paid_on": {time.Now().UTC().AddDate(0, 0, -1).Format(time.DateOnly)}, "comment": {"45 after a discount"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != orderPath {
		t.Fatalf("approve: status %d, location %q", res.StatusCode, res.Header.Get("Location"))
	}
	_, doc = a.get(c, orderPath)
	if got := doc.Find(`[data-testid=status]`).First().Text(); got != "completed" {
		t.Errorf("status = %q after approve", got)
	}
	if got := doc.Find(`[data-testid=order-amount]`).Text(); got != "€45.00" {
		t.Errorf("amount = %q, want €45.00", got)
	}
	if got := doc.Find(`[data-testid=order-grants]`).Text(); got != "2" {
		t.Errorf("grants = %q, want 2", got)
	}
	if !strings.Contains(doc.Find(`[data-testid=flash]`).Text(), number+" approved") {
		t.Error("no approval flash")
	}
	if doc.Find(`[data-testid=order-timeline] [data-kind="order.completed"]`).Length() != 1 {
		t.Error("no completed event on the order's timeline")
	}
	if n := countRows(t, a, "SELECT count(*) FROM access_grants WHERE contact_id = $1 AND source = 'order' AND source_ref = $2", f.contact.ID, number); n != 2 {
		t.Errorf("grants = %d, want 2", n)
	}

	// A second manager approving the same order is told who decided.
	res, doc = a.postFormDoc(c, orderPath+"/approve", url.Values{"amount": {"49"}, "currency": {"EUR"}})
	if res.StatusCode != http.StatusConflict || !strings.Contains(doc.Find(`[data-testid=order-conflict]`).Text(), "already completed by owner@school.test") {
		t.Errorf("second approve: status %d, message %q", res.StatusCode, doc.Find(`[data-testid=order-conflict]`).Text())
	}

	t.Run("PaymentsTab", func(t *testing.T) {
		_, doc := a.get(c, "/admin/orders?tab=payments&status=succeeded")
		rows := doc.Find(`[data-testid=payment-row]`)
		if rows.Length() != 1 || rows.Find(`[data-testid=payment-amount]`).Text() != "€45.00" {
			t.Errorf("payments rows = %d (%q)", rows.Length(), rows.Text())
		}
		if _, doc := a.get(c, "/admin/orders?tab=payments&status=pending"); doc.Find(`[data-testid=payment-row]`).Length() != 0 {
			t.Error("pending filter lists the succeeded payment")
		}
	})
	t.Run("ContactCard", func(t *testing.T) {
		_, doc := a.get(c, "/admin/contacts/"+itoa(f.contact.ID))
		row := doc.Find(`[data-testid=contact-order]`)
		if row.Length() != 1 || row.AttrOr("data-status", "") != "completed" || !strings.Contains(row.Text(), number) {
			t.Errorf("contact orders = %q", row.Text())
		}
	})

	// Refund, then a refund again is a conflict.
	res = a.postForm(c, orderPath+"/refund", url.Values{"comment": {"changed their mind"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("refund: status %d", res.StatusCode)
	}
	_, doc = a.get(c, orderPath)
	if doc.Find(`[data-testid=status]`).First().Text() != "refunded" || doc.Find(`[data-testid=refund]`).Length() != 1 {
		t.Errorf("after refund: status %q, refunds %d", doc.Find(`[data-testid=status]`).First().Text(), doc.Find(`[data-testid=refund]`).Length())
	}
	if n := countRows(t, a, "SELECT count(*) FROM access_grants WHERE contact_id = $1 AND revoked_at IS NULL", f.contact.ID); n != 0 {
		t.Errorf("active grants after refund = %d", n)
	}
	if res := a.postForm(c, orderPath+"/reject", url.Values{}); res.StatusCode != http.StatusConflict {
		t.Errorf("reject of refunded: status %d, want 409", res.StatusCode)
	}
}

func TestAdminManualPaymentBadInput(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	c := a.owner()
	f := newOrderFixture(t, a)
	tests := []struct {
		name  string
		form  url.Values
		field string
	}{
		{"NoContact", url.Values{"offer_id": {itoa(f.offer.ID)}}, "contact_email"},
		{"UnknownContact", url.Values{"contact_email": {"ghost@example.com"}, "offer_id": {itoa(f.offer.ID)}}, "contact_email"},
		{"NoOffer", url.Values{"contact_email": {"student@example.com"}}, "offer_id"},
		{"OfferWithoutManual", url.Values{"contact_email": {"student@example.com"}, "offer_id": {itoa(f.cardsOnly.ID)}}, "payment_system_id"},
		{"FutureDate", url.Values{"contact_email": {"student@example.com"}, "offer_id": {itoa(f.offer.ID)}, "paid_on": {"2999-01-01"}}, "paid_on"},
		{"BadDate", url.Values{"contact_email": {"student@example.com"}, "offer_id": {itoa(f.offer.ID)}, "paid_on": {"31/01/2026"}}, "paid_on"},
		{"LongComment", url.Values{"contact_email": {"student@example.com"}, "offer_id": {itoa(f.offer.ID)}, "comment": {strings.Repeat("c", 1001)}}, "comment"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, doc := a.postFormDoc(c, "/admin/orders", tt.form)
			if res.StatusCode != http.StatusUnprocessableEntity || doc.Find("#"+tt.field+"-error").Text() == "" {
				t.Errorf("status %d, %s message %q", res.StatusCode, tt.field, doc.Find("#"+tt.field+"-error").Text())
			}
		})
	}
	if n := countRows(t, a, "SELECT count(*) FROM orders"); n != 0 {
		t.Errorf("bad input made %d orders", n)
	}
	if res, _ := a.get(c, "/admin/orders/999999"); res.StatusCode != http.StatusNotFound {
		t.Errorf("unknown order: status %d", res.StatusCode)
	}
}

func countRows(t *testing.T, a *testApp, query string, args ...any) int {
	t.Helper()
	var n int
	if err := a.pool.QueryRow(a.ctx(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestContactWithOrdersIsKept: deleting a contact who has orders is refused, in the admin and the API, and the
// order stays.
func TestContactWithOrdersIsKept(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	c := a.owner()
	key := a.apiKey()
	var contactID int64
	res, raw := a.api(key, "POST", "/api/v1/contacts", map[string]any{"email": "payer@example.org"}, &struct {
		ID *int64 `json:"id"`
	}{&contactID})
	wantStatus(t, res, raw, http.StatusCreated)
	if _, err := a.pool.Exec(a.ctx(), `WITH o AS (INSERT INTO offers (title, slug, amount, currency) VALUES ('O', 'o', 100, 'EUR') RETURNING id, title),
		ps AS (INSERT INTO payment_systems (type, name) VALUES ('manual', 'Cash') RETURNING id)
		INSERT INTO orders (offer_id, offer_title, contact_id, payment_system_id, amount, currency, list_amount, list_currency, channel)
		SELECT o.id, o.title, $1, ps.id, 100, 'EUR', 100, 'EUR', 'admin' FROM o, ps`, contactID); err != nil {
		t.Fatal(err)
	}
	res, raw = a.api(key, "DELETE", "/api/v1/contacts/"+itoa(contactID), nil, nil)
	wantStatus(t, res, raw, http.StatusConflict)
	resp := a.postForm(c, "/admin/contacts/"+itoa(contactID)+"/delete", nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin/contacts/"+itoa(contactID) {
		t.Fatalf("admin delete: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	var n int
	_ = a.pool.QueryRow(a.ctx(), "SELECT count(*) FROM orders WHERE contact_id = $1", contactID).Scan(&n)
	if n != 1 {
		t.Fatalf("orders left: %d", n)
	}
}

// TestAdminApproveAmountInOrderCurrency: an amount typed without a currency is read in the order's currency, whose
// minor units need not be hundredths (it was read as euros: 5000 became ¥500,000).
func TestAdminApproveAmountInOrderCurrency(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	c := a.owner()
	f := newOrderFixture(t, a)
	in := offer.NewInput()
	in.Title, in.Amount, in.Currency, in.Status = "Japanese N5", 6000, "JPY", offer.StatusPublished
	yen, err := a.srv.paymentSystems.Create(a.ctx(), gateway.Input{Type: gateway.TypeManual, Name: "Furikomi", Enabled: true,
		Settings: map[string]any{"supported_currencies": []any{"JPY"}}})
	if err != nil {
		t.Fatal(err)
	}
	in.PaymentSystemIDs, in.ProductIDs = []int64{yen.ID}, f.offer.ProductIDs
	of, err := a.srv.offers.Create(a.ctx(), in)
	if err != nil {
		t.Fatal(err)
	}
	o, err := a.srv.orders.CreateManual(a.ctx(), order.NewManual{OfferID: of.ID, ContactID: f.contact.ID, Channel: order.ChannelAdmin})
	if err != nil {
		t.Fatal(err)
	}
	if o.Price != money.New(6000, "JPY") {
		t.Fatalf("order price %s, want 6000 JPY", o.Price)
	}
	path := "/admin/orders/" + itoa(o.ID) + "/approve"
	res, doc := a.postFormDoc(c, path, url.Values{"amount": {"5000.50"}})
	if res.StatusCode != http.StatusUnprocessableEntity || doc.Find(`#amount-error`).Text() == "" {
		t.Errorf("yen with decimals: status %d, message %q", res.StatusCode, doc.Find(`#amount-error`).Text())
	}
	if res := a.postForm(c, path, url.Values{"amount": {"5000"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("approve: status %d", res.StatusCode)
	}
	got, err := a.srv.orders.Get(a.ctx(), o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Price != money.New(5000, "JPY") || got.Payments[0].Amount != money.New(5000, "JPY") {
		t.Errorf("approved %s (payment %s), want 5000 JPY", got.Price, got.Payments[0].Amount)
	}
}
