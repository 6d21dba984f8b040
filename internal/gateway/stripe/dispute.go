package stripe

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	stripego "github.com/stripe/stripe-go/v76"

	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/money"
)

// Stripe's dispute events: a dispute (or an inquiry, status warning_*) of a charge opened, changed (evidence
// submitted, the deadline moved) or closed (won, lost, warning_closed).
const (
	EventDisputeCreated = "charge.dispute.created"
	EventDisputeUpdated = "charge.dispute.updated"
	EventDisputeClosed  = "charge.dispute.closed"
)

// disputeEvent normalizes a charge.dispute.* event: Ref is the disputed charge's PaymentIntent (a Checkout
// Session's AltRef, by which Bursar finds the payment), else the charge's id; the dispute's time is the event's
// creation time, since a dispute object carries no update time of its own.
func disputeEvent(out *gateway.Event, ev stripego.Event) error {
	var d stripego.Dispute
	if err := json.Unmarshal(ev.Data.Raw, &d); err != nil {
		return fmt.Errorf("stripe: event %s: dispute: %w", ev.ID, err)
	}
	if d.ID == "" {
		return fmt.Errorf("stripe: event %s: dispute without id", ev.ID)
	}
	switch {
	case d.PaymentIntent != nil && d.PaymentIntent.ID != "":
		out.Ref = d.PaymentIntent.ID
		if d.Charge != nil {
			out.AltRef = d.Charge.ID
		}
	case d.Charge != nil:
		out.Ref = d.Charge.ID
	}
	if d.Currency != "" {
		out.Amount = money.Money{Amount: d.Amount, Currency: strings.ToUpper(string(d.Currency))}
	}
	out.Kind = gateway.EventDispute
	out.Dispute = &gateway.Dispute{ID: d.ID, Status: string(d.Status), Reason: string(d.Reason),
		At: time.Unix(ev.Created, 0).UTC()}
	if d.EvidenceDetails != nil && d.EvidenceDetails.DueBy > 0 {
		out.Dispute.EvidenceDue = time.Unix(d.EvidenceDetails.DueBy, 0).UTC()
	}
	switch d.Status {
	case stripego.DisputeStatusWon:
		out.Dispute.Outcome = gateway.DisputeWon
	case stripego.DisputeStatusLost:
		out.Dispute.Outcome = gateway.DisputeLost
	case stripego.DisputeStatusWarningClosed:
		out.Dispute.Outcome = gateway.DisputeWithdrawn
	case stripego.DisputeStatusUnderReview, stripego.DisputeStatusWarningUnderReview:
		out.Dispute.Review = true
	default:
		if ev.Type == EventDisputeClosed {
			out.Dispute.Outcome = gateway.DisputeOther
		}
	}
	return nil
}
