package order_test

import (
	"context"
	"errors"
	"testing"

	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/order"
)

// beginnerFunc is a gateway's start of a payment in a function: it stands for the gateway, never for the database.
type beginnerFunc func(ctx context.Context, sys gateway.System, c gateway.Checkout) (gateway.Redirect, error)

func (f beginnerFunc) Begin(ctx context.Context, sys gateway.System, c gateway.Checkout) (gateway.Redirect, error) {
	return f(ctx, sys, c)
}

// StartGateway opens the attempt, asks the gateway given once in Deps.Gateways, and stores its reference; a gateway
// that fails has the attempt abandoned and the error is ErrGatewayDown.
func TestStartGateway(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	sys := f.stripeSystem()
	down := true
	svc := f.withGateways(fakeGateways{begin: beginnerFunc(func(_ context.Context, got gateway.System, c gateway.Checkout) (gateway.Redirect, error) {
		if got.ID != sys.ID || c.OrderID == 0 {
			t.Errorf("Begin(%d, %+v)", got.ID, c)
		}
		if down {
			return gateway.Redirect{}, gateway.ErrUnavailable
		}
		return gateway.Redirect{URL: "https://pay.test/cs_start", Ref: "cs_start"}, nil
	})})
	n := order.NewGateway{OfferID: f.offer.ID, ContactID: f.contact.ID, PaymentSystemID: sys.ID,
		Channel: order.ChannelCheckout}
	checkout := func(att order.Attempt) gateway.Checkout {
		return gateway.Checkout{OrderID: att.Order.ID, OrderNumber: att.Order.Number, Amount: att.Order.Price}
	}

	st, err := svc.StartGateway(f.ctx, n, checkout)
	if !errors.Is(err, order.ErrGatewayDown) || !errors.Is(err, gateway.ErrUnavailable) || st.Attempt.Payment.ID == 0 {
		t.Fatalf("gateway down: %+v, %v; want ErrGatewayDown with the attempt", st, err)
	}
	o, _ := svc.Get(f.ctx, st.Attempt.Order.ID)
	if len(o.Payments) != 1 || o.Payments[0].Status != order.PaymentFailed {
		t.Errorf("after the gateway was down: payments %+v, want the attempt failed", o.Payments)
	}

	down = false
	st, err = svc.StartGateway(f.ctx, n, checkout)
	if err != nil || st.Redirect.URL != "https://pay.test/cs_start" || st.RefNotStored != nil {
		t.Fatalf("started = %+v, %v", st, err)
	}
	o, _ = svc.Get(f.ctx, st.Attempt.Order.ID)
	last := o.Payments[len(o.Payments)-1]
	if last.ID != st.Attempt.Payment.ID || last.GatewayRef != "cs_start" || last.Status != order.PaymentPending {
		t.Errorf("started attempt = %+v, want pending with ref cs_start", last)
	}
}
