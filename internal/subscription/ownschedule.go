package subscription

import (
	"context"

	"github.com/bursar/bursar/internal/gateway"
)

// PayNow sends the payer of past-due subscription id to the gateway's page to pay the charge due (the next period
// from the paid period's end) with the saved card or another one, which is saved for the next charges: the
// cabinet's "Pay now" and the past-due e-mail's link. contactID, when set, must be the subscription's payer
// (check.ErrNotFound otherwise). ErrNothingDue for a subscription that is not past due or whose gateway keeps the
// schedule (OwnSchedule false); gateway.ErrUnavailable (wrapped) when the gateway cannot start the page now. The
// attempt is written before the gateway is asked; the gateway's notification of the payment records the charge.
func (s *Service) PayNow(ctx context.Context, id, contactID int64, successURL, cancelURL string) (gateway.Redirect, error) {
	return gateway.Redirect{}, ErrNotYet
}

// ChargeDue charges the saved cards of the subscriptions Bursar schedules whose charge is due (next_charge_at
// passed), ends those cancelling at their period's end or done with their number of charges, cancels those whose
// retries ran out, and asks the gateways about charges whose answer was lost. It returns how many subscriptions it
// looked at.
func (s *Service) ChargeDue(ctx context.Context) (int, error) {
	return 0, ErrNotYet
}
