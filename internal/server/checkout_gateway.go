package server

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/account"
	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/i18n"
	"github.com/bursar/bursar/internal/offer"
	"github.com/bursar/bursar/internal/order"
	"github.com/bursar/bursar/templates/public"
)

// gatewayFormError carries a gateway entered by posting a form out of submitOnce, to be rendered.
type gatewayFormError struct{ form gateway.Form }

func (e *gatewayFormError) Error() string { return "gateway form redirect" }

// gatewayProvider is the provider of sys when Bursar can take payments through it in p's currency.
func (s *Server) gatewayProvider(p offer.Page, sys gateway.System) (gateway.Provider, bool) {
	prov, ok := s.gateways.Provider(sys.Type)
	return prov, ok && sys.TransactionCurrency(p.Currency) != ""
}

// gatewayCheckoutStart is GET /o/{slug}/pay?system={gateway}: the amount and a "Pay" button for a signed-in
// student, and for a visitor when the offer may be paid through sys without signing in; the sign-up page for
// other visitors.
func (s *Server) gatewayCheckoutStart(w http.ResponseWriter, r *http.Request, p offer.Page, sys gateway.System) {
	if _, ok := s.gatewayProvider(p, sys); !ok {
		s.notAvailable(w, r, p, sys)
		return
	}
	st, ok, err := s.student(r)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	switch {
	case ok:
		s.render(w, r, http.StatusOK, public.GatewayPayPage(gatewayPayView(p, sys, st)))
	case guestAllowed(p, sys):
		v := gatewayPayView(p, sys, account.Account{})
		v.Guest, v.SignInURL = true, loginURL(p.Language, payURL(p, sys), "")
		s.render(w, r, http.StatusOK, public.GatewayPayPage(v))
	default:
		s.render(w, r, http.StatusOK, public.SignUpPage(signUpView(p.Language, payURL(p, sys), &p)))
	}
}

func gatewayPayView(p offer.Page, sys gateway.System, st account.Account) public.GatewayPay {
	lang := p.Language
	v := public.GatewayPay{Lang: lang, Student: public.Student{Email: st.Email}, Action: payURL(p, sys),
		FormToken: newFormToken(), OfferTitle: p.Title, SystemName: sys.Name, SystemText: sys.Description,
		ImageURL: sys.ImageURL, Price: p.Price().Format(lang), BackURL: "/o/" + url.PathEscape(p.Slug)}
	if spec, ok := gateway.Spec(sys.Type); ok {
		v.GatewayName = spec.Label
	}
	if cur := sys.TransactionCurrency(p.Currency); cur != p.Currency {
		v.CurrencyNote = i18n.F(lang, i18n.CurrencyNote, p.Currency, cur)
	}
	return v
}

// gatewayCheckoutSubmit is POST /o/{slug}/pay?system={gateway}: opens (or reuses) the student's order with a new
// payment attempt, starts it at the gateway and sends the student there. When the gateway does not answer the
// attempt is abandoned and the student sees a retry page (503); the form token sends a double submit to the same
// gateway page.
func (s *Server) gatewayCheckoutSubmit(w http.ResponseWriter, r *http.Request, p offer.Page, sys gateway.System) {
	_, ok := s.gatewayProvider(p, sys)
	if !ok {
		s.notAvailable(w, r, p, sys)
		return
	}
	st, ok, err := s.payer(r)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	guest := !ok
	if guest && !guestAllowed(p, sys) {
		http.Redirect(w, r, checkoutURL(p, sys.ID), http.StatusSeeOther)
		return
	}
	err = func() error {
		ctx := studentActor(r.Context(), st.Email)
		// The form's token is claimed in the attempt's transaction, in flight until the gateway's page is known,
		// and finished with the gateway's reference (one round trip); a failed start frees it.
		token := formToken(r)
		n := order.NewGateway{OfferID: p.ID, ContactID: st.ContactID, PaymentSystemID: sys.ID,
			Channel: order.ChannelCheckout, Claim: s.claimInOrder(r, func(order.Order) string { return "" })}
		if token != "" {
			n.Started = func(b *pgx.Batch, red gateway.Redirect) {
				if red.Form == nil {
					s.idem.QueueFinishForm(b, token, red.URL)
				} else {
					s.idem.QueueReleaseForm(b, token) // a form posted to the gateway is shown again on a second submit
				}
			}
		}
		if guest {
			ctx = audit.WithActor(r.Context(), audit.Actor{Type: audit.ActorSystem, Label: "visitor " + clientIP(r)})
			n.ContactID, n.Guest = 0, true
		}
		started, err := s.orders.StartGateway(ctx, n, func(att order.Attempt) gateway.Checkout {
			// The payer's e-mail as the order read it now (the session's may predate a change).
			return s.gatewayCheckout(p, sys, att, cmp.Or(att.Payment.PayerEmail, st.Email))
		})
		if formTaken(w, r, err) {
			return nil
		}
		if err != nil && started.Attempt.Payment.ID != 0 {
			s.releaseForm(r) // the attempt committed (with the token) and the gateway then failed: free for a retry
		}
		att := started.Attempt
		if guest && att.Order.Number != "" {
			s.rememberGuestOrder(r, att.Order.Number)
		}
		if errors.Is(err, order.ErrGatewayDown) {
			level := s.log.Warn
			if !errors.Is(err, gateway.ErrUnavailable) {
				level = s.log.Error // the gateway refused the request: a configuration the admin must fix
			}
			level("gateway checkout failed", "payment_system_id", sys.ID, "order", att.Order.Number,
				"payment_id", att.Payment.ID, "err", err)
		}
		if err != nil {
			return err
		}
		if started.RefNotStored != nil {
			// The notification still finds the order by its id (client_reference_id); never strand the payer.
			s.log.Error("attach gateway reference", "payment_id", att.Payment.ID, "ref", started.Redirect.Ref,
				"err", started.RefNotStored)
		}
		if started.StartedNotStored != nil {
			s.log.Error("finish form token", "payment_id", att.Payment.ID, "err", started.StartedNotStored)
		}
		red := started.Redirect
		if red.Form != nil {
			return &gatewayFormError{form: *red.Form}
		}
		http.Redirect(w, r, red.URL, http.StatusSeeOther)
		return nil
	}()
	var formErr *gatewayFormError
	switch {
	case err == nil:
	case errors.As(err, &formErr):
		s.render(w, r, http.StatusOK, public.GatewayFormPage(public.GatewayForm{Lang: p.Language,
			Action: formErr.form.Action, Fields: formErr.form.Fields}))
	case errors.Is(err, order.ErrGatewayDown):
		s.gatewayDown(w, r, p, sys)
	case errors.Is(err, check.ErrNotFound):
		s.notFound(w, r)
	default:
		if _, bad := check.AsErrors(err); bad {
			// The offer or payment system changed under the student (disabled, another currency): nothing to fix
			// on their side, so the page says the payment is not available.
			s.log.Warn("gateway checkout refused", "offer_id", p.ID, "payment_system_id", sys.ID, "err", err)
			s.notAvailable(w, r, p, sys)
			return
		}
		s.serverError(w, r, err)
	}
}

// gatewayCheckout is what the gateway is asked to begin for attempt att of offer p through sys.
func (s *Server) gatewayCheckout(p offer.Page, sys gateway.System, att order.Attempt, email string) gateway.Checkout {
	base := s.cfg.BaseURL + "/o/" + url.PathEscape(p.Slug)
	num := url.QueryEscape(att.Order.Number)
	// The attempt's id in the return URL makes each attempt a different request to the gateway (Stripe replays
	// the answer of an identical one, a failure included).
	return gateway.Checkout{OrderID: att.Order.ID, OrderNumber: att.Order.Number,
		Amount: att.Order.Price, Title: p.Title, Email: email, Language: p.Language,
		SuccessURL: fmt.Sprintf("%s/paid?order=%s&attempt=%d", base, num, att.Payment.ID),
		CancelURL:  fmt.Sprintf("%s/cancelled?order=%s&system=%d", base, num, sys.ID),
		NotifyURL:  s.cfg.BaseURL + "/webhooks/" + strconv.FormatInt(sys.ID, 10)}
}

// gatewayDown is the retry page: the payment service did not answer, nothing was charged.
func (s *Server) gatewayDown(w http.ResponseWriter, r *http.Request, p offer.Page, sys gateway.System) {
	lang := p.Language
	w.Header().Set("Retry-After", "30")
	s.render(w, r, http.StatusServiceUnavailable, public.GatewayReturnPage(public.GatewayReturn{Lang: lang,
		Title: i18n.T(lang, i18n.UnavailableTitle), Body: i18n.T(lang, i18n.UnavailableBody),
		TestID: "gateway-unavailable", RetryURL: payURL(p, sys), BackURL: "/o/" + url.PathEscape(p.Slug),
		Contact: schoolContact(p)}))
}

func schoolContact(p offer.Page) public.SchoolContact {
	return public.SchoolContact{Email: p.Contact.Email, Phone: p.Contact.Phone, Note: p.Contact.Note}
}

// returnedOrder is the order ?order= names when the signed-in student owns it and it is for offer p; ok is false
// otherwise (a visitor never learns about another's order).
func (s *Server) returnedOrder(r *http.Request, p offer.Page) (order.Order, bool, error) {
	num := r.URL.Query().Get("order")
	if num == "" || len(num) > 32 {
		return order.Order{}, false, nil
	}
	st, ok, err := s.student(r)
	if err != nil {
		return order.Order{}, false, err
	}
	if !ok && !s.guestOrder(r, num) {
		return order.Order{}, false, nil
	}
	o, err := s.orders.ByNumber(r.Context(), num)
	if errors.Is(err, check.ErrNotFound) {
		return order.Order{}, false, nil
	}
	if err != nil {
		return order.Order{}, false, err
	}
	if !ok {
		return o, o.OfferID == p.ID, nil
	}
	return o, o.ContactID == st.ContactID && o.OfferID == p.ID, nil
}

// sessionGuestOrders holds the numbers of the orders a visitor started in this browser session without signing
// in, so their return pages may show the order's status to them (and to nobody else).
const sessionGuestOrders = "guest_orders"

// maxGuestOrders bounds the numbers remembered per session.
const maxGuestOrders = 10

func (s *Server) rememberGuestOrder(r *http.Request, number string) {
	list := strings.Fields(s.sessions.GetString(r.Context(), sessionGuestOrders))
	list = append(list, number)
	if len(list) > maxGuestOrders {
		list = list[len(list)-maxGuestOrders:]
	}
	s.sessions.Put(r.Context(), sessionGuestOrders, strings.Join(list, " "))
}

func (s *Server) guestOrder(r *http.Request, number string) bool {
	return slices.Contains(strings.Fields(s.sessions.GetString(r.Context(), sessionGuestOrders)), number)
}

// checkoutPaid is GET /o/{slug}/paid: where the gateway sends the payer back. It never completes the order (only
// the gateway's verified notification does): it says the payment is being confirmed and shows the order's status
// as it is now, the offer's success message or link and the school's contact details.
func (s *Server) checkoutPaid(w http.ResponseWriter, r *http.Request) {
	s.checkoutReturn(w, r, true)
}

// checkoutCancelled is GET /o/{slug}/cancelled: the payer gave up at the gateway; it offers to try again.
func (s *Server) checkoutCancelled(w http.ResponseWriter, r *http.Request) {
	s.checkoutReturn(w, r, false)
}

// returnRecheckTimeout bounds how long the return page waits for the gateway's answer.
const returnRecheckTimeout = 8 * time.Second

// recheckOnReturn asks the gateway about open order o's attempts when the payer comes back saying they paid: a
// verified answer from the gateway's API may complete the order at once (and PayPal captures the approved payment
// here), while the redirect itself proves nothing. A gateway that cannot be asked, or does not answer in time,
// leaves the order to its notification; o as it is now is returned.
func (s *Server) recheckOnReturn(ctx context.Context, o order.Order) order.Order {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), returnRecheckTimeout)
	defer cancel()
	ctx = audit.WithActor(ctx, audit.Actor{Type: audit.ActorSystem, Label: "return page re-check"})
	if _, err := s.orders.Recheck(ctx, o.ID); err != nil {
		s.log.Warn("re-check on return", "order", o.Number, "err", err)
		return o
	}
	if now, err := s.orders.Get(ctx, o.ID); err == nil {
		return now
	}
	return o
}

// checkoutReturnPost is POST /o/{slug}/paid or /cancelled: gateways that send the payer back with a form post
// (Fondy, WayForPay) land here. The body is ignored (only the signed notification or a re-check tells what
// happened) and the payer is sent to the same page by GET, where their session cookie comes along.
func (s *Server) checkoutReturnPost(w http.ResponseWriter, r *http.Request) {
	u := url.URL{Path: r.URL.Path, RawQuery: r.URL.RawQuery}
	http.Redirect(w, r, u.String(), http.StatusSeeOther)
}

func (s *Server) checkoutReturn(w http.ResponseWriter, r *http.Request, paid bool) {
	p, err := s.published.PublishedPage(r.Context(), chiURLParam(r, "slug"))
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	o, mine, err := s.returnedOrder(r, p)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if paid && mine && o.Status == order.StatusOpen {
		o = s.recheckOnReturn(r.Context(), o)
	}
	lang := p.Language
	v := public.GatewayReturn{Lang: lang, BackURL: "/o/" + url.PathEscape(p.Slug), Contact: schoolContact(p)}
	if mine {
		v.OrderNumber, v.StatusText = o.Number, statusText(lang, o.Status)
	}
	if paid {
		v.Title, v.Body, v.TestID = i18n.T(lang, i18n.ConfirmingTitle), i18n.T(lang, i18n.ConfirmingBody), "payment-confirming"
		v.Message, v.ContinueURL = p.SuccessMessage, p.SuccessURL
	} else {
		v.Title, v.Body, v.TestID = i18n.T(lang, i18n.CancelledTitle), i18n.T(lang, i18n.CancelledBody), "payment-cancelled"
		v.Message, v.ContinueURL = p.FailureMessage, p.FailureURL
		if id, err := strconv.ParseInt(r.URL.Query().Get("system"), 10, 64); err == nil && id > 0 {
			for _, sid := range p.PaymentSystemIDs {
				if sid == id {
					v.RetryURL = "/o/" + url.PathEscape(p.Slug) + "/pay?system=" + strconv.FormatInt(id, 10)
				}
			}
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, r, http.StatusOK, public.GatewayReturnPage(v))
}
