package server

import (
	"net/http"
	"time"

	"github.com/bursar/bursar/internal/access"
	"github.com/bursar/bursar/internal/apiview"
	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/check"
)

// grantIn is the body of POST /api/v1/access: give at most one of days and ends_at; neither (or null) means
// forever. Days is a pointer so that an explicit 0 is told from an absent field: 0 is out of range, not forever.
type grantIn struct {
	ContactID int64      `json:"contact_id"`
	ProductID int64      `json:"product_id"`
	Days      *int       `json:"days"`
	EndsAt    *time.Time `json:"ends_at"`
}

// apiAccessGrant grants access (source api, source_ref the key's name). It answers 201 with a new grant, or 200
// with the contact's grant in force when that was extended instead.
func (s *Server) apiAccessGrant(w http.ResponseWriter, r *http.Request) {
	var in grantIn
	if !decodeJSON(w, r, &in) {
		return
	}
	n := access.NewGrant{ContactID: in.ContactID, ProductID: in.ProductID, EndsAt: in.EndsAt,
		Source: access.SourceAPI, SourceRef: audit.ActorFrom(r.Context()).Label}
	e := check.Errors{}
	if in.Days != nil {
		d, err := access.ParseDays(*in.Days)
		if err != nil {
			e.Add("days", access.MsgDays)
		}
		n.Days = d
	}
	if verr, ok := check.AsErrors(n.Validate(time.Now())); ok {
		for k, msg := range verr {
			e.Add(k, msg)
		}
	}
	err := e.Err()
	if err == nil && in.ProductID > 0 {
		err = s.grantableProduct(r.Context(), "product_id", in.ProductID)
	}
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	g, created, err := s.access.Grant(r.Context(), n)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		w.Header().Set("Location", "/api/v1/access/"+itoa(g.ID))
	}
	writeJSON(w, status, apiview.GrantOf(g, time.Now()))
}

func (s *Server) apiAccess(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	g, err := s.access.Get(r.Context(), id)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, apiview.GrantOf(g, time.Now()))
}

// revokeIn is the body of POST /api/v1/access/{id}/revoke; the body may be empty.
type revokeIn struct {
	Reason string `json:"reason"`
}

func (s *Server) apiAccessRevoke(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	var in revokeIn
	if r.ContentLength != 0 && !decodeJSON(w, r, &in) {
		return
	}
	g, err := s.access.Revoke(r.Context(), id, in.Reason)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, apiview.GrantOf(g, time.Now()))
}

// transferIn is the body of POST /api/v1/access/{id}/transfer.
type transferIn struct {
	ToContactID int64 `json:"to_contact_id"`
}

// apiAccessTransfer moves a grant to another contact and answers with the target's grant.
func (s *Server) apiAccessTransfer(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	var in transferIn
	if !decodeJSON(w, r, &in) {
		return
	}
	if in.ToContactID <= 0 {
		s.apiError(w, r, check.Field("to_contact_id", "is required"))
		return
	}
	g, err := s.access.Transfer(r.Context(), id, in.ToContactID)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, apiview.GrantOf(g, time.Now()))
}
