package server

import (
	"bytes"
	"encoding/csv"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/bursar/bursar/internal/crm"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/offer"
	"github.com/bursar/bursar/internal/order"
)

// txnFixture is a school with money in two currencies, through Stripe and a manual system (2.5% fee):
//   - ana paid 49.00 EUR through Stripe, then 10.00 EUR of it was refunded in Stripe's dashboard;
//   - ben's 49.00 EUR bank transfer was approved (fee 1.23, net 47.77);
//   - cy paid 25.00 USD through Stripe;
//   - a visitor paid 49.00 EUR without an e-mail: the payment belongs to a placeholder contact;
//   - dee started paying 49.00 EUR and has not finished (a pending attempt).
type txnFixture struct {
	stripe, manual                      gateway.System
	ana, ben, cy, guest, dee            order.Order
	anaPayment, anaRefund, benPayment   int64
	cyPayment, guestPayment, deePayment int64
}

func newTxnFixture(t *testing.T, a *testApp) txnFixture {
	t.Helper()
	ctx := a.ctx()
	f := guestFixture(t, a)
	x := txnFixture{stripe: f.sys}
	paid := func(att order.Attempt, ref, evt string, amount int64, currency string) order.Order {
		t.Helper()
		body := sessionEvent(evt, "checkout.session.completed", stripeSession{ID: ref, Status: "complete",
			PaymentStatus: "paid", Currency: currency, Amount: amount, OrderID: att.Order.ID,
			PaymentIntent: "pi_" + strings.TrimPrefix(ref, "cs_")})
		if code := a.deliverSigned(f.sys.ID, body); code != http.StatusOK {
			t.Fatalf("%s: status %d", evt, code)
		}
		o, err := a.srv.orders.Get(ctx, att.Order.ID)
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	payment := func(o order.Order, status string) int64 {
		t.Helper()
		for _, p := range o.Payments {
			if p.Status == status {
				return p.ID
			}
		}
		t.Fatalf("order %s has no %s payment: %+v", o.Number, status, o.Payments)
		return 0
	}

	x.ana = paid(f.openOrder(t, a, "ana@example.com", "cs_txn_ana"), "cs_txn_ana", "evt_txn_ana", 4900, "eur")
	refund := stripeEvent("evt_txn_ana_refund", "charge.refunded", map[string]any{"id": "ch_txn_ana", "object": "charge",
		"amount": 4900, "currency": "eur", "amount_refunded": 1000, "payment_intent": "pi_txn_ana", "refunded": false})
	if code := a.deliverSigned(f.sys.ID, refund); code != http.StatusOK {
		t.Fatalf("refund: status %d", code)
	}
	if err := a.pool.QueryRow(ctx, `SELECT r.id FROM refunds r JOIN payments p ON p.id = r.payment_id
		WHERE p.order_id = $1`, x.ana.ID).Scan(&x.anaRefund); err != nil {
		t.Fatal(err)
	}
	x.anaPayment = payment(x.ana, order.PaymentSucceeded)

	var err error
	x.manual, err = a.srv.paymentSystems.Create(ctx, gateway.Input{Type: gateway.TypeManual, Name: "Bank transfer",
		Enabled: true, Settings: map[string]any{"fee_percent": "2.5", "supported_currencies": []any{"EUR"}}})
	if err != nil {
		t.Fatal(err)
	}
	bank := a.offer(func(in *offer.Input) {
		in.Title, in.Slug, in.PaymentSystemIDs = "Bank course", "bank-course", []int64{x.manual.ID}
	})
	ben, err := a.srv.contacts.Create(ctx, crm.Input{Email: "ben@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	mo, err := a.srv.orders.CreateManual(ctx, order.NewManual{OfferID: bank.ID, ContactID: ben.ID, Channel: order.ChannelAdmin})
	if err != nil {
		t.Fatal(err)
	}
	if x.ben, err = a.srv.orders.Approve(ctx, mo.ID, order.Adjustment{}); err != nil {
		t.Fatal(err)
	}
	x.benPayment = payment(x.ben, order.PaymentSucceeded)

	usd := a.offer(func(in *offer.Input) {
		in.Title, in.Slug, in.Amount, in.Currency, in.PaymentSystemIDs = "USD course", "usd-course", 2500, "USD", []int64{f.sys.ID}
	})
	cy, err := a.srv.contacts.Create(ctx, crm.Input{Email: "cy@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	att, err := a.srv.orders.OpenGateway(ctx, order.NewGateway{OfferID: usd.ID, ContactID: cy.ID, PaymentSystemID: f.sys.ID,
		Channel: order.ChannelCheckout})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.srv.orders.AttachRef(ctx, att.Payment.ID, "cs_txn_usd"); err != nil {
		t.Fatal(err)
	}
	x.cy = paid(att, "cs_txn_usd", "evt_txn_usd", 2500, "usd")
	x.cyPayment = payment(x.cy, order.PaymentSucceeded)

	att, err = a.srv.orders.OpenGateway(ctx, order.NewGateway{OfferID: f.offer.ID, PaymentSystemID: f.sys.ID,
		Channel: order.ChannelCheckout, Guest: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.srv.orders.AttachRef(ctx, att.Payment.ID, "cs_txn_guest"); err != nil {
		t.Fatal(err)
	}
	x.guest = paid(att, "cs_txn_guest", "evt_txn_guest", 4900, "eur")
	x.guestPayment = payment(x.guest, order.PaymentSucceeded)

	dee := f.openOrder(t, a, "dee@example.com", "cs_txn_pending")
	x.dee, x.deePayment = dee.Order, dee.Payment.ID
	return x
}

// txnKey names a transaction row: "payment:12", "refund:3".
func txnKey(kind string, id int64) string { return kind + ":" + itoa(id) }

// txnRows reads the rows of the Transactions screen at path.
func txnRows(t *testing.T, a *testApp, c *http.Client, path string) (*goquery.Document, []string) {
	t.Helper()
	res, doc := a.get(c, path)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("%s: status %d", path, res.StatusCode)
	}
	var keys []string
	doc.Find(`[data-testid="txn-row"]`).Each(func(_ int, s *goquery.Selection) {
		keys = append(keys, s.AttrOr("data-kind", "")+":"+s.AttrOr("data-id", ""))
	})
	return doc, keys
}

func sameSet(got, want []string) bool {
	g, w := slices.Clone(got), slices.Clone(want)
	slices.Sort(g)
	slices.Sort(w)
	return slices.Equal(g, w)
}

func TestTransactionsScreen(t *testing.T) {
	t.Parallel()
	a := newGatewayApp(t, "http://127.0.0.1:1")
	x := newTxnFixture(t, a)
	c := a.owner()
	anaPay, anaRef := txnKey("payment", x.anaPayment), txnKey("refund", x.anaRefund)
	benPay, cyPay := txnKey("payment", x.benPayment), txnKey("payment", x.cyPayment)
	guestPay, deePay := txnKey("payment", x.guestPayment), txnKey("payment", x.deePayment)
	settled := []string{anaPay, anaRef, benPay, cyPay, guestPay}

	doc, keys := txnRows(t, a, c, "/admin/transactions")
	if !sameSet(keys, settled) {
		t.Fatalf("rows %v, want %v (no pending attempt)", keys, settled)
	}
	row := func(key string) *goquery.Selection {
		kind, id, _ := strings.Cut(key, ":")
		return doc.Find(`[data-testid="txn-row"][data-kind="` + kind + `"][data-id="` + id + `"]`)
	}
	tests := []struct {
		name                                       string
		key                                        string
		amount, fee, net, status, contact, orderNo string
	}{
		{"StripePayment", anaPay, "€49.00", "€0.00", "€49.00", "partially refunded", "ana@example.com", x.ana.Number},
		{"Refund", anaRef, "€10.00", "", "−€10.00", "succeeded", "ana@example.com", x.ana.Number},
		{"ManualWithFee", benPay, "€49.00", "€1.23", "€47.77", "succeeded", "ben@example.com", x.ben.Number},
		{"USD", cyPay, "$25.00", "$0.00", "$25.00", "succeeded", "cy@example.com", x.cy.Number},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := row(tt.key)
			got := []string{r.Find(`[data-testid="txn-amount"]`).Text(), r.Find(`[data-testid="txn-fee"]`).Text(),
				r.Find(`[data-testid="txn-net"]`).Text(), r.Find(`[data-testid="txn-status"]`).Text(),
				r.Find(`[data-testid="txn-contact"]`).Text(), r.Find(`[data-testid="txn-order"]`).Text()}
			want := []string{tt.amount, tt.fee, tt.net, tt.status, tt.contact, tt.orderNo}
			if !slices.Equal(got, want) {
				t.Errorf("row %v, want %v", got, want)
			}
			if r.Find(`[data-testid="placeholder-badge"]`).Length() != 0 {
				t.Error("flagged as a placeholder")
			}
		})
	}
	g := row(guestPay)
	if g.Find(`[data-testid="placeholder-badge"]`).Text() != "placeholder: grant access by hand" ||
		!strings.HasSuffix(g.Find(`[data-testid="txn-contact"]`).Text(), "@placeholder.invalid") {
		t.Errorf("the placeholder payer is not flagged: %q", g.Text())
	}
	if href, _ := row(anaRef).Find(`[data-testid="txn-order"]`).Attr("href"); href != orderURL(x.ana.ID) {
		t.Errorf("order link %q", href)
	}
	if got := row(anaPay).Find(`[data-testid="txn-ref"]`).Text(); got != "cs_txn_ana" {
		t.Errorf("gateway reference %q", got)
	}

	// Totals per currency, never summed across currencies.
	totals := map[string][]string{}
	doc.Find(`[data-testid="txn-total"]`).Each(func(_ int, s *goquery.Selection) {
		totals[s.AttrOr("data-currency", "")] = []string{s.Find(`[data-testid="total-payments"]`).Text(),
			s.Find(`[data-testid="total-refunds"]`).Text(), s.Find(`[data-testid="total-fees"]`).Text(),
			s.Find(`[data-testid="total-net"]`).Text()}
	})
	wantTotals := map[string][]string{
		"EUR": {"€147.00 (3)", "€10.00 (1)", "€1.23", "€135.77"},
		"USD": {"$25.00 (1)", "$0.00 (0)", "$0.00", "$25.00"},
	}
	if len(totals) != len(wantTotals) || !slices.Equal(totals["EUR"], wantTotals["EUR"]) || !slices.Equal(totals["USD"], wantTotals["USD"]) {
		t.Errorf("totals %v, want %v", totals, wantTotals)
	}

	today := time.Now().UTC().Format(time.DateOnly)
	tomorrow := time.Now().UTC().AddDate(0, 0, 1).Format(time.DateOnly)
	yesterday := time.Now().UTC().AddDate(0, 0, -1).Format(time.DateOnly)
	filters := []struct {
		name, query string
		want        []string
	}{
		{"Attempts", "attempts=1", append(slices.Clone(settled), deePay)},
		{"Refunds", "kind=refund", []string{anaRef}},
		{"Payments", "kind=payment", []string{anaPay, benPay, cyPay, guestPay}},
		{"System", "payment_system_id=" + itoa(x.manual.ID), []string{benPay}},
		{"Currency", "currency=usd", []string{cyPay}},
		{"OrderNumber", "q=" + strings.ToLower(x.ana.Number), []string{anaPay, anaRef}},
		{"GatewayRef", "q=cs_txn_usd", []string{cyPay}},
		{"SecondRef", "q=pi_txn_ana", []string{anaPay, anaRef}},
		{"Status", "status=partially_refunded", []string{anaPay}},
		{"StatusPending", "status=pending", []string{deePay}},
		{"Today", "from=" + today + "&to=" + today, settled},
		{"FromTomorrow", "from=" + tomorrow, nil},
		{"ToYesterday", "to=" + yesterday, nil},
		{"Combined", "kind=payment&currency=EUR&payment_system_id=" + itoa(x.stripe.ID), []string{anaPay, guestPay}},
	}
	for _, tt := range filters {
		t.Run(tt.name, func(t *testing.T) {
			if _, got := txnRows(t, a, c, "/admin/transactions?"+tt.query); !sameSet(got, tt.want) {
				t.Errorf("rows %v, want %v", got, tt.want)
			}
		})
	}
	doc, _ = txnRows(t, a, c, "/admin/transactions?kind=refund")
	if got := doc.Find(`[data-testid="txn-total"][data-currency="EUR"] [data-testid="total-net"]`).Text(); got != "−€10.00" {
		t.Errorf("refunds only: net %q, want −€10.00", got)
	}
	for _, bad := range []string{"currency=XYZ", "from=31-01-2026", "kind=bogus", "payment_system_id=abc", "status=bogus", "cursor=bogus"} {
		if res, _ := a.get(c, "/admin/transactions?"+bad); res.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("%s: status %d, want 422", bad, res.StatusCode)
		}
	}
}

func TestTransactionsCSV(t *testing.T) {
	t.Parallel()
	a := newGatewayApp(t, "http://127.0.0.1:1")
	x := newTxnFixture(t, a)
	c := a.owner()
	export := func(query string) [][]string {
		t.Helper()
		res, err := c.Get(a.ts.URL + "/admin/transactions.csv?" + query)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") ||
			!strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment; filename=") {
			t.Fatalf("export: status %d, %q, %q", res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Content-Disposition"))
		}
		raw, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasSuffix(raw, []byte("\r\n")) {
			t.Error("lines do not end in CRLF (RFC 4180)")
		}
		rows, err := csv.NewReader(bytes.NewReader(raw)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) == 0 || !slices.Equal(rows[0], csvHeader) {
			t.Fatalf("header %v", rows)
		}
		return rows[1:]
	}
	col := func(name string) int { return slices.Index(csvHeader, name) }
	byRef := map[string][]string{}
	for _, r := range export("") {
		byRef[r[col("kind")]+":"+r[col("id")]] = r
	}
	if len(byRef) != 5 {
		t.Fatalf("%d rows, want 5", len(byRef))
	}
	tests := []struct {
		key                                         string
		currency, amount, fee, net, minor, netMinor string
		placeholder                                 string
	}{
		{txnKey("refund", x.anaRefund), "EUR", "10.00", "", "-10.00", "1000", "-1000", "false"},
		{txnKey("payment", x.benPayment), "EUR", "49.00", "1.23", "47.77", "4900", "4777", "false"},
		{txnKey("payment", x.cyPayment), "USD", "25.00", "0.00", "25.00", "2500", "2500", "false"},
		{txnKey("payment", x.guestPayment), "EUR", "49.00", "0.00", "49.00", "4900", "4900", "true"},
	}
	for _, tt := range tests {
		r := byRef[tt.key]
		if r == nil {
			t.Errorf("%s missing", tt.key)
			continue
		}
		got := []string{r[col("currency")], r[col("amount")], r[col("fee")], r[col("net")], r[col("amount_minor")],
			r[col("net_minor")], r[col("placeholder_contact")]}
		want := []string{tt.currency, tt.amount, tt.fee, tt.net, tt.minor, tt.netMinor, tt.placeholder}
		if !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", tt.key, got, want)
		}
	}
	if r := byRef[txnKey("payment", x.benPayment)]; r[col("contact_email")] != "ben@example.com" ||
		r[col("order_number")] != x.ben.Number || r[col("payment_system")] != "Bank transfer" || r[col("status")] != "succeeded" {
		t.Errorf("ben's row %v", r)
	}
	if rows := export("kind=refund"); len(rows) != 1 || rows[0][col("kind")] != "refund" {
		t.Errorf("refunds only: %v", rows)
	}
	if res, _ := a.get(c, "/admin/transactions.csv?currency=XYZ"); res.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("bad filter: status %d, want 422", res.StatusCode)
	}

	// Every row, past the size of one page.
	if _, err := a.pool.Exec(a.ctx(), `INSERT INTO payments (order_id, payment_system_id, mode, status, amount, currency, paid_on)
		SELECT $1, $2, 'test', 'succeeded', n, 'EUR', current_date FROM generate_series(1, 600) AS n`, x.ben.ID, x.manual.ID); err != nil {
		t.Fatal(err)
	}
	rows := export("payment_system_id=" + itoa(x.manual.ID))
	seen := map[string]bool{}
	for _, r := range rows {
		seen[r[col("id")]] = true
	}
	if len(rows) != 601 || len(seen) != 601 {
		t.Errorf("%d rows (%d distinct), want 601", len(rows), len(seen))
	}
}

func TestTransactionsAPI(t *testing.T) {
	t.Parallel()
	a := newGatewayApp(t, "http://127.0.0.1:1")
	x := newTxnFixture(t, a)
	key := a.apiKey()
	// all pages of path, following next_cursor with limit per page.
	all := func(query string, limit int) []txnJSON {
		t.Helper()
		var out []txnJSON
		cursor := ""
		for range 50 {
			var page List[txnJSON]
			q := query + "&limit=" + itoa(int64(limit))
			if cursor != "" {
				q += "&cursor=" + url.QueryEscape(cursor)
			}
			res, raw := a.api(key, http.MethodGet, "/api/v1/transactions?"+q, nil, &page)
			wantStatus(t, res, raw, http.StatusOK)
			out = append(out, page.Data...)
			if cursor = page.NextCursor; cursor == "" {
				return out
			}
		}
		t.Fatal("the pages never end")
		return nil
	}
	keys := func(ts []txnJSON) []string {
		var out []string
		for _, tx := range ts {
			out = append(out, txnKey(tx.Kind, tx.ID))
		}
		return out
	}
	whole := all("attempts=1", 200)
	if len(whole) != 6 {
		t.Fatalf("%d transactions, want 6", len(whole))
	}
	if paged := all("attempts=1", 2); !slices.Equal(keys(paged), keys(whole)) {
		t.Errorf("pages of 2 %v, want %v", keys(paged), keys(whole))
	}
	for i := 1; i < len(whole); i++ {
		if whole[i].CreatedAt.After(whole[i-1].CreatedAt) {
			t.Errorf("not newest first: %v", keys(whole))
		}
	}
	for _, tx := range whole {
		switch txnKey(tx.Kind, tx.ID) {
		case txnKey("refund", x.anaRefund):
			if tx.Amount != 1000 || tx.Net != -1000 || tx.Currency != "EUR" || tx.OrderNumber != x.ana.Number ||
				tx.ContactEmail != "ana@example.com" || tx.PaidOn != nil || tx.PaymentID != x.anaPayment {
				t.Errorf("refund %+v", tx)
			}
		case txnKey("payment", x.guestPayment):
			if !tx.Placeholder || tx.GatewayRef != "cs_txn_guest" || tx.PaidOn == nil {
				t.Errorf("guest payment %+v", tx)
			}
		case txnKey("payment", x.benPayment):
			if tx.Fee != 123 || tx.Net != 4777 || tx.PaymentSystemID != x.manual.ID || tx.Placeholder {
				t.Errorf("manual payment %+v", tx)
			}
		}
	}
	if got := keys(all("currency=USD", 50)); !slices.Equal(got, []string{txnKey("payment", x.cyPayment)}) {
		t.Errorf("USD: %v", got)
	}

	// Transactions recorded at the same instant are each listed once, refunds first, then by id.
	for _, q := range []string{`UPDATE payments SET created_at = '2026-01-01T00:00:00Z'`, `UPDATE refunds SET created_at = '2026-01-01T00:00:00Z'`} {
		if _, err := a.pool.Exec(a.ctx(), q); err != nil {
			t.Fatal(err)
		}
	}
	tied := keys(all("attempts=1", 1))
	want := []string{txnKey("refund", x.anaRefund), txnKey("payment", x.deePayment), txnKey("payment", x.guestPayment),
		txnKey("payment", x.cyPayment), txnKey("payment", x.benPayment), txnKey("payment", x.anaPayment)}
	if !slices.Equal(tied, want) {
		t.Errorf("tied pages %v, want %v", tied, want)
	}

	bad := []struct{ query, field string }{
		{"currency=XYZ", "currency"}, {"kind=bogus", "kind"}, {"from=yesterday", "from"}, {"cursor=bogus", "cursor"},
		{"limit=0", "limit"}, {"payment_system_id=-1", "payment_system_id"},
	}
	for _, tt := range bad {
		var p Problem
		res, raw := a.api(key, http.MethodGet, "/api/v1/transactions?"+tt.query, nil, &p)
		wantStatus(t, res, raw, http.StatusUnprocessableEntity)
		if p.Errors[tt.field] == "" {
			t.Errorf("%s: no message for %s: %s", tt.query, tt.field, raw)
		}
	}
}
