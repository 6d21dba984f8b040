package crm

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/audit"
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

// UpsertManyTx is UpsertTx for a batch of inputs (an import's rows) in a handful of statements: the new e-mails'
// contacts inserted in one, the known ones read in one and those whose name or phone changes updated in one, the
// timeline lines and audit entries one statement each. The same rules as UpsertTx apply to each e-mail: a new
// contact gets the name and phone given; a known one (any letter case) the name and phone given where not empty and
// different, never an empty cell's blank. An e-mail given several times (one person's several purchases) is one
// contact, given the last name and phone not empty among its inputs, with one timeline line and audit entry. The
// contacts come back in ins's order (the same contact for each input of one e-mail); the outcome of an e-mail is on
// its first input, the others Unchanged. The first bad input is the error (its index named), nothing written.
// contact.created and contact.updated are added to evs, for the caller to emit with the rest of its batch.
func (s *Service) UpsertManyTx(ctx context.Context, tx db.DBTX, ins []Input, via string, evs *events.Batch) ([]Contact, []Outcome, error) {
	if len(ins) == 0 {
		return nil, nil, nil
	}
	first := make(map[string]int, len(ins)) // e-mail → index into merged
	at := make([]int, len(ins))             // input → index into merged
	merged := make([]Input, 0, len(ins))
	for i, in := range ins {
		in = in.normalize()
		if err := in.Validate(); err != nil {
			return nil, nil, fmt.Errorf("contact [%d] %q: %w", i, in.Email, err)
		}
		k, ok := first[in.Email]
		if !ok {
			k = len(merged)
			first[in.Email] = k
			merged = append(merged, Input{Email: in.Email})
		}
		at[i] = k
		if in.Name != "" {
			merged[k].Name = in.Name
		}
		if in.Phone != "" {
			merged[k].Phone = in.Phone
		}
	}
	q := crmq.New(tx)
	ip := crmq.ContactsInsertManyParams{Emails: make([]string, len(merged)), Names: make([]string, len(merged)),
		Phones: make([]string, len(merged))}
	for k, in := range merged {
		ip.Emails[k], ip.Names[k], ip.Phones[k] = in.Email, in.Name, in.Phone
	}
	inserted, err := q.ContactsInsertMany(ctx, ip)
	if err != nil {
		return nil, nil, fmt.Errorf("insert %d contacts: %w", len(merged), err)
	}
	contacts := make([]Contact, len(merged))
	outcomes := make([]Outcome, len(merged))
	found := make([]bool, len(merged))
	var lines []Event
	var entries []audit.Entry
	for _, r := range inserted {
		c, err := fromRow(r)
		if err != nil {
			return nil, nil, err
		}
		k, ok := first[strings.ToLower(c.Email)]
		if !ok {
			return nil, nil, fmt.Errorf("insert contacts: %q returned was not given", c.Email)
		}
		contacts[k], outcomes[k], found[k] = c, Created, true
		lines = append(lines, Event{ContactID: c.ID, Kind: EventCreated, Message: "Contact created by " + via})
		evs.Add(events.Event{Type: events.ContactCreated, ID: c.ID})
		entries = append(entries, audit.Entry{Action: "contact.create", Entity: "contact",
			EntityID: strconv.FormatInt(c.ID, 10), Details: map[string]any{"email": c.Email, "source": via}})
	}
	if len(inserted) < len(merged) {
		var known []string
		for k, in := range merged {
			if !found[k] {
				known = append(known, in.Email)
			}
		}
		rows, err := q.ContactsByEmails(ctx, known)
		if err != nil {
			return nil, nil, fmt.Errorf("read %d contacts: %w", len(known), err)
		}
		up := crmq.ContactsSetNamePhoneParams{}
		changes := map[int64][]string{}
		for _, r := range rows {
			old, err := fromRow(r)
			if err != nil {
				return nil, nil, err
			}
			k, ok := first[strings.ToLower(old.Email)]
			if !ok || found[k] {
				continue
			}
			contacts[k], found[k] = old, true
			in := merged[k]
			next := Input{Email: old.Email, Name: old.Name, Phone: old.Phone, CustomFields: old.CustomFields}
			if in.Name != "" {
				next.Name = in.Name
			}
			if in.Phone != "" {
				next.Phone = in.Phone
			}
			if changed := changedFields(old, next); len(changed) > 0 {
				changes[old.ID] = changed
				up.Ids, up.Names, up.Phones = append(up.Ids, old.ID), append(up.Names, next.Name), append(up.Phones, next.Phone)
			}
		}
		for k, in := range merged {
			if !found[k] {
				return nil, nil, fmt.Errorf("contact %q: neither inserted nor found", in.Email)
			}
		}
		if len(up.Ids) > 0 {
			updated, err := q.ContactsSetNamePhone(ctx, up)
			if err != nil {
				return nil, nil, fmt.Errorf("update %d contacts: %w", len(up.Ids), err)
			}
			for _, r := range updated {
				c, err := fromRow(r)
				if err != nil {
					return nil, nil, err
				}
				k := first[strings.ToLower(c.Email)]
				contacts[k], outcomes[k] = c, Updated
				changed := changes[c.ID]
				evs.Add(events.Event{Type: events.ContactUpdated, ID: c.ID})
				lines = append(lines, Event{ContactID: c.ID, Kind: EventUpdated,
					Message: "Details changed by " + via + ": " + strings.Join(changed, ", ")})
				entries = append(entries, audit.Entry{Action: "contact.update", Entity: "contact",
					EntityID: strconv.FormatInt(c.ID, 10), Details: map[string]any{"changed": changed, "email": c.Email,
						"source": via}})
			}
		}
	}
	if err := s.AddEventsTx(ctx, tx, lines); err != nil {
		return nil, nil, err
	}
	if err := s.audit.RecordManyTx(ctx, tx, entries); err != nil {
		return nil, nil, err
	}
	out := make([]Contact, len(ins))
	outs := make([]Outcome, len(ins))
	seen := make([]bool, len(merged))
	for i, k := range at {
		out[i] = contacts[k]
		if !seen[k] {
			outs[i], seen[k] = outcomes[k], true
		}
	}
	return out, outs, nil
}
