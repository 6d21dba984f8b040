package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/bursar/bursar/internal/load"
)

// measure runs the chosen phases against the serve child and prints what each measured.
func (r *rig) measure(ctx context.Context, stdout io.Writer) error {
	fmt.Fprintf(stdout, "%s, %d CPUs, %s; %d concurrent clients with keep-alive; %s per target and phase\n",
		time.Now().UTC().Format("2006-01-02 15:04 MST"), runtime.NumCPU(), runtime.Version(), r.o.workers, r.o.duration)
	if r.o.phases["offer"] {
		if err := r.offerPhase(ctx, stdout); err != nil {
			return fmt.Errorf("offer phase: %w", err)
		}
	}
	if r.o.phases["checkout"] {
		if err := r.checkoutPhase(ctx, stdout); err != nil {
			return fmt.Errorf("checkout phase: %w", err)
		}
	}
	if r.o.phases["webhook"] {
		if err := r.webhookPhase(ctx, stdout); err != nil {
			return fmt.Errorf("webhook phase: %w", err)
		}
	}
	return nil
}

// offerPhase measures GET /o/{slug} against the bare baseline serving the same bytes and headers, in alternating
// rounds (bare then bursar, then bursar then bare, ...) so that whatever else the machine does falls on both.
func (r *rig) offerPhase(ctx context.Context, stdout io.Writer) error {
	offerURL := r.base + "/o/" + r.school.slug
	probe := load.NewClient(1)
	p, te, err := fetchPage(ctx, probe, offerURL)
	if err != nil {
		return err
	}
	if r.bare, err = startBare(ctx, p, r.o.bareInline, r.tmp, r.logDir(), r.o.runtimeEnv()); err != nil {
		return err
	}
	bp, bte, err := fetchPage(ctx, probe, r.bare.url+"/o/"+r.school.slug)
	if err != nil {
		return err
	}
	if err := samePage(p, te, bp, bte); err != nil {
		return fmt.Errorf("the bare baseline does not serve the offer page's bytes: %w", err)
	}
	where := "this process"
	if r.bare.child != nil {
		where = fmt.Sprintf("its own process, pid %d", r.bare.child.pid())
	}
	fmt.Fprintf(stdout, "\noffer page GET /o/%s: %d bytes, transfer encoding %v; the bare baseline (%s) serves the "+
		"same bytes and headers:\n%s\n", r.school.slug, len(p.Body), te, where, headerLines(p))
	targets := []target{
		{name: "bare", do: load.Get(load.NewClient(r.o.workers), r.bare.url+"/o/"+r.school.slug)},
		{name: "bursar", do: load.Get(load.NewClient(r.o.workers), offerURL), pid: r.serve.pid()},
	}
	if r.bare.child != nil {
		targets[0].pid = r.bare.child.pid()
	}
	if r.o.gctrace {
		targets[1].gc = &gcTrace{path: r.serve.log}
		if r.bare.child != nil {
			targets[0].gc = &gcTrace{path: r.bare.child.log}
		}
	}
	for _, t := range targets {
		if r.o.warmup > 0 {
			if _, err := load.Run(ctx, r.o.warmup, r.o.workers, t.do); err != nil {
				return fmt.Errorf("%s warm-up: %w", t.name, err)
			}
		}
	}
	slice := r.o.duration / time.Duration(r.o.rounds)
	var ratios []float64
	for round := range r.o.rounds {
		order := []int{0, 1}
		if round%2 == 1 {
			order = []int{1, 0}
		}
		for _, i := range order {
			t := &targets[i]
			s, cpu, self, gc, err := t.run(ctx, slice, r.o.workers)
			if err != nil {
				return fmt.Errorf("%s: %w", t.name, err)
			}
			if ctx.Err() != nil { // interrupted: the round is cut short, and its figures with it
				return ctx.Err()
			}
			fmt.Fprintf(stdout, "  round %d  %-7s %s\n%s\n", round+1, t.name, s, details(cpu, self, gc, s.Requests))
		}
		ratios = append(ratios, targets[1].runs[round].Rate()/targets[0].runs[round].Rate())
	}
	bare, bursar := load.Merge(targets[0].runs...), load.Merge(targets[1].runs...)
	for i, s := range []load.Stats{bare, bursar} {
		t := targets[i]
		fmt.Fprintf(stdout, "  all      %-7s %s\n%s\n", t.name, s, details(t.cpu, t.self, t.gcAll, s.Requests))
	}
	lo, hi := ratios[0], ratios[0]
	for _, x := range ratios {
		lo, hi = min(lo, x), max(hi, x)
	}
	fmt.Fprintf(stdout, "  offer page at %.1f%% of the bare handler's rate (rounds: median %.1f%%, %.1f–%.1f%%)\n",
		100*bursar.Rate()/bare.Rate(), 100*load.Median(ratios), 100*lo, 100*hi)
	return nil
}

// target is one side of the offer phase: what it measured, and the CPU its server process used meanwhile.
type target struct {
	name  string
	pid   int // the server's process; 0 when it is this process (-bare-inline)
	do    func(context.Context) error
	runs  []load.Stats
	cpu   time.Duration // the server process's CPU time over runs; -1 when unknown
	self  time.Duration // this process's (the clients') CPU time over runs; -1 when unknown
	gc    *gcTrace      // the server's GC trace; nil when not traced
	gcAll gcStats
}

// run measures one round and records it.
func (t *target) run(ctx context.Context, d time.Duration, workers int) (s load.Stats, cpu, self time.Duration, gc gcStats, err error) {
	gc.unknown = t.gc == nil
	if t.gc != nil {
		t.gc.since() // what came before this round
	}
	before, berr := t.cpuNow()
	selfBefore, serr := cpuTime(os.Getpid())
	s, err = load.Run(ctx, d, workers, t.do)
	after, aerr := t.cpuNow()
	selfAfter, saerr := cpuTime(os.Getpid())
	cpu, self = after-before, selfAfter-selfBefore
	if berr != nil || aerr != nil || t.cpu < 0 {
		cpu, t.cpu = -1, -1
	} else {
		t.cpu += cpu
	}
	if serr != nil || saerr != nil || t.self < 0 {
		self, t.self = -1, -1
	} else {
		t.self += self
	}
	if t.gc != nil {
		gc = t.gc.since()
	}
	t.gcAll = t.gcAll.add(gc)
	t.runs = append(t.runs, s)
	return s, cpu, self, gc, err
}

func (t *target) cpuNow() (time.Duration, error) {
	if t.pid == 0 {
		return 0, errors.New("the server is this process")
	}
	return cpuTime(t.pid)
}

// details is the second line of a target's figures: CPU time per request and the server's collections.
func details(server, clients time.Duration, gc gcStats, requests int) string {
	return "                   " + perRequest(server, clients, requests) + "; " + gc.String(requests)
}

// perRequest is the server's and the clients' CPU time per request, when known.
func perRequest(server, clients time.Duration, requests int) string {
	per := func(d time.Duration) string {
		if d < 0 || requests == 0 {
			return "   ?"
		}
		return fmt.Sprintf("%4.0f", float64(d.Microseconds())/float64(requests))
	}
	return fmt.Sprintf("CPU µs/req: server %s, clients %s", per(server), per(clients))
}

// checkoutPhase measures order creation through HTTP: POST /api/v1/manual-payments, each for a new contact — the
// order-opening transaction the student's checkout form runs (order.OpenManual), plus API-key authentication.
func (r *rig) checkoutPhase(ctx context.Context, stdout io.Writer) error {
	contacts, err := newContacts(ctx, r.pool, r.o.orders)
	if err != nil {
		return err
	}
	c := load.NewClient(r.o.workers)
	var next atomic.Int64
	do := func(ctx context.Context) error {
		i := next.Add(1) - 1
		if i >= int64(len(contacts)) {
			return load.ErrExhausted
		}
		body := fmt.Sprintf(`{"contact_id":%d,"offer_id":%d,"payment_system_id":%d,"comment":"bursar-load"}`,
			contacts[i], r.school.offer, r.school.manual)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.base+"/api/v1/manual-payments", strings.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+r.key)
		req.Header.Set("Content-Type", "application/json")
		return load.Do(c, req, http.StatusCreated)
	}
	fmt.Fprintf(stdout, "\ncheckout POST /api/v1/manual-payments: an order for a new contact per request (%d prepared)\n", len(contacts))
	return r.writePhase(ctx, stdout, "orders", do, `SELECT count(*) FROM orders WHERE channel = 'api'`)
}

// webhookPhase measures Stripe's checkout.session.completed, signed, for open orders with pending attempts
// (prepared in bulk with SQL): each is verified, stored, deduplicated and applied — the order completed, access
// granted, the e-mail queued — in one transaction.
func (r *rig) webhookPhase(ctx context.Context, stdout io.Writer) error {
	orders, err := newStripeOrders(ctx, r.pool, r.school, r.o.orders)
	if err != nil {
		return err
	}
	c := load.NewClient(r.o.workers)
	url := fmt.Sprintf("%s/webhooks/%d", r.base, r.school.stripe)
	var next atomic.Int64
	do := func(ctx context.Context) error {
		i := next.Add(1) - 1
		if i >= int64(len(orders)) {
			return load.ErrExhausted
		}
		id := orders[i]
		body := paidEvent(fmt.Sprintf("evt_load_%d", id), fmt.Sprintf("cs_load_%d", id), id, r.school.amount,
			r.school.currency, fmt.Sprintf("payer%d@example.org", id))
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(string(body)))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Stripe-Signature", stripeSignature(webhookSecret, time.Now(), body))
		return load.Do(c, req, http.StatusOK)
	}
	fmt.Fprintf(stdout, "\nwebhook POST /webhooks/%d: Stripe checkout.session.completed, signed, one per open order "+
		"(%d prepared)\n", r.school.stripe, len(orders))
	return r.writePhase(ctx, stdout, "orders completed", do,
		`SELECT count(*) FROM orders WHERE status = 'completed' AND channel = 'checkout'`)
}

// writePhase warms up, measures do for the phase's duration, prints the figures, and checks with count (a query)
// that the database holds one row for each request answered as expected.
func (r *rig) writePhase(ctx context.Context, stdout io.Writer, what string, do func(context.Context) error, count string) error {
	var warm load.Stats
	if r.o.warmup > 0 {
		var err error
		if warm, err = load.Run(ctx, r.o.warmup, r.o.workers, do); err != nil {
			return fmt.Errorf("warm-up: %w", err)
		}
	}
	s, err := load.Run(ctx, r.o.duration, r.o.workers, do)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "  bursar  %s\n", s)
	if s.Exhausted {
		fmt.Fprintf(stdout, "  (ended early: all %d prepared orders used; raise -orders)\n", r.o.orders)
	}
	var n int
	if err := r.pool.QueryRow(ctx, count).Scan(&n); err != nil {
		return err
	}
	if n != warm.Requests+s.Requests {
		return fmt.Errorf("%d %s in the database after %d requests answered as expected", n, what, warm.Requests+s.Requests)
	}
	fmt.Fprintf(stdout, "  %d %s in the database, one per request (%.0f/s)\n", n, what, s.Rate())
	return nil
}
