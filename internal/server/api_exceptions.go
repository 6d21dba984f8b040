package server

import (
	"net/http"
	"time"

	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/order"
)

// exceptionJSON is a payment exception in the API; amount is minor units of currency, as the gateway reported it.
type exceptionJSON struct {
	ID              int64      `json:"id"`
	Kind            string     `json:"kind"`
	Status          string     `json:"status"`
	OrderID         *int64     `json:"order_id"`
	OrderNumber     string     `json:"order_number"`
	OrderStatus     string     `json:"order_status"`
	ContactID       *int64     `json:"contact_id"`
	PaymentSystemID int64      `json:"payment_system_id"`
	GatewayEventID  *int64     `json:"gateway_event_id"`
	GatewayRef      string     `json:"gateway_ref"`
	Amount          int64      `json:"amount"`
	Currency        string     `json:"currency"`
	Note            string     `json:"note"`
	Resolution      string     `json:"resolution"`
	RefundedAmount  int64      `json:"refunded_amount"`
	ResolvedBy      string     `json:"resolved_by"`
	ResolvedAt      *time.Time `json:"resolved_at"`
	CreatedAt       time.Time  `json:"created_at"`
	CanAccept       bool       `json:"can_accept"`
	CanRefund       bool       `json:"can_refund"`
	CanApply        bool       `json:"can_apply"`
	CanReinstate    bool       `json:"can_reinstate"`
	// Dispute is the dispute the exception follows (null for none); access is the access decision it asks for
	// (ask: POST …/revoke-access or …/keep-access) or records (revoked, kept), "" for none.
	Dispute         *exceptionDisputeJSON `json:"dispute"`
	Access          string                `json:"access"`
	CanDecideAccess bool                  `json:"can_decide_access"`
}

// storedEventJSON is the gateway notification that opened an exception, its body verbatim.
type storedEventJSON struct {
	ID          int64      `json:"id"`
	EventID     string     `json:"event_id"`
	Type        string     `json:"type"`
	Kind        string     `json:"kind"`
	Result      string     `json:"result"`
	Body        string     `json:"body"`
	ReceivedAt  time.Time  `json:"received_at"`
	ProcessedAt *time.Time `json:"processed_at"`
}

// gatewayRefundJSON is the gateway's answer to a refund.
type gatewayRefundJSON struct {
	ID     string `json:"id"`
	Status string `json:"status"`
}

// exceptionDetailJSON is an exception with its notification (GET /payment-exceptions/{id} and the actions' answers).
type exceptionDetailJSON struct {
	exceptionJSON
	GatewayEvent  *storedEventJSON   `json:"gateway_event"`
	GatewayRefund *gatewayRefundJSON `json:"gateway_refund,omitempty"`
}

func exceptionOut(x order.ExceptionItem, systems map[int64]gateway.System) exceptionJSON {
	return exceptionJSON{ID: x.ID, Kind: string(x.Kind), Status: x.Status, OrderID: positive(x.OrderID),
		OrderNumber: x.OrderNumber, OrderStatus: string(x.OrderStatus), ContactID: positive(x.ContactID),
		PaymentSystemID: x.PaymentSystemID, GatewayEventID: positive(x.GatewayEventID), GatewayRef: x.GatewayRef,
		Amount: x.Amount.Amount, Currency: x.Amount.Currency, Note: x.Note, Resolution: x.Resolution,
		RefundedAmount: x.RefundedAmount, ResolvedBy: x.ResolvedBy,
		ResolvedAt: utcPtr(x.ResolvedAt), CreatedAt: x.CreatedAt.UTC(), CanAccept: x.CanAccept(),
		CanRefund: x.CanRefund(systems[x.PaymentSystemID]), CanApply: x.CanApply(), CanReinstate: x.CanReinstate(),
		Dispute: disputeJSON(x.Exception), Access: x.Access, CanDecideAccess: x.CanDecideAccess()}
}

func (s *Server) apiExceptions(w http.ResponseWriter, r *http.Request) {
	limit, err := pageLimit(r)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	q := r.URL.Query()
	status := q.Get("status")
	if status == "all" {
		status = ""
	}
	page, err := s.orders.Inbox(r.Context(), order.InboxFilter{Status: status,
		Kind: order.ExceptionKind(q.Get("kind")), Cursor: q.Get("cursor"), Limit: limit})
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	systems, err := s.systemNames(r.Context())
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	out := List[exceptionJSON]{Data: make([]exceptionJSON, 0, len(page.Items)), NextCursor: page.NextCursor}
	for _, x := range page.Items {
		out.Data = append(out.Data, exceptionOut(x, systems))
	}
	writeJSON(w, http.StatusOK, out)
}

// exceptionDetail is exception id as the API shows it.
func (s *Server) exceptionDetail(r *http.Request, id int64) (exceptionDetailJSON, error) {
	ctx := r.Context()
	x, err := s.orders.Exception(ctx, id)
	if err != nil {
		return exceptionDetailJSON{}, err
	}
	systems, err := s.systemNames(ctx)
	if err != nil {
		return exceptionDetailJSON{}, err
	}
	out := exceptionDetailJSON{exceptionJSON: exceptionOut(x, systems)}
	if x.GatewayEventID > 0 {
		ev, err := s.orders.StoredEvent(ctx, x.GatewayEventID)
		if err != nil {
			return out, err
		}
		out.GatewayEvent = &storedEventJSON{ID: ev.ID, EventID: ev.EventID, Type: ev.Type, Kind: ev.Kind,
			Result: ev.Result, Body: ev.Body, ReceivedAt: ev.ReceivedAt.UTC(), ProcessedAt: utcPtr(ev.ProcessedAt)}
	}
	return out, nil
}

func (s *Server) apiException(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	out, err := s.exceptionDetail(r, id)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// exceptionActionIn is the body of the exception actions; payer_email is for accept only.
type exceptionActionIn struct {
	Note       string `json:"note"`
	PayerEmail string `json:"payer_email"`
}

// readExceptionAction reads an action's path id and body (which may be empty: the note is then reported missing);
// it returns false when it has answered.
func (s *Server) readExceptionAction(w http.ResponseWriter, r *http.Request) (int64, exceptionActionIn, bool) {
	var in exceptionActionIn
	id, err := pathID(r, "id")
	if err != nil {
		s.apiError(w, r, err)
		return 0, in, false
	}
	if r.ContentLength != 0 && !decodeJSON(w, r, &in) {
		return 0, in, false
	}
	return id, in, true
}

func (s *Server) apiExceptionResolve(w http.ResponseWriter, r *http.Request) {
	id, in, ok := s.readExceptionAction(w, r)
	if !ok {
		return
	}
	_, err := s.orders.ResolveException(r.Context(), id, in.Note)
	s.apiExceptionActed(w, r, id, err, nil)
}

func (s *Server) apiExceptionAccept(w http.ResponseWriter, r *http.Request) {
	id, in, ok := s.readExceptionAction(w, r)
	if !ok {
		return
	}
	_, err := s.orders.AcceptException(r.Context(), id, order.Acceptance{Note: in.Note, PayerEmail: in.PayerEmail})
	s.apiExceptionActed(w, r, id, err, nil)
}

func (s *Server) apiExceptionRefund(w http.ResponseWriter, r *http.Request) {
	id, in, ok := s.readExceptionAction(w, r)
	if !ok {
		return
	}
	_, res, err := s.orders.RefundException(r.Context(), id, in.Note)
	s.apiExceptionActed(w, r, id, err, &gatewayRefundJSON{ID: res.ID, Status: res.Status})
}

// apiExceptionActed answers an action with the exception as it is now; a refund the gateway did not make is 502
// (503 when the gateway could not be reached) and the exception stays open.
func (s *Server) apiExceptionActed(w http.ResponseWriter, r *http.Request, id int64, err error, refund *gatewayRefundJSON) {
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	out, err := s.exceptionDetail(r, id)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	out.GatewayRefund = refund
	writeJSON(w, http.StatusOK, out)
}
