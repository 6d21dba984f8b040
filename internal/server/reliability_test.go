package server

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bursar/bursar/internal/order"
)

// TestWebhookReliability is issue 4's check: N paid Checkout Sessions, each checkout.session.completed delivered 3
// times, shuffled, by 32 concurrent senders through the real endpoint and the real Stripe provider → exactly N
// completed orders, N grants, N confirmation e-mails queued (one per order: dedup keys), 0 exceptions.
func TestWebhookReliability(t *testing.T) {
	t.Parallel()
	n := 1000
	if testing.Short() {
		n = 100
	}
	const (
		copies  = 3
		senders = 32
	)
	a := newGatewayApp(t, "http://127.0.0.1:1")
	f := newStripeFixture(t, a)

	attempts := make([]order.Attempt, n)
	for i := range attempts {
		attempts[i] = f.openOrder(t, a, fmt.Sprintf("student%04d@example.com", i), fmt.Sprintf("cs_test_%04d", i))
	}

	type delivery struct{ body []byte }
	var queue []delivery
	for i, att := range attempts {
		body := paidEvent(fmt.Sprintf("evt_%04d", i), att, fmt.Sprintf("cs_test_%04d", i))
		for range copies {
			queue = append(queue, delivery{body: body})
		}
	}
	rand.Shuffle(len(queue), func(i, j int) { queue[i], queue[j] = queue[j], queue[i] })

	var wg sync.WaitGroup
	client := &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: senders}}
	url := fmt.Sprintf("%s/webhooks/%d", a.ts.URL, f.sys.ID)
	work := make(chan delivery)
	var failures atomic.Int64
	start := time.Now()
	for range senders {
		wg.Go(func() {
			for d := range work {
				req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(d.body))
				req.Header.Set("Stripe-Signature", stripeSignature(testWebhookSecret, time.Now(), d.body))
				res, err := client.Do(req)
				if err != nil || res.StatusCode != http.StatusOK {
					if failures.Add(1) <= 5 {
						t.Errorf("delivery: %v %v", err, res)
					}
				}
				if res != nil {
					res.Body.Close()
				}
			}
		})
	}
	for _, d := range queue {
		work <- d
	}
	close(work)
	wg.Wait()
	t.Logf("%d deliveries of %d events in %s", len(queue), n, time.Since(start).Round(time.Millisecond))
	if failures.Load() > 0 {
		t.Fatalf("%d deliveries failed", failures.Load())
	}

	checks := []struct {
		name, query string
	}{
		{"CompletedOrders", "SELECT count(*) FROM orders WHERE status = 'completed'"},
		{"Grants", "SELECT count(*) FROM access_grants WHERE revoked_at IS NULL"},
		{"OrderGrants", "SELECT count(*) FROM order_grants"},
		{"CompletedEmails", "SELECT count(*) FROM outbound_emails WHERE dedup_key LIKE 'order:%:completed'"},
		{"StoredEvents", "SELECT count(*) FROM gateway_events WHERE processed_at IS NOT NULL AND result = 'completed'"},
		{"SucceededPayments", "SELECT count(*) FROM payments WHERE status = 'succeeded'"},
		{"Completions", "SELECT count(*) FROM order_events WHERE kind = 'order.completed'"},
	}
	for _, c := range checks {
		if got := countRows(t, a, c.query); got != n {
			t.Errorf("%s: %d, want %d", c.name, got, n)
		}
	}
	if got := countRows(t, a, "SELECT count(*) FROM payment_exceptions"); got != 0 {
		t.Errorf("%d exceptions, want 0", got)
	}
	if got := countRows(t, a, "SELECT count(*) FROM gateway_events"); got != n {
		t.Errorf("%d stored events, want %d", got, n)
	}
}
