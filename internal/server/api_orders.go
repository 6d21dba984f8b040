package server

import (
	"context"
	"errors"
	"net/http"

	"github.com/bursar/bursar/internal/apiview"
	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/order"
)

func (s *Server) apiOrders(w http.ResponseWriter, r *http.Request) {
	limit, err := pageLimit(r)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	before, err := decodeCursor(r.URL.Query().Get("cursor"))
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	e := check.Errors{}
	f := order.Filter{Status: order.Status(r.URL.Query().Get("status")), OfferID: queryID(r, "offer_id", e),
		ContactID: queryID(r, "contact_id", e), PaymentSystemID: queryID(r, "payment_system_id", e),
		BeforeID: before, Limit: limit}
	if err := e.Err(); err != nil {
		s.apiError(w, r, err)
		return
	}
	out := List[orderJSON]{Data: []orderJSON{}}
	if email := r.URL.Query().Get("email"); email != "" {
		c, err := s.contacts.ByEmail(r.Context(), email)
		if errors.Is(err, check.ErrNotFound) {
			writeJSON(w, http.StatusOK, out) // nobody with that e-mail: no orders
			return
		}
		if err != nil {
			s.apiError(w, r, err)
			return
		}
		if f.ContactID != 0 && f.ContactID != c.ID {
			writeJSON(w, http.StatusOK, out)
			return
		}
		f.ContactID = c.ID
	}
	page, err := s.orders.List(r.Context(), f)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	for _, o := range page.Orders {
		out.Data = append(out.Data, apiview.OrderOf(o))
	}
	if page.NextBeforeID != 0 {
		out.NextCursor = encodeCursor(page.NextBeforeID)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiOrder(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	d, err := s.orderDetail(r.Context(), id)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

// orderDetail is order id with its payments, refunds (with their status) and timeline.
func (s *Server) orderDetail(ctx context.Context, id int64) (orderDetailJSON, error) {
	d, err := s.orders.Detail(ctx, id)
	if err != nil {
		return orderDetailJSON{}, err
	}
	refunds, err := s.orders.RefundsOf(ctx, id)
	if err != nil {
		return orderDetailJSON{}, err
	}
	return apiview.OrderDetailOf(d, refunds), nil
}

// approveIn is the body of POST /api/v1/orders/{id}/approve; every field is optional.
type approveIn struct {
	Amount   *int64  `json:"amount"`
	Currency *string `json:"currency"`
	PaidOn   *string `json:"paid_on"`
	Comment  *string `json:"comment"`
}

// commentIn is the body of reject and refund.
type commentIn struct {
	Comment string `json:"comment"`
}

func (s *Server) apiOrderApprove(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	var in approveIn
	if r.ContentLength != 0 && !decodeJSON(w, r, &in) {
		return
	}
	e := check.Errors{}
	adj := order.Adjustment{Amount: in.Amount, Currency: in.Currency, PaidOn: parseDate(in.PaidOn, "paid_on", e), Comment: in.Comment}
	if err := e.Err(); err != nil {
		s.apiError(w, r, err)
		return
	}
	o, err := s.orders.Approve(r.Context(), id, adj)
	s.apiDecided(w, r, o, err)
}

func (s *Server) apiOrderReject(w http.ResponseWriter, r *http.Request) {
	s.apiComment(w, r, s.orders.Reject)
}

// refundIn is the body of POST /api/v1/orders/{id}/refund. An order paid through the manual merchant takes only
// comment (its refund is recorded in full); one paid through a gateway is refunded through it: amount (minor units
// of the payment's currency; all that is left when absent), payment_id (when the order has several payments to
// refund) and reason (comment is taken when reason is absent).
type refundIn struct {
	Amount    *int64 `json:"amount"`
	PaymentID int64  `json:"payment_id"`
	Reason    string `json:"reason"`
	Comment   string `json:"comment"`
}

func (s *Server) apiOrderRefund(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	var in refundIn
	if r.ContentLength != 0 && !decodeJSON(w, r, &in) {
		return
	}
	reason := in.Reason
	if reason == "" {
		reason = in.Comment
	}
	req := order.RefundInput{PaymentID: in.PaymentID, Reason: reason}
	if in.Amount != nil {
		if *in.Amount <= 0 {
			s.apiError(w, r, check.Field("amount", "must be greater than zero"))
			return
		}
		req.Amount = *in.Amount
	}
	_, _, err = s.orders.RefundOrder(r.Context(), id, req)
	s.apiDecided(w, r, order.Order{ID: id}, err)
}

// checkJSON is one payment attempt a re-check asked the gateway about.
type checkJSON struct {
	PaymentID     int64  `json:"payment_id"`
	GatewayRef    string `json:"gateway_ref"`
	PaymentSystem string `json:"payment_system"`
	// Kind is the gateway's answer (paid, pending, failed, expired, …); "" when it could not be asked.
	Kind string `json:"kind"`
	// Result is what applying the answer did ("duplicate": the same answer as at the last re-check).
	Result string `json:"result"`
	// Error is "" or why the gateway could not be asked: unsupported, unavailable, refused.
	Error   string `json:"error"`
	Message string `json:"message"`
}

// recheckJSON is the answer of POST /api/v1/orders/{id}/recheck.
type recheckJSON struct {
	Checks []checkJSON     `json:"checks"`
	Order  orderDetailJSON `json:"order"`
}

func (s *Server) apiOrderRecheck(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	checks, err := s.orders.Recheck(r.Context(), id)
	s.logChecks(id, checks)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	out := recheckJSON{Checks: make([]checkJSON, 0, len(checks))}
	for _, c := range checks {
		j := checkJSON{PaymentID: c.PaymentID, GatewayRef: c.Ref, PaymentSystem: c.System, Kind: string(c.Kind),
			Result: c.Result, Message: checkText(c)}
		switch {
		case c.Unsupported():
			j.Error = "unsupported"
		case c.Unavailable():
			j.Error = "unavailable"
		case c.Err != nil:
			j.Error = "refused"
		}
		out.Checks = append(out.Checks, j)
	}
	if out.Order, err = s.orderDetail(r.Context(), id); err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// apiComment runs a decision that takes only a comment (reject); the body may be empty.
func (s *Server) apiComment(w http.ResponseWriter, r *http.Request, decide func(ctx context.Context, id int64, comment string) (order.Order, error)) {
	id, err := pathID(r, "id")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	var in commentIn
	if r.ContentLength != 0 && !decodeJSON(w, r, &in) {
		return
	}
	o, err := decide(r.Context(), id, in.Comment)
	s.apiDecided(w, r, o, err)
}

// apiDecided answers a decision with the order as it is now.
func (s *Server) apiDecided(w http.ResponseWriter, r *http.Request, o order.Order, err error) {
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	d, err := s.orderDetail(r.Context(), o.ID)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

// manualPaymentIn is the body of POST /api/v1/manual-payments; payment_system_id may be left out when the offer
// has exactly one enabled manual system, paid_on defaults to today.
type manualPaymentIn struct {
	ContactID       int64   `json:"contact_id"`
	OfferID         int64   `json:"offer_id"`
	PaymentSystemID int64   `json:"payment_system_id"`
	PaidOn          *string `json:"paid_on"`
	Comment         string  `json:"comment"`
}

func (s *Server) apiManualPaymentCreate(w http.ResponseWriter, r *http.Request) {
	var in manualPaymentIn
	if !decodeJSON(w, r, &in) {
		return
	}
	e := check.Errors{}
	n := order.NewManual{ContactID: in.ContactID, OfferID: in.OfferID, PaymentSystemID: in.PaymentSystemID,
		Comment: in.Comment, Channel: order.ChannelAPI}
	if d := parseDate(in.PaidOn, "paid_on", e); d != nil {
		n.PaidOn = *d
	}
	if err := e.Err(); err != nil {
		s.apiError(w, r, err)
		return
	}
	o, created, err := s.orders.OpenManual(r.Context(), n)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	status := http.StatusCreated
	if !created {
		status = http.StatusOK // the contact's open order for this offer
	}
	w.Header().Set("Location", "/api/v1/orders/"+itoa(o.ID))
	writeJSON(w, status, apiview.OrderOf(o))
}
