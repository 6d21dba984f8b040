// Package audit is the audit log: who (an admin, an API key, the CLI or the system) changed what, and when. Modules
// record their changes in the same transaction as the change itself, so the log never claims what did not happen.
package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/bursar/bursar/internal/audit/auditq"
	"github.com/bursar/bursar/internal/db"
)

// Actor types.
const (
	ActorAdmin  = "admin"
	ActorAPI    = "api"
	ActorCLI    = "cli"
	ActorSystem = "system"
)

// Actor is who makes a change.
type Actor struct {
	Type  string
	ID    int64  // admin user or API key id; 0 for cli and system
	Label string // e-mail or key name, kept as it was at the time
}

type actorKey struct{}

// WithActor returns ctx carrying a.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor in ctx, or the system when there is none.
func ActorFrom(ctx context.Context) Actor {
	if a, ok := ctx.Value(actorKey{}).(Actor); ok {
		return a
	}
	return Actor{Type: ActorSystem, Label: "system"}
}

// Entry is one line of the audit log.
type Entry struct {
	ID       int64
	At       time.Time
	Actor    Actor
	Action   string // e.g. "offer.create"
	Entity   string // e.g. "offer"
	EntityID string
	Details  map[string]any
}

// Log writes and reads the audit log.
type Log struct {
	db db.DBTX
}

// New returns a Log on pool.
func New(pool db.DBTX) *Log { return &Log{db: pool} }

// RecordTx writes an entry for the actor in ctx inside tx.
func (l *Log) RecordTx(ctx context.Context, tx db.DBTX, action, entity string, entityID any, details map[string]any) error {
	a := ActorFrom(ctx)
	if details == nil {
		details = map[string]any{}
	}
	b, err := json.Marshal(details)
	if err != nil {
		return fmt.Errorf("audit details: %w", err)
	}
	var actorID *int64
	if a.ID != 0 {
		actorID = &a.ID
	}
	err = auditq.New(tx).EntryAdd(ctx, auditq.EntryAddParams{
		ActorType: a.Type, ActorID: actorID, ActorLabel: a.Label,
		Action: action, Entity: entity, EntityID: fmt.Sprint(entityID), Details: b,
	})
	if err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}

// RecordManyTx writes entries (their Action, Entity, EntityID and Details; the actor is the one in ctx, as for
// RecordTx) inside tx in one statement: a module changing many rows at once (a batch of receipts) records each.
func (l *Log) RecordManyTx(ctx context.Context, tx db.DBTX, entries []Entry) error {
	if len(entries) == 0 {
		return nil
	}
	a := ActorFrom(ctx)
	p := auditq.EntriesAddParams{ActorType: a.Type, ActorLabel: a.Label, Actions: make([]string, len(entries)),
		Entities: make([]string, len(entries)), EntityIds: make([]string, len(entries)),
		Details: make([][]byte, len(entries))}
	if a.ID != 0 {
		p.ActorID = &a.ID
	}
	for i, e := range entries {
		d := e.Details
		if d == nil {
			d = map[string]any{}
		}
		b, err := json.Marshal(d)
		if err != nil {
			return fmt.Errorf("audit details: %w", err)
		}
		p.Actions[i], p.Entities[i], p.EntityIds[i], p.Details[i] = e.Action, e.Entity, e.EntityID, b
	}
	if err := auditq.New(tx).EntriesAdd(ctx, p); err != nil {
		return fmt.Errorf("audit %d entries: %w", len(entries), err)
	}
	return nil
}

// ActorTypes are the actor types an entry may have.
var ActorTypes = []string{ActorAdmin, ActorAPI, ActorCLI, ActorSystem}

// Filter narrows List; zero fields do not narrow.
type Filter struct {
	Entity    string
	EntityID  string
	ActorType string    // one of ActorTypes
	ActorID   int64     // the admin user or API key id (with ActorType)
	Since     time.Time // entries at or after
	Until     time.Time // entries before
	BeforeID  int64     // keyset cursor: entries older than this id
	Limit     int
}

// List returns entries newest first.
func (l *Log) List(ctx context.Context, f Filter) ([]Entry, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	p := auditq.EntryListParams{Limit: int32(f.Limit)}
	if f.BeforeID > 0 {
		p.BeforeID = &f.BeforeID
	}
	if f.Entity != "" {
		p.Entity = &f.Entity
	}
	if f.EntityID != "" {
		p.EntityID = &f.EntityID
	}
	if f.ActorType != "" {
		p.ActorType = &f.ActorType
	}
	if f.ActorID > 0 {
		p.ActorID = &f.ActorID
	}
	if !f.Since.IsZero() {
		p.Since = &f.Since
	}
	if !f.Until.IsZero() {
		p.Until = &f.Until
	}
	rows, err := auditq.New(l.db).EntryList(ctx, p)
	if err != nil {
		return nil, err
	}
	out := make([]Entry, 0, len(rows))
	for _, r := range rows {
		e := Entry{ID: r.ID, At: r.At, Action: r.Action, Entity: r.Entity, EntityID: r.EntityID,
			Actor: Actor{Type: r.ActorType, Label: r.ActorLabel}}
		if r.ActorID != nil {
			e.Actor.ID = *r.ActorID
		}
		_ = json.Unmarshal(r.Details, &e.Details)
		out = append(out, e)
	}
	return out, nil
}
