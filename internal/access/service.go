package access

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/bursar/bursar/internal/access/accessq"
	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/db"
	"github.com/bursar/bursar/internal/events"
)

// Service manages access grants.
type Service struct {
	db       *pgxpool.Pool
	audit    *audit.Log
	contacts Contacts
	products Products
	events   events.Emitter
}

// NewService returns a Service on pool; contacts keeps the timelines, products names products in them. Each is
// required: a missing one is an error naming it. em receives access.granted, access.revoked and
// access.transferred in the transaction that makes the change (nil: events.Nop).
func NewService(pool *pgxpool.Pool, al *audit.Log, contacts Contacts, products Products, em events.Emitter) (*Service, error) {
	for _, dep := range []struct {
		name string
		v    any
	}{{"pool", pool}, {"audit log", al}, {"contacts", contacts}, {"products", products}} {
		if isNil(dep.v) {
			return nil, fmt.Errorf("access: %s is required", dep.name)
		}
	}
	return &Service{db: pool, audit: al, contacts: contacts, products: products, events: events.OrNop(em)}, nil
}

// isNil reports whether v is nil or an interface holding a nil pointer.
func isNil(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	return rv.Kind() == reflect.Pointer && rv.IsNil()
}

// Grant gives a product to a contact in its own transaction; see GrantTx.
func (s *Service) Grant(ctx context.Context, n NewGrant) (g Grant, created bool, err error) {
	err = pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		g, created, err = s.GrantTx(ctx, tx, n)
		return err
	})
	return g, created, err
}

// GrantTx gives a product to a contact inside the caller's transaction (an order's fulfilment, an import), with its
// audit entry and timeline event. When the contact already has access to the product in force, that grant is
// extended to the later end (forever wins) and returned with created false; no second grant is made. An unknown
// contact or product is a field error on contact_id or product_id. A new grant, or one extended, emits
// access.granted.
func (s *Service) GrantTx(ctx context.Context, tx pgx.Tx, n NewGrant) (Grant, bool, error) {
	var evs events.Batch
	g, created, err := s.grantTx(ctx, tx, n, "", &evs)
	if err != nil {
		return g, created, err
	}
	return g, created, evs.EmitTx(ctx, s.events, tx)
}

// GrantBatchTx is GrantTx for a caller making many changes in one transaction (an order's products, an import's
// rows): access.granted is added to evs, which the caller emits with the rest of its events, once its statements
// have run (tx may be a pipeline of statements, not the transaction itself).
func (s *Service) GrantBatchTx(ctx context.Context, tx db.DBTX, n NewGrant, evs *events.Batch) (Grant, bool, error) {
	return s.grantTx(ctx, tx, n, "", evs)
}

// grantTx grants n; from is the e-mail of the contact a transfer comes from ("" otherwise: then a new or extended
// grant adds access.granted to evs; a transfer's caller adds access.transferred).
func (s *Service) grantTx(ctx context.Context, tx db.DBTX, n NewGrant, from string, evs *events.Batch) (Grant, bool, error) {
	n.SourceRef = strings.TrimSpace(n.SourceRef)
	now := time.Now()
	if err := n.Validate(now); err != nil {
		return Grant{}, false, err
	}
	end := n.end(now)
	q := accessq.New(tx)
	if err := q.GrantLockPair(ctx, accessq.GrantLockPairParams{ContactID: n.ContactID, ProductID: n.ProductID}); err != nil {
		return Grant{}, false, fmt.Errorf("lock grant: %w", err)
	}
	cur, ok, err := activeGrant(ctx, tx, n.ContactID, n.ProductID)
	if err != nil {
		return Grant{}, false, err
	}
	if ok {
		g, changed, err := s.extendTx(ctx, tx, cur, end)
		if changed && from == "" {
			evs.Add(events.Event{Type: events.AccessGranted, ID: g.ID})
		}
		return g, false, err
	}
	g, err := insertGrant(ctx, tx, n, end)
	if err != nil {
		return Grant{}, false, err
	}
	kind, msg := EventGranted, fmt.Sprintf("Access to %s granted (%s) %s", s.productName(ctx, tx, g.ProductID), g.Source, until(g.EndsAt))
	if from != "" {
		kind, msg = EventTransferredIn, fmt.Sprintf("Access to %s received from %s, %s", s.productName(ctx, tx, g.ProductID), from, until(g.EndsAt))
	}
	if err := s.contacts.AddEventTx(ctx, tx, g.ContactID, kind, msg); err != nil {
		return Grant{}, false, err
	}
	err = s.audit.RecordTx(ctx, tx, "access.grant", "access_grant", g.ID, map[string]any{
		"contact_id": g.ContactID, "product_id": g.ProductID, "source": g.Source, "ends_at": g.EndsAt, "transferred_from": n.TransferredFrom})
	if err == nil && from == "" {
		evs.Add(events.Event{Type: events.AccessGranted, ID: g.ID})
	}
	return g, true, err
}

// extendTx moves cur's end to end when that is later; changed says whether it did.
func (s *Service) extendTx(ctx context.Context, tx db.DBTX, cur Grant, end *time.Time) (Grant, bool, error) {
	if cur.EndsAt == nil || (end != nil && !end.After(*cur.EndsAt)) {
		return cur, false, nil // already lasts at least as long
	}
	r, err := accessq.New(tx).GrantSetEnd(ctx, accessq.GrantSetEndParams{ID: cur.ID, EndsAt: end})
	if err != nil {
		return Grant{}, false, storeErr(cur.ID, err)
	}
	g := fromRow(r)
	msg := fmt.Sprintf("Access to %s extended %s", s.productName(ctx, tx, g.ProductID), until(g.EndsAt))
	if err := s.contacts.AddEventTx(ctx, tx, g.ContactID, EventExtended, msg); err != nil {
		return Grant{}, false, err
	}
	err = s.audit.RecordTx(ctx, tx, "access.extend", "access_grant", g.ID, map[string]any{
		"contact_id": g.ContactID, "product_id": g.ProductID, "from": cur.EndsAt, "to": g.EndsAt})
	return g, err == nil, err
}

// Revoke ends grant id now. A grant already revoked is ErrRevoked and nothing changes.
func (s *Service) Revoke(ctx context.Context, id int64, reason string) (Grant, error) {
	reason = strings.TrimSpace(reason)
	e := check.Errors{}
	e.Text("reason", reason, false, MaxReason)
	if err := e.Err(); err != nil {
		return Grant{}, err
	}
	var g Grant
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		var err error
		g, err = s.RevokeTx(ctx, tx, id, reason)
		return err
	})
	return g, err
}

// RevokeTx revokes grant id inside the caller's transaction (a refund), with audit entry, timeline event and
// access.revoked.
func (s *Service) RevokeTx(ctx context.Context, tx pgx.Tx, id int64, reason string) (Grant, error) {
	g, err := revokeGrant(ctx, tx, id, reason, false)
	if err != nil {
		return Grant{}, err
	}
	msg := fmt.Sprintf("Access to %s revoked", s.productName(ctx, tx, g.ProductID))
	if reason != "" {
		msg += ": " + reason
	}
	if err := s.contacts.AddEventTx(ctx, tx, g.ContactID, EventRevoked, msg); err != nil {
		return Grant{}, err
	}
	err = s.audit.RecordTx(ctx, tx, "access.revoke", "access_grant", g.ID, map[string]any{
		"contact_id": g.ContactID, "product_id": g.ProductID, "reason": reason})
	if err != nil {
		return Grant{}, err
	}
	return g, s.events.EmitTx(ctx, tx, events.Event{Type: events.AccessRevoked, ID: g.ID})
}

// Transfer moves grant id to another contact: the old grant is revoked with reason "transferred to <e-mail>" and
// the target gets a grant of the same product with the same end, source transfer, pointing back at the old one
// (or, when the target already has access to it, their grant is extended). A revoked or expired grant cannot be
// transferred (ErrRevoked, ErrExpired); the grant's own contact is a field error on to_contact_id.
func (s *Service) Transfer(ctx context.Context, id, toContactID int64) (Grant, error) {
	var g Grant
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		var err error
		g, err = s.transferTx(ctx, tx, id, toContactID)
		return err
	})
	return g, err
}

// transferTx moves grant id to toContactID; access.transferred carries the target's grant (transferred_from names
// the old one).
func (s *Service) transferTx(ctx context.Context, tx pgx.Tx, id, toContactID int64) (Grant, error) {
	old, err := getGrant(ctx, tx, id)
	if err != nil {
		return Grant{}, err
	}
	if toContactID == old.ContactID {
		return Grant{}, check.Field("to_contact_id", "is the contact who has this access already; pick another contact")
	}
	toEmail, err := s.contacts.EmailTx(ctx, tx, toContactID)
	if errors.Is(err, check.ErrNotFound) {
		return Grant{}, check.Field("to_contact_id", "no contact has this id")
	}
	if err != nil {
		return Grant{}, err
	}
	fromEmail, err := s.contacts.EmailTx(ctx, tx, old.ContactID)
	if err != nil {
		return Grant{}, err
	}
	old, err = revokeGrant(ctx, tx, id, "transferred to "+toEmail, true)
	if err != nil {
		return Grant{}, err
	}
	name := s.productName(ctx, tx, old.ProductID)
	if err := s.contacts.AddEventTx(ctx, tx, old.ContactID, EventTransferredOut, fmt.Sprintf("Access to %s transferred to %s", name, toEmail)); err != nil {
		return Grant{}, err
	}
	n := NewGrant{ContactID: toContactID, ProductID: old.ProductID, Source: SourceTransfer,
		SourceRef: audit.ActorFrom(ctx).Label, EndsAt: old.EndsAt, TransferredFrom: old.ID}
	g, _, err := s.grantTx(ctx, tx, n, fromEmail, nil)
	if err != nil {
		return Grant{}, err
	}
	err = s.audit.RecordTx(ctx, tx, "access.transfer", "access_grant", old.ID, map[string]any{
		"from_contact_id": old.ContactID, "to_contact_id": toContactID, "product_id": old.ProductID, "new_grant_id": g.ID})
	if err != nil {
		return Grant{}, err
	}
	return g, s.events.EmitTx(ctx, tx, events.Event{Type: events.AccessTransferred, ID: g.ID})
}

// GetTx reads grant id inside tx (an event's object rendered in the emitting transaction).
func (s *Service) GetTx(ctx context.Context, tx db.DBTX, id int64) (Grant, error) {
	return getGrant(ctx, tx, id)
}

// Get returns grant id or an error wrapping check.ErrNotFound.
func (s *Service) Get(ctx context.Context, id int64) (Grant, error) {
	return getGrant(ctx, s.db, id)
}

// Active lists the grants of contact id in force now, newest first.
func (s *Service) Active(ctx context.Context, contactID int64) ([]Grant, error) {
	rs, err := accessq.New(s.db).GrantsActiveForContact(ctx, contactID)
	if err != nil {
		return nil, fmt.Errorf("active grants of contact %d: %w", contactID, err)
	}
	return fromRows(rs), nil
}

// ForContact lists every grant of contact id, past ones included, newest first.
func (s *Service) ForContact(ctx context.Context, contactID int64) ([]Grant, error) {
	rs, err := accessq.New(s.db).GrantsForContact(ctx, contactID)
	if err != nil {
		return nil, fmt.Errorf("grants of contact %d: %w", contactID, err)
	}
	return fromRows(rs), nil
}

// productName names a product for a timeline message; when the catalog cannot, the id stands in.
func (s *Service) productName(ctx context.Context, tx db.DBTX, id int64) string {
	if names, err := s.products.ProductNamesTx(ctx, tx, []int64{id}); err == nil && names[id] != "" {
		return names[id]
	}
	return fmt.Sprintf("product #%d", id)
}

func until(end *time.Time) string {
	if end == nil {
		return "forever"
	}
	return "until " + end.UTC().Format("2006-01-02 15:04 UTC")
}

// PauseTx pauses grants ids (an enrollment suspended or paused) in the caller's transaction: kept, not revoked,
// but giving no access (ActiveAt, Active) until ResumeTx. Grants revoked or paused already are left as they are.
func (s *Service) PauseTx(ctx context.Context, tx db.DBTX, ids []int64, reason string) error {
	if len(ids) == 0 {
		return nil
	}
	rows, err := accessq.New(tx).GrantsPause(ctx, accessq.GrantsPauseParams{Ids: ids, Reason: reason})
	if err != nil {
		return fmt.Errorf("pause grants: %w", err)
	}
	return s.changedTx(ctx, tx, rows, EventPaused, "access.pause", "paused: "+reason)
}

// ResumeTx resumes paused grants ids as they were (same grant, same end).
func (s *Service) ResumeTx(ctx context.Context, tx db.DBTX, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	rows, err := accessq.New(tx).GrantsResume(ctx, ids)
	if err != nil {
		return fmt.Errorf("resume grants: %w", err)
	}
	return s.changedTx(ctx, tx, rows, EventResumed, "access.resume", "resumed")
}

// EndTx sets the end of grants ids (not revoked) to end (a cancelled enrollment: the end of its paid period); a
// paused one gives access again until then.
func (s *Service) EndTx(ctx context.Context, tx db.DBTX, ids []int64, end time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	rows, err := accessq.New(tx).GrantsEnd(ctx, accessq.GrantsEndParams{Ids: ids, EndsAt: end})
	if err != nil {
		return fmt.Errorf("end grants: %w", err)
	}
	return s.changedTx(ctx, tx, rows, EventEnded, "access.end", "ends "+end.UTC().Format("2006-01-02 15:04 UTC"))
}

// changedTx writes the timeline and audit of grants paused, resumed or ended.
func (s *Service) changedTx(ctx context.Context, tx db.DBTX, rows []accessq.AccessGrant, kind, action, what string) error {
	for _, r := range rows {
		g := fromRow(r)
		msg := fmt.Sprintf("Access to %s %s", s.productName(ctx, tx, g.ProductID), what)
		if err := s.contacts.AddEventTx(ctx, tx, g.ContactID, kind, msg); err != nil {
			return err
		}
		if err := s.audit.RecordTx(ctx, tx, action, "access_grant", g.ID, map[string]any{
			"contact_id": g.ContactID, "product_id": g.ProductID, "ends_at": g.EndsAt, "paused_at": g.PausedAt,
			"reason": g.PauseReason}); err != nil {
			return err
		}
	}
	return nil
}
