package paylink

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/crm"
	"github.com/bursar/bursar/internal/db"
	"github.com/bursar/bursar/internal/events"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/offer"
	"github.com/bursar/bursar/internal/order"
	"github.com/bursar/bursar/internal/paylink/paylinkq"
	"github.com/bursar/bursar/internal/settings"
)

// Orders opens and cancels the orders links are paid with (internal/order).
type Orders interface {
	StartGateway(ctx context.Context, n order.NewGateway, checkout func(order.Attempt) gateway.Checkout) (order.Started, error)
	OpenManual(ctx context.Context, n order.NewManual) (order.Order, bool, error)
	LockTx(ctx context.Context, tx pgx.Tx, id int64) (order.Order, error)
	CancelOpenTx(ctx context.Context, tx pgx.Tx, id int64, reason string) (bool, error)
}

// Offers reads offers (internal/offer, through the catalog cache).
type Offers interface {
	Offer(ctx context.Context, id int64) (offer.Offer, error)
}

// Catalog makes the link-only offer a custom amount is sold through, in the link's transaction (internal/offer).
type Catalog interface {
	CreateTx(ctx context.Context, tx pgx.Tx, in offer.Input) (offer.Offer, error)
	// CreateLinkOnlyManyTx makes many such offers at once (CreateManyTx).
	CreateLinkOnlyManyTx(ctx context.Context, tx pgx.Tx, ins []offer.Input) ([]offer.Offer, error)
}

// Systems reads payment systems (internal/gateway, through the catalog cache).
type Systems interface {
	Get(ctx context.Context, id int64) (gateway.System, error)
}

// Contacts reads contacts and writes their timeline (internal/crm).
type Contacts interface {
	Contact(ctx context.Context, id int64) (crm.Contact, error)
	AddEventTx(ctx context.Context, tx db.DBTX, contactID int64, kind, message string) error
	// ContactsByID and AddEventsTx are Contact and AddEventTx for many at once (CreateManyTx).
	ContactsByID(ctx context.Context, ids []int64) (map[int64]crm.Contact, error)
	AddEventsTx(ctx context.Context, tx db.DBTX, events []crm.Event) error
	EmailTx(ctx context.Context, tx db.DBTX, id int64) (string, error)
}

// School reads the school's settings (internal/settings, through the catalog cache): the payer's page shows them.
type School interface {
	GetTx(ctx context.Context, tx db.DBTX) (settings.School, error)
}

// Mailer queues the links' e-mails in the caller's transaction (internal/mailer).
type Mailer interface {
	LinkEmailTx(ctx context.Context, tx pgx.Tx, e Email) error
}

// Jobs enqueues River jobs inside a transaction (internal/jobs).
type Jobs interface {
	InsertTx(ctx context.Context, tx pgx.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
}

// EmailKind names a link e-mail.
type EmailKind string

// Link e-mails.
const (
	EmailLink     EmailKind = "link"     // the link, to the payer
	EmailPaid     EmailKind = "paid"     // to the operator who made it
	EmailDeclined EmailKind = "declined" // to the operator who made it, with the payer's reason
)

// Email is a link e-mail; the mailer renders it in Link.Language and deduplicates it by DedupKey.
type Email struct {
	Kind     EmailKind
	Link     Link // with Token and URL
	To       string
	DedupKey string
}

// Config is the service's settings.
type Config struct {
	// SecretKey signs the links' tokens (config.Config.SecretKey; at least 32 bytes).
	SecretKey []byte
	// BaseURL is the public URL the links' pages are under.
	BaseURL string
	// DefaultExpiry is how long a link works when its maker gives no expiry (DefaultExpiry when 0).
	DefaultExpiry time.Duration
	// Now is the clock (time.Now when nil): expiry, the timelines' times and the jobs' schedule follow it, so tests
	// move it instead of sleeping.
	Now func() time.Time
	// Events receives payment_link.paid (Completions) and payment_link.declined (Decline) in the transaction that
	// makes the change; nil is events.Nop.
	Events events.Emitter
}

// Deps are the modules a link reaches.
type Deps struct {
	Orders   Orders
	Offers   Offers
	Catalog  Catalog
	Systems  Systems
	Contacts Contacts
	Mailer   Mailer
	Jobs     Jobs
	School   School
}

func (d Deps) validate() error {
	for _, dep := range []struct {
		name string
		v    any
	}{{"Orders", d.Orders}, {"Offers", d.Offers}, {"Catalog", d.Catalog}, {"Systems", d.Systems}, {"Contacts", d.Contacts},
		{"Mailer", d.Mailer}, {"Jobs", d.Jobs}, {"School", d.School}} {
		if dep.v == nil || (reflect.ValueOf(dep.v).Kind() == reflect.Pointer && reflect.ValueOf(dep.v).IsNil()) {
			return fmt.Errorf("paylink: Deps.%s is required", dep.name)
		}
	}
	return nil
}

// Service runs payment links.
type Service struct {
	db    *pgxpool.Pool
	audit *audit.Log
	deps  Deps
	rec   recorder
}

// NewService returns a Service on pool, or an error naming what is missing.
func NewService(pool *pgxpool.Pool, al *audit.Log, cfg Config, d Deps) (*Service, error) {
	switch {
	case pool == nil:
		return nil, errors.New("paylink: a pool is required")
	case al == nil:
		return nil, errors.New("paylink: an audit log is required")
	}
	if err := d.validate(); err != nil {
		return nil, err
	}
	rec, err := newRecorder(al, cfg, d.Contacts, d.Mailer)
	if err != nil {
		return nil, err
	}
	return &Service{db: pool, audit: al, deps: d, rec: rec}, nil
}

// recorder is what both the Service and Completions write with: the clock, the tokens, the timelines, the audit
// log and the e-mails.
type recorder struct {
	audit    *audit.Log
	sign     signer
	baseURL  string
	expiry   time.Duration
	now      func() time.Time
	contacts Contacts
	mailer   Mailer
	events   events.Emitter
}

func newRecorder(al *audit.Log, cfg Config, contacts Contacts, mailer Mailer) (recorder, error) {
	sign, err := newSigner(cfg.SecretKey)
	if err != nil {
		return recorder{}, err
	}
	if cfg.BaseURL == "" {
		return recorder{}, errors.New("paylink: a base URL is required")
	}
	r := recorder{audit: al, sign: sign, baseURL: strings.TrimRight(cfg.BaseURL, "/"), expiry: cfg.DefaultExpiry,
		now: cfg.Now, contacts: contacts, mailer: mailer, events: events.OrNop(cfg.Events)}
	if r.expiry <= 0 {
		r.expiry = DefaultExpiry
	}
	if r.now == nil {
		r.now = time.Now
	}
	return r, nil
}

// Now is the service's clock: a link's status as of now is Link.StatusAt(Now()).
func (s *Service) Now() time.Time { return s.rec.clock() }

// clock is the current time, to the microsecond PostgreSQL keeps.
func (r recorder) clock() time.Time { return r.now().UTC().Truncate(time.Microsecond) }

// link is a row as a Link with its token and URL.
func (r recorder) link(row paylinkq.PaymentLink) Link {
	l := Link{ID: row.ID, ContactID: row.ContactID, OfferID: row.OfferID, Custom: row.Custom, Title: row.Title, PaymentSystemIDs: row.PaymentSystemIds,
		Language: row.Language, Note: row.Note, Status: Status(row.Status), DeclineReason: row.DeclineReason,
		CreatorType: row.CreatorType, CreatorLabel: row.CreatorLabel, ExpiresAt: row.ExpiresAt,
		FirstOpenedAt: row.FirstOpenedAt, LastOpenedAt: row.LastOpenedAt, DecidedAt: row.DecidedAt,
		DecidedBy: row.DecidedBy, CreatedAt: row.CreatedAt, UpdatedAt: row.UpdatedAt}
	l.Price.Amount, l.Price.Currency = row.Amount, row.Currency
	for _, p := range []struct {
		dst *int64
		src *int64
	}{{&l.OrderID, row.OrderID}, {&l.VoidedBy, row.VoidedBy}, {&l.CreatorID, row.CreatorID}} {
		if p.src != nil {
			*p.dst = *p.src
		}
	}
	l.Token = r.sign.token(l.ID)
	l.URL = r.url(l.Token)
	return l
}

// eventTx writes a line on l's own timeline and the same on its contact's, and the audit entry action with
// details; it returns the line's id.
func (r recorder) eventTx(ctx context.Context, tx pgx.Tx, l Link, kind, msg, action string, details map[string]any) (int64, error) {
	actor := audit.ActorFrom(ctx).Label
	id, err := paylinkq.New(tx).LinkEventAdd(ctx, paylinkq.LinkEventAddParams{LinkID: l.ID, Kind: kind, Message: msg,
		Actor: actor, Now: r.clock()})
	if err != nil {
		return 0, fmt.Errorf("link %d timeline: %w", l.ID, err)
	}
	if err := r.contacts.AddEventTx(ctx, tx, l.ContactID, kind, msg); err != nil {
		return 0, fmt.Errorf("contact %d timeline: %w", l.ContactID, err)
	}
	if details == nil {
		details = map[string]any{}
	}
	details["contact_id"] = l.ContactID
	return id, r.audit.RecordTx(ctx, tx, action, "payment_link", l.ID, details)
}

// operatorMailTx e-mails the operator who made l (kind paid or declined), when an operator (not an API key) did.
func (r recorder) operatorMailTx(ctx context.Context, tx pgx.Tx, l Link, kind EmailKind) error {
	if l.CreatorType != audit.ActorAdmin || !strings.Contains(l.CreatorLabel, "@") {
		return nil
	}
	return r.mailer.LinkEmailTx(ctx, tx, Email{Kind: kind, Link: l, To: l.CreatorLabel,
		DedupKey: fmt.Sprintf("paylink:%d:%s", l.ID, kind)})
}

// describe is a log line's name for l: "payment link 12 (Spanish A1, 49.00 EUR)".
func describe(l Link) string {
	return fmt.Sprintf("payment link %d (%s, %s)", l.ID, l.Title, l.Price)
}

// get reads link id.
func (s *Service) get(ctx context.Context, q db.DBTX, id int64) (Link, error) {
	row, err := paylinkq.New(q).LinkGet(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return Link{}, NotFoundError(id)
	}
	if err != nil {
		return Link{}, fmt.Errorf("read payment link %d: %w", id, err)
	}
	return s.rec.link(row), nil
}

// GetTx reads link id inside tx (an event's object rendered in the emitting transaction).
func (s *Service) GetTx(ctx context.Context, tx db.DBTX, id int64) (Link, error) {
	return s.get(ctx, tx, id)
}

// EventsTx is Events inside tx.
func (s *Service) EventsTx(ctx context.Context, tx db.DBTX, id int64) ([]Event, error) {
	rows, err := paylinkq.New(tx).LinkEvents(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("timeline of payment link %d: %w", id, err)
	}
	out := make([]Event, len(rows))
	for i, r := range rows {
		out[i] = Event{ID: r.ID, Kind: r.Kind, Message: r.Message, Actor: r.Actor, CreatedAt: r.CreatedAt}
	}
	return out, nil
}

// Get returns link id.
func (s *Service) Get(ctx context.Context, id int64) (Link, error) { return s.get(ctx, s.db, id) }

// ByToken returns the link tok names. A token that is not this server's (wrong, tampered, truncated) and one of a
// link that no longer exists are all check.ErrNotFound.
func (s *Service) ByToken(ctx context.Context, tok string) (Link, error) {
	id, ok := s.rec.sign.id(tok)
	if !ok {
		return Link{}, NotFoundError("token")
	}
	l, err := s.get(ctx, s.db, id)
	if errors.Is(err, check.ErrNotFound) {
		return Link{}, NotFoundError("token") // the same answer as a wrong token
	}
	return l, err
}

// Events returns link id's own timeline, oldest first.
func (s *Service) Events(ctx context.Context, id int64) ([]Event, error) {
	return s.EventsTx(ctx, s.db, id)
}

// url is the payer's page of the link whose token is tok.
func (r recorder) url(tok string) string { return r.baseURL + "/pay/" + tok }

// URL is the payer's page of link id, computed without reading it (the token is the id signed): a module that keeps
// a link's id (a receipt) shows its page in lists without a read per link. Whether the link is still active is the
// page's to say.
func (s *Service) URL(id int64) string { return s.rec.url(s.rec.sign.token(id)) }
