package crm

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/crm/crmq"
	"github.com/bursar/bursar/internal/events"
)

// Timeline kinds of contacts made by payments.
const (
	EventCreatedByPayment = "contact.created_by_payment"
	EventPlaceholder      = "contact.placeholder"
)

// PayerTx is the contact of a payer who paid without signing in, by the e-mail the gateway reported: the contact
// with that e-mail (in any letter case), or a new one. created says which. It runs inside the caller's transaction
// (the payment's) and never fails on a concurrent creation of the same e-mail: both end with the one contact. A new
// contact emits contact.created.
func (s *Service) PayerTx(ctx context.Context, tx pgx.Tx, email string) (c Contact, created bool, err error) {
	email = check.NormalizeEmail(email)
	e := check.Errors{}
	e.Email("email", email, true)
	if err := e.Err(); err != nil {
		return Contact{}, false, err
	}
	q := crmq.New(tx)
	r, err := q.ContactInsertIfAbsent(ctx, crmq.ContactInsertIfAbsentParams{Email: email})
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		r, err = q.ContactByEmail(ctx, email)
		if err != nil {
			return Contact{}, false, fmt.Errorf("payer contact %q: %w", email, err)
		}
		c, err = fromRow(r)
		return c, false, err
	case err != nil:
		return Contact{}, false, fmt.Errorf("payer contact %q: %w", email, err)
	}
	if c, err = fromRow(r); err != nil {
		return Contact{}, false, err
	}
	if err := s.AddEventTx(ctx, tx, c.ID, EventCreatedByPayment, "Contact created by a payment made without signing in"); err != nil {
		return Contact{}, false, err
	}
	if err := s.audit.RecordTx(ctx, tx, "contact.create", "contact", c.ID, map[string]any{"email": c.Email,
		"source": "payment"}); err != nil {
		return Contact{}, false, err
	}
	return c, true, s.events.EmitTx(ctx, tx, events.Event{Type: events.ContactCreated, ID: c.ID})
}

// PlaceholderTx makes a placeholder contact, <random>@domain, for a payment whose gateway reported no e-mail: it
// holds the payment and the access until an admin finds the payer in the gateway and moves the access to them.
// Placeholder contacts are flagged (Contact.Placeholder) and never e-mailed. It emits contact.created.
func (s *Service) PlaceholderTx(ctx context.Context, tx pgx.Tx, domain, note string) (Contact, error) {
	email := "payer-" + rand.Text()[:12] + "@" + domain
	r, err := crmq.New(tx).ContactInsertIfAbsent(ctx, crmq.ContactInsertIfAbsentParams{Email: check.NormalizeEmail(email),
		Placeholder: true})
	if err != nil {
		return Contact{}, fmt.Errorf("placeholder contact: %w", err)
	}
	c, err := fromRow(r)
	if err != nil {
		return Contact{}, err
	}
	if err := s.AddEventTx(ctx, tx, c.ID, EventPlaceholder, note); err != nil {
		return Contact{}, err
	}
	if err := s.audit.RecordTx(ctx, tx, "contact.create", "contact", c.ID, map[string]any{"email": c.Email,
		"source": "payment", "placeholder": true}); err != nil {
		return Contact{}, err
	}
	return c, s.events.EmitTx(ctx, tx, events.Event{Type: events.ContactCreated, ID: c.ID})
}

// NameIfEmptyTx gives contact id the name name when it has none (a learner an enrollment names), in the caller's
// transaction; a contact with a name keeps it. It reports whether it changed (then contact.updated is emitted).
func (s *Service) NameIfEmptyTx(ctx context.Context, tx pgx.Tx, id int64, name string) (bool, error) {
	if name == "" {
		return false, nil
	}
	n, err := crmq.New(tx).ContactNameIfEmpty(ctx, crmq.ContactNameIfEmptyParams{ID: id, Name: name})
	if err != nil {
		return false, fmt.Errorf("name contact %d: %w", id, err)
	}
	if n == 0 {
		return false, nil
	}
	if err := s.audit.RecordTx(ctx, tx, "contact.update", "contact", id, map[string]any{"name": name,
		"source": "enrollment"}); err != nil {
		return false, err
	}
	return true, s.events.EmitTx(ctx, tx, events.Event{Type: events.ContactUpdated, ID: id})
}
