package order

import (
	"context"
	"errors"
	"fmt"

	"github.com/bursar/bursar/internal/gateway"
)

// ErrGatewayDown is returned by StartGateway when the gateway did not start the payment (it was down, timed out
// or refused the request): the attempt was abandoned and nothing was charged. The gateway's error is wrapped too.
var ErrGatewayDown = errors.New("the payment service did not start the payment")

// Started is a gateway payment StartGateway started.
type Started struct {
	Attempt  Attempt
	Redirect gateway.Redirect // where the payer goes: the gateway's page (URL) or a form posted to it
	// RefNotStored is why the gateway's reference could not be stored, for the caller's log: the payment goes on
	// (the notification still finds the order by its id), so it is not an error.
	RefNotStored error
}

// StartGateway is the start of one payment through a gateway: it opens (or reuses) the order with a new attempt
// (OpenGateway), asks the gateway to begin it outside any transaction, with the checkout checkout builds for the
// attempt, then stores the gateway's reference (AttachRef). When the gateway fails the attempt is abandoned
// (AbandonAttempt) and the error wraps ErrGatewayDown and the gateway's error. The attempt is returned whenever it
// was opened, errors included.
func (s *Service) StartGateway(ctx context.Context, n NewGateway, checkout func(Attempt) gateway.Checkout) (Started, error) {
	sys, err := s.deps.Systems.Get(ctx, n.PaymentSystemID)
	if err != nil {
		return Started{}, err
	}
	att, err := s.OpenGateway(ctx, n)
	if err != nil {
		return Started{}, err
	}
	out := Started{Attempt: att}
	red, gerr := s.deps.Gateways.Begin(ctx, sys, checkout(att))
	if gerr != nil {
		reason := "the payment service did not answer"
		if !errors.Is(gerr, gateway.ErrUnavailable) {
			reason = "the payment service refused to start the payment"
		}
		if err := s.AbandonAttempt(context.WithoutCancel(ctx), att.Payment.ID, reason); err != nil {
			return out, fmt.Errorf("abandon attempt %d: %w", att.Payment.ID, err)
		}
		return out, fmt.Errorf("%w: %w", ErrGatewayDown, gerr)
	}
	out.Redirect = red
	if red.Ref != "" {
		if err := s.AttachRef(ctx, att.Payment.ID, red.Ref); err != nil {
			out.RefNotStored = err
		}
	}
	return out, nil
}
