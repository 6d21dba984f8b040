package server

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/money"
	"github.com/bursar/bursar/internal/order"
	"github.com/bursar/bursar/templates/admin"
)

// approveForm reads the approve form into an adjustment; amount is decimal text in the currency the form names,
// else in current, the order's currency.
func approveForm(r *http.Request, current string) (admin.ApproveFields, order.Adjustment, check.Errors) {
	f := admin.ApproveFields{Amount: strings.TrimSpace(r.PostFormValue("amount")),
		Currency: strings.ToUpper(strings.TrimSpace(r.PostFormValue("currency"))),
		PaidOn:   strings.TrimSpace(r.PostFormValue("paid_on")), Comment: r.PostFormValue("comment")}
	var adj order.Adjustment
	e := check.Errors{}
	if f.Currency != "" {
		adj.Currency = &f.Currency
		if !money.Known(f.Currency) {
			e.Add("currency", "must be an ISO 4217 currency code such as EUR")
		}
	}
	if f.Amount != "" {
		cur := f.Currency
		if cur == "" {
			cur = current // minor units follow the order's currency, whose exponent may not be 2 (JPY, KWD)
		}
		if !money.Known(cur) {
			cur = "EUR" // the currency's own error is reported; parse with two decimals meanwhile
		}
		n, err := money.ParseDecimal(f.Amount, cur)
		if err != nil {
			e.Add("amount", amountReason(err))
		}
		adj.Amount = &n
	}
	if f.PaidOn != "" {
		d, err := time.Parse(time.DateOnly, f.PaidOn)
		if err != nil {
			e.Add("paid_on", "must be a date such as 2026-01-31")
		}
		adj.PaidOn = &d
	}
	adj.Comment = &f.Comment
	return f, adj, e
}

func (s *Server) adminOrderApprove(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	cur, err := s.orders.Get(r.Context(), id)
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	f, adj, e := approveForm(r, cur.Price.Currency)
	var o order.Order
	if len(e) > 0 {
		err = e
	} else {
		o, err = s.orders.Approve(r.Context(), id, adj)
	}
	s.decided(w, r, id, err, "Order "+o.Number+" approved.", func(v *admin.OrderView, errs check.Errors) {
		v.Approve, v.Errors = f, errs
	})
}

func (s *Server) adminOrderReject(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	note := r.PostFormValue("comment")
	o, err := s.orders.Reject(r.Context(), id, note)
	s.decided(w, r, id, err, "Order "+o.Number+" rejected.", func(v *admin.OrderView, errs check.Errors) {
		v.RejectNote, v.Errors = note, map[string]string{"reject_comment": errs["comment"]}
	})
}

func (s *Server) adminOrderRefund(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	refundable, err := s.orders.Refundable(r.Context(), id)
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	if len(refundable) > 0 {
		s.adminGatewayRefund(w, r, id, refundable)
		return
	}
	note := r.PostFormValue("comment")
	o, _, err := s.orders.RefundOrder(r.Context(), id, order.RefundInput{Reason: note})
	s.decided(w, r, id, err, "Order "+o.Number+" refunded.", func(v *admin.OrderView, errs check.Errors) {
		v.RefundNote, v.Errors = note, map[string]string{"refund_comment": errs["comment"]}
	})
}

// adminGatewayRefund refunds a completed gateway order through its gateway: amount is decimal text in the payment's
// currency, and the manager must tick the confirmation. A gateway that does not make the refund leaves everything
// as it was; the page says so with the form as typed (503 when it could not be reached, 502 when it refused).
func (s *Server) adminGatewayRefund(w http.ResponseWriter, r *http.Request, id int64, rs []order.Refundable) {
	f := admin.GatewayRefundFields{PaymentID: strings.TrimSpace(r.PostFormValue("payment_id")),
		Amount: strings.TrimSpace(r.PostFormValue("amount")), Reason: r.PostFormValue("reason"),
		Confirmed: r.PostFormValue("confirm") == "yes"}
	req := order.RefundInput{Reason: f.Reason}
	e := check.Errors{}
	target := rs[len(rs)-1]
	for i := len(rs) - 1; i >= 0; i-- {
		if rs[i].Left.Amount > 0 {
			target = rs[i] // the payment the form was prefilled for
		}
	}
	if f.PaymentID != "" {
		if req.PaymentID = parseID(f.PaymentID); req.PaymentID <= 0 {
			e.Add("payment_id", "choose a payment")
		}
		for _, rf := range rs {
			if rf.Payment.ID == req.PaymentID {
				target = rf
			}
		}
	}
	cur := target.Payment.Amount.Currency // minor units follow the payment's currency (JPY has none, KWD three)
	switch n, err := money.ParseDecimal(f.Amount, cur); {
	case f.Amount == "":
		e.Add("amount", "is required: "+target.Left.Format("en")+" is left to refund")
	case err != nil:
		e.Add("amount", amountReason(err))
	case n <= 0:
		e.Add("amount", "must be greater than zero")
	default:
		req.Amount = n
	}
	if !f.Confirmed {
		e.Add("confirm", "tick the box to confirm the refund")
	}
	var (
		o   order.Order
		rec order.RefundRecord
		err error
	)
	if len(e) > 0 {
		err = e
	} else {
		o, rec, err = s.orders.RefundOrder(r.Context(), id, req)
	}
	typed := func(v *admin.OrderView) {
		if v.GatewayRefund == nil {
			return // nothing is left to refund now: the page says what happened
		}
		v.GatewayRefund.PaymentID, v.GatewayRefund.Amount, v.GatewayRefund.Reason, v.GatewayRefund.Confirmed =
			f.PaymentID, f.Amount, f.Reason, false
	}
	var fail *order.RefundFailedError
	if errors.As(err, &fail) {
		// The page says why on the refund form, which keeps what was typed.
		a := errorAnswer(err)
		s.warnAnswer(r, err, a)
		s.renderOrder(w, r, id, a.Status, func(v *admin.OrderView) {
			typed(v)
			if v.GatewayRefund != nil {
				v.GatewayRefund.Error = a.Message
			} else {
				v.Conflict = a.Message
			}
		})
		return
	}
	flash := ""
	if err == nil {
		flash = "Refunded " + rec.Amount.Format("en") + " through " + target.System.Name + "."
		if o.Status == order.StatusRefunded {
			flash += " Order " + o.Number + " is refunded and the access it granted is revoked."
		}
	}
	s.decided(w, r, id, err, flash, func(v *admin.OrderView, errs check.Errors) {
		typed(v)
		v.Errors = errs
	})
}

func (s *Server) adminOrderRecheck(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	checks, err := s.orders.Recheck(r.Context(), id)
	s.logChecks(id, checks)
	s.decided(w, r, id, err, recheckText(checks), func(*admin.OrderView, check.Errors) {})
}

// logChecks logs the re-checks whose gateway refused the question (their words are not shown to people).
func (s *Server) logChecks(orderID int64, checks []order.Check) {
	for _, c := range checks {
		if c.Err != nil && !c.Unsupported() {
			s.log.Warn("payment re-check failed", "order_id", orderID, "payment_id", c.PaymentID,
				"payment_system", c.System, "err", c.Err)
		}
	}
}

// recheckText says what a re-check found, for people.
func recheckText(checks []order.Check) string {
	if len(checks) == 0 {
		return "Nothing to re-check: no payment attempt of this order is waiting for a gateway."
	}
	out := make([]string, 0, len(checks))
	for _, c := range checks {
		out = append(out, checkText(c))
	}
	return strings.Join(out, " ")
}

// checkText says what asking about one attempt found.
func checkText(c order.Check) string {
	ref := c.System + " payment " + c.Ref
	switch {
	case c.Unsupported():
		return c.System + " cannot be asked about payments: wait for its notification, or look in its dashboard."
	case c.Unavailable():
		return c.System + " could not be reached: try again in a few minutes."
	case c.Err != nil:
		return c.System + " did not answer about " + c.Ref + "."
	case c.Result == order.ResultDuplicate:
		return ref + " is still " + string(c.Kind) + ": nothing changed since the last re-check."
	case c.Result == order.ResultCompleted:
		return ref + " is paid: the order is completed."
	case c.Result == order.ResultProcessing:
		return ref + " is not paid yet: the attempt is waiting at " + c.System + "."
	case c.Result == order.ResultFailed:
		return ref + " failed: the order stays open for another attempt."
	case c.Result == order.ResultExpired:
		return ref + " expired unpaid: the order stays open for another attempt."
	case strings.HasPrefix(c.Result, "exception:") || strings.Contains(c.Result, "+exception:"):
		return ref + " is " + string(c.Kind) + ", but it needs a look: see the payment exceptions."
	}
	return ref + " is " + string(c.Kind) + " (" + c.Result + ")."
}

// decided answers a decision: success → flash + 303 to the order; bad input → the page with messages (422);
// a conflict (someone decided first) → the page as it is now, saying so (409); the rest as htmlError does.
func (s *Server) decided(w http.ResponseWriter, r *http.Request, id int64, err error, flash string, bad func(*admin.OrderView, check.Errors)) {
	if err == nil {
		s.flash(r, flash)
		http.Redirect(w, r, orderURL(id), http.StatusSeeOther)
		return
	}
	switch a := errorAnswer(err); a.Status {
	case http.StatusUnprocessableEntity:
		s.renderOrder(w, r, id, a.Status, func(v *admin.OrderView) { bad(v, a.Fields) })
	case http.StatusConflict:
		s.renderOrder(w, r, id, a.Status, func(v *admin.OrderView) { v.Conflict = a.Message })
	default:
		s.htmlError(w, r, err)
	}
}
