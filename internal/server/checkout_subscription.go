package server

import (
	"cmp"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/bursar/bursar/internal/account"
	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/i18n"
	"github.com/bursar/bursar/internal/offer"
	"github.com/bursar/bursar/internal/subscription"
	"github.com/bursar/bursar/templates/public"
)

// A recurring offer (offer.Subscribed) is sold as a subscription the gateway charges each period (issue 15). Its pay
// route is the one-time checkout's (GET and POST /o/{slug}/pay?system={id}) with these steps: the page shows the
// period and the promises with a Subscribe button; the button starts the subscription (subscription.Service.Start)
// and sends the payer to the gateway; the gateway sends them back to /o/{slug}/subscribed, which promises nothing:
// only the gateway's notification activates the subscription. A subscription belongs to an account (the payer
// manages it in the cabinet), so visitors sign up or sign in first, even on offers that allow guest checkout.

// subscribable reports whether p can be subscribed to through sys: a type that charges on schedule, in a currency
// sys takes.
func subscribable(p offer.Page, sys gateway.System) bool {
	return canSubscribe(sys) && sys.TransactionCurrency(p.Currency) != ""
}

// subscribeStart is GET /o/{slug}/pay?system={id} for a recurring offer: the Subscribe page for a signed-in student,
// the sign-up page (with its sign-in link) for a visitor.
func (s *Server) subscribeStart(w http.ResponseWriter, r *http.Request, p offer.Page, sys gateway.System) {
	if !subscribable(p, sys) {
		s.notAvailable(w, r, p, sys)
		return
	}
	st, ok := s.studentOrSignUp(w, r, p, sys)
	if !ok {
		return
	}
	s.render(w, r, http.StatusOK, public.GatewayPayPage(subscribeView(p, sys, st)))
}

func subscribeView(p offer.Page, sys gateway.System, st account.Account) public.GatewayPay {
	v := gatewayPayView(p, sys, st)
	v.Subscription, v.Period, v.Terms = true, offerPeriod(p.Language, p.Offer), subscriptionTerms(p.Offer)
	return v
}

// subscribeSubmit is POST /o/{slug}/pay?system={id} for a recurring offer: starts the signed-in student's
// subscription (a pending one, the gateway's checkout) and sends them to the gateway. A second click while the
// first subscription is pending lands on the same checkout (Start reuses it). The gateway not answering is the
// retry page (503); an offer or system that changed meanwhile says the way to pay is not available; other field
// errors are listed on the Subscribe page.
func (s *Server) subscribeSubmit(w http.ResponseWriter, r *http.Request, p offer.Page, sys gateway.System) {
	if !subscribable(p, sys) {
		s.notAvailable(w, r, p, sys)
		return
	}
	st, ok, err := s.payer(r)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if !ok {
		http.Redirect(w, r, checkoutURL(p, sys.ID), http.StatusSeeOther)
		return
	}
	base := s.cfg.BaseURL + "/o/" + url.PathEscape(p.Slug)
	sysID := strconv.FormatInt(sys.ID, 10)
	started, err := s.subscriptions.Start(studentActor(r.Context(), st.Email), subscription.Start{OfferID: p.ID,
		SystemID: sys.ID, ContactID: st.ContactID, Language: p.Language,
		SuccessURL: base + "/subscribed?system=" + sysID, CancelURL: base + "/cancelled?system=" + sysID})
	if err != nil && (started.Redirect.URL != "" || started.Redirect.Form != nil) {
		// The gateway's checkout exists; only recording its reference failed (its notification still names the
		// subscription by id): never strand the payer.
		s.log.Error("record subscription checkout", "subscription", started.Subscription.Number, "err", err)
		err = nil
	}
	switch e, fields := check.AsErrors(err); {
	case err == nil:
	case errors.Is(err, check.ErrNotFound):
		s.notFound(w, r)
		return
	case errors.Is(err, gateway.ErrUnsupported):
		s.notAvailable(w, r, p, sys)
		return
	case fields:
		if strings.HasPrefix(e["offer_id"], subscription.MsgAlreadySubscribed) {
			// Subscribed already (a second tab, an old link): the subscription is in the cabinet.
			s.flash(r, i18n.T(p.Language, i18n.SubAlready))
			http.Redirect(w, r, subscriptionsPath+"?lang="+p.Language, http.StatusSeeOther)
			return
		}
		_, badOffer := e["offer_id"]
		if _, badSystem := e["payment_system_id"]; badOffer || badSystem {
			s.log.Warn("subscription checkout refused", "offer_id", p.ID, "payment_system_id", sys.ID, "err", err)
			s.notAvailable(w, r, p, sys)
			return
		}
		v := subscribeView(p, sys, st)
		for _, msg := range fieldMessages(p.Language, e) {
			v.Errors = append(v.Errors, msg)
		}
		s.render(w, r, http.StatusUnprocessableEntity, public.GatewayPayPage(v))
		return
	default:
		// The pending subscription is written before the gateway is called: what failed is the gateway (down, or
		// refusing a configuration the admin must fix). Nothing was charged; the payer may try again.
		level := s.log.Warn
		if !errors.Is(err, gateway.ErrUnavailable) {
			level = s.log.Error
		}
		level("subscription checkout failed", "offer_id", p.ID, "payment_system_id", sys.ID, "err", err)
		s.gatewayDown(w, r, p, sys)
		return
	}
	red := started.Redirect
	if red.Form != nil {
		s.render(w, r, http.StatusOK, public.GatewayFormPage(public.GatewayForm{Lang: p.Language,
			Action: red.Form.Action, Fields: red.Form.Fields}))
		return
	}
	http.Redirect(w, r, red.URL, http.StatusSeeOther)
}

// checkoutSubscribed is GET /o/{slug}/subscribed?system={id}: where the gateway sends the subscriber back. The
// redirect proves nothing, so the page only says the subscription is being confirmed with the gateway and shows in
// the cabinet once its notification arrives.
func (s *Server) checkoutSubscribed(w http.ResponseWriter, r *http.Request) {
	p, err := s.published.PublishedPage(r.Context(), chiURLParam(r, "slug"))
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	lang := p.Language
	id, err := strconv.ParseInt(r.URL.Query().Get("system"), 10, 64)
	if err != nil || !slices.Contains(p.PaymentSystemIDs, id) {
		s.notFound(w, r)
		return
	}
	sys, err := s.systems.Get(r.Context(), id)
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	name := sys.Name
	if spec, ok := gateway.Spec(sys.Type); ok {
		name = cmp.Or(spec.Label, sys.Name)
	}
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, r, http.StatusOK, public.GatewayReturnPage(public.GatewayReturn{Lang: lang,
		Title: i18n.T(lang, i18n.SubConfirmTitle), Body: i18n.F(lang, i18n.SubConfirmBody, name),
		TestID: "subscription-confirming", Message: p.SuccessMessage, ContinueURL: p.SuccessURL,
		BackURL: "/account/subscriptions?lang=" + lang, BackText: i18n.T(lang, i18n.MySubscriptions),
		Contact: schoolContact(p)}))
}
