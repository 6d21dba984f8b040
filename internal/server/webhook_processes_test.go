package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

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
	srv, err := New(Deps{Config: a.srv.cfg, Log: a.srv.log, Pool: pool})
	if err != nil {
		t.Fatal(err)
	}
	srv.Start(context.Background())
	t.Cleanup(srv.Close)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return &testApp{t: t, srv: srv, ts: ts, pool: pool, log: a.log}
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
