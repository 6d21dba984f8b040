package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/money"
	"github.com/bursar/bursar/internal/order"
)

// secondProcess is another Bursar server on a's database, with its own connection pool and configuration copy,
// as a second process behind a load balancer would be.
func secondProcess(t *testing.T, a *testApp) *testApp {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), a.pool.Config().ConnString())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	srv, ap := newServer(t, Deps{Config: a.srv.cfg, Log: a.srv.log, Pool: pool})
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return &testApp{t: t, srv: srv, app: ap, ts: ts, pool: pool, log: a.log}
}

// TestWebhookTwoProcesses: the same notification delivered to two processes at the same moment, several times
// over, is applied exactly once.
func TestWebhookTwoProcesses(t *testing.T) {
	t.Parallel()
	a := newGatewayApp(t, "http://127.0.0.1:1")
	b := secondProcess(t, a)
	f := newStripeFixture(t, a)
	const orders = 20
	var wg sync.WaitGroup
	failures := make(chan string, orders*4)
	for i := range orders {
		ref := "cs_two_" + itoa(int64(i))
		att := f.openOrder(t, a, "two"+itoa(int64(i))+"@example.com", ref)
		body := paidEvent("evt_two_"+itoa(int64(i)), att, ref)
		for _, p := range []*testApp{a, b, a, b} {
			wg.Go(func() {
				if code, reply := p.deliver(f.sys.ID, body, stripeSignature(testWebhookSecret, time.Now(), body)); code != http.StatusOK {
					failures <- reply
				}
			})
		}
	}
	wg.Wait()
	close(failures)
	for f := range failures {
		t.Errorf("delivery failed: %s", f)
	}
	checks := []struct{ name, query string }{
		{"CompletedOrders", "SELECT count(*) FROM orders WHERE status = 'completed'"},
		{"Grants", "SELECT count(*) FROM access_grants"},
		{"StoredEvents", "SELECT count(*) FROM gateway_events"},
		{"Emails", "SELECT count(*) FROM outbound_emails WHERE dedup_key LIKE 'order:%:completed'"},
		{"Completions", "SELECT count(*) FROM order_events WHERE kind = '" + order.EventCompleted + "'"},
	}
	for _, c := range checks {
		if got := countRows(t, a, c.query); got != orders {
			t.Errorf("%s: %d, want %d", c.name, got, orders)
		}
	}
	if got := countRows(t, a, "SELECT count(*) FROM gateway_events WHERE result = 'completed'"); got != orders {
		t.Errorf("%d events applied, want %d (the rest duplicates, never stored twice)", got, orders)
	}
}

// TestRefundNotificationsWithoutRunningTotal: a gateway that reports each refund alone (Redsys) rather than the
// total refunded: every refund made in its dashboard is counted once, Bursar's own refunds are known by their id,
// and the last one that returns everything makes the order refunded.
func TestRefundNotificationsWithoutRunningTotal(t *testing.T) {
	t.Parallel()
	a := newGatewayApp(t, "http://127.0.0.1:1")
	f := newStripeFixture(t, a)
	att := f.openOrder(t, a, "inc@example.com", "cs_inc")
	if code := a.deliverSigned(f.sys.ID, paidEvent("evt_inc_paid", att, "cs_inc")); code != http.StatusOK {
		t.Fatalf("paid: %d", code)
	}
	refund := func(id, ref string, amount int64) string {
		t.Helper()
		out, err := a.srv.orders.Ingest(a.ctx(), f.sys, gateway.Event{ID: id, Type: "refund", Kind: gateway.EventRefunded,
			OrderID: att.Order.ID, Ref: "cs_inc", Amount: money.New(amount, "EUR"), RefundedAmount: amount, RefundRef: ref},
			[]byte(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		return out.Result
	}
	refunded := func() int {
		return countRows(t, a, `SELECT coalesce(sum(amount), 0)::int FROM refunds WHERE status = 'succeeded'`)
	}
	if got := refund("inc-1", "o:r1", 1000); got != "partially_refunded+exception:outside_refund" || refunded() != 1000 {
		t.Fatalf("first dashboard refund: %s, %d refunded", got, refunded())
	}
	if got := refund("inc-2", "o:r2", 1000); got != "partially_refunded+exception:outside_refund" || refunded() != 2000 {
		t.Fatalf("second dashboard refund of the same amount: %s, %d refunded; want it counted", got, refunded())
	}
	if got := refund("inc-2-again", "o:r2", 1000); got != order.ResultRefundKnown || refunded() != 2000 {
		t.Fatalf("the same refund reported again: %s, %d refunded", got, refunded())
	}
	// A refund Bursar made itself (recorded with the gateway's id) is known when the gateway reports it.
	if _, err := a.pool.Exec(a.ctx(), `INSERT INTO refunds (payment_id, amount, currency, status, gateway_ref)
		SELECT id, 500, 'EUR', 'succeeded', 'o:r3' FROM payments WHERE order_id = $1`, att.Order.ID); err != nil {
		t.Fatal(err)
	}
	if got := refund("inc-3", "o:r3", 500); got != order.ResultRefundKnown || refunded() != 2500 {
		t.Fatalf("Bursar's own refund: %s, %d refunded", got, refunded())
	}
	if got := refund("inc-4", "o:r4", 2400); got != "refunded+exception:outside_refund" || refunded() != 4900 {
		t.Fatalf("the rest: %s, %d refunded", got, refunded())
	}
	if st := a.orderStatus(att.Order.ID); st != order.StatusRefunded {
		t.Fatalf("order %s, want refunded", st)
	}
}
