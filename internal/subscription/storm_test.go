package subscription_test

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/bursar/bursar/internal/gateway/stripe/stripetest"
	"github.com/bursar/bursar/internal/order"
	"github.com/bursar/bursar/internal/subscription"
)

// The storm (issue 15): 300 subscriptions × 12 periods of invoice.paid, each delivered 3 times, shuffled, from 16
// concurrent senders as Stripe sends them — signed bodies (stripetest) verified by the real Stripe provider through
// order.Service.TakeNotification → exactly 3,600 charges and 3,600 completed orders, each subscription's access
// ending at its last period's end plus grace, one completed e-mail per charge.
func TestStorm(t *testing.T) {
	if testing.Short() {
		t.Skip("the storm is long")
	}
	const (
		subs    = 300
		periods = 12
		copies  = 3
		senders = 16
	)
	f := newFixture(t)
	of := f.newOffer("Spanish monthly", nil)
	all := make([]subscription.Subscription, subs)
	for i := range all {
		c := f.newContact(fmt.Sprintf("student%03d@example.com", i))
		all[i] = f.start(of, c).Subscription
	}
	type delivery struct {
		id   string
		body []byte
	}
	var evs []delivery
	for i, sub := range all {
		for k := range periods {
			id := fmt.Sprintf("evt_%d_%d", i, k)
			ps, pe := start.AddDate(0, k, 0), start.AddDate(0, k+1, 0)
			body := stripetest.InvoicePaid(id, ps.Add(time.Minute), fmt.Sprintf("in_%d_%d", i, k),
				fmt.Sprintf("sub_storm_%d", i), sub.ID, fmt.Sprintf("pi_%d_%d", i, k), 1900, "EUR", ps, pe)
			for range copies {
				evs = append(evs, delivery{id: id, body: body})
			}
		}
	}
	rand.New(rand.NewPCG(15, 3600)).Shuffle(len(evs), func(i, j int) { evs[i], evs[j] = evs[j], evs[i] })
	work := make(chan delivery)
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		results = map[string]int{}
		errs    []error
	)
	began := time.Now()
	for range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ev := range work {
				n, err := f.take(ev.body)
				mu.Lock()
				if err != nil {
					errs = append(errs, fmt.Errorf("%s: %w", ev.id, err))
				} else {
					results[n.Outcome.Result]++
				}
				mu.Unlock()
			}
		}()
	}
	for _, ev := range evs {
		work <- ev
	}
	close(work)
	wg.Wait()
	took := time.Since(began)
	t.Logf("storm: %d deliveries of %d charges from %d senders in %s (%.0f deliveries/s); results %v", len(evs),
		subs*periods, senders, took.Round(time.Millisecond), float64(len(evs))/took.Seconds(), results)
	if len(errs) > 0 {
		t.Fatalf("%d deliveries failed, first: %v", len(errs), errs[0])
	}
	if results[order.ResultCharged] != subs*periods {
		t.Fatalf("%d charged, want %d (%v)", results[order.ResultCharged], subs*periods, results)
	}
	if n := f.count(`SELECT count(*) FROM subscription_charges WHERE status = 'paid' AND order_id IS NOT NULL`); n != subs*periods {
		t.Fatalf("%d charges recorded", n)
	}
	if n := f.count(`SELECT count(*) FROM orders WHERE channel = 'subscription' AND status = 'completed'`); n != subs*periods {
		t.Fatalf("%d completed orders", n)
	}
	if n := f.count(`SELECT count(*) FROM payments WHERE status = 'succeeded'`); n != subs*periods {
		t.Fatalf("%d payments", n)
	}
	if n := f.count(`SELECT count(*) FROM outbound_emails WHERE dedup_key LIKE 'order:%:completed'`); n != subs*periods {
		t.Fatalf("%d completed e-mails", n)
	}
	if n := f.count(`SELECT count(DISTINCT event_id) FROM gateway_events`); n != subs*periods {
		t.Fatalf("%d notifications stored", n)
	}
	last := start.AddDate(0, periods, 0)
	want := last.AddDate(0, 0, of.GraceDays)
	for i, sub := range all {
		got := f.get(sub.ID)
		if got.GatewayRef != fmt.Sprintf("sub_storm_%d", i) || got.Status != subscription.StatusActive || got.Charges != periods || got.PaidThrough == nil ||
			!got.PaidThrough.Equal(last) || !got.CurrentPeriodEnd.Equal(last) {
			t.Fatalf("subscription %s: %+v", got.Number, got)
		}
		if end := f.accessEnd(sub.ContactID); end == nil || !end.Equal(want) {
			t.Fatalf("subscription %s: access ends %v, want %v", got.Number, end, want)
		}
	}
}
