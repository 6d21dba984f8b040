package gateway

import (
	"fmt"
	"time"

	"github.com/bursar/bursar/internal/check"
)

// Dispute is a dispute (a chargeback, an inquiry, a PayPal claim) of a payment as one notification reports it.
// Notifications of a dispute arrive in any order and more than once: At and Stage order them, so that what is
// recorded never goes back to an earlier state.
type Dispute struct {
	ID     string // the gateway's dispute id (Stripe dp_…, PayPal PP-D-…)
	Status string // the gateway's own status word (needs_response, under_review, won; OPEN, RESOLVED …)
	Reason string // the gateway's reason code (fraudulent, product_not_received; MERCHANDISE_OR_SERVICE_NOT_RECEIVED …)
	// EvidenceDue is when the school's answer (evidence) is due; zero when the gateway names no deadline.
	EvidenceDue time.Time
	// Review is true while the school's evidence is being reviewed (stage 2), false while it is awaited.
	Review bool
	// Outcome is how a closed dispute ended (DisputeWon, …); "" while it is open.
	Outcome string
	// At is when the dispute was in this state: the dispute's own update time when the gateway sends one (PayPal
	// update_time), else the event's creation time (Stripe's event created).
	At time.Time
}

// Dispute outcomes.
const (
	DisputeWon       = "won"       // decided for the school: the money stays
	DisputeLost      = "lost"      // decided for the payer: the money is returned to them
	DisputeWithdrawn = "withdrawn" // closed without a decision against anyone (an inquiry closed, a claim cancelled)
	DisputeOther     = "other"     // closed, in a way Bursar has no word for
)

// Stage is how far d has gone: 1 open, 2 under review (the school answered), 3 closed. A notification of an
// earlier stage than the one recorded is older, whatever its time says.
func (d *Dispute) Stage() int {
	switch {
	case d.Outcome != "":
		return 3
	case d.Review:
		return 2
	}
	return 1
}

// validate checks an EventDispute's dispute: present, with an id, clean texts and a known outcome.
func (d *Dispute) validate() error {
	if d == nil || d.ID == "" {
		return fmt.Errorf("%w: a dispute event without its dispute id", ErrInvalidEvent)
	}
	for _, t := range []struct{ name, v string }{{"dispute_id", d.ID}, {"dispute_status", d.Status},
		{"dispute_reason", d.Reason}} {
		if !check.Clean(t.v) || len(t.v) > 255 {
			return fmt.Errorf("%w: %s %s", ErrInvalidEvent, t.name, check.MsgNotText)
		}
	}
	switch d.Outcome {
	case "", DisputeWon, DisputeLost, DisputeWithdrawn, DisputeOther:
	default:
		return fmt.Errorf("%w: dispute outcome %.20q", ErrInvalidEvent, d.Outcome)
	}
	return nil
}
