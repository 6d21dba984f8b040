package server

import (
	"net/http"

	"github.com/bursar/bursar/internal/order"
)

// applyIn is the body of POST /api/v1/payment-exceptions/{id}/apply.
type applyIn struct {
	OrderID int64  `json:"order_id"`
	Note    string `json:"note"`
}

// apiExceptionApply is POST /api/v1/payment-exceptions/{id}/apply: the exception's payment completes another open
// order of the same contact and amount (order.ApplyException). 200 with the exception; 422 with field errors
// (order_id: missing, unknown, another contact, another amount or currency, not payable through the
// system; note); 409 when it is resolved, being refunded or of a kind without money to apply, or the order is
// not open.
func (s *Server) apiExceptionApply(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	var in applyIn
	if r.ContentLength != 0 && !decodeJSON(w, r, &in) {
		return
	}
	_, _, err = s.orders.ApplyException(r.Context(), id, order.Application{OrderID: in.OrderID, Note: in.Note})
	s.apiExceptionActed(w, r, id, err, nil)
}

// apiExceptionReinstate is POST /api/v1/payment-exceptions/{id}/reinstate: the late payment completes its refunded,
// expired, rejected or cancelled order again (order.ReinstateException).
func (s *Server) apiExceptionReinstate(w http.ResponseWriter, r *http.Request) {
	id, in, ok := s.readExceptionAction(w, r)
	if !ok {
		return
	}
	_, err := s.orders.ReinstateException(r.Context(), id, in.Note)
	s.apiExceptionActed(w, r, id, err, nil)
}

// apiExceptionCandidates is GET /api/v1/payment-exceptions/{id}/candidates: the orders apply may complete with the
// exception's payment (order.ApplyCandidates); empty when it cannot be applied.
func (s *Server) apiExceptionCandidates(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	cands, err := s.orders.ApplyCandidates(r.Context(), id)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	out := List[orderJSON]{Data: make([]orderJSON, 0, len(cands))}
	for _, o := range cands {
		out.Data = append(out.Data, orderOut(o))
	}
	writeJSON(w, http.StatusOK, out)
}
