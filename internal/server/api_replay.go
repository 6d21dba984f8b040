package server

import (
	"net/http"
	"time"

	"github.com/bursar/bursar/internal/order"
)

// gatewayEventJSON is a stored gateway notification of an order (or a status re-check), its body verbatim. failed
// is true while it has not applied (result apply_failed): POST …/replay applies it.
type gatewayEventJSON struct {
	ID              int64      `json:"id"`
	PaymentSystemID int64      `json:"payment_system_id"`
	EventID         string     `json:"event_id"`
	Type            string     `json:"type"`
	Kind            string     `json:"kind"`
	Result          string     `json:"result"`
	Failed          bool       `json:"failed"`
	Failures        int        `json:"failures"`
	FailedAt        *time.Time `json:"failed_at"`
	Body            string     `json:"body"`
	ReceivedAt      time.Time  `json:"received_at"`
	ProcessedAt     *time.Time `json:"processed_at"`
}

func gatewayEventOut(e order.GatewayEvent) gatewayEventJSON {
	return gatewayEventJSON{ID: e.ID, PaymentSystemID: e.PaymentSystemID, EventID: e.EventID, Type: e.Type,
		Kind: string(e.Kind), Result: e.Result, Failed: e.Failed(), Failures: e.Failures, FailedAt: utcPtr(e.FailedAt),
		Body: e.Body, ReceivedAt: e.ReceivedAt.UTC(), ProcessedAt: utcPtr(e.ProcessedAt)}
}

// replayJSON is the answer to a replay: already_applied says nothing changed (result is then what the first
// application did); exception_id is the exception applying it opened, if any.
type replayJSON struct {
	AlreadyApplied bool             `json:"already_applied"`
	Result         string           `json:"result"`
	ExceptionID    *int64           `json:"exception_id"`
	Message        string           `json:"message"`
	Event          gatewayEventJSON `json:"event"`
}

// apiOrderEvents is GET /api/v1/orders/{id}/events: the order's stored gateway notifications and status re-checks,
// newest first (at most order.MaxGatewayEvents).
func (s *Server) apiOrderEvents(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	if _, err := s.orders.Get(r.Context(), id); err != nil {
		s.apiError(w, r, err)
		return
	}
	events, err := s.orders.GatewayEvents(r.Context(), id)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	out := List[gatewayEventJSON]{Data: make([]gatewayEventJSON, 0, len(events))}
	for _, e := range events {
		out.Data = append(out.Data, gatewayEventOut(e))
	}
	writeJSON(w, http.StatusOK, out)
}

// apiOrderReplay is POST /api/v1/orders/{id}/events/{event}/replay: the stored notification applied again
// (order.ReplayEvent). 200 either way: already_applied true when it had applied (nothing changed), false when this
// replay applied it; 404 for a notification of another order; 409 for a conflict; a notification that fails to
// apply again stays failed (500).
func (s *Server) apiOrderReplay(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	eventID, err := pathID(r, "event")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	rp, err := s.orders.ReplayEvent(r.Context(), id, eventID)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	out := replayJSON{AlreadyApplied: rp.AlreadyApplied, Result: rp.Outcome.Result,
		ExceptionID: positive(rp.Outcome.ExceptionID), Message: replayText(rp, "en"), Event: gatewayEventOut(rp.Event)}
	if rp.AlreadyApplied {
		out.Result = rp.Event.Result
	}
	writeJSON(w, http.StatusOK, out)
}
