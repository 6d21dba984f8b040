package server

import (
	"net/http"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/i18n"
	"github.com/bursar/bursar/internal/order"
	"github.com/bursar/bursar/templates/admin"
)

// replayRow adds to row, stored notification e of order orderID, its replay form and, while it has failed to
// apply, the note saying so; texts in lang.
func replayRow(row *admin.GatewayEventRow, orderID int64, e order.GatewayEvent, lang string) {
	row.ReplayURL = "/admin/orders/" + itoa(orderID) + "/events/" + itoa(e.ID) + "/replay"
	row.ReplayLabel, row.Lang = i18n.T(lang, i18n.ReplayButton), lang
	if e.Failed() {
		row.FailedNote = i18n.F(lang, i18n.ReplayFailedNote, e.Failures)
	}
}

// replayText says what a replay did, in lang.
func replayText(rp order.Replay, lang string) string {
	if rp.AlreadyApplied {
		return i18n.F(lang, i18n.ReplayAlready, rp.Event.Result)
	}
	return i18n.F(lang, i18n.ReplayDone, rp.Outcome.Result)
}

// adminOrderReplay applies a stored gateway notification of the order again (order.ReplayEvent): the flash says
// what it did, or that it had applied already; a conflict shows the order page with why (409). A notification that
// fails to apply again stays failed: the page says so (500) and the error goes to the log only.
func (s *Server) adminOrderReplay(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	eventID, err := pathID(r, "event")
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	rp, err := s.orders.ReplayEvent(r.Context(), id, eventID)
	if err == nil {
		s.flash(r, replayText(rp, s.schoolLang(r.Context())))
		http.Redirect(w, r, orderURL(id), http.StatusSeeOther)
		return
	}
	a := errorAnswer(err)
	if a.Internal {
		s.log.Error("gateway event replay failed", "order_id", id, "gateway_event_id", eventID, "err", err)
		s.renderOrder(w, r, id, http.StatusInternalServerError, func(v *admin.OrderView) {
			v.Conflict = "The gateway event could not be applied again: it stays failed. The server log says why."
		})
		return
	}
	s.decided(w, r, id, err, "", func(*admin.OrderView, check.Errors) {})
}
