package server

import (
	"net/http"
	"net/url"
	"time"

	"github.com/bursar/bursar/internal/i18n"
	"github.com/bursar/bursar/internal/order"
	"github.com/bursar/bursar/templates/public"
)

// cabinetLanguages are the languages' own names, for the cabinet's language switch.
var cabinetLanguages = map[string]string{"en": "English", "es": "Español", "fr": "Français", "ru": "Русский", "uk": "Українська"}

// statusText is an order status in lang.
func statusText(lang string, st order.Status) string {
	k := map[order.Status]i18n.Key{order.StatusOpen: i18n.StatusOpen, order.StatusCompleted: i18n.StatusCompleted,
		order.StatusRejected: i18n.StatusRejected, order.StatusExpired: i18n.StatusExpired,
		order.StatusCancelled: i18n.StatusCancelled, order.StatusRefunded: i18n.StatusRefunded}[st]
	if k == "" {
		return string(st)
	}
	return i18n.T(lang, k)
}

// accountCabinet is the student's account: the products they may use now, with the school's LMS links (a grant
// paused by its enrollment shown as paused), their orders, the enrollments they learn in or pay for and the receipts
// they pay. It is in ?lang=, else in the language of their latest order or enrollment, else English.
func (s *Server) accountCabinet(w http.ResponseWriter, r *http.Request) {
	st, ok := s.requireStudent(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	orders, err := s.orders.ForContact(ctx, st.ContactID)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	bill, err := s.readCabinetBilling(ctx, st.ContactID)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	fallback := "en"
	switch {
	case len(orders) > 0:
		fallback = orders[0].Language
	case len(bill.learns) > 0:
		fallback = bill.learns[0].Language
	case len(bill.pays) > 0:
		fallback = bill.pays[0].Language
	}
	lang := pageLang(r, fallback)
	v := public.Cabinet{Lang: lang, Student: public.Student{Email: st.Email}, Name: st.Name,
		Flash: s.sessions.PopString(ctx, sessionFlash)}
	grants, err := s.access.ForContact(ctx, st.ContactID)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	now := s.now()
	for _, g := range grants {
		// A paused grant (its enrollment waits for an overdue receipt) is listed as paused, without its link: it
		// resumes as it was.
		paused := g.PausedAt != nil
		g.PausedAt = nil
		if !g.ActiveAt(now) {
			continue
		}
		p, err := s.offers.Product(ctx, g.ProductID)
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		access := i18n.T(lang, i18n.AccessForever)
		if g.EndsAt != nil {
			access = i18n.F(lang, i18n.AccessUntil, dateText(*g.EndsAt))
		}
		cp := public.CabinetProduct{Name: p.Name, URL: p.ExternalURL, Access: access}
		if paused {
			cp.Paused = i18n.T(lang, i18n.AccessPaused)
		}
		v.Products = append(v.Products, cp)
	}
	for _, o := range orders {
		v.Orders = append(v.Orders, public.CabinetOrder{Number: o.Number, Offer: o.OfferTitle,
			URL: "/account/orders/" + url.PathEscape(o.Number) + "?lang=" + lang, Amount: o.Price.Format(lang),
			Status: statusText(lang, o.Status), Date: dateText(o.CreatedAt)})
	}
	subs, err := s.subscriptions.ForContact(ctx, st.ContactID)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	for _, d := range subs {
		// The short list; the subscriptions page has the dates, the charges and the actions.
		own, err := s.ownSchedule(ctx, d.PaymentSystemID)
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		v.Subscriptions = append(v.Subscriptions, cabinetSubscriptionView(d, lang, time.UTC, nil, own))
	}
	if err := s.cabinetBilling(ctx, bill, st.ContactID, lang, &v); err != nil {
		s.serverError(w, r, err)
		return
	}
	for _, l := range i18n.Languages {
		v.Languages = append(v.Languages, public.LangLink{Lang: l, Name: cabinetLanguages[l], URL: "/account?lang=" + l, Current: l == lang})
	}
	s.render(w, r, http.StatusOK, public.CabinetPage(v))
}

// accountOrder shows one of the student's own orders; anyone else's order number is simply not found.
func (s *Server) accountOrder(w http.ResponseWriter, r *http.Request) {
	st, ok := s.requireStudent(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	o, err := s.orders.ByNumber(ctx, chiURLParam(r, "number"))
	if err == nil && o.ContactID != st.ContactID {
		err = order.NotFoundError(o.Number)
	}
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	v, err := s.orderStatusView(r, st.Email, o, pageLang(r, o.Language))
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	v.Flash = s.sessions.PopString(ctx, sessionFlash)
	s.render(w, r, http.StatusOK, public.OrderPage(v))
}

// orderStatusView is the student's page of their order o in lang: its status, what happens next, the proof of
// payment form while the school waits for a manual payment, and the proofs sent.
func (s *Server) orderStatusView(r *http.Request, email string, o order.Order, lang string) (public.OrderStatus, error) {
	ctx := r.Context()
	v := public.OrderStatus{Lang: lang, Student: public.Student{Email: email},
		Number: o.Number, Offer: o.OfferTitle, Amount: o.Price.Format(lang), Status: statusText(lang, o.Status),
		Open: o.Status == order.StatusOpen}
	if of, err := s.offers.Offer(ctx, o.OfferID); err == nil {
		v.ContactEmail, v.ContactPhone, v.ContactNote = of.Contact.Email, of.Contact.Phone, of.Contact.Note
		v.ConfirmDays = of.ManualConfirmDays
	}
	if o.DeadlineAt != nil {
		v.ConfirmDays = max(1, int(time.Until(*o.DeadlineAt).Hours()/24+0.999))
	}
	if v.ConfirmDays == 0 {
		v.ConfirmDays = 30
	}
	proofs, err := s.orders.Proofs(ctx, o.ID)
	if err != nil {
		return v, err
	}
	v.Proofs = proofRows(proofs)
	v.ProofForm, err = s.proofForm(r, o, lang, len(proofs))
	return v, err
}
