package order_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/money"
	"github.com/bursar/bursar/internal/order"
)

// answers is a gateway's status API in a table: what it says about each reference, and what it was asked.
type answers struct {
	mu    sync.Mutex
	say   map[string]gateway.Event
	fail  map[string]error
	asked []string
}

func newAnswers() *answers {
	return &answers{say: map[string]gateway.Event{}, fail: map[string]error{}}
}

func (a *answers) set(ref string, ev gateway.Event, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.say[ref], a.fail[ref] = ev, err
}

func (a *answers) Status(_ context.Context, _ gateway.System, ref string) (gateway.Event, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.asked = append(a.asked, ref)
	return a.say[ref], a.fail[ref]
}

// Refund makes no refund: these tests leave no refund pending, so the re-check never asks for one.
func (a *answers) Refund(context.Context, gateway.System, gateway.RefundRequest) (gateway.RefundResult, error) {
	return gateway.RefundResult{}, errors.New("answers: no refund expected")
}

func (a *answers) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.asked)
}

func TestRecheck(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	sys := f.stripeSystem()
	att := f.openGateway(sys, "cs_rc")
	gw := newAnswers()
	pending := gateway.Event{Type: "checkout.session:open/unpaid", Kind: gateway.EventPending, Ref: "cs_rc", AltRef: "pi_rc"}
	paid := gateway.Event{Type: "checkout.session:complete/paid", Kind: gateway.EventPaid, Ref: "cs_rc",
		Amount: money.New(4900, "EUR"), PayerEmail: f.contact.Email}
	steps := []struct {
		name       string
		answer     gateway.Event
		wantResult string
		wantStatus order.Status
		wantPay    string
	}{
		{"StillPending", pending, order.ResultProcessing, order.StatusOpen, order.PaymentProcessing},
		{"SameAgain", pending, order.ResultDuplicate, order.StatusOpen, order.PaymentProcessing},
		{"Paid", paid, order.ResultCompleted, order.StatusCompleted, order.PaymentSucceeded},
	}
	for _, st := range steps {
		gw.set("cs_rc", st.answer, nil)
		checks, err := f.svc.RecheckVia(f.ctx, att.Order.ID, gw)
		if err != nil {
			t.Fatalf("%s: Recheck = %v", st.name, err)
		}
		if len(checks) != 1 || checks[0].PaymentID != att.Payment.ID || checks[0].Result != st.wantResult ||
			checks[0].Kind != st.answer.Kind || checks[0].System != "Cards" || checks[0].Err != nil {
			t.Fatalf("%s: checks = %+v, want %s", st.name, checks, st.wantResult)
		}
		o, _ := f.svc.Get(f.ctx, att.Order.ID)
		if o.Status != st.wantStatus || o.Payments[0].Status != st.wantPay {
			t.Fatalf("%s: order %s, payment %s", st.name, o.Status, o.Payments[0].Status)
		}
	}
	// The webhook of the same payment arriving after the re-check finds it applied.
	out, err := f.svc.Ingest(f.ctx, sys, gateway.Event{ID: "evt_rc", Type: "checkout.session.completed",
		Kind: gateway.EventPaid, OrderID: att.Order.ID, Ref: "cs_rc", Amount: money.New(4900, "EUR")}, []byte(`{}`))
	if err != nil || out.Result != order.ResultAlreadyPaid {
		t.Fatalf("webhook after the re-check = %+v, %v", out, err)
	}
	if len(f.activeGrants()) != 2 || f.mails(att.Order.ID, order.EmailCompleted) != 1 {
		t.Error("the re-check did not complete the order exactly once")
	}
	evs, err := f.svc.GatewayEvents(f.ctx, att.Order.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"evt_rc", "status:cs_rc:paid", "status:cs_rc:pending"} // newest first
	if len(evs) != len(want) {
		t.Fatalf("gateway events = %+v, want %v", evs, want)
	}
	for i, e := range evs {
		if e.EventID != want[i] || e.ProcessedAt == nil {
			t.Errorf("event %d = %s (processed %v), want %s", i, e.EventID, e.ProcessedAt, want[i])
		}
	}
	if !bytes.Contains([]byte(evs[2].Body), []byte(`"type":"checkout.session:open/unpaid"`)) || evs[2].Kind != gateway.EventPending {
		t.Errorf("stored status body = %s", evs[2].Body)
	}
	// A completed order has nothing to re-check.
	if _, err := f.svc.RecheckVia(f.ctx, att.Order.ID, gw); !errors.Is(err, order.ErrNotOpen) {
		t.Errorf("Recheck of a completed order = %v, want ErrNotOpen", err)
	}
	if gw.count() != 3 {
		t.Errorf("the gateway was asked %d times, want 3", gw.count())
	}
}

func TestRecheckCannotAsk(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	sys := f.stripeSystem()
	att := f.openGateway(sys, "cs_cannot")
	tests := []struct {
		name        string
		err         error
		unsupported bool
		unavailable bool
	}{
		{"Unsupported", fmt.Errorf("no status API: %w", gateway.ErrUnsupported), true, false},
		{"Unavailable", fmt.Errorf("HTTP 503: %w", gateway.ErrUnavailable), false, true},
		{"Refused", errors.New("no such session"), false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gw := newAnswers()
			gw.set("cs_cannot", gateway.Event{}, tt.err)
			checks, err := f.svc.RecheckVia(f.ctx, att.Order.ID, gw)
			if err != nil {
				t.Fatalf("Recheck = %v, want the gateway's trouble in the check, not an error", err)
			}
			if len(checks) != 1 || !errors.Is(checks[0].Err, tt.err) || checks[0].Unsupported() != tt.unsupported ||
				checks[0].Unavailable() != tt.unavailable || checks[0].Changed() {
				t.Fatalf("checks = %+v", checks)
			}
		})
	}
	if n := f.count("SELECT count(*) FROM gateway_events"); n != 0 {
		t.Errorf("%d events stored for unanswered questions", n)
	}
	if n := f.count("SELECT count(*) FROM payments WHERE status = 'pending' AND last_checked_at IS NOT NULL"); n != 1 {
		t.Errorf("the attempt was not marked checked")
	}
}

func TestRecheckJob(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	sys := f.stripeSystem()
	old := f.openGateway(sys, "cs_old")
	f.contact = f.newContact("young@example.com")
	young := f.openGateway(sys, "cs_young")
	f.contact = f.newContact("nobody@example.com")
	noRef, err := f.svc.OpenGateway(f.ctx, order.NewGateway{OfferID: f.offer.ID, ContactID: f.contact.ID,
		PaymentSystemID: sys.ID, Channel: order.ChannelCheckout})
	if err != nil {
		t.Fatal(err)
	}
	// The old attempt and the one without a reference were started an hour ago.
	if _, err := f.pool.Exec(f.ctx, "UPDATE payments SET created_at = now() - interval '1 hour' WHERE id = ANY($1)",
		[]int64{old.Payment.ID, noRef.Payment.ID}); err != nil {
		t.Fatal(err)
	}
	gw := newAnswers()
	gw.set("cs_old", gateway.Event{Type: "checkout.session:complete/paid", Kind: gateway.EventPaid,
		Amount: money.New(4900, "EUR")}, nil)
	var logs bytes.Buffer
	w := order.NewRecheckWorker(f.withGateways(fakeGateways{status: gw, refund: gw}), order.RecheckConfig{After: 30 * time.Minute, Every: time.Hour},
		slog.New(slog.NewTextHandler(&logs, nil)))
	job := &river.Job[order.RecheckArgs]{JobRow: &rivertype.JobRow{ID: 1}}
	if err := w.Work(f.ctx, job); err != nil {
		t.Fatal(err)
	}
	if gw.count() != 1 || gw.asked[0] != "cs_old" {
		t.Fatalf("asked about %v, want only the old attempt", gw.asked)
	}
	o, _ := f.svc.Get(f.ctx, old.Order.ID)
	if o.Status != order.StatusCompleted {
		t.Errorf("old order %s, want completed by the re-check", o.Status)
	}
	if y, _ := f.svc.Get(f.ctx, young.Order.ID); y.Status != order.StatusOpen || y.Payments[0].Status != order.PaymentPending {
		t.Errorf("young order %s / %s, want untouched", y.Status, y.Payments[0].Status)
	}
	if n := f.count("SELECT count(*) FROM audit_log WHERE actor_label = 'system' AND action = 'order.complete'"); n != 1 {
		t.Errorf("%d completions by the system in the audit log, want 1", n)
	}
	if !bytes.Contains(logs.Bytes(), []byte("changed=1")) {
		t.Errorf("log = %s", logs.String())
	}

	// Within the interval nothing is asked again, even once the young attempt is old enough.
	if _, err := f.pool.Exec(f.ctx, "UPDATE payments SET created_at = now() - interval '1 hour' WHERE id = $1",
		young.Payment.ID); err != nil {
		t.Fatal(err)
	}
	gw.set("cs_young", gateway.Event{Type: "checkout.session:open/unpaid", Kind: gateway.EventPending}, nil)
	sum, err := f.svc.RecheckStaleVia(f.ctx, gw, order.RecheckConfig{After: 30 * time.Minute, Every: time.Hour})
	if err != nil || sum.Asked != 1 || gw.count() != 2 || gw.asked[1] != "cs_young" || sum.Changed != 1 {
		t.Fatalf("second run = %+v, %v; asked %v", sum, err, gw.asked)
	}
	sum, err = f.svc.RecheckStaleVia(f.ctx, gw, order.RecheckConfig{After: 30 * time.Minute, Every: time.Hour})
	if err != nil || sum.Asked != 0 || gw.count() != 2 {
		t.Fatalf("third run = %+v, %v; asked %v", sum, err, gw.asked)
	}
	// Once the interval has passed it is asked again (and the same answer changes nothing).
	if _, err := f.pool.Exec(f.ctx, "UPDATE payments SET last_checked_at = now() - interval '2 hours'"); err != nil {
		t.Fatal(err)
	}
	sum, err = f.svc.RecheckStaleVia(f.ctx, gw, order.RecheckConfig{After: 30 * time.Minute, Every: time.Hour})
	if err != nil || sum.Asked != 1 || sum.Changed != 0 || gw.count() != 3 {
		t.Fatalf("run after the interval = %+v, %v; asked %v", sum, err, gw.asked)
	}
}

func TestRecheckBatch(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	sys := f.stripeSystem()
	for i := range 5 {
		f.contact = f.newContact(fmt.Sprintf("s%d@example.com", i))
		f.openGateway(sys, fmt.Sprintf("cs_batch_%d", i))
	}
	if _, err := f.pool.Exec(f.ctx, "UPDATE payments SET created_at = now() - interval '1 hour'"); err != nil {
		t.Fatal(err)
	}
	gw := newAnswers()
	for i := range 5 {
		gw.set(fmt.Sprintf("cs_batch_%d", i), gateway.Event{Type: "open", Kind: gateway.EventPending}, nil)
	}
	cfg := order.RecheckConfig{After: time.Minute, Every: time.Hour, Batch: 2}
	// Two runs at once (two processes) share the attempts: none is asked about twice.
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			if _, err := f.svc.RecheckStaleVia(f.ctx, gw, cfg); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if gw.count() != 4 {
		t.Fatalf("asked %d times, want 4 (two batches of 2)", gw.count())
	}
	seen := map[string]bool{}
	for _, ref := range gw.asked {
		if seen[ref] {
			t.Errorf("%s asked about twice", ref)
		}
		seen[ref] = true
	}
	if _, err := f.svc.RecheckStaleVia(f.ctx, gw, cfg); err != nil || gw.count() != 5 {
		t.Fatalf("third run: %v, asked %d, want the last one", err, gw.count())
	}
}
