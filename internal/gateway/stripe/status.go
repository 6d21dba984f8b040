package stripe

import (
	"context"
	"fmt"
	"time"

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
	if s.Mode == stripego.CheckoutSessionModeSubscription {
		return subscriptionSessionStatus(e, s, p.now()), nil
	}
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

// subscriptionSessionStatus reports a session of BeginSubscription's, never an order's payment: a complete one links
// the subscription it made (EventSubscription, Status "", as checkout.session.completed does), an expired one is
// EventExpired, an open one EventPending (Ref: the session).
func subscriptionSessionStatus(e gateway.Event, s *stripego.CheckoutSession, now time.Time) gateway.Event {
	e.Kind, e.Ref = gateway.EventPending, s.ID
	switch s.Status {
	case stripego.CheckoutSessionStatusExpired:
		e.Kind = gateway.EventExpired
	case stripego.CheckoutSessionStatusComplete:
		linkSession(&e, s, now)
	}
	return e
}
