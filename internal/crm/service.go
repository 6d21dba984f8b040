package crm

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/crm/crmq"
	"github.com/bursar/bursar/internal/db"
	"github.com/bursar/bursar/internal/events"
)

// Service manages contacts.
type Service struct {
	db     *pgxpool.Pool
	audit  *audit.Log
	events events.Emitter
}

// NewService returns a Service on pool; em receives contact.created and contact.updated in the transaction that
// makes the change (nil: events.Nop).
func NewService(pool *pgxpool.Pool, al *audit.Log, em events.Emitter) *Service {
	return &Service{db: pool, audit: al, events: events.OrNop(em)}
}

// Create adds a contact; a taken e-mail (in any letter case) is a field error on "email".
func (s *Service) Create(ctx context.Context, in Input) (Contact, error) {
	var c Contact
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		var err error
		c, err = s.CreateTx(ctx, tx, in)
		return err
	})
	return c, err
}

// CreateTx adds a contact inside the caller's transaction, with its audit entry, timeline event and
// contact.created.
func (s *Service) CreateTx(ctx context.Context, tx pgx.Tx, in Input) (Contact, error) {
	in = in.normalize()
	if err := in.Validate(); err != nil {
		return Contact{}, err
	}
	c, err := insertContact(ctx, tx, in, false)
	if err != nil {
		return Contact{}, err
	}
	if err := s.AddEventTx(ctx, tx, c.ID, EventCreated, "Contact created"); err != nil {
		return Contact{}, err
	}
	if err := s.audit.RecordTx(ctx, tx, "contact.create", "contact", c.ID, map[string]any{"email": c.Email}); err != nil {
		return Contact{}, err
	}
	return c, s.events.EmitTx(ctx, tx, events.Event{Type: events.ContactCreated, ID: c.ID})
}

// GetTx reads contact id inside tx (an event's object rendered in the emitting transaction).
func (s *Service) GetTx(ctx context.Context, tx db.DBTX, id int64) (Contact, error) {
	return getContact(ctx, tx, id, false)
}

// Contact returns contact id or an error wrapping check.ErrNotFound.
func (s *Service) Contact(ctx context.Context, id int64) (Contact, error) {
	return getContact(ctx, s.db, id, false)
}

// ContactsByID returns the contacts of ids that exist, by id, in one query: the lists of other modules name a page's
// contacts with it.
func (s *Service) ContactsByID(ctx context.Context, ids []int64) (map[int64]Contact, error) {
	out := make(map[int64]Contact, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := crmq.New(s.db).ContactsByIDs(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("read contacts: %w", err)
	}
	for _, r := range rows {
		c, err := fromRow(r)
		if err != nil {
			return nil, err
		}
		out[c.ID] = c
	}
	return out, nil
}

// ByEmail finds the contact with email, compared case-insensitively.
func (s *Service) ByEmail(ctx context.Context, email string) (Contact, error) {
	r, err := crmq.New(s.db).ContactByEmail(ctx, strings.TrimSpace(email))
	if errors.Is(err, pgx.ErrNoRows) {
		return Contact{}, fmt.Errorf("contact %q: %w", email, check.ErrNotFound)
	}
	if err != nil {
		return Contact{}, err
	}
	return fromRow(r)
}

// EmailTx returns the e-mail of contact id inside tx; other modules use it to name a contact in their messages.
func (s *Service) EmailTx(ctx context.Context, tx db.DBTX, id int64) (string, error) {
	c, err := getContact(ctx, tx, id, false)
	if err != nil {
		return "", err
	}
	return c.Email, nil
}

// List returns contacts newest first, one page of f.Limit (default 50, at most 500).
func (s *Service) List(ctx context.Context, f Filter) (Page, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	e := check.Errors{}
	e.Text("q", f.Query, false, MaxQuery)
	if len(f.Email) > 254 {
		e.Add("email", "must be at most 254 characters")
	}
	if err := e.Err(); err != nil {
		return Page{}, err
	}
	cs, err := listContacts(ctx, s.db, f)
	if err != nil {
		return Page{}, err
	}
	p := Page{Contacts: cs}
	if len(cs) > f.Limit {
		p.Contacts = cs[:f.Limit]
		p.NextBeforeID = p.Contacts[f.Limit-1].ID
	}
	return p, nil
}

// Update applies p to contact id; the whole result is validated before anything is written.
func (s *Service) Update(ctx context.Context, id int64, p Patch) (Contact, error) {
	var c Contact
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		old, err := getContact(ctx, tx, id, true)
		if err != nil {
			return err
		}
		in := p.apply(old)
		if err := in.Validate(); err != nil {
			return err
		}
		changed := changedFields(old, in)
		if len(changed) == 0 {
			c = old
			return nil
		}
		if c, err = updateContact(ctx, tx, id, in); err != nil {
			return err
		}
		if err := s.AddEventTx(ctx, tx, id, EventUpdated, "Details changed: "+strings.Join(changed, ", ")); err != nil {
			return err
		}
		if err := s.audit.RecordTx(ctx, tx, "contact.update", "contact", id, map[string]any{"changed": changed,
			"email": c.Email}); err != nil {
			return err
		}
		return s.events.EmitTx(ctx, tx, events.Event{Type: events.ContactUpdated, ID: id})
	})
	return c, err
}

func changedFields(old Contact, in Input) []string {
	var out []string
	if old.Email != in.Email {
		out = append(out, "e-mail")
	}
	if old.Name != in.Name {
		out = append(out, "name")
	}
	if old.Phone != in.Phone {
		out = append(out, "phone")
	}
	if !maps.Equal(old.CustomFields, in.CustomFields) {
		out = append(out, "custom fields")
	}
	return out
}

// Delete removes contact id with its notes, timeline and access grants (the database cascades them).
func (s *Service) Delete(ctx context.Context, id int64) error {
	return pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		email, err := crmq.New(tx).ContactDelete(ctx, id)
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "23503" { // foreign_key_violation: orders point at the contact
			return ErrHasOrders
		}
		if err != nil {
			return storeErr(id, err)
		}
		return s.audit.RecordTx(ctx, tx, "contact.delete", "contact", id, map[string]any{"email": email})
	})
}

// AddNote adds a staff note to contact id, signed by the actor in ctx.
func (s *Service) AddNote(ctx context.Context, id int64, body string) (Note, error) {
	body = strings.TrimSpace(body)
	e := check.Errors{}
	e.Text("body", body, true, MaxNote)
	if err := e.Err(); err != nil {
		return Note{}, err
	}
	var n Note
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		if _, err := getContact(ctx, tx, id, false); err != nil {
			return err
		}
		r, err := crmq.New(tx).NoteAdd(ctx, crmq.NoteAddParams{ContactID: id, Body: body, Author: audit.ActorFrom(ctx).Label})
		if err != nil {
			return storeErr(id, err)
		}
		n = Note{ID: r.ID, ContactID: r.ContactID, Body: r.Body, Author: r.Author, CreatedAt: r.CreatedAt}
		if err := s.AddEventTx(ctx, tx, id, EventNote, "Note added"); err != nil {
			return err
		}
		return s.audit.RecordTx(ctx, tx, "contact.note", "contact", id, map[string]any{"note_id": n.ID})
	})
	return n, err
}

// Notes returns the newest notes of contact id first, at most limit (default 100).
func (s *Service) Notes(ctx context.Context, id int64, limit int) ([]Note, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	rows, err := crmq.New(s.db).NoteList(ctx, crmq.NoteListParams{ContactID: id, Lim: int32(limit)})
	if err != nil {
		return nil, fmt.Errorf("notes of contact %d: %w", id, err)
	}
	out := make([]Note, 0, len(rows))
	for _, r := range rows {
		out = append(out, Note{ID: r.ID, ContactID: r.ContactID, Body: r.Body, Author: r.Author, CreatedAt: r.CreatedAt})
	}
	return out, nil
}

// AddEventTx writes a line of contact id's internal timeline inside the caller's transaction, signed by the actor
// in ctx. Other modules log what concerns a contact through it (access granted, order completed…).
func (s *Service) AddEventTx(ctx context.Context, tx db.DBTX, contactID int64, kind, message string) error {
	return addEvent(ctx, tx, contactID, kind, message, audit.ActorFrom(ctx).Label)
}

// AddEventsTx is AddEventTx for many lines (each its ContactID, Kind and Message; the actor is the one in ctx) in
// one statement: a module changing many contacts' affairs at once (a batch of receipts).
func (s *Service) AddEventsTx(ctx context.Context, tx db.DBTX, events []Event) error {
	if len(events) == 0 {
		return nil
	}
	p := crmq.EventsAddParams{Actor: audit.ActorFrom(ctx).Label, ContactIds: make([]int64, len(events)),
		Kinds: make([]string, len(events)), Messages: make([]string, len(events))}
	for i, e := range events {
		p.ContactIds[i], p.Kinds[i], p.Messages[i] = e.ContactID, e.Kind, e.Message
	}
	if err := crmq.New(tx).EventsAdd(ctx, p); err != nil {
		return fmt.Errorf("%d timeline lines: %w", len(events), err)
	}
	return nil
}

// AddEventEmailTx is AddEventTx that also returns the contact's current e-mail, read by the same statement: a
// module that writes a contact's line and then e-mails them (an order's completion) pays one statement for both.
func (s *Service) AddEventEmailTx(ctx context.Context, tx db.DBTX, contactID int64, kind, message string) (string, error) {
	return addEventEmail(ctx, tx, contactID, kind, message, audit.ActorFrom(ctx).Label)
}

// Events returns the timeline of contact id, newest first, at most limit (default 100).
func (s *Service) Events(ctx context.Context, id int64, limit int) ([]Event, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	rows, err := crmq.New(s.db).EventList(ctx, crmq.EventListParams{ContactID: id, Lim: int32(limit)})
	if err != nil {
		return nil, fmt.Errorf("timeline of contact %d: %w", id, err)
	}
	out := make([]Event, 0, len(rows))
	for _, r := range rows {
		out = append(out, Event{ID: r.ID, ContactID: r.ContactID, Kind: r.Kind, Message: r.Message, Actor: r.Actor, CreatedAt: r.CreatedAt})
	}
	return out, nil
}
