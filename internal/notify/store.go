package notify

import (
	"context"
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

// insertEmail adds e to the outbox and returns its id; inserted is false when its dedup key was already there.
func insertEmail(ctx context.Context, tx db.DBTX, e Email) (id int64, inserted bool, err error) {
	p := notifyq.EmailInsertParams{DedupKey: e.DedupKey, ToAddress: e.To, Subject: e.Subject, TextBody: e.Text,
		HtmlBody: e.HTML, Language: e.Language, RelatedType: e.RelatedType, Secrets: e.Secrets}
	if p.Secrets == nil {
		p.Secrets = []string{} // the column is NOT NULL; a nil slice would be sent as NULL
	}
	if e.RelatedID != 0 {
		p.RelatedID = &e.RelatedID
	}
	id, err = notifyq.New(tx).EmailInsert(ctx, p)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, false, nil // ON CONFLICT DO NOTHING: the event already has its e-mail
	}
	if err != nil {
		return 0, false, fmt.Errorf("insert e-mail %q: %w", e.DedupKey, err)
	}
	return id, true, nil
}

func getEmail(ctx context.Context, tx db.DBTX, id int64) (Message, error) {
	r, err := notifyq.New(tx).EmailGet(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return Message{}, notFound(id)
	}
	if err != nil {
		return Message{}, err
	}
	return fromRow(r), nil
}

func emailByDedupKey(ctx context.Context, tx db.DBTX, key string) (Message, error) {
	r, err := notifyq.New(tx).EmailByDedupKey(ctx, key)
	if errors.Is(err, pgx.ErrNoRows) {
		return Message{}, fmt.Errorf("e-mail %q: %w", key, check.ErrNotFound)
	}
	if err != nil {
		return Message{}, err
	}
	return fromRow(r), nil
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
	return page, nil
}
