package server

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/offer"
	"github.com/bursar/bursar/internal/subscription"
	"github.com/bursar/bursar/templates/admin"
)

// The Subscriptions screens: the list (filters, keyset pages, CSV) and a subscription's page (payer, offer,
// system, periods, charges, timeline) with its actions: cancel now or at the period's end, undo, pause, resume,
// change plan. Every change goes through internal/subscription's Act, as the API's.

func subscriptionURL(id int64) string { return "/admin/subscriptions/" + itoa(id) }

// subscriptionFilter reads the filters the list, its CSV export and the API share: status, offer_id, contact_id,
// payment_system_id and q. Bad values are added to e.
func subscriptionFilter(r *http.Request, e check.Errors) subscription.Filter {
	q := r.URL.Query()
	f := subscription.Filter{Status: subscription.Status(q.Get("status")), OfferID: queryID(r, "offer_id", e),
		ContactID: queryID(r, "contact_id", e), PaymentSystemID: queryID(r, "payment_system_id", e),
		Query: strings.TrimSpace(q.Get("q"))}
	if f.Status != "" && !slices.Contains(subscription.Statuses, f.Status) {
		e.Add("status", "must be one of "+joinStatuses(subscription.Statuses))
	}
	if len([]rune(f.Query)) > 200 {
		e.Add("q", "must be at most 200 characters")
	}
	return f
}

// subscriptionActError is Act's error as a person reads it: a subscription no longer live, or an action the
// gateway cannot do (Act says which and why), is a conflict saying so; the rest as they are.
func subscriptionActError(err error) error {
	if _, ok := check.AsState(err); ok || err == nil {
		return err
	}
	switch {
	case errors.Is(err, subscription.ErrNotLive):
		return check.Conflictf(subscription.ErrNotLive, "This subscription is no longer live (pending, cancelled or "+
			"ended): nothing can be changed.")
	case errors.Is(err, gateway.ErrUnsupported):
		msg := err.Error()
		if inner := errors.Unwrap(err); inner != nil {
			msg = strings.TrimSuffix(msg, ": "+inner.Error())
		}
		return check.Conflictf(gateway.ErrUnsupported, "%s. Nothing changed.", msg)
	}
	return err
}

// recurringOffers are the recurring offers as choices: every one (the list's filter), or the published ones a
// subscription of sub can move to (the same payment system and currency, not its own).
func (s *Server) recurringOffers(ctx context.Context, sub *subscription.Subscription) ([]admin.Option, error) {
	list, err := s.offers.Offers(ctx, offer.Filter{Limit: offer.MaxList})
	if err != nil {
		return nil, err
	}
	var out []admin.Option
	for _, o := range list {
		if !offer.Subscribed(o.Kind) {
			continue
		}
		if sub != nil && (o.Status != offer.StatusPublished || o.ID == sub.OfferID ||
			o.Currency != sub.Price.Currency || !slices.Contains(o.PaymentSystemIDs, sub.PaymentSystemID)) {
			continue
		}
		label := o.Title + " (" + o.Price().Format("en") + " " + offerEvery(o) + ")"
		if sub == nil && o.Status != offer.StatusPublished {
			label += " — " + o.Status
		}
		out = append(out, admin.Option{Value: itoa(o.ID), Label: label})
	}
	return out, nil
}

// offerEvery is a recurring offer's period in words: "per month", "every 3 months", "every 10 days".
func offerEvery(o offer.Offer) string {
	return everyInterval(o.Interval, o.IntervalCount, o.IntervalDays)
}

func everyInterval(unit string, count, days int) string {
	if unit == offer.IntervalCustom || unit == gateway.IntervalDay {
		if days == 0 {
			days = count
		}
		unit, count = "day", days
	}
	if count <= 1 {
		return "per " + unit
	}
	return "every " + strconv.Itoa(count) + " " + unit + "s"
}

// subscriptionSystems are the payment systems that charge on schedule, as the list's filter choices.
func (s *Server) subscriptionSystems(ctx context.Context) ([]admin.Option, error) {
	list, err := s.paymentSystems.List(ctx, 0, 1000)
	if err != nil {
		return nil, err
	}
	var out []admin.Option
	for _, ps := range list {
		if ps.Can(gateway.Recurring) {
			out = append(out, admin.Option{Value: itoa(ps.ID), Label: ps.Name})
		}
	}
	return out, nil
}

func (s *Server) adminSubscriptions(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	errs := check.Errors{}
	f := subscriptionFilter(r, errs)
	v := admin.SubscriptionList{Page: s.adminPage(r, "Subscriptions", "subscriptions"),
		Filter: admin.SubscriptionFilter{Status: q.Get("status"), OfferID: q.Get("offer_id"),
			ContactID: q.Get("contact_id"), SystemID: q.Get("payment_system_id"), Query: f.Query},
		Errors: errs, CSVURL: csvURL("/admin/subscriptions.csv", r)}
	for _, st := range subscription.Statuses {
		v.Statuses = append(v.Statuses, string(st))
	}
	var err error
	if v.Offers, err = s.recurringOffers(ctx, nil); err != nil {
		s.serverError(w, r, err)
		return
	}
	if v.Systems, err = s.subscriptionSystems(ctx); err != nil {
		s.serverError(w, r, err)
		return
	}
	if len(errs) > 0 {
		s.render(w, r, http.StatusUnprocessableEntity, admin.SubscriptionsPage(v))
		return
	}
	f.AfterID, f.Limit = parseID(q.Get("before")), ordersPageSize
	page, err := s.subscriptions.List(ctx, f)
	if e, ok := check.AsErrors(err); ok {
		v.Errors = e
		s.render(w, r, http.StatusUnprocessableEntity, admin.SubscriptionsPage(v))
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if v.Rows, err = s.subscriptionRows(ctx, page.Subscriptions); err != nil {
		s.serverError(w, r, err)
		return
	}
	if page.NextAfter != 0 {
		nq := r.URL.Query()
		nq.Set("before", itoa(page.NextAfter))
		v.NextURL = "/admin/subscriptions?" + nq.Encode()
	}
	s.render(w, r, http.StatusOK, admin.SubscriptionsPage(v))
}

// subscriptionRows are list rows of subs, their payers and systems named.
func (s *Server) subscriptionRows(ctx context.Context, subs []subscription.Subscription) ([]admin.SubscriptionRow, error) {
	names := &contactEmails{s: s, ctx: ctx, cache: map[int64]string{}}
	ids := make([]int64, 0, len(subs))
	for _, sub := range subs {
		ids = append(ids, sub.ContactID)
	}
	if err := names.load(ids); err != nil {
		return nil, err
	}
	systems := map[int64]gateway.System{}
	rows := make([]admin.SubscriptionRow, 0, len(subs))
	for _, sub := range subs {
		sys, ok := systems[sub.PaymentSystemID]
		if !ok {
			sys = s.subscriptionSystem(ctx, sub.PaymentSystemID)
			systems[sub.PaymentSystemID] = sys
		}
		next, _ := sub.Upcoming(subscription.OwnSchedule(sys))
		rows = append(rows, admin.SubscriptionRow{ID: sub.ID, Number: sub.Number, Status: string(sub.Status),
			ContactID: sub.ContactID, Contact: names.of(sub.ContactID), OfferID: sub.OfferID, Offer: sub.OfferTitle,
			System: sys.Name, Price: subscriptionPrice(sub),
			NextCharge: dateOrNone(next), AccessUntil: dateOrNone(sub.AccessUntil()),
			Cancelling: sub.CancelAtPeriodEnd && sub.Status.Live()})
	}
	return rows, nil
}

// subscriptionSystem is payment system id, or one named "payment system #id" of no type when it cannot be read.
func (s *Server) subscriptionSystem(ctx context.Context, id int64) gateway.System {
	if sys, err := s.systems.Get(ctx, id); err == nil {
		return sys
	}
	return gateway.System{ID: id, Name: "payment system #" + itoa(id)}
}

// subscriptionPrice is what a subscription costs, in words: "€49.00 per month".
func subscriptionPrice(sub subscription.Subscription) string {
	return sub.Price.Format("en") + " " + everyInterval(sub.Interval, sub.IntervalCount, sub.IntervalCount)
}

func dateOrNone(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.DateOnly)
}

// adminSubscriptionsCSV is GET /admin/subscriptions.csv: the filtered list, every page, as CSV
// (subscription.Service.WriteCSV).
func (s *Server) adminSubscriptionsCSV(w http.ResponseWriter, r *http.Request) {
	errs := check.Errors{}
	f := subscriptionFilter(r, errs)
	if len(errs) > 0 {
		s.htmlError(w, r, errs)
		return
	}
	s.writeSubscriptionsCSV(w, r, f, s.htmlError)
}

// writeSubscriptionsCSV writes the subscriptions under f as a CSV download; a failure before the first byte is
// answered by fail.
func (s *Server) writeSubscriptionsCSV(w http.ResponseWriter, r *http.Request, f subscription.Filter,
	fail func(http.ResponseWriter, *http.Request, error)) {
	cw := &lazyCSV{w: w, name: "subscriptions-" + s.now().UTC().Format(time.DateOnly) + ".csv"}
	if err := s.subscriptions.WriteCSV(r.Context(), cw, f); err != nil {
		if !cw.started {
			fail(w, r, err)
			return
		}
		s.log.Error("subscriptions export", "err", err)
	}
	cw.start()
}

// lazyCSV sets the CSV download's headers on the first write, so an error before it is still answered properly.
type lazyCSV struct {
	w       http.ResponseWriter
	name    string
	started bool
}

func (c *lazyCSV) start() {
	if c.started {
		return
	}
	c.started = true
	c.w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	c.w.Header().Set("Content-Disposition", `attachment; filename="`+c.name+`"`)
}

func (c *lazyCSV) Write(p []byte) (int, error) {
	c.start()
	return c.w.Write(p)
}

// adminSubscription is a subscription's page.
func (s *Server) adminSubscription(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	s.renderSubscription(w, r, id, http.StatusOK, nil)
}

// renderSubscription shows subscription id's page with status; adjust fills in what a failed form needs to show.
func (s *Server) renderSubscription(w http.ResponseWriter, r *http.Request, id int64, status int,
	adjust func(*admin.SubscriptionView)) {
	v, err := s.subscriptionView(r, id)
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	if adjust != nil {
		adjust(&v)
	}
	s.render(w, r, status, admin.SubscriptionPage(v))
}

func (s *Server) subscriptionView(r *http.Request, id int64) (admin.SubscriptionView, error) {
	ctx := r.Context()
	d, err := s.subscriptions.Detail(ctx, id)
	if err != nil {
		return admin.SubscriptionView{}, err
	}
	sub := d.Subscription
	people, err := s.contacts.ContactsByID(ctx, []int64{sub.ContactID})
	if err != nil {
		return admin.SubscriptionView{}, err
	}
	payer := admin.Person{ID: sub.ContactID, Email: "contact #" + itoa(sub.ContactID)}
	if c, ok := people[sub.ContactID]; ok {
		payer.Email, payer.Name = c.Email, c.Name
	}
	st := sub.Status
	live := st.Live()
	sys := s.subscriptionSystem(ctx, sub.PaymentSystemID)
	own := subscription.OwnSchedule(sys)
	next, retry := sub.Upcoming(own)
	v := admin.SubscriptionView{Page: s.adminPage(r, "Subscription "+sub.Number, "subscriptions"), ID: sub.ID,
		Number: sub.Number, Status: string(st), Contact: payer, OfferID: sub.OfferID, Offer: sub.OfferTitle,
		SystemID: sub.PaymentSystemID, System: sys.Name, Unoffered: subscription.Unoffered(sys),
		Price: subscriptionPrice(sub), GraceDays: sub.GraceDays, Language: sub.Language,
		PeriodStart: dateOrNone(sub.CurrentPeriodStart), PeriodEnd: dateOrNone(sub.CurrentPeriodEnd),
		TrialEnd: dateOrNone(sub.TrialEnd), NextCharge: dateOrNone(next),
		PaidThrough: dateOrNone(sub.PaidThrough), AccessUntil: dateOrNone(sub.AccessUntil()),
		CancelAtPeriodEnd: sub.CancelAtPeriodEnd, Cancelled: timeOrEmpty(sub.CancelledAt),
		Ended: timeOrEmpty(sub.EndedAt), GatewayRef: sub.GatewayRef, CustomerRef: sub.CustomerRef,
		CheckoutRef: sub.CheckoutRef, UpdateURL: sub.UpdateURL, Charges: sub.Charges,
		OwnSchedule: own, Schedule: "Charged by " + sys.Name, CardSaved: sub.CardSaved, Retry: timeOrEmpty(retry),
		Retries:   sub.Retries,
		Created:   sub.CreatedAt.UTC().Format(timeFormat),
		CanCancel: live,
		CanCancelAtEnd: live && !sub.CancelAtPeriodEnd && st != subscription.StatusPaused &&
			subscription.Offered(sys, gateway.ActionCancelAtPeriodEnd),
		CanUndoCancel: live && sub.CancelAtPeriodEnd && subscription.Offered(sys, gateway.ActionUndoCancel),
		CanPause:      st == subscription.StatusActive || st == subscription.StatusTrialing,
		CanResume:     st == subscription.StatusPaused,
		Errors:        map[string]string{}}
	if own {
		v.Schedule = "Charged by Bursar on schedule (saved card)"
	}
	if sub.MaxCharges > 0 {
		v.MaxCharges = strconv.Itoa(sub.MaxCharges)
	}
	if live {
		if v.Plans, err = s.recurringOffers(ctx, &sub); err != nil {
			return v, err
		}
		v.CanChangePlan = st != subscription.StatusPaused && subscription.Offered(sys, gateway.ActionChangePlan)
	}
	for _, c := range d.ChargeList {
		v.ChargeRows = append(v.ChargeRows, admin.SubscriptionChargeRow{ID: c.ID, Status: c.Status,
			Amount: c.Amount.Format("en"), OrderID: c.OrderID, Ref: c.Ref, PeriodStart: dateOrNone(c.PeriodStart),
			PeriodEnd: dateOrNone(c.PeriodEnd), At: c.ChargedAt.UTC().Format(timeFormat)})
	}
	for _, e := range d.Events {
		v.Events = append(v.Events, admin.EventRow{At: e.CreatedAt.UTC().Format(timeFormat), Kind: e.Kind,
			Message: e.Message})
	}
	return v, nil
}

// The actions, each a POST form: the one use case (Act) with the action's kind.

func (s *Server) adminSubscriptionCancel(w http.ResponseWriter, r *http.Request) {
	s.adminSubscriptionAct(w, r, "cancel", func() (subscription.Action, string, error) {
		if r.PostFormValue("confirm") != "yes" {
			return subscription.Action{}, "", check.Field("confirm", "tick the box to confirm cancelling now")
		}
		return subscription.Action{Kind: gateway.ActionCancelNow},
			"Subscription cancelled: no more charges; access lasts until the paid period ends.", nil
	})
}

func (s *Server) adminSubscriptionCancelAtEnd(w http.ResponseWriter, r *http.Request) {
	s.adminSubscriptionAct(w, r, "", func() (subscription.Action, string, error) {
		return subscription.Action{Kind: gateway.ActionCancelAtPeriodEnd},
			"The subscription ends at the end of the current period: no further charge.", nil
	})
}

func (s *Server) adminSubscriptionUndoCancel(w http.ResponseWriter, r *http.Request) {
	s.adminSubscriptionAct(w, r, "", func() (subscription.Action, string, error) {
		return subscription.Action{Kind: gateway.ActionUndoCancel}, "The subscription goes on: the cancellation is undone.", nil
	})
}

func (s *Server) adminSubscriptionPause(w http.ResponseWriter, r *http.Request) {
	s.adminSubscriptionAct(w, r, "", func() (subscription.Action, string, error) {
		return subscription.Action{Kind: gateway.ActionPause}, "Subscription paused: no charges until resumed.", nil
	})
}

func (s *Server) adminSubscriptionResume(w http.ResponseWriter, r *http.Request) {
	s.adminSubscriptionAct(w, r, "", func() (subscription.Action, string, error) {
		return subscription.Action{Kind: gateway.ActionResume}, "Subscription resumed.", nil
	})
}

func (s *Server) adminSubscriptionChangePlan(w http.ResponseWriter, r *http.Request) {
	s.adminSubscriptionAct(w, r, "change-plan", func() (subscription.Action, string, error) {
		id, err := strconv.ParseInt(r.PostFormValue("offer_id"), 10, 64)
		if err != nil || id <= 0 {
			return subscription.Action{}, "", check.Field("offer_id", "choose the offer to move to")
		}
		return subscription.Action{Kind: gateway.ActionChangePlan, OfferID: id},
			"Plan changed: the payment system charges the prorated difference, or, when Bursar charges the saved " +
				"card, the new price applies from the next charge.", nil
	})
}

// adminSubscriptionAct runs the action read asks for on the subscription of the path and goes back to its page
// with the message, or with why it could not (a conflict's message: not live any more, or the gateway cannot).
// Bad input shows the page again with the messages on form's fields.
func (s *Server) adminSubscriptionAct(w http.ResponseWriter, r *http.Request, form string,
	read func() (subscription.Action, string, error)) {
	id, err := pathID(r, "id")
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	a, done, err := read()
	if err == nil {
		a.Note = strings.TrimSpace(r.PostFormValue("note"))
		_, err = s.subscriptions.Act(r.Context(), id, a)
		err = subscriptionActError(err)
	}
	if e, ok := check.AsErrors(err); ok {
		s.renderSubscription(w, r, id, http.StatusUnprocessableEntity, func(v *admin.SubscriptionView) {
			v.Errors, v.Form = e, form
			if form == "" {
				v.Form = "action"
			}
		})
		return
	}
	if errors.Is(err, gateway.ErrUnavailable) {
		s.flash(r, "The payment system could not be reached; nothing changed. Try again in a few minutes.")
		http.Redirect(w, r, subscriptionURL(id), http.StatusSeeOther)
		return
	}
	if !s.flashOutcome(w, r, done, err) {
		return
	}
	http.Redirect(w, r, subscriptionURL(id), http.StatusSeeOther)
}

// contactSubscriptions are the subscriptions contact id pays, newest first, as list rows.
func (s *Server) contactSubscriptions(ctx context.Context, id int64) ([]admin.SubscriptionRow, error) {
	page, err := s.subscriptions.List(ctx, subscription.Filter{ContactID: id, Limit: 100})
	if err != nil {
		return nil, err
	}
	return s.subscriptionRows(ctx, page.Subscriptions)
}
