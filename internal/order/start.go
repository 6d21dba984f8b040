package order

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/order/orderq"
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
	// StartedNotStored is why what NewGateway.Started queued could not be written, for the caller's log.
	StartedNotStored error
}

// StartGateway is the start of one payment through a gateway: it opens (or reuses) the order with a new attempt
// (OpenGateway), asks the gateway to begin it outside any transaction, with the checkout checkout builds for the
// attempt, then stores the gateway's reference (AttachRef) with what n.Started queues. When the gateway fails the attempt is abandoned
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
	s.startedTx(ctx, n, att.Payment.ID, red, &out)
	return out, nil
}

// startedTx stores the gateway's reference of attempt paymentID (AttachRef) and what n.Started queues, in one
// batch (one round trip, one implicit transaction), and reports what failed in out. A reference refused by the
// database aborts the batch's transaction: what n.Started queued is then sent again on its own.
func (s *Service) startedTx(ctx context.Context, n NewGateway, paymentID int64, red gateway.Redirect, out *Started) {
	var b pgx.Batch
	if red.Ref != "" {
		orderq.QueuePaymentAttachRef(&b, orderq.PaymentAttachRefParams{ID: paymentID, GatewayRef: red.Ref})
	}
	if n.Started != nil {
		n.Started(&b, red)
	}
	if b.Len() == 0 {
		return
	}
	br := s.db.SendBatch(ctx, &b)
	first, aborted := 0, false
	if red.Ref != "" {
		tag, err := br.Exec()
		out.RefNotStored = attachErr(paymentID, red.Ref, tag.RowsAffected(), err)
		first, aborted = 1, err != nil
	}
	var err error
	for i := first; i < b.Len() && err == nil; i++ {
		_, err = br.Exec()
	}
	if cerr := br.Close(); err == nil && !aborted {
		err = cerr
	}
	if aborted && n.Started != nil {
		var again pgx.Batch
		n.Started(&again, red)
		err = s.db.SendBatch(ctx, &again).Close()
	}
	out.StartedNotStored = err
}
