package crm

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/crm/crmq"
	"github.com/bursar/bursar/internal/db"
	"github.com/bursar/bursar/internal/events"
)

// Outcome says what UpsertTx did to a contact.
type Outcome int

// What UpsertTx did.
const (
	Unchanged Outcome = iota
	Created
	Updated
)

// UpsertTx is the contact with in.Email (in any letter case) inside the caller's transaction (an import): a new one
// with in's name and phone, or the existing one given in's name and phone where they are not empty and differ
// (the file may know more than the CRM; an empty cell never erases what is known). Custom fields are left alone.
// A creation or a change gets its timeline line and audit entry, naming how (via: "import #12"). A concurrent
// creation of the same e-mail ends with the one contact, updated. A creation or a change adds contact.created or
// contact.updated to evs, for the caller to emit with the rest of its batch once its statements have run (tx may
// be a pipeline of statements, not the transaction itself).
func (s *Service) UpsertTx(ctx context.Context, tx db.DBTX, in Input, via string, evs *events.Batch) (Contact, Outcome, error) {
	in = in.normalize()
	if err := in.Validate(); err != nil {
		return Contact{}, Unchanged, err
	}
	q := crmq.New(tx)
	r, err := q.ContactInsertIfAbsent(ctx, crmq.ContactInsertIfAbsentParams{Email: in.Email, Name: in.Name})
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return s.mergeTx(ctx, tx, in, via, evs)
	case err != nil:
		return Contact{}, Unchanged, fmt.Errorf("contact %q: %w", in.Email, err)
	}
	c, err := fromRow(r)
	if err != nil {
		return Contact{}, Unchanged, err
	}
	if in.Phone != "" {
		c.CustomFields = map[string]string{}
		if c, err = updateContact(ctx, tx, c.ID, Input{Email: c.Email, Name: c.Name, Phone: in.Phone,
			CustomFields: c.CustomFields}); err != nil {
			return Contact{}, Unchanged, err
		}
	}
	if err := s.AddEventTx(ctx, tx, c.ID, EventCreated, "Contact created by "+via); err != nil {
		return Contact{}, Unchanged, err
	}
	evs.Add(events.Event{Type: events.ContactCreated, ID: c.ID})
	return c, Created, s.audit.RecordTx(ctx, tx, "contact.create", "contact", c.ID, map[string]any{"email": c.Email,
		"source": via})
}

// mergeTx gives the existing contact with in.Email in's name and phone where given and different.
func (s *Service) mergeTx(ctx context.Context, tx db.DBTX, in Input, via string, evs *events.Batch) (Contact, Outcome, error) {
	r, err := crmq.New(tx).ContactByEmail(ctx, in.Email)
	if err != nil {
		return Contact{}, Unchanged, fmt.Errorf("contact %q: %w", in.Email, err)
	}
	old, err := fromRow(r)
	if err != nil {
		return Contact{}, Unchanged, err
	}
	next := Input{Email: old.Email, Name: old.Name, Phone: old.Phone, CustomFields: old.CustomFields}
	if in.Name != "" {
		next.Name = in.Name
	}
	if in.Phone != "" {
		next.Phone = in.Phone
	}
	changed := changedFields(old, next)
	if len(changed) == 0 {
		return old, Unchanged, nil
	}
	c, err := updateContact(ctx, tx, old.ID, next)
	if err != nil {
		return Contact{}, Unchanged, err
	}
	if err := s.AddEventTx(ctx, tx, c.ID, EventUpdated, "Details changed by "+via+": "+strings.Join(changed, ", ")); err != nil {
		return Contact{}, Unchanged, err
	}
	evs.Add(events.Event{Type: events.ContactUpdated, ID: c.ID})
	return c, Updated, s.audit.RecordTx(ctx, tx, "contact.update", "contact", c.ID, map[string]any{"changed": changed,
		"email": c.Email, "source": via})
}
