package paypal

import (
	"errors"
	"time"

	paypalsdk "github.com/plutov/paypal/v4"

	"github.com/bursar/bursar/internal/gateway"
)

// PayPal's dispute events (Disputes API v1): a dispute of a capture opened, changed (a message, the deadline, the
// stage: inquiry, chargeback, arbitration) or resolved.
const (
	EventDisputeCreated  = "CUSTOMER.DISPUTE.CREATED"
	EventDisputeUpdated  = "CUSTOMER.DISPUTE.UPDATED"
	EventDisputeResolved = "CUSTOMER.DISPUTE.RESOLVED"
)

// disputeJSON is a dispute as CUSTOMER.DISPUTE.* webhooks carry it.
type disputeJSON struct {
	DisputeID            string    `json:"dispute_id"`
	CreateTime           time.Time `json:"create_time"`
	UpdateTime           time.Time `json:"update_time"`
	DisputedTransactions []struct {
		SellerTransactionID string `json:"seller_transaction_id"` // the capture id
	} `json:"disputed_transactions"`
	Reason                string           `json:"reason"`
	Status                string           `json:"status"`
	DisputeAmount         *paypalsdk.Money `json:"dispute_amount"`
	SellerResponseDueDate time.Time        `json:"seller_response_due_date"`
	DisputeOutcome        *struct {
		OutcomeCode string `json:"outcome_code"`
	} `json:"dispute_outcome"`
}

// Dispute statuses and outcome codes PayPal documents.
const (
	disputeUnderReview = "UNDER_REVIEW"
	disputeWaitBuyer   = "WAITING_FOR_BUYER_RESPONSE"
	disputeResolved    = "RESOLVED"
)

// disputed normalizes a CUSTOMER.DISPUTE.* event. Ref is the disputed capture (a payment's AltRef); the dispute's
// time is its own update_time, else the event's; a resolved dispute's outcome comes from dispute_outcome.
func disputed(ev paypalsdk.AnyEvent) (gateway.Event, error) {
	var d disputeJSON
	if err := resource(ev, &d); err != nil {
		return gateway.Event{}, err
	}
	if d.DisputeID == "" {
		return gateway.Event{}, errors.New("dispute without dispute_id")
	}
	e := gateway.Event{Kind: gateway.EventDispute}
	for _, t := range d.DisputedTransactions {
		if validID(t.SellerTransactionID) {
			e.Ref = t.SellerTransactionID
			break
		}
	}
	if d.DisputeAmount != nil {
		m, err := amount(*d.DisputeAmount)
		if err != nil {
			return gateway.Event{}, err
		}
		e.Amount = m
	}
	at := d.UpdateTime
	if at.IsZero() {
		at = ev.CreateTime
	}
	e.Dispute = &gateway.Dispute{ID: d.DisputeID, Status: d.Status, Reason: d.Reason, EvidenceDue: d.SellerResponseDueDate,
		At: at.UTC(), Review: d.Status == disputeUnderReview || d.Status == disputeWaitBuyer}
	if d.Status == disputeResolved || ev.EventType == EventDisputeResolved {
		code := ""
		if d.DisputeOutcome != nil {
			code = d.DisputeOutcome.OutcomeCode
		}
		e.Dispute.Outcome = outcomeOf(code)
	}
	return e, nil
}

// outcomeOf is Bursar's word for PayPal's dispute outcome code.
func outcomeOf(code string) string {
	switch code {
	case "RESOLVED_SELLER_FAVOUR", "DENIED", "RESOLVED_WITH_PAYOUT":
		// DENIED: the claim was denied; RESOLVED_WITH_PAYOUT: PayPal paid the buyer itself, the seller keeps the money.
		return gateway.DisputeWon
	case "RESOLVED_BUYER_FAVOUR", "ACCEPTED":
		// ACCEPTED: the seller accepted the claim and the buyer was refunded.
		return gateway.DisputeLost
	case "CANCELED_BY_BUYER":
		return gateway.DisputeWithdrawn
	}
	return gateway.DisputeOther
}
