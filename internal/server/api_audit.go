package server

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/check"
)

// auditActorJSON is who made a change: an admin (id: the user), an API key (id: the key), the CLI or the system.
type auditActorJSON struct {
	Type  string `json:"type"`
	ID    *int64 `json:"id"`
	Label string `json:"label"`
}

// auditEntryJSON is a line of the audit log.
type auditEntryJSON struct {
	ID       int64          `json:"id"`
	At       time.Time      `json:"at"`
	Actor    auditActorJSON `json:"actor"`
	Action   string         `json:"action"`
	Entity   string         `json:"entity"`
	EntityID string         `json:"entity_id"`
	Details  map[string]any `json:"details"`
}

// auditFilterForm reads the audit log's filters: entity, entity_id, actor ("admin", "api:3", "cli", "system"),
// since and until (RFC 3339, or a date: since from its start, until to its end).
func auditFilterForm(q url.Values) (audit.Filter, check.Errors) {
	e := check.Errors{}
	f := audit.Filter{Entity: strings.TrimSpace(q.Get("entity")), EntityID: strings.TrimSpace(q.Get("entity_id"))}
	if f.EntityID != "" && f.Entity == "" {
		e.Add("entity_id", "needs entity as well")
	}
	if a := strings.TrimSpace(q.Get("actor")); a != "" {
		typ, id, hasID := strings.Cut(a, ":")
		f.ActorType = typ
		if !slices.Contains(audit.ActorTypes, typ) {
			e.Add("actor", "must be admin, api, cli or system, optionally with an id: admin:4, api:2")
		} else if hasID {
			n, err := strconv.ParseInt(id, 10, 64)
			if err != nil || n <= 0 || (typ != audit.ActorAdmin && typ != audit.ActorAPI) {
				e.Add("actor", "only admin and api take an id, a positive whole number: admin:4, api:2")
			}
			f.ActorID = n
		}
	}
	f.Since = instantParam(q.Get("since"), "since", false, e)
	f.Until = instantParam(q.Get("until"), "until", true, e)
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Until.After(f.Since) {
		e.Add("until", "must be after since")
	}
	return f, e
}

// instantParam reads an RFC 3339 time or a date (YYYY-MM-DD, UTC): its start, or its end (the next day's start)
// when end is set; "" is the zero time.
func instantParam(v, field string, end bool, e check.Errors) time.Time {
	if v == "" {
		return time.Time{}
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.UTC()
	}
	if d, err := time.Parse(time.DateOnly, v); err == nil {
		if end {
			return d.AddDate(0, 0, 1)
		}
		return d
	}
	e.Add(field, "must be an RFC 3339 time such as 2026-12-01T10:00:00Z or a date such as 2026-12-01")
	return time.Time{}
}

// apiAuditLog is GET /api/v1/audit-log: the audit log newest first, filtered, a page at a time (limit, cursor).
func (s *Server) apiAuditLog(w http.ResponseWriter, r *http.Request) {
	limit, err := pageLimit(r)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	q := r.URL.Query()
	f, e := auditFilterForm(q)
	before, cerr := decodeCursor(q.Get("cursor"))
	if ce, ok := check.AsErrors(cerr); ok {
		e.Add("cursor", ce["cursor"])
	}
	if err := e.Err(); err != nil {
		s.apiError(w, r, err)
		return
	}
	f.BeforeID, f.Limit = before, limit+1
	entries, err := s.audit.List(r.Context(), f)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	out := List[auditEntryJSON]{Data: make([]auditEntryJSON, 0, min(len(entries), limit))}
	if len(entries) > limit {
		entries = entries[:limit]
		out.NextCursor = encodeCursor(entries[limit-1].ID)
	}
	for _, en := range entries {
		j := auditEntryJSON{ID: en.ID, At: en.At.UTC(), Action: en.Action, Entity: en.Entity, EntityID: en.EntityID,
			Details: en.Details, Actor: auditActorJSON{Type: en.Actor.Type, ID: positive(en.Actor.ID), Label: en.Actor.Label}}
		if j.Details == nil {
			j.Details = map[string]any{}
		}
		out.Data = append(out.Data, j)
	}
	writeJSON(w, http.StatusOK, out)
}
