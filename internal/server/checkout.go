package server

import (
	"errors"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/bursar/bursar/internal/account"
	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/i18n"
	"github.com/bursar/bursar/internal/offer"
	"github.com/bursar/bursar/internal/order"
	"github.com/bursar/bursar/templates/public"
)

// maxComment bounds the payer's comment on a manual payment.
const maxComment = 1000

// checkoutTarget is the published offer of the URL and the enabled payment system ?system= names, which the offer
// must list; anything else, or an offer of a kind that cannot be sold yet (offer.Sold), is not found. An offer sold
// by enrollment (offer.Enrolled) is never paid at once: a field error (422) that says so. A recurring offer
// (offer.Subscribed) is subscribed to (checkout_subscription.go).
func (s *Server) checkoutTarget(r *http.Request) (offer.Page, gateway.System, error) {
	p, err := s.published.PublishedPage(r.Context(), chiURLParam(r, "slug"))
	if err != nil {
		return offer.Page{}, gateway.System{}, err
	}
	if !offer.Sold(p.Kind) {
		return offer.Page{}, gateway.System{}, check.ErrNotFound
	}
	if offer.Enrolled(p.Kind) {
		return p, gateway.System{}, check.Field("offer_id", offer.EnrolledMessage)
	}
	id, err := strconv.ParseInt(r.URL.Query().Get("system"), 10, 64)
	if err != nil || id <= 0 || !slices.Contains(p.PaymentSystemIDs, id) {
		return offer.Page{}, gateway.System{}, gateway.NotFoundError(id)
	}
	sys, err := s.systems.Get(r.Context(), id)
	if err == nil && !sys.Enabled {
		err = gateway.NotFoundError(id)
	}
	return p, sys, err
}

func payURL(p offer.Page, sys gateway.System) string {
	return "/o/" + url.PathEscape(p.Slug) + "/pay?system=" + strconv.FormatInt(sys.ID, 10)
}

// offerEnrollURL is the enrollment form of an offer sold by enrollment (offer.Enrolled).
func offerEnrollURL(slug string) string { return "/o/" + url.PathEscape(slug) + "/enroll" }

// notAvailable answers for payment system types whose checkout is not built yet.
func (s *Server) notAvailable(w http.ResponseWriter, r *http.Request, p offer.Page, sys gateway.System) {
	lang := p.Language
	s.render(w, r, http.StatusNotImplemented, public.MessagePage(public.Message{Lang: lang,
		Title: i18n.T(lang, i18n.NotAvailable), Body: i18n.F(lang, i18n.NotAvailableBody, sys.Name),
		BackURL: "/o/" + url.PathEscape(p.Slug), BackText: i18n.T(lang, i18n.BackToOffer), TestID: "not-available"}))
}

// checkoutURL is where the offer page's buttons go: the checkout entered from the offer page.
func checkoutURL(p offer.Page, id int64) string {
	return "/o/" + url.PathEscape(p.Slug) + "/checkout?system=" + strconv.FormatInt(id, 10)
}

// guestAllowed reports whether a visitor may pay p through sys without signing in (F2): the offer allows it and
// sys's type reports the payer's e-mail.
func guestAllowed(p offer.Page, sys gateway.System) bool {
	return p.GuestCheckout && sys.Can(gateway.PayWithoutAuthorization)
}

// checkoutFromOffer is GET /o/{slug}/checkout?system={id}, the offer page's "Pay" button: a signed-in student goes
// on to the pay page; a visitor gets the pay page when the offer may be paid without signing in through that
// system, else the sign-up (or sign-in) form.
func (s *Server) checkoutFromOffer(w http.ResponseWriter, r *http.Request) {
	s.startCheckout(w, r, true)
}

// checkoutStart is GET /o/{slug}/pay?system={id}, the direct payment link (for widgets): the pay page for a
// signed-in student (the manual payment form, or the gateway's "Pay"), and for a visitor when the offer allows
// paying without signing in. A visitor on an offer that does not allow it gets 404: the direct link skips the offer
// page and its sign-up (F2).
func (s *Server) checkoutStart(w http.ResponseWriter, r *http.Request) {
	s.startCheckout(w, r, false)
}

func (s *Server) startCheckout(w http.ResponseWriter, r *http.Request, fromOffer bool) {
	p, sys, err := s.checkoutTarget(r)
	if err != nil && offer.Enrolled(p.Kind) {
		// An old link to the one-payment checkout of an offer now sold by enrollment: its enrollment form.
		http.Redirect(w, r, offerEnrollURL(p.Slug), http.StatusSeeOther)
		return
	}
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	_, signedIn, err := s.student(r)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	switch {
	case fromOffer && signedIn:
		http.Redirect(w, r, payURL(p, sys), http.StatusSeeOther)
		return
	case !fromOffer && !signedIn && !p.GuestCheckout:
		s.notFound(w, r)
		return
	}
	if offer.Subscribed(p.Kind) {
		s.subscribeStart(w, r, p, sys)
		return
	}
	if sys.Type != gateway.TypeManual {
		s.gatewayCheckoutStart(w, r, p, sys)
		return
	}
	if sys.TransactionCurrency(p.Currency) == "" {
		s.notAvailable(w, r, p, sys)
		return
	}
	st, ok := s.studentOrSignUp(w, r, p, sys)
	if !ok {
		return
	}
	v := manualPayView(p, sys, st)
	v.Date = v.MaxDate
	s.render(w, r, http.StatusOK, public.ManualPayPage(v))
}

// studentOrSignUp is the signed-in student of a checkout page that needs one (manual payments, subscriptions); for a
// visitor it renders the sign-up page, which comes back to the page (ok false: answered).
func (s *Server) studentOrSignUp(w http.ResponseWriter, r *http.Request, p offer.Page, sys gateway.System) (account.Account, bool) {
	st, ok, err := s.student(r)
	if err != nil {
		s.serverError(w, r, err)
		return st, false
	}
	w.Header().Set("Cache-Control", "no-store")
	if !ok {
		s.render(w, r, http.StatusOK, public.SignUpPage(signUpView(p.Language, payURL(p, sys), &p)))
	}
	return st, ok
}

func manualPayView(p offer.Page, sys gateway.System, st account.Account) public.ManualPay {
	lang := p.Language
	v := public.ManualPay{Lang: lang, Student: public.Student{Email: st.Email}, Action: payURL(p, sys),
		FormToken: newFormToken(), OfferTitle: p.Title, SystemName: sys.Name, SystemText: sys.Description,
		ImageURL: sys.ImageURL, Price: p.Price().Format(lang), MaxDate: dateText(time.Now()),
		CommentHint: sys.Setting("comment_hint"), BackURL: "/o/" + url.PathEscape(p.Slug)}
	if cur := sys.TransactionCurrency(p.Currency); cur != p.Currency {
		v.CurrencyNote = i18n.F(lang, i18n.CurrencyNote, p.Currency, cur)
	}
	return v
}

// parsePayment reads the payment date (not in the future, allowing for the payer's time zone being ahead of the
// server's) and the comment, naming each bad field in lang.
func parsePayment(r *http.Request, lang string) (time.Time, string, map[string]string) {
	errs := map[string]string{}
	raw := strings.TrimSpace(r.PostFormValue("paid_on"))
	comment := strings.TrimSpace(r.PostFormValue("comment"))
	paid, err := time.Parse("2006-01-02", raw)
	switch {
	case raw == "" || err != nil:
		errs["paid_on"] = i18n.T(lang, i18n.ErrDate)
	case paid.After(time.Now().UTC().Add(14 * time.Hour)):
		errs["paid_on"] = i18n.T(lang, i18n.ErrFutureDate)
	}
	if utf8.RuneCountInString(comment) > maxComment || !utf8.ValidString(comment) {
		errs["comment"] = i18n.T(lang, i18n.ErrTooLong)
	}
	return paid, comment, errs
}

// checkoutSubmit is POST /o/{slug}/pay?system={id}: opens a manual order and shows it. The form token and the
// order service's one-open-order-per-offer rule make a reload or a second click land on the same order.
func (s *Server) checkoutSubmit(w http.ResponseWriter, r *http.Request) {
	p, sys, err := s.checkoutTarget(r)
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	if !s.allowPost(w, r, "checkout", p.Language) {
		return
	}
	if offer.Subscribed(p.Kind) {
		s.subscribeSubmit(w, r, p, sys)
		return
	}
	if sys.Type != gateway.TypeManual {
		s.gatewayCheckoutSubmit(w, r, p, sys)
		return
	}
	st, ok, err := s.payer(r)
	if err != nil || !ok {
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		http.Redirect(w, r, checkoutURL(p, sys.ID), http.StatusSeeOther)
		return
	}
	lang := p.Language
	proof, proofErrs, err := checkoutProof(r, lang) // before the form is read: it may carry a proof of payment
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	paid, comment, errs := parsePayment(r, lang)
	maps.Copy(errs, proofErrs)
	v := manualPayView(p, sys, st)
	v.Date, v.Comment, v.FormToken = r.PostFormValue("paid_on"), comment, r.PostFormValue("form_token")
	if len(errs) == 0 {
		// The form's token is claimed in the order's transaction, with the order's page as its result.
		result := func(o order.Order) string { return "/account/orders/" + url.PathEscape(o.Number) + "?lang=" + lang }
		ctx := studentActor(r.Context(), st.Email)
		var o order.Order
		o, err = s.orders.CreateManual(ctx, order.NewManual{OfferID: p.ID, ContactID: st.ContactID,
			PaymentSystemID: sys.ID, PaidOn: paid, Comment: comment, Channel: "checkout", Claim: s.claimInOrder(r, result)})
		if formTaken(w, r, err) {
			return
		}
		if err == nil {
			if err = s.attachCheckoutProof(ctx, proof, o, paid, comment); err != nil {
				// The order committed with the token: freed, so the form sent again with another file attaches it
				// to the same open order.
				s.releaseForm(r)
			}
		}
		if err == nil {
			s.flash(r, i18n.T(lang, i18n.OrderSent))
			http.Redirect(w, r, result(o), http.StatusSeeOther)
			return
		}
		e, ok := check.AsErrors(err)
		if !ok {
			if errors.Is(err, check.ErrNotFound) {
				s.notFound(w, r)
				return
			}
			s.serverError(w, r, err)
			return
		}
		for field := range e {
			if field != "paid_on" && field != "comment" && field != "file" {
				// The offer or payment system cannot take this payment now (a missing exchange rate, a system
				// disabled meanwhile): nothing the student can fix on this form.
				s.log.Warn("manual checkout refused", "offer_id", p.ID, "payment_system_id", sys.ID, "err", err)
				s.notAvailable(w, r, p, sys)
				return
			}
		}
		errs = fieldMessages(lang, e)
		if msg, ok := e["file"]; ok {
			maps.Copy(errs, proofMessages(lang, check.Errors{"file": msg}))
		}
	}
	v.Errors = errs
	s.render(w, r, http.StatusUnprocessableEntity, public.ManualPayPage(v))
}
