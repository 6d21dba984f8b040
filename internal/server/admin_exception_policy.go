package server

import (
	"context"
	"net/http"
	"time"

	"github.com/bursar/bursar/internal/order"
	"github.com/bursar/bursar/templates/admin"
)

// Disputes and access decisions in the exceptions inbox (internal/order dispute.go, access_exception.go): the
// dispute's deadline and outcome on the inbox and the exception page, and the revoke and keep actions, in the admin
// and on the API.

// exceptionDisputeRow fills row's dispute and access decision from x.
func exceptionDisputeRow(row *admin.ExceptionRow, x order.Exception, now time.Time) {
	row.Access = x.Access
	d := x.Dispute
	if d.Ref == "" {
		return
	}
	row.Dispute = &admin.DisputeView{Ref: d.Ref, Status: d.Status, Reason: d.Reason, Outcome: d.Outcome}
	if d.EvidenceDue != nil {
		row.Dispute.EvidenceDue = d.EvidenceDue.UTC().Format(timeFormat) + " UTC"
		row.Dispute.Overdue = d.Outcome == "" && d.EvidenceDue.Before(now)
	}
}

func (s *Server) adminExceptionRevokeAccess(w http.ResponseWriter, r *http.Request) {
	s.adminExceptionAccess(w, r, s.orders.RevokeAccessException, "The order's access was revoked.")
}

func (s *Server) adminExceptionKeepAccess(w http.ResponseWriter, r *http.Request) {
	s.adminExceptionAccess(w, r, s.orders.KeepAccessException, "The order keeps its access.")
}

// adminExceptionAccess runs an access decision posted from the exception page.
func (s *Server) adminExceptionAccess(w http.ResponseWriter, r *http.Request,
	decide func(ctx context.Context, id int64, note string) (order.Exception, error), flash string) {
	id, err := pathID(r, "id")
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	note := r.PostFormValue("note")
	_, err = decide(r.Context(), id, note)
	s.exceptionActed(w, r, id, "access", err, flash, func(v *admin.ExceptionView) { v.Notes["access"] = note })
}

func (s *Server) apiExceptionRevokeAccess(w http.ResponseWriter, r *http.Request) {
	id, in, ok := s.readExceptionAction(w, r)
	if !ok {
		return
	}
	_, err := s.orders.RevokeAccessException(r.Context(), id, in.Note)
	s.apiExceptionActed(w, r, id, err, nil)
}

func (s *Server) apiExceptionKeepAccess(w http.ResponseWriter, r *http.Request) {
	id, in, ok := s.readExceptionAction(w, r)
	if !ok {
		return
	}
	_, err := s.orders.KeepAccessException(r.Context(), id, in.Note)
	s.apiExceptionActed(w, r, id, err, nil)
}

// exceptionDisputeJSON is a dispute exception's dispute in the API.
type exceptionDisputeJSON struct {
	ID            string     `json:"id"`
	Status        string     `json:"status"`
	Reason        string     `json:"reason"`
	EvidenceDueAt *time.Time `json:"evidence_due_at"`
	Outcome       string     `json:"outcome"` // won, lost, withdrawn, other; "" while open
}

// disputeJSON is x's dispute for the API, nil when x follows none.
func disputeJSON(x order.Exception) *exceptionDisputeJSON {
	d := x.Dispute
	if d.Ref == "" {
		return nil
	}
	return &exceptionDisputeJSON{ID: d.Ref, Status: d.Status, Reason: d.Reason, EvidenceDueAt: utcPtr(d.EvidenceDue),
		Outcome: d.Outcome}
}
