package server

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/i18n"
	"github.com/bursar/bursar/internal/order"
	"github.com/bursar/bursar/internal/paylink"
	"github.com/bursar/bursar/templates/public"
)

// The payer's page of a payment link, /pay/{token}: no session (the payer is the link's contact, named by the
// token), nothing cached, the link's language. Each handler reads the link through the token first, so a wrong or
// tampered token is the same 404 everywhere, before anything else is read.

var headerNoStore = []string{"no-store"}

// linkBase is the path of the page of the link tok names.
func linkBase(tok string) string { return "/pay/" + tok }

// payLink is GET /pay/{token}: what the school asks the payer to pay, with "Pay now" per allowed payment system and
// "Decline" while the link is active, or what became of it. Opening it is recorded (first and last opened).
func (s *Server) payLink(w http.ResponseWriter, r *http.Request) {
	w.Header()["Cache-Control"] = headerNoStore
	v, err := s.links.OpenView(r.Context(), chiURLParam(r, "token"))
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	p, err := s.linkPage(r, v)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if r.URL.Query().Get("sent") == "proof" {
		p.Flash = i18n.T(v.Language, i18n.ProofSent)
	}
	s.render(w, r, http.StatusOK, public.PayLinkPage(p))
}

// linkPage is the view of the payer's page of v.
func (s *Server) linkPage(r *http.Request, v paylink.View) (public.LinkPage, error) {
	lang, base := v.Language, linkBase(v.Link.Token)
	p := public.LinkPage{Lang: lang, School: v.School.Name, Title: v.Title, Price: v.Price.Format(lang),
		Expires: v.Expires.UTC().Format("2006-01-02 15:04 UTC"), Note: v.Note, Status: string(v.Status),
		Contact: linkContact(v)}
	switch v.Status {
	case paylink.StatusActive:
		p.DeclineAction = base + "/decline"
	case paylink.StatusPaid, paylink.StatusVoided:
		p.Message = i18n.T(lang, i18n.LinkPaid)
	case paylink.StatusCancelled:
		p.Message = i18n.T(lang, i18n.LinkCancelled)
	case paylink.StatusDeclined:
		p.Message = i18n.T(lang, i18n.LinkDeclined)
	case paylink.StatusExpired:
		p.Message, p.Body = i18n.T(lang, i18n.LinkExpired), i18n.T(lang, i18n.LinkExpiredBody)
	}
	if v.Status != paylink.StatusActive {
		return p, nil
	}
	if v.Link.OrderID != 0 {
		var err error
		if p.Waiting, err = s.linkWaiting(r, v); err != nil || p.Waiting != nil {
			return p, err
		}
	}
	for _, sys := range v.Systems {
		p.Systems = append(p.Systems, public.LinkSystem{Name: sys.Name, Description: sys.Description,
			ImageURL: sys.ImageURL, Action: base + "/pay?system=" + itoa(sys.ID), FormToken: newFormToken()})
	}
	return p, nil
}

// linkWaiting is the open bank-transfer order of link v, with its bank details and proof form, or nil when its
// order is not one (paid through a gateway, or no longer open).
func (s *Server) linkWaiting(r *http.Request, v paylink.View) (*public.LinkWaiting, error) {
	ctx := r.Context()
	o, err := s.orders.Get(ctx, v.Link.OrderID)
	if err != nil || o.Status != order.StatusOpen {
		return nil, err
	}
	sys, err := s.systems.Get(ctx, o.PaymentSystemID)
	if err != nil || sys.Type != gateway.TypeManual {
		return nil, err
	}
	proofs, err := s.orders.Proofs(ctx, o.ID)
	if err != nil {
		return nil, err
	}
	wt := &public.LinkWaiting{OrderNumber: o.Number, SystemName: sys.Name, Instructions: sys.Description,
		Proofs: proofRows(proofs)}
	if wt.ProofForm, err = s.proofForm(r, o, v.Language, len(proofs)); wt.ProofForm != nil {
		wt.ProofForm.Action = linkBase(v.Link.Token) + "/proofs"
	}
	return wt, err
}

// linkContact is how the payer of v reaches the school (paylink's View: the offer's details, else the school's).
func linkContact(v paylink.View) public.SchoolContact {
	return public.SchoolContact{Email: v.Contact.Email, Phone: v.Contact.Phone, Note: v.Contact.Note}
}

// linkRequest starts every handler of a link's page but the page itself: no-store, the link the token names (a
// wrong or tampered one is the 404 page), and for a post (form != "") the form's rate limit. ok is false when the
// answer is written already.
func (s *Server) linkRequest(w http.ResponseWriter, r *http.Request, form string) (v paylink.View, ok bool) {
	w.Header()["Cache-Control"] = headerNoStore
	v, err := s.links.View(r.Context(), chiURLParam(r, "token"))
	if err != nil {
		s.htmlError(w, r, err)
		return v, false
	}
	return v, form == "" || s.allowPost(w, r, form, v.Language)
}

// payLinkBegin is POST /pay/{token}/pay?system={id}, "Pay now": paylink's Begin opens the link's order (or reuses
// the contact's open one) through the system, then the payer goes on as on the checkout: to the gateway (its page,
// or a form posted to it), or back to the link's page with the bank details and the proof form. The form token
// makes a double click land where the first one did; a gateway that does not answer gives the retry page (503).
func (s *Server) payLinkBegin(w http.ResponseWriter, r *http.Request) {
	ctx, tok := r.Context(), chiURLParam(r, "token")
	v, ok := s.linkRequest(w, r, "checkout")
	if !ok {
		return
	}
	lang, base := v.Language, linkBase(tok)
	id, _ := strconv.ParseInt(r.URL.Query().Get("system"), 10, 64)
	contact, err := s.contacts.Contact(ctx, v.Link.ContactID)
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	err = s.submitOnce(w, r, "", func() (string, error) {
		b, err := s.links.Begin(ctx, tok, paylink.Payment{PaymentSystemID: id,
			Checkout: s.linkCheckout(v, id, contact.Email)})
		if errors.Is(err, order.ErrGatewayDown) {
			s.log.Warn("payment link checkout failed", "link_id", v.Link.ID, "payment_system_id", id,
				"order", b.Order.Number, "err", err)
		}
		if err != nil {
			return "", err
		}
		if b.RefNotStored != nil {
			s.log.Error("attach gateway reference", "order", b.Order.Number, "ref", b.Redirect.Ref, "err", b.RefNotStored)
		}
		switch {
		case b.Manual:
			return base, nil
		case b.Redirect.Form != nil:
			return "", &gatewayFormError{form: *b.Redirect.Form}
		}
		return b.Redirect.URL, nil
	})
	var formErr *gatewayFormError
	_, badField := check.AsErrors(err)
	switch {
	case err == nil:
	case errors.As(err, &formErr):
		s.render(w, r, http.StatusOK, public.GatewayFormPage(public.GatewayForm{Lang: lang,
			Action: formErr.form.Action, Fields: formErr.form.Fields}))
	case errors.Is(err, order.ErrGatewayDown):
		s.linkGatewayDown(w, r, v)
	case errors.Is(err, paylink.ErrNotActive), badField:
		// Closed meanwhile, or a system the link no longer offers: its page says what there is to do now.
		http.Redirect(w, r, base, http.StatusSeeOther)
	default:
		s.htmlError(w, r, err)
	}
}

// linkCheckout is what the gateway is asked to begin for an attempt of link v through system sysID; the payer
// comes back to the link's own return pages.
func (s *Server) linkCheckout(v paylink.View, sysID int64, email string) func(order.Attempt) gateway.Checkout {
	base := s.cfg.BaseURL + linkBase(v.Link.Token)
	return func(att order.Attempt) gateway.Checkout {
		return gateway.Checkout{OrderID: att.Order.ID, OrderNumber: att.Order.Number, Amount: att.Order.Price,
			Title: v.Title, Email: email, Language: v.Language,
			SuccessURL: fmt.Sprintf("%s/paid?attempt=%d", base, att.Payment.ID),
			CancelURL:  fmt.Sprintf("%s/cancelled?attempt=%d", base, att.Payment.ID),
			NotifyURL:  s.cfg.BaseURL + "/webhooks/" + itoa(sysID)}
	}
}

// linkGatewayDown is the retry page of a link: the payment service did not answer, nothing was charged.
func (s *Server) linkGatewayDown(w http.ResponseWriter, r *http.Request, v paylink.View) {
	lang, base := v.Language, linkBase(v.Link.Token)
	w.Header().Set("Retry-After", "30")
	s.render(w, r, http.StatusServiceUnavailable, public.GatewayReturnPage(public.GatewayReturn{Lang: lang,
		Title: i18n.T(lang, i18n.UnavailableTitle), Body: i18n.T(lang, i18n.UnavailableBody),
		TestID: "gateway-unavailable", RetryURL: base, BackURL: base, BackText: i18n.T(lang, i18n.LinkBack),
		Contact: linkContact(v)}))
}

// payLinkDecline is POST /pay/{token}/decline with an optional reason: the payer declines the link (paylink's
// Decline) and sees its page say so. A link closed meanwhile shows what became of it.
func (s *Server) payLinkDecline(w http.ResponseWriter, r *http.Request) {
	ctx, tok := r.Context(), chiURLParam(r, "token")
	if _, ok := s.linkRequest(w, r, "checkout"); !ok {
		return
	}
	if _, err := s.links.Decline(ctx, tok, strings.TrimSpace(r.PostFormValue("reason"))); err != nil &&
		!errors.Is(err, paylink.ErrNotActive) {
		s.htmlError(w, r, err)
		return
	}
	http.Redirect(w, r, linkBase(tok), http.StatusSeeOther)
}

// payLinkProof is POST /pay/{token}/proofs: the payer of a link paid by bank transfer sends the date, the reference
// and a receipt for the link's open order, as on the student's order page (receiveProof, order.AttachProof).
// Refused input shows the link's page again with the form's messages and stores nothing.
func (s *Server) payLinkProof(w http.ResponseWriter, r *http.Request) {
	ctx, tok := r.Context(), chiURLParam(r, "token")
	v, ok := s.linkRequest(w, r, "proof")
	if !ok {
		return
	}
	lang, base := v.Language, linkBase(tok)
	if v.Link.OrderID == 0 {
		http.Redirect(w, r, base, http.StatusSeeOther)
		return
	}
	err := s.receiveProof(audit.WithActor(ctx, paylink.PayerActor(v.Link)), r, v.Link.OrderID, v.Link.ContactID)
	if err == nil {
		http.Redirect(w, r, base+"?sent=proof", http.StatusSeeOther)
		return
	}
	status, flash, fields, ok := proofRefused(lang, err)
	if !ok {
		s.htmlError(w, r, err)
		return
	}
	p, err := s.linkPage(r, v)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	p.Flash = flash
	if p.Waiting != nil {
		refillProof(r, p.Waiting.ProofForm, fields)
	}
	s.render(w, r, status, public.PayLinkPage(p))
}

// payLinkPaid is GET /pay/{token}/paid, where the gateway sends the payer back: it never completes the order (the
// gateway's verified notification, or a re-check of its API, does) and says how the link's order stands now.
func (s *Server) payLinkPaid(w http.ResponseWriter, r *http.Request) { s.payLinkReturn(w, r, true) }

// payLinkCancelled is GET /pay/{token}/cancelled: the payer gave up at the gateway; it offers to try again.
func (s *Server) payLinkCancelled(w http.ResponseWriter, r *http.Request) {
	s.payLinkReturn(w, r, false)
}

func (s *Server) payLinkReturn(w http.ResponseWriter, r *http.Request, paid bool) {
	ctx, tok := r.Context(), chiURLParam(r, "token")
	v, ok := s.linkRequest(w, r, "")
	if !ok {
		return
	}
	lang, base := v.Language, linkBase(tok)
	g := public.GatewayReturn{Lang: lang, BackURL: base, BackText: i18n.T(lang, i18n.LinkBack), Contact: linkContact(v)}
	if v.Link.OrderID != 0 {
		o, err := s.orders.Get(ctx, v.Link.OrderID)
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		if paid && o.Status == order.StatusOpen {
			o = s.recheckOnReturn(ctx, o)
		}
		g.OrderNumber, g.StatusText = o.Number, statusText(lang, o.Status)
	}
	if paid {
		g.Title, g.Body, g.TestID = i18n.T(lang, i18n.ConfirmingTitle), i18n.T(lang, i18n.ConfirmingBody), "payment-confirming"
	} else {
		g.Title, g.Body, g.TestID = i18n.T(lang, i18n.CancelledTitle), i18n.T(lang, i18n.CancelledBody), "payment-cancelled"
		if v.Status == paylink.StatusActive {
			g.RetryURL = base
		}
	}
	s.render(w, r, http.StatusOK, public.GatewayReturnPage(g))
}
