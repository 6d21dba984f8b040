package stripe

import (
	"context"
	"fmt"

	stripego "github.com/stripe/stripe-go/v76"

	"github.com/bursar/bursar/internal/gateway"
)

// Status retrieves the Checkout Session ref and reports it: paid when complete and paid, expired, failed when
// complete but its PaymentIntent was declined or canceled, else pending (an open session, or a delayed payment
// still processing). Type is "checkout.session:<status>/<payment_status>".
func (p *Provider) Status(ctx context.Context, acct gateway.Account, ref string) (gateway.Event, error) {
	if ref == "" {
		return gateway.Event{}, fmt.Errorf("stripe: status: no session reference")
	}
	cl, err := p.newCall(ctx, acct)
	if err != nil {
		return gateway.Event{}, err
	}
	params := &stripego.CheckoutSessionParams{Params: cl.params()}
	params.AddExpand("payment_intent")
	s, err := cl.api.CheckoutSessions.Get(ref, params)
	if err != nil {
		return gateway.Event{}, cl.fail("status "+ref, err)
	}
	e := gateway.Event{Type: fmt.Sprintf("checkout.session:%s/%s", s.Status, s.PaymentStatus)}
	fillSession(&e, s)
	e.Kind = statusKind(s)
	return e, nil
}

// statusKind is what a retrieved session's state means.
func statusKind(s *stripego.CheckoutSession) gateway.EventKind {
	switch {
	case s.Status == stripego.CheckoutSessionStatusExpired:
		return gateway.EventExpired
	case s.Status == stripego.CheckoutSessionStatusComplete && settled(s.PaymentStatus):
		return gateway.EventPaid
	case s.Status == stripego.CheckoutSessionStatusComplete && s.PaymentIntent != nil &&
		(s.PaymentIntent.Status == stripego.PaymentIntentStatusCanceled ||
			s.PaymentIntent.Status == stripego.PaymentIntentStatusRequiresPaymentMethod):
		return gateway.EventFailed
	}
	return gateway.EventPending
}
