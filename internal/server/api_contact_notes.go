package server

// What the admin's contact card and imports screen show that the rest of the API did not: a contact's staff notes
// (read and added), its internal timeline, and the list of imports.

import (
	"net/http"
	"strconv"
	"time"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/crm"
)

// noteJSON is a staff note on a contact; author is the admin's e-mail or the API key's name.
type noteJSON struct {
	ID        int64     `json:"id"`
	ContactID int64     `json:"contact_id"`
	Body      string    `json:"body"`
	Author    string    `json:"author"`
	CreatedAt time.Time `json:"created_at"`
}

// timelineJSON is a line of a contact's internal timeline (access granted, order completed, note added…).
type timelineJSON struct {
	ID        int64     `json:"id"`
	ContactID int64     `json:"contact_id"`
	Kind      string    `json:"kind"`
	Message   string    `json:"message"`
	Actor     string    `json:"actor"`
	CreatedAt time.Time `json:"created_at"`
}

// noteIn is the body of POST /api/v1/contacts/{id}/notes.
type noteIn struct {
	Body string `json:"body"`
}

// recentLimit reads ?limit= for the lists that show a contact's newest lines (1–1000, default 100: as many as the
// admin's card shows and more); they have no cursor.
func recentLimit(r *http.Request) (int, error) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return 100, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 1000 {
		return 0, check.Field("limit", "must be a whole number from 1 to 1000")
	}
	return n, nil
}

// contactOf reads the contact in the path, so that the lists of an unknown contact are 404, not empty.
func (s *Server) contactOf(r *http.Request) (int64, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return 0, err
	}
	if _, err := s.contacts.Contact(r.Context(), id); err != nil {
		return 0, err
	}
	return id, nil
}

// noteOut is a note as the API shows it, in a list and as POST's answer.
func noteOut(n crm.Note) noteJSON {
	return noteJSON{ID: n.ID, ContactID: n.ContactID, Body: n.Body, Author: n.Author, CreatedAt: n.CreatedAt.UTC()}
}

// apiContactNotes is GET /api/v1/contacts/{id}/notes: the newest notes first.
func (s *Server) apiContactNotes(w http.ResponseWriter, r *http.Request) {
	limit, err := recentLimit(r)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	id, err := s.contactOf(r)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	notes, err := s.contacts.Notes(r.Context(), id, limit)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	out := List[noteJSON]{Data: make([]noteJSON, 0, len(notes))}
	for _, n := range notes {
		out.Data = append(out.Data, noteOut(n))
	}
	writeJSON(w, http.StatusOK, out)
}

// apiContactNoteCreate is POST /api/v1/contacts/{id}/notes: the note the admin's card adds (crm.AddNote), signed
// with the key's name; 201 with the note.
func (s *Server) apiContactNoteCreate(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	var in noteIn
	if !decodeJSON(w, r, &in) {
		return
	}
	n, err := s.contacts.AddNote(r.Context(), id, in.Body)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, noteOut(n))
}

// apiContactTimeline is GET /api/v1/contacts/{id}/timeline: the newest lines first.
func (s *Server) apiContactTimeline(w http.ResponseWriter, r *http.Request) {
	limit, err := recentLimit(r)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	id, err := s.contactOf(r)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	events, err := s.contacts.Events(r.Context(), id, limit)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	out := List[timelineJSON]{Data: make([]timelineJSON, 0, len(events))}
	for _, e := range events {
		out.Data = append(out.Data, timelineJSON{ID: e.ID, ContactID: e.ContactID, Kind: e.Kind, Message: e.Message,
			Actor: e.Actor, CreatedAt: e.CreatedAt.UTC()})
	}
	writeJSON(w, http.StatusOK, out)
}

// apiImports is GET /api/v1/imports: the imports newest first, a page at a time (limit, cursor).
func (s *Server) apiImports(w http.ResponseWriter, r *http.Request) {
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
	list, err := s.imports.List(r.Context(), before, limit+1)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	out := List[apiImport]{Data: make([]apiImport, 0, min(len(list), limit))}
	if len(list) > limit {
		list = list[:limit]
		out.NextCursor = encodeCursor(list[limit-1].ID)
	}
	for _, im := range list {
		out.Data = append(out.Data, toAPIImport(im))
	}
	writeJSON(w, http.StatusOK, out)
}
