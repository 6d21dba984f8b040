package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/money"
	"github.com/bursar/bursar/internal/offer"
	"github.com/bursar/bursar/internal/order"
	"github.com/bursar/bursar/templates/admin"
)

const ordersPageSize = 50

func orderURL(id int64) string { return "/admin/orders/" + itoa(id) }

// orderFilterForm reads the list's query string; bad values are named in the returned errors.
func orderFilterForm(q url.Values) (admin.OrderFilter, check.Errors) {
	f := admin.OrderFilter{Status: q.Get("status"), OfferID: q.Get("offer_id"), SystemID: q.Get("payment_system_id"),
		From: q.Get("from"), To: q.Get("to"), Email: strings.TrimSpace(q.Get("email"))}
	e := check.Errors{}
	for _, d := range []struct{ field, v string }{{"from", f.From}, {"to", f.To}} {
		if d.v == "" {
			continue
		}
		if _, err := time.Parse(time.DateOnly, d.v); err != nil {
			e.Add(d.field, "must be a date such as 2026-01-31")
		}
	}
	return f, e
}

// systemNames names every payment system by id.
func (s *Server) systemNames(ctx context.Context) (map[int64]gateway.System, error) {
	all, err := s.paymentSystems.All(ctx)
	if err != nil {
		return nil, err
	}
	m := make(map[int64]gateway.System, len(all))
	for _, sys := range all {
		m[sys.ID] = sys
	}
	return m, nil
}

// contactEmails names the contacts of a page through the CRM (orders never join contacts).
type contactEmails struct {
	s     *Server
	ctx   context.Context
	cache map[int64]string
}

func (c *contactEmails) of(id int64) string {
	if id <= 0 {
		return "a visitor (known once the payment names them)"
	}
	if e, ok := c.cache[id]; ok {
		return e
	}
	e := "contact #" + itoa(id)
	if ct, err := c.s.contacts.Contact(c.ctx, id); err == nil {
		e = ct.Email
	}
	c.cache[id] = e
	return e
}

func (s *Server) adminOrders(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	f, errs := orderFilterForm(q)
	v := admin.OrderList{Page: s.adminPage(r, "Orders & sales", "orders"), Tab: "orders", Filter: f, Errors: errs}
	if q.Get("tab") == "payments" {
		v.Tab = "payments"
		v.Statuses = order.PaymentStatuses
	} else {
		for _, st := range order.Statuses {
			v.Statuses = append(v.Statuses, string(st))
		}
	}
	systems, err := s.systemNames(ctx)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	for _, sys := range systems {
		v.Systems = append(v.Systems, admin.Option{Value: itoa(sys.ID), Label: sys.Name})
	}
	offers, err := s.offers.Offers(ctx, offer.Filter{Limit: offer.MaxList})
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	for _, o := range offers {
		v.Offers = append(v.Offers, admin.Option{Value: itoa(o.ID), Label: o.Title})
	}
	if len(errs) > 0 {
		s.render(w, r, http.StatusUnprocessableEntity, admin.OrdersPage(v))
		return
	}
	var contactID int64
	if f.Email != "" {
		c, err := s.contacts.ByEmail(ctx, f.Email)
		if errors.Is(err, check.ErrNotFound) {
			v.Notice = "No contact has the e-mail " + f.Email + "."
			s.render(w, r, http.StatusOK, admin.OrdersPage(v))
			return
		}
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		contactID = c.ID
	}
	from, to := dateRange(f.From, f.To)
	before := parseID(q.Get("before"))
	names := &contactEmails{s: s, ctx: ctx, cache: map[int64]string{}}
	var next int64
	if v.Tab == "payments" {
		page, err := s.orders.Payments(ctx, order.PaymentFilter{Status: f.Status, PaymentSystemID: parseID(f.SystemID),
			ContactID: contactID, From: from, To: to, BeforeID: before, Limit: ordersPageSize})
		if s.listFailed(w, r, v, err) {
			return
		}
		for _, p := range page.Payments {
			row := paymentRow(p.Payment, systems)
			row.OrderNumber, row.OrderStatus = p.OrderNumber, string(p.OrderStatus)
			v.Payments = append(v.Payments, row)
		}
		next = page.NextBeforeID
	} else {
		page, err := s.orders.List(ctx, order.Filter{Status: order.Status(f.Status), OfferID: parseID(f.OfferID),
			PaymentSystemID: parseID(f.SystemID), ContactID: contactID, From: from, To: to, BeforeID: before,
			Limit: ordersPageSize})
		if s.listFailed(w, r, v, err) {
			return
		}
		for _, o := range page.Orders {
			v.Rows = append(v.Rows, admin.OrderRow{ID: o.ID, Number: o.Number, Status: string(o.Status),
				Offer: o.OfferTitle, ContactID: o.ContactID, Contact: names.of(o.ContactID),
				Amount: o.Price.Format("en"), System: systems[o.PaymentSystemID].Name,
				Created: o.CreatedAt.UTC().Format(timeFormat)})
		}
		next = page.NextBeforeID
	}
	if next != 0 {
		nq := url.Values{}
		for k, vs := range q {
			if k != "before" {
				nq[k] = vs
			}
		}
		nq.Set("before", itoa(next))
		v.NextURL = "/admin/orders?" + nq.Encode()
	}
	s.render(w, r, http.StatusOK, admin.OrdersPage(v))
}

// listFailed answers a failed list query: bad filters re-render the page with their messages.
func (s *Server) listFailed(w http.ResponseWriter, r *http.Request, v admin.OrderList, err error) bool {
	if err == nil {
		return false
	}
	if e, ok := check.AsErrors(err); ok {
		v.Errors = e
		s.render(w, r, http.StatusUnprocessableEntity, admin.OrdersPage(v))
		return true
	}
	s.serverError(w, r, err)
	return true
}

func paymentRow(p order.Payment, systems map[int64]gateway.System) admin.OrderPaymentRow {
	return admin.OrderPaymentRow{ID: p.ID, OrderID: p.OrderID, Status: p.Status, Amount: p.Amount.Format("en"),
		Fee: money.New(p.Fee, p.Amount.Currency).Format("en"), Net: money.New(p.Net, p.Amount.Currency).Format("en"),
		PaidOn: p.PaidOn.Format(time.DateOnly), Comment: p.Comment, System: systems[p.PaymentSystemID].Name,
		Created: p.CreatedAt.UTC().Format(timeFormat)}
}

func (s *Server) adminOrder(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	s.renderOrder(w, r, id, http.StatusOK, nil)
}

// renderOrder shows order id with status; adjust fills in what a failed form needs to show.
func (s *Server) renderOrder(w http.ResponseWriter, r *http.Request, id int64, status int, adjust func(*admin.OrderView)) {
	v, err := s.orderView(r, id)
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	if adjust != nil {
		adjust(&v)
	}
	s.render(w, r, status, admin.OrderPage(v))
}

func (s *Server) orderView(r *http.Request, id int64) (admin.OrderView, error) {
	ctx := r.Context()
	d, err := s.orders.Detail(ctx, id)
	if err != nil {
		return admin.OrderView{}, err
	}
	systems, err := s.systemNames(ctx)
	if err != nil {
		return admin.OrderView{}, err
	}
	names := &contactEmails{s: s, ctx: ctx, cache: map[int64]string{}}
	v := admin.OrderView{Page: s.adminPage(r, "Order "+d.Number, "orders"), ID: d.ID, Number: d.Number,
		Status: string(d.Status), Offer: d.OfferTitle, OfferID: d.OfferID, ContactID: d.ContactID,
		ContactEmail: names.of(d.ContactID), Amount: d.Price.Format("en"), ListAmount: d.ListPrice.Format("en"),
		System: systems[d.PaymentSystemID].Name, Channel: d.Channel, Created: d.CreatedAt.UTC().Format(timeFormat),
		DecidedBy: d.DecidedBy, Note: d.DecisionNote, Grants: len(d.Grants), Errors: map[string]string{},
		CanDecide: d.Status == order.StatusOpen}
	// A completed order paid through a gateway is refunded through it; one paid through the manual merchant has its
	// refund recorded.
	refundable, err := s.orders.Refundable(ctx, id)
	if err != nil {
		return admin.OrderView{}, err
	}
	v.CanRefund = d.Status == order.StatusCompleted && len(refundable) == 0
	v.GatewayRefund = gatewayRefundFields(refundable)
	for _, p := range order.Recheckable(d.Order) {
		if sys, ok := systems[p.PaymentSystemID]; ok && sys.Type != gateway.TypeManual {
			v.RecheckSystem = sys.Name
		}
	}
	if d.DeadlineAt != nil && d.Status == order.StatusOpen {
		v.Deadline = d.DeadlineAt.UTC().Format(timeFormat)
	}
	if d.DecidedAt != nil {
		v.Decided = d.DecidedAt.UTC().Format(timeFormat)
	}
	v.Approve = admin.ApproveFields{Amount: d.Price.Decimal(), Currency: d.Price.Currency,
		PaidOn: time.Now().UTC().Format(time.DateOnly)}
	for _, p := range d.Payments {
		v.Payments = append(v.Payments, paymentRow(p, systems))
		if p.Status == order.PaymentPending {
			v.Approve.PaidOn, v.Approve.Comment = p.PaidOn.Format(time.DateOnly), p.Comment
		}
	}
	refunds, err := s.orders.RefundsOf(ctx, id)
	if err != nil {
		return admin.OrderView{}, err
	}
	for _, rf := range refunds {
		v.Refunds = append(v.Refunds, admin.RefundRow{ID: rf.ID, Amount: rf.Amount.Format("en"), Comment: rf.Comment,
			Actor: rf.Actor, At: rf.CreatedAt.UTC().Format(timeFormat), Status: rf.Status, GatewayRef: rf.GatewayRef})
	}
	for i := len(d.Events) - 1; i >= 0; i-- { // newest first, as on the contact card
		e := d.Events[i]
		v.Events = append(v.Events, admin.EventRow{At: e.CreatedAt.UTC().Format(timeFormat), Kind: e.Kind,
			Message: e.Message, Actor: e.Actor})
	}
	events, err := s.orders.GatewayEvents(ctx, id)
	if err != nil {
		return admin.OrderView{}, err
	}
	for _, e := range events {
		name := systems[e.PaymentSystemID].Name
		if name == "" {
			name = "payment system #" + itoa(e.PaymentSystemID)
		}
		v.GatewayEvents = append(v.GatewayEvents, admin.GatewayEventRow{ID: e.ID,
			At: e.ReceivedAt.UTC().Format(timeFormat), System: name, EventID: e.EventID, Type: e.Type,
			Kind: string(e.Kind), Result: e.Result, Body: prettyBody(e.Body), Recheck: strings.HasPrefix(e.EventID, "status:")})
	}
	return v, nil
}

// prettyBody indents a JSON body for reading; any other body (form data, a signed envelope) is shown as received.
func prettyBody(body string) string {
	var b bytes.Buffer
	if err := json.Indent(&b, []byte(body), "", "  "); err != nil {
		return body
	}
	return b.String()
}

// gatewayRefundFields is the gateway refund form for the refundable payments rs: nil when nothing is left to refund
// through a gateway. It is prefilled with all that is left of the first payment with money left.
func gatewayRefundFields(rs []order.Refundable) *admin.GatewayRefundFields {
	var left []order.Refundable
	for _, r := range rs {
		if r.Left.Amount > 0 {
			left = append(left, r)
		}
	}
	if len(left) == 0 {
		return nil
	}
	first := left[0]
	f := &admin.GatewayRefundFields{System: first.System.Name, PaymentID: itoa(first.Payment.ID),
		Amount: first.Left.Decimal(), Currency: first.Left.Currency, Left: first.Left.Format("en")}
	if len(left) > 1 {
		for _, r := range left {
			f.Payments = append(f.Payments, admin.Option{Value: itoa(r.Payment.ID), Label: fmt.Sprintf(
				"Payment %d through %s: %s left of %s", r.Payment.ID, r.System.Name, r.Left.Format("en"),
				r.Payment.Amount.Format("en"))})
		}
	}
	return f
}

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
	o, err := s.orders.Refund(r.Context(), id, note)
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
	req := order.GatewayRefund{Reason: f.Reason}
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
		rec order.RefundRecord
		err error
	)
	if len(e) > 0 {
		err = e
	} else {
		rec, err = s.orders.RefundGateway(r.Context(), id, req, s.gatewayCaller())
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
		if o, gerr := s.orders.Get(r.Context(), id); gerr == nil && o.Status == order.StatusRefunded {
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
	checks, err := s.orders.Recheck(r.Context(), id, s.gatewayCaller())
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

// manualChoices lists the offers a manager can book a manual payment for (those with an enabled manual system)
// and the enabled manual systems.
func (s *Server) manualChoices(ctx context.Context) (offers, systems []admin.Option, err error) {
	all, err := s.paymentSystems.All(ctx)
	if err != nil {
		return nil, nil, err
	}
	manual := map[int64]bool{}
	for _, sys := range all {
		if sys.Type == gateway.TypeManual && sys.Enabled {
			manual[sys.ID] = true
			systems = append(systems, admin.Option{Value: itoa(sys.ID), Label: sys.Name})
		}
	}
	list, err := s.offers.Offers(ctx, offer.Filter{Limit: offer.MaxList})
	if err != nil {
		return nil, nil, err
	}
	for _, o := range list {
		for _, id := range o.PaymentSystemIDs {
			if manual[id] {
				offers = append(offers, admin.Option{Value: itoa(o.ID), Label: o.Title + " (" + o.Price().Format("en") + ", " + o.Status + ")"})
				break
			}
		}
	}
	return offers, systems, nil
}

func (s *Server) renderOrderNew(w http.ResponseWriter, r *http.Request, status int, v admin.OrderNew) {
	var err error
	if v.Offers, v.Systems, err = s.manualChoices(r.Context()); err != nil {
		s.serverError(w, r, err)
		return
	}
	v.Page = s.adminPage(r, "New manual payment", "orders")
	if v.Errors == nil {
		v.Errors = map[string]string{}
	}
	s.render(w, r, status, admin.OrderNewPage(v))
}

func (s *Server) adminOrderNew(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v := admin.OrderNew{Token: newFormToken(), OfferID: q.Get("offer_id"), PaidOn: time.Now().UTC().Format(time.DateOnly)}
	if id := parseID(q.Get("contact_id")); id > 0 {
		c, err := s.contacts.Contact(r.Context(), id)
		if err != nil {
			s.htmlError(w, r, err)
			return
		}
		v.ContactEmail = c.Email
	}
	s.renderOrderNew(w, r, http.StatusOK, v)
}

func (s *Server) adminOrderCreate(w http.ResponseWriter, r *http.Request) {
	v := admin.OrderNew{Token: r.PostFormValue("form_token"), ContactEmail: strings.TrimSpace(r.PostFormValue("contact_email")),
		OfferID: r.PostFormValue("offer_id"), SystemID: r.PostFormValue("payment_system_id"),
		PaidOn: strings.TrimSpace(r.PostFormValue("paid_on")), Comment: r.PostFormValue("comment")}
	n, e := s.manualForm(r.Context(), v)
	err := e.Err()
	if err == nil {
		err = s.submitOnce(w, r, "Order opened: confirm or reject the payment below.", func() (string, error) {
			o, err := s.orders.CreateManual(r.Context(), n)
			if err != nil {
				return "", err
			}
			return orderURL(o.ID), nil
		})
	}
	if ce, ok := check.AsErrors(err); ok {
		if msg, bad := ce["contact_id"]; bad {
			ce.Add("contact_email", msg)
		}
		v.Errors = ce
		s.renderOrderNew(w, r, http.StatusUnprocessableEntity, v)
		return
	}
	if err != nil {
		s.htmlError(w, r, err)
	}
}

// manualForm turns the new-manual-payment form into a NewManual, naming what cannot be read.
func (s *Server) manualForm(ctx context.Context, v admin.OrderNew) (order.NewManual, check.Errors) {
	n := order.NewManual{Comment: v.Comment, Channel: order.ChannelAdmin}
	e := check.Errors{}
	switch c, err := s.contacts.ByEmail(ctx, v.ContactEmail); {
	case v.ContactEmail == "":
		e.Add("contact_email", "is required")
	case errors.Is(err, check.ErrNotFound):
		e.Add("contact_email", "no contact has this e-mail: create the contact first")
	case err != nil:
		e.Add("contact_email", "could not be looked up, try again")
	default:
		n.ContactID = c.ID
	}
	if n.OfferID = parseID(v.OfferID); n.OfferID <= 0 {
		e.Add("offer_id", "choose an offer")
	}
	if v.SystemID != "" {
		if n.PaymentSystemID = parseID(v.SystemID); n.PaymentSystemID <= 0 {
			e.Add("payment_system_id", "choose a payment system")
		}
	}
	if v.PaidOn != "" {
		d, err := time.Parse(time.DateOnly, v.PaidOn)
		if err != nil {
			e.Add("paid_on", "must be a date such as 2026-01-31")
		}
		n.PaidOn = d
	}
	return n, e
}
