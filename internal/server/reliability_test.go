package server

import (
	"bytes"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/riverqueue/river"

	"github.com/bursar/bursar/internal/notify"
	"github.com/bursar/bursar/internal/order"
)

// countingInbox is a real SMTP server (emersion/go-smtp) on 127.0.0.1 that counts the messages it accepts, by
// recipient: a reliability test sends far more mail than a test reads one by one.
type countingInbox struct {
	URL string
	mu  sync.Mutex
	to  map[string]int
	n   int
}

func startCountingInbox(t *testing.T) *countingInbox {
	t.Helper()
	ib := &countingInbox{to: map[string]int{}}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &countingSession{ib: ib}, nil }))
	srv.Domain = "localhost"
	srv.ErrorLog = log.New(io.Discard, "", 0)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	ib.URL = "smtp://" + ln.Addr().String()
	return ib
}

// counts returns the messages accepted and the distinct recipients, and the most one recipient got.
func (ib *countingInbox) counts() (messages, recipients, most int) {
	ib.mu.Lock()
	defer ib.mu.Unlock()
	for _, n := range ib.to {
		most = max(most, n)
	}
	return ib.n, len(ib.to), most
}

type countingSession struct {
	ib *countingInbox
	to []string
}

func (s *countingSession) Reset()                               { s.to = nil }
func (s *countingSession) Logout() error                        { return nil }
func (s *countingSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *countingSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

func (s *countingSession) Data(r io.Reader) error {
	if _, err := io.Copy(io.Discard, r); err != nil {
		return err
	}
	s.ib.mu.Lock()
	defer s.ib.mu.Unlock()
	s.ib.n++
	for _, to := range s.to {
		s.ib.to[to]++
	}
	return nil
}

// TestWebhookReliability is issue 4's check: N paid Checkout Sessions, each checkout.session.completed delivered 3
// times, shuffled, by 32 concurrent senders through the real endpoint and the real Stripe provider → exactly N
// completed orders, N grants, N confirmation e-mails at a real SMTP server (one per order and payer), 0 exceptions.
// River sends the e-mails while the deliveries are still arriving, as in production.
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
	ib := startCountingInbox(t)
	jobEvents := startMailJobs(t, a, ib.URL)

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

	// Every confirmation reaches the SMTP server exactly once: wait for River to finish the N e-mail jobs (a job
	// completes after the server accepted its message), then count at the server.
	deadline := time.After(3 * time.Minute)
	for done := 0; done < n; {
		select {
		case ev := <-jobEvents:
			if ev.Job.Kind != (notify.EmailArgs{}).Kind() {
				continue
			}
			if ev.Kind != river.EventKindJobCompleted {
				t.Fatalf("e-mail job %d ended %s: %v", ev.Job.ID, ev.Kind, ev.Job.Errors)
			}
			done++
		case <-deadline:
			msgs, _, _ := ib.counts()
			t.Fatalf("%d of %d e-mail jobs finished in time (%d messages at the SMTP server)", done, n, msgs)
		}
	}
	msgs, rcpts, most := ib.counts()
	if msgs != n || rcpts != n || most != 1 {
		t.Errorf("SMTP server accepted %d messages for %d recipients (at most %d each), want %d, %d, 1", msgs, rcpts, most, n, n)
	}
	if got := countRows(t, a, "SELECT count(*) FROM outbound_emails WHERE status = 'sent'"); got != n {
		t.Errorf("%d e-mails recorded sent, want %d", got, n)
	}
}
