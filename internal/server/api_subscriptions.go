package server

import (
	"net/http"
	"strings"

	"github.com/bursar/bursar/internal/apiview"
	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/subscription"
)

// The subscriptions of the JSON API (scope subscriptions): the same use cases as the admin screens, in
// internal/subscription. Every POST honours Idempotency-Key (the idempotent middleware).

// apiSubscriptionFilter reads the list's and the export's filters; false when it answered a bad one.
func (s *Server) apiSubscriptionFilter(w http.ResponseWriter, r *http.Request) (subscription.Filter, bool) {
	e := check.Errors{}
	f := subscriptionFilter(r, e)
	if err := e.Err(); err != nil {
		s.apiError(w, r, err)
		return f, false
	}
	return f, true
}

// apiSubscriptions is GET /api/v1/subscriptions: a page of subscriptions, newest first.
func (s *Server) apiSubscriptions(w http.ResponseWriter, r *http.Request) {
	limit, err := pageLimit(r)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	before, err := decodeCursor(r.URL.Query().Get("cursor"))
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	f, ok := s.apiSubscriptionFilter(w, r)
	if !ok {
		return
	}
	f.AfterID, f.Limit = before, limit
	page, err := s.subscriptions.List(r.Context(), f)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	out := List[apiview.Subscription]{Data: make([]apiview.Subscription, 0, len(page.Subscriptions))}
	for _, sub := range page.Subscriptions {
		own, err := s.ownSchedule(r.Context(), sub.PaymentSystemID)
		if err != nil {
			s.apiError(w, r, err)
			return
		}
		out.Data = append(out.Data, apiview.SubscriptionOf(sub, own))
	}
	if page.NextAfter != 0 {
		out.NextCursor = encodeCursor(page.NextAfter)
	}
	writeJSON(w, http.StatusOK, out)
}

// apiSubscriptionsCSV is GET /api/v1/subscriptions/export.csv: every subscription under the filters, as CSV.
func (s *Server) apiSubscriptionsCSV(w http.ResponseWriter, r *http.Request) {
	f, ok := s.apiSubscriptionFilter(w, r)
	if !ok {
		return
	}
	s.writeSubscriptionsCSV(w, r, f, s.apiError)
}

// apiSubscription is GET /api/v1/subscriptions/{id}, with its charges and timeline.
func (s *Server) apiSubscription(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	s.apiSubscriptionAnswer(w, r, id)
}

func (s *Server) apiSubscriptionAnswer(w http.ResponseWriter, r *http.Request, id int64) {
	d, err := s.subscriptions.Detail(r.Context(), id)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	own, err := s.ownSchedule(r.Context(), d.PaymentSystemID)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, apiview.SubscriptionDetailOf(d, own))
}

// subscriptionCancelIn is the optional body of POST /subscriptions/{id}/cancel.
type subscriptionCancelIn struct {
	// AtPeriodEnd: no charge after the current period, access until its end (undo with undo-cancel); false ends it
	// now, access until the paid period's end.
	AtPeriodEnd bool   `json:"at_period_end"`
	Note        string `json:"note"`
}

// subscriptionNoteIn is the optional body of undo-cancel, pause and resume.
type subscriptionNoteIn struct {
	Note string `json:"note"` // why, for the timeline and the audit log
}

// subscriptionPlanIn is the body of POST /subscriptions/{id}/change-plan.
type subscriptionPlanIn struct {
	OfferID int64  `json:"offer_id"` // a published recurring offer of the same payment system and currency
	Note    string `json:"note"`
}

// apiSubscriptionCancel is POST /api/v1/subscriptions/{id}/cancel with {"at_period_end": bool}.
func (s *Server) apiSubscriptionCancel(w http.ResponseWriter, r *http.Request) {
	var in subscriptionCancelIn
	if r.ContentLength != 0 && !decodeJSON(w, r, &in) {
		return
	}
	kind := gateway.ActionCancelNow
	if in.AtPeriodEnd {
		kind = gateway.ActionCancelAtPeriodEnd
	}
	s.apiSubscriptionAct(w, r, subscription.Action{Kind: kind, Note: in.Note})
}

// apiSubscriptionUndoCancel is POST /api/v1/subscriptions/{id}/undo-cancel.
func (s *Server) apiSubscriptionUndoCancel(w http.ResponseWriter, r *http.Request) {
	s.apiSubscriptionNoted(w, r, gateway.ActionUndoCancel)
}

// apiSubscriptionPause is POST /api/v1/subscriptions/{id}/pause.
func (s *Server) apiSubscriptionPause(w http.ResponseWriter, r *http.Request) {
	s.apiSubscriptionNoted(w, r, gateway.ActionPause)
}

// apiSubscriptionResume is POST /api/v1/subscriptions/{id}/resume.
func (s *Server) apiSubscriptionResume(w http.ResponseWriter, r *http.Request) {
	s.apiSubscriptionNoted(w, r, gateway.ActionResume)
}

func (s *Server) apiSubscriptionNoted(w http.ResponseWriter, r *http.Request, kind string) {
	var in subscriptionNoteIn
	if r.ContentLength != 0 && !decodeJSON(w, r, &in) {
		return
	}
	s.apiSubscriptionAct(w, r, subscription.Action{Kind: kind, Note: in.Note})
}

// apiSubscriptionChangePlan is POST /api/v1/subscriptions/{id}/change-plan with {"offer_id": …}.
func (s *Server) apiSubscriptionChangePlan(w http.ResponseWriter, r *http.Request) {
	var in subscriptionPlanIn
	if !decodeJSON(w, r, &in) {
		return
	}
	if in.OfferID <= 0 {
		s.apiError(w, r, check.Field("offer_id", "is required: the recurring offer to move to"))
		return
	}
	s.apiSubscriptionAct(w, r, subscription.Action{Kind: gateway.ActionChangePlan, OfferID: in.OfferID, Note: in.Note})
}

// apiSubscriptionAct asks Act for a and answers the subscription as it is then.
func (s *Server) apiSubscriptionAct(w http.ResponseWriter, r *http.Request, a subscription.Action) {
	id, err := pathID(r, "id")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	a.Note = strings.TrimSpace(a.Note)
	if _, err := s.subscriptions.Act(r.Context(), id, a); err != nil {
		s.apiError(w, r, subscriptionActError(err))
		return
	}
	s.apiSubscriptionAnswer(w, r, id)
}
