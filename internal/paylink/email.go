package paylink

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// SendEmail e-mails active link id to its contact, in the link's language, through the durable outbox ("send by
// e-mail" on the admin screens and POST /api/v1/payment-links/{id}/send). Each call sends once more (a
// resend); the link's and the contact's timelines say when. A closed or expired link is the ErrNotActive
// conflict.
func (s *Service) SendEmail(ctx context.Context, id int64) (Link, error) {
	var out Link
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		l, err := s.get(ctx, tx, id)
		if err != nil {
			return err
		}
		if now := s.rec.clock(); l.StatusAt(now) != StatusActive {
			return notActive(l, now)
		}
		out = l
		return s.sendTx(ctx, tx, l)
	})
	return out, err
}

// sendTx queues the link's e-mail to its contact and writes it on the timelines.
func (s *Service) sendTx(ctx context.Context, tx pgx.Tx, l Link) error {
	to, err := s.deps.Contacts.EmailTx(ctx, tx, l.ContactID)
	if err != nil {
		return fmt.Errorf("e-mail of contact %d: %w", l.ContactID, err)
	}
	eid, err := s.rec.eventTx(ctx, tx, l, EventSent, fmt.Sprintf("Payment link %d e-mailed to %s", l.ID, to),
		"payment_link.send", map[string]any{"to": to})
	if err != nil {
		return err
	}
	// One e-mail per send: the timeline line's id tells this send from the previous ones.
	return s.deps.Mailer.LinkEmailTx(ctx, tx, Email{Kind: EmailLink, Link: l, To: to,
		DedupKey: fmt.Sprintf("paylink:%d:link:%d", l.ID, eid)})
}
