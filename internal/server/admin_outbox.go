package server

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/notify"
	"github.com/bursar/bursar/templates/admin"
)

const outboxPageSize = 50

// adminOutbox lists outbox e-mails newest first, optionally of one status: GET /admin/outbox?status=&before=.
func (s *Server) adminOutbox(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	before, _ := strconv.ParseInt(q.Get("before"), 10, 64)
	v := admin.OutboxList{Page: s.adminPage(r, "Outbox", "outbox"), Status: q.Get("status"), SMTPOff: s.cfg.SMTPURL == ""}
	for _, st := range notify.Statuses {
		v.Statuses = append(v.Statuses, string(st))
	}
	page, err := s.notify.List(r.Context(), notify.Filter{Status: notify.Status(v.Status), BeforeID: before, Limit: outboxPageSize})
	if e, ok := check.AsErrors(err); ok {
		v.Error = e["status"]
		s.render(w, r, http.StatusUnprocessableEntity, admin.OutboxPage(v))
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	for _, m := range page.Messages {
		v.Rows = append(v.Rows, admin.OutboxRow{ID: m.ID, To: m.To, Subject: m.Subject, Status: string(m.Status),
			Attempts: m.Attempts, Resends: m.Resends, Created: m.CreatedAt.UTC().Format(timeFormat), Sent: sentAt(m)})
	}
	if page.NextBeforeID != 0 {
		next := url.Values{"before": {itoa(page.NextBeforeID)}}
		if v.Status != "" {
			next.Set("status", v.Status)
		}
		v.NextURL = "/admin/outbox?" + next.Encode()
	}
	s.render(w, r, http.StatusOK, admin.OutboxPage(v))
}

// adminOutboxMessage shows one e-mail with its text and (sandboxed) HTML: GET /admin/outbox/{id}.
func (s *Server) adminOutboxMessage(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	m, err := s.notify.Message(r.Context(), id)
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	v := admin.OutboxMessage{Page: s.adminPage(r, m.Subject, "outbox"), ID: m.ID, To: m.To, Subject: m.Subject,
		Status: string(m.Status), Language: m.Language, DedupKey: m.DedupKey, Attempts: m.Attempts,
		Resends: m.Resends, MessageID: m.MessageID, LastError: m.LastError,
		Created: m.CreatedAt.UTC().Format(timeFormat), Sent: sentAt(m),
		Text: m.Text, HTML: m.HTML}
	for _, a := range m.Attachments {
		v.Attachments = append(v.Attachments, admin.OutboxAttachment{Name: a.Filename, Type: a.ContentType, Size: byteSize(a.Size)})
	}
	if m.RelatedType != "" {
		v.Related = m.RelatedType
		if m.RelatedID != 0 {
			v.Related += " " + itoa(m.RelatedID)
		}
	}
	s.render(w, r, http.StatusOK, admin.OutboxMessagePage(v))
}

// byteSize is n bytes for people: "512 bytes", "12.3 KB", "1.5 MB" (of 1024).
func byteSize(n int) string {
	switch {
	case n < 1024:
		return strconv.Itoa(n) + " bytes"
	case n < 1<<20:
		return strconv.FormatFloat(float64(n)/1024, 'f', 1, 64) + " KB"
	default:
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MB"
	}
}

// sentAt is when m was sent or logged, or "" before.
func sentAt(m notify.Message) string {
	if m.SentAt.IsZero() {
		return ""
	}
	return m.SentAt.UTC().Format(timeFormat)
}
