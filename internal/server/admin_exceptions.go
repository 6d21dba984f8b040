package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/order"
	"github.com/bursar/bursar/templates/admin"
)

const exceptionsPageSize = 50

func exceptionURL(id int64) string { return "/admin/exceptions/" + itoa(id) }

// exceptionKindLabels says what each kind of exception means, in plain words.
var exceptionKindLabels = map[order.ExceptionKind]string{
	order.ExAmountMismatch:      "Paid another amount",
	order.ExCurrencyMismatch:    "Paid in another currency",
	order.ExLatePayment:         "Payment for an order already closed",
	order.ExNoEmail:             "Payment without the payer's e-mail",
	order.ExOutsideRefund:       "Refunded in the gateway's dashboard",
	order.ExUnknownOrder:        "Payment for an unknown order",
	order.ExForeignSystem:       "Notification from a payment system the order never used",
	order.ExRefundUnconfirmed:   "Refund whose answer was lost",
	order.ExDispute:             "Dispute (chargeback)",
	order.ExRefundAccess:        "Refund: keep or revoke the access?",
	order.ExSubscriptionCharge:  "Subscription charge unlike its plan",
	order.ExUnknownSubscription: "Notification for an unknown subscription",
}

func exceptionKindLabel(k order.ExceptionKind) string {
	if l, ok := exceptionKindLabels[k]; ok {
		return l
	}
	return string(k)
}

// openExceptions is the nav badge's count of open exceptions; 0 when it cannot be read (the badge is a hint).
func (s *Server) openExceptions(ctx context.Context) int64 {
	n, err := s.orders.OpenExceptions(ctx)
	if err != nil {
		s.log.Warn("count open payment exceptions", "err", err)
		return 0
	}
	return n
}

func exceptionRow(x order.ExceptionItem, systems map[int64]gateway.System) admin.ExceptionRow {
	row := admin.ExceptionRow{ID: x.ID, Kind: string(x.Kind), KindLabel: exceptionKindLabel(x.Kind), Status: x.Status,
		OrderID: x.OrderID, OrderNumber: x.OrderNumber, System: systems[x.PaymentSystemID].Name,
		GatewayRef: x.GatewayRef, Created: x.CreatedAt.UTC().Format(timeFormat), Note: x.Note,
		Resolution: x.Resolution}
	exceptionDisputeRow(&row, x.Exception, time.Now())
	if x.Amount.Currency != "" {
		row.Amount = x.Amount.Format("en")
	}
	return row
}

func (s *Server) adminExceptions(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	v := admin.ExceptionList{Page: s.adminPage(r, "Payment exceptions", "exceptions"),
		Filter: admin.ExceptionFilter{Status: q.Get("status"), Kind: q.Get("kind")}, Errors: map[string]string{}}
	for _, k := range order.ExceptionKinds {
		v.Kinds = append(v.Kinds, admin.Option{Value: string(k), Label: exceptionKindLabel(k)})
	}
	f := order.InboxFilter{Kind: order.ExceptionKind(v.Filter.Kind), Cursor: q.Get("cursor"), Limit: exceptionsPageSize}
	switch v.Filter.Status {
	case "", order.ExceptionOpen:
		v.Filter.Status, f.Status = order.ExceptionOpen, order.ExceptionOpen
	case order.ExceptionResolved:
		f.Status = order.ExceptionResolved
	case "all":
	default:
		v.Errors["status"] = "must be open, resolved or all"
		s.render(w, r, http.StatusUnprocessableEntity, admin.ExceptionsPage(v))
		return
	}
	page, err := s.orders.Inbox(ctx, f)
	if e, ok := check.AsErrors(err); ok {
		v.Errors = e
		s.render(w, r, http.StatusUnprocessableEntity, admin.ExceptionsPage(v))
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	systems, err := s.systemNames(ctx)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	for _, x := range page.Items {
		v.Rows = append(v.Rows, exceptionRow(x, systems))
	}
	if page.NextCursor != "" {
		nq := url.Values{"status": {v.Filter.Status}, "cursor": {page.NextCursor}}
		if v.Filter.Kind != "" {
			nq.Set("kind", v.Filter.Kind)
		}
		v.NextURL = "/admin/exceptions?" + nq.Encode()
	}
	s.render(w, r, http.StatusOK, admin.ExceptionsPage(v))
}

func (s *Server) adminException(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	s.renderException(w, r, id, http.StatusOK, nil)
}

// renderException shows exception id with status; adjust fills in what a failed form needs to show.
func (s *Server) renderException(w http.ResponseWriter, r *http.Request, id int64, status int, adjust func(*admin.ExceptionView)) {
	v, err := s.exceptionView(r, id)
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	if adjust != nil {
		adjust(&v)
	}
	s.render(w, r, status, admin.ExceptionPage(v))
}

func (s *Server) exceptionView(r *http.Request, id int64) (admin.ExceptionView, error) {
	ctx := r.Context()
	x, err := s.orders.Exception(ctx, id)
	if err != nil {
		return admin.ExceptionView{}, err
	}
	systems, err := s.systemNames(ctx)
	if err != nil {
		return admin.ExceptionView{}, err
	}
	sys := systems[x.PaymentSystemID]
	row := exceptionRow(x, systems)
	v := admin.ExceptionView{Page: s.adminPage(r, row.KindLabel, "exceptions"), Row: row,
		OrderStatus: string(x.OrderStatus), ContactID: x.ContactID, ResolvedBy: x.ResolvedBy,
		Notes: map[string]string{}, Errors: map[string]string{}, MoveAccess: x.Kind == order.ExNoEmail,
		CanDecideAccess: x.CanDecideAccess()}
	if x.ResolvedAt != nil {
		v.Resolved = x.ResolvedAt.UTC().Format(timeFormat)
	}
	if x.ContactID > 0 {
		names := &contactEmails{s: s, ctx: ctx, cache: map[int64]string{}}
		v.ContactEmail = names.of(x.ContactID)
	}
	if x.GatewayEventID > 0 {
		ev, err := s.orders.StoredEvent(ctx, x.GatewayEventID)
		switch {
		case err == nil:
			v.Event = &admin.StoredEventView{EventID: ev.EventID, Type: ev.Type, Result: ev.Result,
				Received: ev.ReceivedAt.UTC().Format(timeFormat), Body: ev.Body}
		case !errors.Is(err, check.ErrNotFound):
			return v, err
		}
	}
	if v.CanAccept = x.CanAccept(); v.CanAccept {
		if x.Kind == order.ExLatePayment {
			v.AcceptText = fmt.Sprintf("Record %s as an extra payment on order %s, which is %s. The order and its "+
				"access stay as they are.", row.Amount, x.OrderNumber, x.OrderStatus)
		} else {
			v.AcceptText = fmt.Sprintf("Record the payment of %s as %s reported it, complete order %s at that price, "+
				"grant its access and e-mail the confirmation.", row.Amount, sys.Name, x.OrderNumber)
			if v.AskPayer = x.ContactID == 0; v.AskPayer && v.Event != nil {
				v.PayerEmail = payerEmailIn(v.Event.Body)
			}
		}
	}
	if v.More, err = s.exceptionMore(ctx, x, row.Amount); err != nil {
		return v, err
	}
	if _, ok := s.gateways.Provider(sys.Type); ok && x.CanRefund(sys) {
		v.CanRefund = true
		v.RefundText = fmt.Sprintf("Return %s of payment %s through %s. Bursar records nothing else: the money was "+
			"never applied to an order.", row.Amount, x.GatewayRef, sys.Name)
	}
	return v, nil
}

// payerEmailIn finds the payer's e-mail in a gateway notification's JSON body, whatever the gateway calls it
// (Stripe customer_details.email, PayPal payer.email_address, Fondy sender_email, WayForPay email): the first
// string that looks like an address under a key naming an e-mail, "" when there is none. It only prefills a form.
func payerEmailIn(body string) string {
	var v any
	if json.Unmarshal([]byte(body), &v) != nil {
		return ""
	}
	queue := []any{v}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		switch t := cur.(type) {
		case map[string]any:
			keys := make([]string, 0, len(t))
			for k := range t {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				if s, ok := t[k].(string); ok && strings.Contains(strings.ToLower(k), "email") {
					e := check.Errors{}
					if e.Email("email", s, true); len(e) == 0 {
						return s
					}
				}
				queue = append(queue, t[k])
			}
		case []any:
			queue = append(queue, t...)
		}
	}
	return ""
}

func (s *Server) adminExceptionResolve(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	note := r.PostFormValue("note")
	_, err = s.orders.ResolveException(r.Context(), id, note)
	s.exceptionActed(w, r, id, "resolve", err, "Exception resolved.", func(v *admin.ExceptionView) {
		v.Notes["resolve"] = note
	})
}

func (s *Server) adminExceptionAccept(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	a := order.Acceptance{Note: r.PostFormValue("note"), PayerEmail: strings.TrimSpace(r.PostFormValue("payer_email"))}
	_, err = s.orders.AcceptException(r.Context(), id, a)
	s.exceptionActed(w, r, id, "accept", err, "Payment accepted; the exception is resolved.", func(v *admin.ExceptionView) {
		v.Notes["accept"], v.PayerEmail = a.Note, a.PayerEmail
	})
}

func (s *Server) adminExceptionRefund(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	note := r.PostFormValue("note")
	_, res, err := s.orders.RefundException(r.Context(), id, note)
	s.exceptionActed(w, r, id, "refund", err, "Refunded through the gateway (refund "+res.ID+"); the exception is resolved.",
		func(v *admin.ExceptionView) { v.Notes["refund"] = note })
}

// exceptionActed answers an action on exception id: success → flash + 303 to the exception; bad input → the page
// with the form's messages (422); someone acted first → the page as it is now, saying so (409); the gateway did not
// refund → the page with why (502, 503 when it could not be reached).
func (s *Server) exceptionActed(w http.ResponseWriter, r *http.Request, id int64, form string, err error, flash string, keep func(*admin.ExceptionView)) {
	if err == nil {
		s.flash(r, flash)
		http.Redirect(w, r, exceptionURL(id), http.StatusSeeOther)
		return
	}
	if e, ok := check.AsErrors(err); ok {
		s.renderException(w, r, id, http.StatusUnprocessableEntity, func(v *admin.ExceptionView) {
			keep(v)
			for k, m := range e {
				v.Errors[form+"_"+k] = m
			}
		})
		return
	}
	a := errorAnswer(err)
	var fail *order.RefundFailedError
	if errors.As(err, &fail) {
		// The refund form says why, in the words of the exception page; the status is errorAnswer's.
		s.warnAnswer(r, err, a)
		msg := "Nothing was refunded: " + fail.Reason() + ". The exception is still open."
		s.renderException(w, r, id, a.Status, func(v *admin.ExceptionView) { keep(v); v.Failure = msg })
		return
	}
	if a.Status == http.StatusConflict {
		msg := a.Message
		s.renderException(w, r, id, http.StatusConflict, func(v *admin.ExceptionView) {
			keep(v)
			if v.Row.Status != order.ExceptionOpen {
				msg = "This exception was already resolved"
				if v.ResolvedBy != "" {
					msg += " by " + v.ResolvedBy + " at " + v.Resolved + " UTC"
				}
				msg += "; nothing was changed."
			}
			v.Conflict = msg
		})
		return
	}
	s.htmlError(w, r, err)
}
