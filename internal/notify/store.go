package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/db"
	"github.com/bursar/bursar/internal/notify/notifyq"
)

func notFound(id int64) error { return fmt.Errorf("e-mail %d: %w", id, check.ErrNotFound) }

func fromRow(r notifyq.OutboundEmail) Message {
	m := Message{ID: r.ID, DedupKey: r.DedupKey, To: r.ToAddress, Subject: r.Subject, Text: r.TextBody,
		HTML: r.HtmlBody, Language: r.Language, Status: Status(r.Status), Attempts: int(r.Attempts),
		LastError: r.LastError, RelatedType: r.RelatedType, CreatedAt: r.CreatedAt, secrets: r.Secrets,
		MessageID: r.MessageID, Resends: int(r.Resends)}
	if r.RelatedID != nil {
		m.RelatedID = *r.RelatedID
	}
	if r.SentAt != nil {
		m.SentAt = *r.SentAt
	}
	return m
}

// emailWithJob is notifyq's EmailInsert with the River job that sends the e-mail, in one statement (the job costs
// no statement, no round trip and no River insert of its own: it was a sixth of a paid webhook's time). The job row
// is the one River's client writes for EmailArgs with its InsertOpts (kind, attempts; queue, state, priority,
// schedule and metadata as River's defaults), written as River's clients for other languages write theirs, with
// two differences: no unique key, since the outbox's dedup key already makes one job per e-mail (the job is
// inserted only with a new row), and no insert notification, so an idle worker finds it at its next fetch poll
// (River's FetchPollInterval, 1 s) instead of at once. TestEmailJobRow checks the row against River's own insert.
const emailWithJob = `WITH e AS (
    INSERT INTO outbound_emails (dedup_key, to_address, subject, text_body, html_body, language, related_type,
                                 related_id, secrets)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
    ON CONFLICT (dedup_key) DO NOTHING
    RETURNING id
), j AS (
    INSERT INTO river_job (args, kind, max_attempts)
    SELECT jsonb_build_object('email_id', e.id), $10::text, $11::smallint FROM e
)
SELECT id FROM e`

// emailsWithJobs is emailWithJob for many e-mails (the arrays unnested side by side; each one's secrets a JSON array,
// since arrays of arrays do not unnest row by row): the rows new to the outbox get their jobs, as emailWithJob's do.
const emailsWithJobs = `WITH e AS (
    INSERT INTO outbound_emails (dedup_key, to_address, subject, text_body, html_body, language, related_type,
                                 related_id, secrets)
    SELECT x.dedup_key, x.to_address, x.subject, x.text_body, x.html_body, x.language, x.related_type,
           nullif(x.related_id, 0), ARRAY(SELECT jsonb_array_elements_text(x.secrets::jsonb))
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[],
                $9::text[]) AS x(dedup_key, to_address, subject, text_body, html_body, language, related_type,
                                 related_id, secrets)
    ON CONFLICT (dedup_key) DO NOTHING
    RETURNING id
), j AS (
    INSERT INTO river_job (args, kind, max_attempts)
    SELECT jsonb_build_object('email_id', e.id), $10::text, $11::smallint FROM e
)
SELECT count(*) FROM e`

// insertEmails adds es (sealed, without attachments) to the outbox with the jobs that send them, in one statement.
func insertEmails(ctx context.Context, tx db.DBTX, es []Email) error {
	if len(es) == 0 {
		return nil
	}
	n := len(es)
	keys, to, subj, text, html := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	lang, rtype, secrets := make([]string, n), make([]string, n), make([]string, n)
	rid := make([]int64, n)
	for i, e := range es {
		sec := e.Secrets
		if sec == nil {
			sec = []string{}
		}
		b, err := json.Marshal(sec)
		if err != nil {
			return err
		}
		keys[i], to[i], subj[i], text[i], html[i] = e.DedupKey, e.To, e.Subject, e.Text, e.HTML
		lang[i], rtype[i], rid[i], secrets[i] = e.Language, e.RelatedType, e.RelatedID, string(b)
	}
	var added int64
	if err := tx.QueryRow(ctx, emailsWithJobs, keys, to, subj, text, html, lang, rtype, rid, secrets,
		EmailArgs{}.Kind(), EmailArgs{}.InsertOpts().MaxAttempts).Scan(&added); err != nil {
		return fmt.Errorf("insert %d e-mails: %w", n, err)
	}
	return nil
}

// insertEmail adds e to the outbox with the job that sends it and returns its id; inserted is false when its dedup
// key was already there (then no job is added).
func insertEmail(ctx context.Context, tx db.DBTX, e Email) (id int64, inserted bool, err error) {
	secrets := e.Secrets
	if secrets == nil {
		secrets = []string{} // the column is NOT NULL; a nil slice would be sent as NULL
	}
	var related *int64
	if e.RelatedID != 0 {
		related = &e.RelatedID
	}
	err = tx.QueryRow(ctx, emailWithJob, e.DedupKey, e.To, e.Subject, e.Text, e.HTML, e.Language, e.RelatedType,
		related, secrets, EmailArgs{}.Kind(), EmailArgs{}.InsertOpts().MaxAttempts).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, false, nil // ON CONFLICT DO NOTHING: the event already has its e-mail
	}
	if err != nil {
		return 0, false, fmt.Errorf("insert e-mail %q: %w", e.DedupKey, err)
	}
	q := notifyq.New(tx)
	for _, a := range e.Attachments {
		if err := q.AttachmentInsert(ctx, notifyq.AttachmentInsertParams{EmailID: id, Filename: a.Filename,
			ContentType: a.ContentType, Data: a.Data}); err != nil {
			return 0, false, fmt.Errorf("insert attachment %q of e-mail %q: %w", a.Filename, e.DedupKey, err)
		}
	}
	return id, true, nil
}

// attachmentsOf returns the attachments of e-mail id with their data, for sending.
func attachmentsOf(ctx context.Context, tx db.DBTX, id int64) ([]Attachment, error) {
	rows, err := notifyq.New(tx).AttachmentsOf(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("attachments of e-mail %d: %w", id, err)
	}
	var as []Attachment
	for _, r := range rows {
		as = append(as, Attachment{Filename: r.Filename, ContentType: r.ContentType, Data: r.Data, Size: len(r.Data)})
	}
	return as, nil
}

// withAttachmentInfos sets the attachments (names, types and sizes, without data) of the messages ms, in one query.
func withAttachmentInfos(ctx context.Context, tx db.DBTX, ms []Message) error {
	if len(ms) == 0 {
		return nil
	}
	ids := make([]int64, len(ms))
	at := make(map[int64]int, len(ms))
	for i, m := range ms {
		ids[i], at[m.ID] = m.ID, i
	}
	rows, err := notifyq.New(tx).AttachmentInfos(ctx, ids)
	if err != nil {
		return fmt.Errorf("attachments of e-mails: %w", err)
	}
	for _, r := range rows {
		m := &ms[at[r.EmailID]]
		m.Attachments = append(m.Attachments, Attachment{Filename: r.Filename, ContentType: r.ContentType, Size: int(r.Size)})
	}
	return nil
}

func getEmail(ctx context.Context, tx db.DBTX, id int64) (Message, error) {
	r, err := notifyq.New(tx).EmailGet(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return Message{}, notFound(id)
	}
	if err != nil {
		return Message{}, err
	}
	ms := []Message{fromRow(r)}
	err = withAttachmentInfos(ctx, tx, ms)
	return ms[0], err
}

func emailByDedupKey(ctx context.Context, tx db.DBTX, key string) (Message, error) {
	r, err := notifyq.New(tx).EmailByDedupKey(ctx, key)
	if errors.Is(err, pgx.ErrNoRows) {
		return Message{}, fmt.Errorf("e-mail %q: %w", key, check.ErrNotFound)
	}
	if err != nil {
		return Message{}, err
	}
	ms := []Message{fromRow(r)}
	err = withAttachmentInfos(ctx, tx, ms)
	return ms[0], err
}

// errNotClaimable means the e-mail was already sent, logged or given up: the job has nothing to do.
var errNotClaimable = errors.New("notify: e-mail already handled")

// claimEmail marks e-mail id as sending and counts the attempt (and a resend when it was still sending). The
// row keeps the Message-ID of its first attempt; a row without one gets messageID (domain is the right-hand side
// of the id a row tried before Message-IDs were stored was sent with).
func claimEmail(ctx context.Context, tx db.DBTX, id int64, messageID, domain string) (Message, error) {
	r, err := notifyq.New(tx).EmailClaim(ctx, notifyq.EmailClaimParams{ID: id, MessageID: messageID, Domain: domain})
	if errors.Is(err, pgx.ErrNoRows) {
		return Message{}, errNotClaimable
	}
	if err != nil {
		return Message{}, fmt.Errorf("claim e-mail %d: %w", id, err)
	}
	return fromRow(r), nil
}

// markDone records that e-mail id was sent or logged; it expects the row to be sending.
func markDone(ctx context.Context, tx db.DBTX, id int64, st Status) error {
	n, err := notifyq.New(tx).EmailMarkDone(ctx, notifyq.EmailMarkDoneParams{ID: id, Status: string(st)})
	if err != nil {
		return fmt.Errorf("mark e-mail %d %s: %w", id, st, err)
	}
	if n == 0 {
		return fmt.Errorf("mark e-mail %d %s: no longer sending: %w", id, st, check.ErrConflict)
	}
	return nil
}

// markError records a failed attempt: st is queued (a retry follows) or failed (the last attempt).
func markError(ctx context.Context, tx db.DBTX, id int64, st Status, msg string) error {
	_, err := notifyq.New(tx).EmailMarkError(ctx, notifyq.EmailMarkErrorParams{ID: id, Status: string(st), LastError: msg})
	if err != nil {
		return fmt.Errorf("mark e-mail %d %s: %w", id, st, err)
	}
	return nil
}

func listEmails(ctx context.Context, tx db.DBTX, f Filter) (Page, error) {
	p := notifyq.EmailListParams{MaxRows: int32(f.Limit + 1)}
	if f.Status != "" {
		st := string(f.Status)
		p.Status = &st
	}
	if f.BeforeID > 0 {
		p.BeforeID = &f.BeforeID
	}
	rows, err := notifyq.New(tx).EmailList(ctx, p)
	if err != nil {
		return Page{}, fmt.Errorf("list e-mails: %w", err)
	}
	var page Page
	for i, r := range rows {
		if i == f.Limit {
			page.NextBeforeID = page.Messages[len(page.Messages)-1].ID
			break
		}
		page.Messages = append(page.Messages, fromRow(r))
	}
	return page, withAttachmentInfos(ctx, tx, page.Messages)
}
