package server

import (
	"bytes"
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

// contactEmails names the contacts of a page through the CRM (orders never join contacts): a page's are loaded in
// one query, any other is read when asked for.
type contactEmails struct {
	s     *Server
	ctx   context.Context
	cache map[int64]string
}

// load reads the contacts ids not known yet, in one query.
func (c *contactEmails) load(ids []int64) error {
	var missing []int64
	for _, id := range ids {
		if _, ok := c.cache[id]; !ok && id > 0 && !slices.Contains(missing, id) {
			missing = append(missing, id)
		}
	}
	found, err := c.s.contacts.ContactsByID(c.ctx, missing)
	if err != nil {
		return err
	}
	for _, id := range missing {
		c.cache[id] = "contact #" + itoa(id)
		if ct, ok := found[id]; ok {
			c.cache[id] = ct.Email
		}
	}
	return nil
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
		ids := make([]int64, len(page.Orders))
		for i, o := range page.Orders {
			ids[i] = o.ContactID
		}
		if err := names.load(ids); err != nil {
			s.serverError(w, r, err)
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
	proofs, err := s.orders.Proofs(ctx, id)
	if err != nil {
		return admin.OrderView{}, err
	}
	v.Proofs = adminProofRows(proofs, names)
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
	lang := s.schoolLang(ctx)
	for _, e := range events {
		name := systems[e.PaymentSystemID].Name
		if name == "" {
			name = "payment system #" + itoa(e.PaymentSystemID)
		}
		v.GatewayEvents = append(v.GatewayEvents, admin.GatewayEventRow{ID: e.ID,
			At: e.ReceivedAt.UTC().Format(timeFormat), System: name, EventID: e.EventID, Type: e.Type,
			Kind: string(e.Kind), Result: e.Result, Body: prettyBody(e.Body), Recheck: strings.HasPrefix(e.EventID, "status:")})
		replayRow(&v.GatewayEvents[len(v.GatewayEvents)-1], id, e, lang)
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
