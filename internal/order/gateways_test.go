package order_test

import (
	"context"
	"fmt"

	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/order"
)

// fakeGateways is order.Gateways made of parts; a missing part answers gateway.ErrUnsupported, as a payment system
// whose provider cannot do that would.
type fakeGateways struct {
	begin  order.Beginner
	refund order.Refunder
	status order.StatusAsker
	verify order.Verifier
}

func unsupported(what string) error {
	return fmt.Errorf("fakeGateways: no %s: %w", what, gateway.ErrUnsupported)
}

func (g fakeGateways) Begin(ctx context.Context, sys gateway.System, c gateway.Checkout) (gateway.Redirect, error) {
	if g.begin == nil {
		return gateway.Redirect{}, unsupported("Begin")
	}
	return g.begin.Begin(ctx, sys, c)
}

func (g fakeGateways) Refund(ctx context.Context, sys gateway.System, r gateway.RefundRequest) (gateway.RefundResult, error) {
	if g.refund == nil {
		return gateway.RefundResult{}, unsupported("Refund")
	}
	return g.refund.Refund(ctx, sys, r)
}

func (g fakeGateways) Status(ctx context.Context, sys gateway.System, ref string) (gateway.Event, error) {
	if g.status == nil {
		return gateway.Event{}, unsupported("Status")
	}
	return g.status.Status(ctx, sys, ref)
}

func (g fakeGateways) Verify(ctx context.Context, id int64, in gateway.Inbound) (gateway.System, gateway.Event, error) {
	if g.verify == nil {
		return gateway.System{}, gateway.Event{}, unsupported("Verify")
	}
	return g.verify.Verify(ctx, id, in)
}

// withGateways is a service of f's school that reaches the gateways through g.
func (f *fixture) withGateways(g order.Gateways) *order.Service {
	f.t.Helper()
	d := f.deps
	d.Gateways = g
	svc, err := order.NewService(f.pool, audit.New(f.pool), d)
	if err != nil {
		f.t.Fatal(err)
	}
	return svc
}
