package paypalfake

import (
	"fmt"
	"time"
)

// Dispute is a dispute of a capture as a CUSTOMER.DISPUTE.* webhook reports it (Disputes API v1).
type Dispute struct {
	ID          string    // PP-D-…
	CaptureID   string    // the disputed capture (seller_transaction_id)
	Status      string    // OPEN, WAITING_FOR_SELLER_RESPONSE, UNDER_REVIEW, RESOLVED …
	Reason      string    // MERCHANDISE_OR_SERVICE_NOT_RECEIVED …
	Outcome     string    // dispute_outcome.outcome_code when resolved (RESOLVED_BUYER_FAVOUR …); "" for none
	Updated     time.Time // update_time
	ResponseDue time.Time // seller_response_due_date; zero for none
}

// DisputeEvent renders eventType (CUSTOMER.DISPUTE.CREATED, UPDATED or RESOLVED) about d, the disputed amount
// being the capture's. Every call has a new event id.
func (s *Server) DisputeEvent(eventType string, d Dispute) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.captures[d.CaptureID]
	if !ok {
		return nil, fmt.Errorf("paypalfake: no capture %s", d.CaptureID)
	}
	const stamp = "2006-01-02T15:04:05.000Z"
	res := map[string]any{
		"dispute_id":  d.ID,
		"create_time": c.updated.UTC().Format(stamp),
		"update_time": d.Updated.UTC().Format(stamp),
		"disputed_transactions": []map[string]any{{
			"seller_transaction_id": c.id, "create_time": c.created.UTC().Format(stamp),
			"transaction_status": "COMPLETED", "gross_amount": c.amount, "seller_protection_eligible": true,
		}},
		"reason":                   d.Reason,
		"status":                   d.Status,
		"dispute_amount":           c.amount,
		"dispute_life_cycle_stage": "CHARGEBACK",
		"dispute_channel":          "EXTERNAL",
		"links":                    []link{{Href: s.URL + "/v1/customer/disputes/" + d.ID, Rel: "self", Method: "GET"}},
	}
	if !d.ResponseDue.IsZero() {
		res["seller_response_due_date"] = d.ResponseDue.UTC().Format(stamp)
	}
	if d.Outcome != "" {
		res["dispute_outcome"] = map[string]any{"outcome_code": d.Outcome}
	}
	evID := "WH-" + s.newID() + "-" + s.newID()
	return marshal(map[string]any{
		"id":               evID,
		"event_version":    "1.0",
		"create_time":      time.Now().UTC().Format(stamp),
		"resource_type":    "dispute",
		"resource_version": "1.1",
		"event_type":       eventType,
		"summary":          "A dispute was " + d.Status,
		"resource":         res,
	}), nil
}
