package server

import (
	"net/http"
	"time"

	"github.com/bursar/bursar/internal/apiview"
	"github.com/bursar/bursar/internal/crm"
)

// contactIn is the body of POST /api/v1/contacts.
type contactIn struct {
	Email        string            `json:"email"`
	Name         string            `json:"name"`
	Phone        string            `json:"phone"`
	CustomFields map[string]string `json:"custom_fields"`
}

// contactPatch is the body of PATCH /api/v1/contacts/{id}: fields left out stay as they are; custom_fields, when
// given, replaces the whole map.
type contactPatch struct {
	Email        *string            `json:"email"`
	Name         *string            `json:"name"`
	Phone        *string            `json:"phone"`
	CustomFields *map[string]string `json:"custom_fields"`
}

func (s *Server) apiContacts(w http.ResponseWriter, r *http.Request) {
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
	q := r.URL.Query()
	page, err := s.contacts.List(r.Context(), crm.Filter{Email: q.Get("email"), Query: q.Get("q"), BeforeID: before, Limit: limit})
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	out := List[contactJSON]{Data: make([]contactJSON, 0, len(page.Contacts))}
	for _, c := range page.Contacts {
		out.Data = append(out.Data, apiview.ContactOf(c))
	}
	if page.NextBeforeID != 0 {
		out.NextCursor = encodeCursor(page.NextBeforeID)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiContactCreate(w http.ResponseWriter, r *http.Request) {
	var in contactIn
	if !decodeJSON(w, r, &in) {
		return
	}
	c, err := s.contacts.Create(r.Context(), crm.Input{Email: in.Email, Name: in.Name, Phone: in.Phone, CustomFields: in.CustomFields})
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/contacts/"+itoa(c.ID))
	writeJSON(w, http.StatusCreated, apiview.ContactOf(c))
}

func (s *Server) apiContact(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	c, err := s.contacts.Contact(r.Context(), id)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, apiview.ContactOf(c))
}

func (s *Server) apiContactUpdate(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	var p contactPatch
	if !decodeJSON(w, r, &p) {
		return
	}
	c, err := s.contacts.Update(r.Context(), id, crm.Patch{Email: p.Email, Name: p.Name, Phone: p.Phone, CustomFields: p.CustomFields})
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, apiview.ContactOf(c))
}

func (s *Server) apiContactDelete(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	if err := s.contacts.Delete(r.Context(), id); err != nil {
		s.apiError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) apiContactAccess(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	if _, err := s.contacts.Contact(r.Context(), id); err != nil {
		s.apiError(w, r, err)
		return
	}
	grants, err := s.access.ForContact(r.Context(), id)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	now := time.Now()
	out := List[grantJSON]{Data: make([]grantJSON, 0, len(grants))}
	for _, g := range grants {
		out.Data = append(out.Data, apiview.GrantOf(g, now))
	}
	writeJSON(w, http.StatusOK, out)
}
