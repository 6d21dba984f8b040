package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/bursar/bursar/internal/crm"
	"github.com/bursar/bursar/internal/db"
	"github.com/bursar/bursar/internal/order"
)

// What the lists keep right while they are made fast at scale (issue 12): the order of a date range, the
// Transactions' default range and its totals, the contacts of a page read at once.

// TestOrdersDateRangeOrder: with a date range the orders and payments lists are newest first by the time recorded
// (then by id), and paging with the usual cursor shows each one once, even where ids and times disagree.
func TestOrdersDateRangeOrder(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	f := newOrderFixture(t, a)
	ctx := a.ctx()
	var ids []int64
	for _, email := range []string{"o1@example.com", "o2@example.com", "o3@example.com", "o4@example.com", "o5@example.com"} {
		c, err := a.srv.contacts.Create(ctx, crm.Input{Email: email})
		if err != nil {
			t.Fatal(err)
		}
		o, err := a.srv.orders.CreateManual(ctx, order.NewManual{OfferID: f.offer.ID, ContactID: c.ID, Channel: order.ChannelAdmin})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, o.ID)
	}
	// Recorded out of id order: the 2nd is the newest, the 3rd and 4th at the same instant, the 5th before the range.
	day := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -3)
	at := []time.Time{day.Add(10 * time.Hour), day.Add(20 * time.Hour), day.Add(15 * time.Hour), day.Add(15 * time.Hour),
		day.AddDate(0, 0, -5)}
	for i, id := range ids {
		for _, q := range []string{`UPDATE orders SET created_at = $2 WHERE id = $1`,
			`UPDATE payments SET created_at = $2 WHERE order_id = $1`} {
			if _, err := a.pool.Exec(ctx, q, id, at[i]); err != nil {
				t.Fatal(err)
			}
		}
	}
	want := []int64{ids[1], ids[3], ids[2], ids[0]}
	from, to := day, day.AddDate(0, 0, 1)

	var got []int64
	var before int64
	for range 10 {
		page, err := a.srv.orders.List(ctx, order.Filter{From: from, To: to, BeforeID: before, Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Orders {
			got = append(got, o.ID)
		}
		if before = page.NextBeforeID; before == 0 {
			break
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("orders in the range, pages of 2: %v, want %v", got, want)
	}

	got, before = nil, 0
	for range 10 {
		page, err := a.srv.orders.Payments(ctx, order.PaymentFilter{From: from, To: to, BeforeID: before, Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range page.Payments {
			got = append(got, p.OrderID)
		}
		if before = page.NextBeforeID; before == 0 {
			break
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("payments in the range by order, pages of 2: %v, want %v", got, want)
	}

	// The screen shows the same order, and every row names its own contact.
	c := a.owner()
	_, doc := a.get(c, "/admin/orders?from="+from.Format(time.DateOnly)+"&to="+from.Format(time.DateOnly))
	var rows []int64
	var contacts []string
	doc.Find(`[data-testid="order-row"]`).Each(func(_ int, s *goquery.Selection) {
		rows = append(rows, parseID(s.AttrOr("data-id", "")))
		contacts = append(contacts, strings.TrimSpace(s.Find("td:nth-child(4)").Text()))
	})
	if !slices.Equal(rows, want) {
		t.Errorf("screen rows %v, want %v", rows, want)
	}
	if wantContacts := []string{"o2@example.com", "o4@example.com", "o3@example.com", "o1@example.com"}; !slices.Equal(contacts, wantContacts) {
		t.Errorf("row contacts %v, want %v", contacts, wantContacts)
	}
}

// TestTransactionsDefaultRange: without dates the screen shows the last 30 days, says so, and its totals are
// those of the rows it shows; a From cleared by hand shows every date; the export link carries the range.
func TestTransactionsDefaultRange(t *testing.T) {
	t.Parallel()
	a := newGatewayApp(t, "http://127.0.0.1:1")
	x := newTxnFixture(t, a)
	c := a.owner()
	if _, err := a.pool.Exec(a.ctx(), `UPDATE payments SET created_at = now() - interval '60 days' WHERE id = $1`, x.benPayment); err != nil {
		t.Fatal(err)
	}
	eurPayments := func(doc *goquery.Document) string {
		return doc.Find(`[data-testid="txn-total"][data-currency="EUR"] [data-testid="total-payments"]`).Text()
	}
	benPay := txnKey("payment", x.benPayment)

	fromOf := func() string { return time.Now().UTC().AddDate(0, 0, -29).Format(time.DateOnly) }
	before := fromOf()
	doc, rows := txnRows(t, a, c, "/admin/transactions")
	after := fromOf() // the request may have crossed midnight
	if slices.Contains(rows, benPay) {
		t.Errorf("default range lists the payment of 60 days ago: %v", rows)
	}
	if got := eurPayments(doc); got != "€98.00 (2)" {
		t.Errorf("default range: EUR payments %q, want €98.00 (2)", got)
	}
	wantFrom, _ := doc.Find(`input#from`).Attr("value")
	if wantFrom != before && wantFrom != after {
		t.Errorf("From shows %q, want %q", wantFrom, before)
	}
	if !strings.Contains(doc.Find(`[data-testid="default-range"]`).Text(), "last 30 days") {
		t.Error("the default range is not said")
	}
	if href, _ := doc.Find(`[data-testid="csv-export"]`).Attr("href"); !strings.Contains(href, "from="+wantFrom) {
		t.Errorf("export link %q does not carry the range", href)
	}

	for _, q := range []string{"from=", "to=" + time.Now().UTC().Format(time.DateOnly)} {
		doc, rows = txnRows(t, a, c, "/admin/transactions?"+q)
		if !slices.Contains(rows, benPay) {
			t.Errorf("%s: the payment of 60 days ago is missing: %v", q, rows)
		}
		if got := eurPayments(doc); got != "€147.00 (3)" {
			t.Errorf("%s: EUR payments %q, want €147.00 (3)", q, got)
		}
		if doc.Find(`[data-testid="default-range"]`).Length() != 0 {
			t.Errorf("%s: says it shows the default range", q)
		}
	}
}

// TestTransactionTotalsFilters: totals follow every filter, whichever tables each one needs.
func TestTransactionTotalsFilters(t *testing.T) {
	t.Parallel()
	a := newGatewayApp(t, "http://127.0.0.1:1")
	x := newTxnFixture(t, a)
	ctx := a.ctx()
	eur := func(f order.TxnFilter) order.TxnTotal {
		t.Helper()
		ts, err := a.srv.orders.TransactionTotals(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, tt := range ts {
			if tt.Currency == "EUR" {
				return tt
			}
		}
		return order.TxnTotal{}
	}
	tests := []struct {
		name              string
		f                 order.TxnFilter
		payments, refunds int64
		paymentN, refundN int64
		wantNet           int64
	}{
		{"All", order.TxnFilter{}, 14700, 1000, 3, 1, 14700 - 123 - 1000},
		{"OrderNumber", order.TxnFilter{Search: strings.ToLower(x.ana.Number)}, 4900, 1000, 1, 1, 3900},
		{"RefundOfARef", order.TxnFilter{Search: "pi_txn_ana"}, 4900, 1000, 1, 1, 3900},
		{"Stripe", order.TxnFilter{PaymentSystemID: x.stripe.ID}, 9800, 1000, 2, 1, 8800},
		{"Manual", order.TxnFilter{PaymentSystemID: x.manual.ID}, 4900, 0, 1, 0, 4777},
		{"Refunds", order.TxnFilter{Kind: order.TxnRefund}, 0, 1000, 0, 1, -1000},
		{"StatusRefundOnly", order.TxnFilter{Status: order.PaymentPartiallyRefunded}, 4900, 0, 1, 0, 4900},
		{"StatusBoth", order.TxnFilter{Status: order.RefundSucceeded}, 9800, 1000, 2, 1, 9800 - 123 - 1000},
		{"Future", order.TxnFilter{From: time.Now().AddDate(0, 0, 1)}, 0, 0, 0, 0, 0},
	}
	for _, tt := range tests {
		got := eur(tt.f)
		if got.Payments != tt.payments || got.Refunds != tt.refunds || got.PaymentCount != tt.paymentN ||
			got.RefundCount != tt.refundN || got.Net != tt.wantNet {
			t.Errorf("%s: %+v, want payments %d (%d), refunds %d (%d), net %d", tt.name, got, tt.payments, tt.paymentN,
				tt.refunds, tt.refundN, tt.wantNet)
		}
	}
}

// TestListQueriesDoNotGrowWithRows: a page of orders or transactions reads its contacts in one query, so a page of
// five contacts costs the same database round trips as a page of one.
func TestListQueriesDoNotGrowWithRows(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	f := newOrderFixture(t, a)
	ctx := a.ctx()
	// A second server on the same database, its pool counting each request's queries.
	var trips atomic.Int64
	pool, err := db.Open(context.Background(), a.pool.Config().ConnString(), func(c *pgxpool.Config) {
		c.ConnConfig.Tracer = roundTrips{}
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	srv, _ := newServer(t, Deps{Config: a.srv.cfg, Log: a.srv.log, Pool: pool})
	h := validateAPI(t, srv.Handler())
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), roundTripKey{}, &trips)))
	}))
	t.Cleanup(ts.Close)
	counted := &testApp{t: t, srv: srv, ts: ts, pool: pool}
	a.createAdmin(testOwnerEmail, "owner")
	c := counted.signIn(testOwnerEmail)
	paid := func(email string) {
		t.Helper()
		ct, err := a.srv.contacts.Create(ctx, crm.Input{Email: email})
		if err != nil {
			t.Fatal(err)
		}
		o, err := a.srv.orders.CreateManual(ctx, order.NewManual{OfferID: f.offer.ID, ContactID: ct.ID, Channel: order.ChannelAdmin})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.srv.orders.Approve(ctx, o.ID, order.Adjustment{}); err != nil {
			t.Fatal(err)
		}
	}
	queries := func(path string) int64 {
		t.Helper()
		trips.Store(0)
		res, doc := counted.get(c, path)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d", path, res.StatusCode)
		}
		if doc.Find(`[data-testid="order-row"], [data-testid="txn-row"]`).Length() == 0 {
			t.Fatalf("%s: no rows", path)
		}
		return trips.Load()
	}
	paid("one@example.com")
	paths := []string{"/admin/orders", "/admin/transactions"}
	one := map[string]int64{}
	for _, p := range paths {
		one[p] = queries(p)
	}
	for _, e := range []string{"two@example.com", "three@example.com", "four@example.com", "five@example.com"} {
		paid(e)
	}
	for _, p := range paths {
		if five := queries(p); five != one[p] {
			t.Errorf("%s: %d queries for five contacts, %d for one", p, five, one[p])
		}
	}
}
