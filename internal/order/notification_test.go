package order_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/order"
)

// verifierFunc is an order.Verifier from a function.
type verifierFunc func(ctx context.Context, id int64, in gateway.Inbound) (gateway.System, gateway.Event, error)

func (f verifierFunc) Verify(ctx context.Context, id int64, in gateway.Inbound) (gateway.System, gateway.Event, error) {
	return f(ctx, id, in)
}

// TakeNotification verifies through the gateways given once in Deps.Gateways and only then stores and applies: a
// notification the verifier refuses writes nothing, whatever the refusal; an authentic one completes its order
// once, as the system's webhook, however often it comes.
func TestTakeNotification(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	sys := f.stripeSystem()
	att := f.openGateway(sys, "cs_take")
	paid := gateway.Event{ID: "evt_take", Type: "checkout.session.completed", Kind: gateway.EventPaid,
		OrderID: att.Order.ID, Ref: "cs_take", Amount: att.Order.Price}
	var answer error
	svc := f.withGateways(fakeGateways{verify: verifierFunc(func(_ context.Context, id int64, in gateway.Inbound) (gateway.System, gateway.Event, error) {
		if id != sys.ID || string(in.Body) != `{"id":"evt_take"}` {
			return gateway.System{}, gateway.Event{}, fmt.Errorf("verify(%d, %q): %w", id, in.Body, gateway.ErrNoSuchSystem)
		}
		if answer != nil {
			return sys, gateway.Event{}, answer
		}
		return sys, paid, nil
	})})
	in := gateway.Inbound{Header: func(string) string { return "" }, Body: []byte(`{"id":"evt_take"}`), Received: time.Now()}

	for _, refusal := range []error{gateway.ErrNoSuchSystem, gateway.ErrUnavailable,
		fmt.Errorf("%w: %w", gateway.ErrRejected, gateway.ErrSignature), errors.New("database down")} {
		answer = refusal
		n, err := svc.TakeNotification(f.ctx, sys.ID, in)
		if !errors.Is(err, refusal) || n.Outcome != (order.Outcome{}) {
			t.Errorf("verifier said %v: TakeNotification = %+v, %v", refusal, n.Outcome, err)
		}
	}
	if n := f.count("SELECT count(*) FROM gateway_events"); n != 0 {
		t.Fatalf("%d notifications stored before one was verified", n)
	}

	answer = nil
	for range 2 {
		n, err := svc.TakeNotification(f.ctx, sys.ID, in)
		if err != nil || n.System.ID != sys.ID || n.Event.ID != "evt_take" {
			t.Fatalf("TakeNotification = %+v, %v", n, err)
		}
	}
	if o, _ := svc.Get(f.ctx, att.Order.ID); o.Status != order.StatusCompleted {
		t.Errorf("order %s, want completed", o.Status)
	}
	if n := f.count("SELECT count(*) FROM gateway_events WHERE event_id = 'evt_take'"); n != 1 {
		t.Errorf("%d stored notifications, want 1", n)
	}
	if n := f.count("SELECT count(*) FROM audit_log WHERE actor_type = 'system' AND actor_label = 'stripe webhook' " +
		"AND action = 'order.complete'"); n != 1 {
		t.Errorf("%d completions audited as the stripe webhook, want 1", n)
	}
}
