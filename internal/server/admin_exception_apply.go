package server

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/i18n"
	"github.com/bursar/bursar/internal/order"
	"github.com/bursar/bursar/templates/admin"
)

// The inbox's apply-to-another-order and reinstate actions (order.ApplyException, order.ReinstateException), their
// texts in the school's language.

// schoolLang is the school's language, "en" when it cannot be read (it only picks the words).
func (s *Server) schoolLang(ctx context.Context) string {
	sc, err := s.settings.Get(ctx)
	if err != nil {
		s.log.Warn("read the school's language", "err", err)
		return "en"
	}
	return sc.Language
}

// exceptionMore is what exception x allows besides accept, refund and resolve: applying its payment to one of the
// candidate orders, reinstating its order.
func (s *Server) exceptionMore(ctx context.Context, x order.ExceptionItem, amount string) (admin.ExceptionMore, error) {
	lang := s.schoolLang(ctx)
	m := admin.ExceptionMore{Lang: lang, CanApply: x.CanApply(), CanReinstate: x.CanReinstate(),
		NoteLabel: i18n.T(lang, i18n.InboxNote)}
	if m.CanApply {
		cands, err := s.orders.ApplyCandidates(ctx, x.ID)
		if err != nil {
			return m, err
		}
		for _, o := range cands {
			m.Candidates = append(m.Candidates, admin.ExceptionCandidate{ID: o.ID, Number: o.Number, Offer: o.OfferTitle,
				Price: o.Price.Format("en"), Created: o.CreatedAt.UTC().Format(timeFormat)})
		}
		m.ApplyTitle, m.ApplyOrder = i18n.T(lang, i18n.InboxApplyTitle), i18n.T(lang, i18n.InboxApplyOrder)
		m.ApplyButton = i18n.T(lang, i18n.InboxApplyButton)
		m.ApplyHint = i18n.F(lang, i18n.InboxApplyHint, amount, x.OrderNumber)
		m.ApplyNone = i18n.F(lang, i18n.InboxApplyNone, amount)
	}
	if m.CanReinstate {
		m.ReinstateTitle, m.ReinstateButton = i18n.T(lang, i18n.InboxReinstateTitle), i18n.T(lang, i18n.InboxReinstateButton)
		m.ReinstateHint = i18n.F(lang, i18n.InboxReinstateHint, x.OrderNumber, x.OrderStatus, amount)
	}
	return m, nil
}

func (s *Server) adminExceptionApply(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	a := order.Application{Note: r.PostFormValue("note")}
	raw := strings.TrimSpace(r.PostFormValue("order_id"))
	if raw != "" {
		if a.OrderID, err = strconv.ParseInt(raw, 10, 64); err != nil || a.OrderID <= 0 {
			a.OrderID = -1 // a field error, not "missing"
		}
	}
	var flash string
	if err = badOrderID(raw, a.OrderID); err == nil {
		var o order.Order
		if _, o, err = s.orders.ApplyException(r.Context(), id, a); err == nil {
			flash = i18n.F(s.schoolLang(r.Context()), i18n.InboxApplied, o.Number)
		}
	}
	s.exceptionActed(w, r, id, "apply", err, flash, func(v *admin.ExceptionView) {
		v.Notes["apply"], v.More.ApplyOrderID = a.Note, a.OrderID
	})
}

func (s *Server) adminExceptionReinstate(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	note := r.PostFormValue("note")
	var flash string
	if _, err = s.orders.ReinstateException(r.Context(), id, note); err == nil {
		x, xerr := s.orders.Exception(r.Context(), id)
		if xerr == nil {
			flash = i18n.F(s.schoolLang(r.Context()), i18n.InboxReinstated, x.OrderNumber)
		}
	}
	s.exceptionActed(w, r, id, "reinstate", err, flash, func(v *admin.ExceptionView) { v.Notes["reinstate"] = note })
}

// badOrderID is the field error of an order_id typed as something that is not an id (nil otherwise: a missing one
// is the use case's to report).
func badOrderID(raw string, id int64) error {
	if raw != "" && id <= 0 {
		return check.Field("order_id", "must be an order id")
	}
	return nil
}
