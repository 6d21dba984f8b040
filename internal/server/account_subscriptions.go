package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/bursar/bursar/internal/account"
	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/i18n"
	"github.com/bursar/bursar/internal/subscription"
	"github.com/bursar/bursar/templates/public"
)

// The student's subscriptions in the cabinet (issue 15, self-service): the list with the next charge and the past
// charges, cancel at the period's end and its undo (subscription.Service.Act with the student as the payer: another
// payer's subscription is not found), and the gateway's page to change the card (Service.ManageURL). A subscription
// Bursar charges on its own schedule (subscription.OwnSchedule: WayForPay, Fondy) has no card page; when past due,
// its payer pays the charge due on the gateway's page instead (Service.PayNow), with another card if they like. The
// gateway not answering is a retry page (503) that posts the same action again. The forms are plain POST forms,
// protected like every student form by the router's cross-origin protection.

const subscriptionsPath = "/account/subscriptions"

// subscriptionStatusText is a subscription's status in lang.
func subscriptionStatusText(lang string, st subscription.Status) string {
	k := map[subscription.Status]i18n.Key{subscription.StatusPending: i18n.SubPending,
		subscription.StatusTrialing: i18n.SubTrialing, subscription.StatusActive: i18n.SubActive,
		subscription.StatusPastDue: i18n.SubPastDue, subscription.StatusPaused: i18n.SubPaused,
		subscription.StatusCancelled: i18n.SubCancelled, subscription.StatusEnded: i18n.SubEnded}[st]
	if k == "" {
		return string(st)
	}
	return i18n.T(lang, k)
}

// ownSchedule reports whether Bursar charges the subscriptions of payment system id on its own schedule
// (subscription.OwnSchedule).
func (s *Server) ownSchedule(ctx context.Context, id int64) (bool, error) {
	sys, err := s.systems.Get(ctx, id)
	if err != nil {
		return false, fmt.Errorf("payment system of a subscription: %w", err)
	}
	return subscription.OwnSchedule(sys), nil
}

// cabinetSubscriptionView is d as the cabinet shows it in lang; orders maps the student's order ids to their
// numbers, for the charges' links. own: Bursar charges it on its own schedule (no card page; Pay now when past due).
func cabinetSubscriptionView(d subscription.Detail, lang string, loc *time.Location, orders map[int64]string,
	own bool) public.CabinetSubscription {
	date := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return i18n.LongDate(lang, t.In(loc))
	}
	id := strconv.FormatInt(d.ID, 10)
	next, retry := d.Upcoming(own)
	v := public.CabinetSubscription{ID: id, Number: d.Number, Offer: d.OfferTitle,
		Status: subscriptionStatusText(lang, d.Status), State: string(d.Status),
		Price:      d.Price.Format(lang) + " " + recurringPeriod(lang, d.Interval, d.IntervalCount),
		NextCharge: date(next), AccessUntil: date(d.AccessUntil()),
		PastDue: d.Status == subscription.StatusPastDue, UpdateURL: d.UpdateURL, OwnSchedule: own}
	if retry != nil {
		v.RetryOn = i18n.F(lang, i18n.SubRetryOn, date(retry))
	}
	live := d.Status.Live()
	if live && d.CancelAtPeriodEnd && d.CurrentPeriodEnd != nil {
		v.EndsOn = i18n.F(lang, i18n.SubEndsOn, date(d.CurrentPeriodEnd))
	}
	base := subscriptionsPath + "/" + id
	if live {
		if d.CancelAtPeriodEnd {
			v.KeepURL = base + "/keep"
		} else {
			v.CancelURL = base + "/cancel"
		}
		if !own {
			v.CardURL = base + "/card"
		}
	}
	if own {
		// The past-due e-mail's link leads here: the page is where such a payer pays.
		v.UpdateURL = ""
		if v.PastDue {
			v.PayURL = base + "/pay"
		}
	}
	for _, c := range d.ChargeList {
		ch := public.CabinetCharge{Date: i18n.LongDate(lang, c.ChargedAt.In(loc)), Amount: c.Amount.Format(lang),
			State: c.Status, Status: i18n.T(lang, i18n.SubChargeFailed)}
		if c.Status == subscription.ChargePaid {
			ch.Status = i18n.T(lang, i18n.SubChargePaid)
		}
		if num, ok := orders[c.OrderID]; ok && c.OrderID != 0 {
			ch.Order, ch.OrderURL = num, "/account/orders/"+url.PathEscape(num)+"?lang="+lang
		}
		v.Charges = append(v.Charges, ch)
	}
	return v
}

// studentOrderNumbers maps the student's order ids to their numbers.
func (s *Server) studentOrderNumbers(r *http.Request, contactID int64) (map[int64]string, error) {
	os, err := s.orders.ForContact(r.Context(), contactID)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]string, len(os))
	for _, o := range os {
		out[o.ID] = o.Number
	}
	return out, nil
}

// accountSubscriptions is GET /account/subscriptions: the student's subscriptions, in ?lang=, else in the language
// of their newest subscription.
func (s *Server) accountSubscriptions(w http.ResponseWriter, r *http.Request) {
	st, ok := s.requireStudent(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	subs, err := s.subscriptions.ForContact(ctx, st.ContactID)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	orders, err := s.studentOrderNumbers(r, st.ContactID)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	fallback := "en"
	if len(subs) > 0 {
		fallback = subs[0].Language
	}
	lang := pageLang(r, fallback)
	loc := s.schoolLocation(ctx)
	v := public.Subscriptions{Lang: lang, Student: public.Student{Email: st.Email},
		Flash: s.sessions.PopString(ctx, sessionFlash)}
	for _, d := range subs {
		own, err := s.ownSchedule(ctx, d.PaymentSystemID)
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		v.Subscriptions = append(v.Subscriptions, cabinetSubscriptionView(d, lang, loc, orders, own))
	}
	for _, l := range i18n.Languages {
		v.Languages = append(v.Languages, public.LangLink{Lang: l, Name: cabinetLanguages[l],
			URL: subscriptionsPath + "?lang=" + l, Current: l == lang})
	}
	s.render(w, r, http.StatusOK, public.SubscriptionsPage(v))
}

// subscriptionActor is the signed-in student posting to subscription {id}: ok false when the answer is written
// (sign-in, or not found for a malformed id).
func (s *Server) subscriptionActor(w http.ResponseWriter, r *http.Request) (account.Account, int64, string, bool) {
	lang := pageLang(r, "en")
	st, ok, err := s.student(r)
	if err != nil {
		s.serverError(w, r, err)
		return st, 0, lang, false
	}
	if !ok {
		http.Redirect(w, r, loginURL(lang, subscriptionsPath+"?lang="+lang, ""), http.StatusSeeOther)
		return st, 0, lang, false
	}
	w.Header().Set("Cache-Control", "no-store")
	id, err := pathID(r, "id")
	if err != nil {
		s.notFound(w, r)
		return st, 0, lang, false
	}
	return st, id, lang, true
}

// accountSubscriptionCancel is POST /account/subscriptions/{id}/cancel: no charge after the current period.
func (s *Server) accountSubscriptionCancel(w http.ResponseWriter, r *http.Request) {
	s.subscriptionAct(w, r, gateway.ActionCancelAtPeriodEnd, i18n.SubCancelledFlash)
}

// accountSubscriptionKeep is POST /account/subscriptions/{id}/keep: takes the cancellation back.
func (s *Server) accountSubscriptionKeep(w http.ResponseWriter, r *http.Request) {
	s.subscriptionAct(w, r, gateway.ActionUndoCancel, i18n.SubKeptFlash)
}

func (s *Server) subscriptionAct(w http.ResponseWriter, r *http.Request, kind string, done i18n.Key) {
	st, id, lang, ok := s.subscriptionActor(w, r)
	if !ok {
		return
	}
	_, err := s.subscriptions.Act(studentActor(r.Context(), st.Email), id, subscription.Action{Kind: kind,
		ContactID: st.ContactID, Note: "asked in the student's cabinet"})
	if err == nil {
		s.flash(r, i18n.T(lang, done))
		http.Redirect(w, r, subscriptionsPath+"?lang="+lang, http.StatusSeeOther)
		return
	}
	s.subscriptionFailed(w, r, st, lang, err, i18n.SubActionDown)
}

// accountSubscriptionCard is POST /account/subscriptions/{id}/card: the gateway's page where the student changes
// the card (a Stripe billing portal session), returning to the subscriptions page.
func (s *Server) accountSubscriptionCard(w http.ResponseWriter, r *http.Request) {
	st, id, lang, ok := s.subscriptionActor(w, r)
	if !ok {
		return
	}
	u, err := s.subscriptions.ManageURL(studentActor(r.Context(), st.Email), id, st.ContactID,
		s.cfg.BaseURL+subscriptionsPath+"?lang="+lang)
	if err == nil {
		http.Redirect(w, r, u, http.StatusSeeOther)
		return
	}
	s.subscriptionFailed(w, r, st, lang, err, i18n.SubPortalDown)
}

// accountSubscriptionPay is POST /account/subscriptions/{id}/pay: the gateway's page where the payer of a past-due
// subscription Bursar charges on its own schedule pays the charge due (subscription.Service.PayNow), by a redirect
// or the gateway's form; back to the subscriptions page either way. Nothing due (paid meanwhile, or a subscription
// the gateway schedules), or a charge being made right now, is said on the list.
func (s *Server) accountSubscriptionPay(w http.ResponseWriter, r *http.Request) {
	st, id, lang, ok := s.subscriptionActor(w, r)
	if !ok {
		return
	}
	back := s.cfg.BaseURL + subscriptionsPath + "?lang=" + lang
	red, err := s.subscriptions.PayNow(studentActor(r.Context(), st.Email), id, st.ContactID, back, back)
	switch {
	case err == nil && red.Form != nil:
		s.render(w, r, http.StatusOK, public.GatewayFormPage(public.GatewayForm{Lang: lang, Action: red.Form.Action,
			Fields: red.Form.Fields}))
	case err == nil && red.URL != "":
		http.Redirect(w, r, red.URL, http.StatusSeeOther)
	case err == nil:
		s.subscriptionFailed(w, r, st, lang, errors.New("pay now: the gateway gave no page"), i18n.SubPortalDown)
	case errors.Is(err, subscription.ErrNothingDue):
		msg := i18n.SubNothingDue
		if _, busy := check.AsState(err); busy {
			msg = i18n.SubPayBusy // the charge job is charging the card right now
		}
		s.flash(r, i18n.T(lang, msg))
		http.Redirect(w, r, subscriptionsPath+"?lang="+lang, http.StatusSeeOther)
	default:
		s.subscriptionFailed(w, r, st, lang, err, i18n.SubPortalDown)
	}
}

// subscriptionFailed answers a subscription action that failed: another payer's (or no) subscription is not found;
// one no longer live, or an action its gateway cannot do, is said on the list; the gateway not answering is the
// retry page (503) with down as its text.
func (s *Server) subscriptionFailed(w http.ResponseWriter, r *http.Request, st account.Account, lang string,
	err error, down i18n.Key) {
	back := subscriptionsPath + "?lang=" + lang
	_, fields := check.AsErrors(err)
	switch {
	case errors.Is(err, check.ErrNotFound):
		s.notFound(w, r)
		return
	case errors.Is(err, subscription.ErrNotLive):
		s.flash(r, i18n.T(lang, i18n.SubNotLive))
		http.Redirect(w, r, back, http.StatusSeeOther)
		return
	case errors.Is(err, gateway.ErrUnsupported) || fields:
		s.log.Warn("subscription action refused", "path", r.URL.Path, "err", err)
		s.flash(r, i18n.T(lang, i18n.SubNotSupported))
		http.Redirect(w, r, back, http.StatusSeeOther)
		return
	case errors.Is(err, gateway.ErrUnavailable):
		s.log.Warn("subscription action: gateway unavailable", "path", r.URL.Path, "err", err)
	default:
		s.log.Error("subscription action failed", "path", r.URL.Path, "err", err)
	}
	w.Header().Set("Retry-After", "60")
	s.render(w, r, http.StatusServiceUnavailable, public.SubscriptionRetryPage(public.SubscriptionRetry{Lang: lang,
		Student: public.Student{Email: st.Email}, Body: i18n.T(lang, down), Action: r.URL.Path, BackURL: back}))
}
