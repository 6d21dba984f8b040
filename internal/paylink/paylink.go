// Package paylink is payment links: a request to pay addressed to one contact, for an offer (or a custom one-time
// amount), that the operator can cancel, the payer can decline, that expires, and that is paid at most once.
//
// A custom amount is sold through an offer Create makes for the link in the link's own transaction (the
// description as title, no products), so that paying it is an order like any other. That offer is link-only
// (offer.Input.LinkOnly): unlisted, left out of the catalog's lists and pickers, and never edited.
//
// A link is shared as a URL, BaseURL + "/pay/" + its token. The token is the link's id signed with the server's key
// (HMAC-SHA256, 128 bits kept), so nothing secret is stored and the URL can be shown again at any time; a token
// that was not made by this server (a wrong or tampered one) is refused before any database read, the same way for
// both (ByToken, View, Decline and Begin answer check.ErrNotFound).
//
// The use cases, one entry point each (the admin screens, the API, the payer's page and the jobs call them):
//
//   - Create (CreateTx inside another module's transaction): a new active link (contact required; an offer or a custom amount; allowed payment systems, a subset
//     of the offer's enabled ones; expiry, 7 days by default; page language; an operator's note);
//   - Get, List, Events: reading links and a link's own timeline;
//   - SendEmail: the link e-mailed to its contact in the link's language (durable, through the outbox);
//   - View, Open: what the payer's page shows, and the record that the page was opened (first and last);
//   - Begin: the payer pays through one of the allowed payment systems: an order tied to the link is opened through
//     internal/order's checkout (StartGateway for a gateway, returning where to send the payer; OpenManual for the
//     manual merchant, with the bank details in the View); a double click gives one order;
//   - Cancel (the operator), Decline (the payer, with an optional reason), Expire (River job at the link's expiry
//     and a periodic sweep): the link is closed at once and the open order its payment started is cancelled, so a
//     payment that still arrives for it becomes a late_payment exception (internal/order);
//   - Completions (order.Deps.Completions): when an order completes, the link that opened it becomes paid and the
//     contact's other active links for the same offer become voided (paid another way).
//
// Races lose safely: a link is closed or paid only by a conditional update (WHERE status = 'active'), and a close
// locks the link's order before the link, in the order a paid notification takes them (the order, then the link),
// so a cancel and a payment serialize: exactly one of paid or cancelled-with-an-exception.
//
// Every change is written on the link's own timeline (payment_link_events), on the contact's timeline and in the
// audit log, in the changing transaction; the e-mails (the link to the payer; paid or declined to the operator who
// made it) are queued in it too.
package paylink

import (
	"fmt"
	"time"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/money"
)

// Status is a link's state: active until it is paid, cancelled, declined, expired or voided, each final.
type Status string

// Link statuses.
const (
	StatusActive    Status = "active"
	StatusPaid      Status = "paid"
	StatusCancelled Status = "cancelled" // by the operator
	StatusDeclined  Status = "declined"  // by the payer, with an optional reason
	StatusExpired   Status = "expired"
	StatusVoided    Status = "voided" // the contact paid the same offer another way
)

// Statuses lists every link status, in the order filters show them.
var Statuses = []Status{StatusActive, StatusPaid, StatusCancelled, StatusDeclined, StatusExpired, StatusVoided}

// Languages a link's page and e-mail can be in.
var Languages = []string{"en", "es", "fr", "ru", "uk"}

// Limits and defaults.
const (
	DefaultExpiry  = 7 * 24 * time.Hour
	MaxExpiry      = 366 * 24 * time.Hour
	MaxDescription = 500
	MaxNote        = 2000
	MaxReason      = 1000
	MaxList        = 500
)

// Timeline kinds written on the link's and the contact's timelines.
const (
	EventCreated   = "link.created"
	EventSent      = "link.sent"
	EventOpened    = "link.opened" // the first time only
	EventStarted   = "link.payment_started"
	EventPaid      = "link.paid"
	EventCancelled = "link.cancelled"
	EventDeclined  = "link.declined"
	EventExpired   = "link.expired"
	EventVoided    = "link.voided"
)

// Link is a request to pay addressed to one contact.
type Link struct {
	ID        int64
	ContactID int64
	// OfferID is the offer paid; for a custom amount, the link-only offer made for the link (Custom).
	OfferID int64
	Custom  bool
	// Title is what is being paid: the offer's title when the link was made, or the custom amount's description.
	Title            string
	Price            money.Money
	PaymentSystemIDs []int64 // the systems the payer may pay through, in the order the page shows them
	Language         string
	Note             string // the operator's note to the payer
	Status           Status
	DeclineReason    string
	OrderID          int64 // the order its payment opened (the latest), 0 before any
	VoidedBy         int64 // the order that paid the same offer another way
	CreatorType      string
	CreatorID        int64
	CreatorLabel     string // the operator's e-mail or the API key's name
	ExpiresAt        time.Time
	FirstOpenedAt    *time.Time
	LastOpenedAt     *time.Time
	DecidedAt        *time.Time
	DecidedBy        string
	CreatedAt        time.Time
	UpdatedAt        time.Time
	// Token is the signed id in the link's URL; URL is the payer's page.
	Token string
	URL   string
}

// Expired reports whether l is active but past its expiry at now (the job or sweep has not closed it yet): it is
// treated as expired everywhere.
func (l Link) Expired(now time.Time) bool {
	return l.Status == StatusActive && !now.Before(l.ExpiresAt)
}

// StatusAt is l's status as the payer and the operator should see it at now.
func (l Link) StatusAt(now time.Time) Status {
	if l.Expired(now) {
		return StatusExpired
	}
	return l.Status
}

// Input is a new link.
type Input struct {
	ContactID int64
	// OfferID is the offer to pay (published, unlisted or not); or leave it 0 and give Amount, Currency and
	// Description for a custom one-time amount.
	OfferID     int64
	Amount      int64 // minor units
	Currency    string
	Description string
	// PaymentSystemIDs are the systems the link may be paid through: empty means the offer's enabled ones; it must
	// be a subset of the offer's (for a custom amount: enabled systems that take its currency).
	PaymentSystemIDs []int64
	// ExpiresAt is when the link stops working: zero means the service's default expiry (7 days) from now; it must
	// be in the future and at most MaxExpiry away.
	ExpiresAt time.Time
	Language  string // en, es, fr, ru, uk; empty: the offer's language, else en
	Note      string
	// SendEmail e-mails the new link to its contact in the same transaction (as SendEmail does).
	SendEmail bool
}

// validate checks what needs no database.
func (in Input) validate(now time.Time) check.Errors {
	e := check.Errors{}
	if in.ContactID <= 0 {
		e.Add("contact_id", "is required")
	}
	switch {
	case in.OfferID < 0:
		e.Add("offer_id", "no offer has this id")
	case in.OfferID > 0:
		if in.Amount != 0 || in.Currency != "" || in.Description != "" {
			e.Add("offer_id", "give an offer or a custom amount, not both")
		}
	default:
		for f, msg := range money.Check(in.Amount, in.Currency, false) {
			e.Add(f, msg)
		}
		e.Text("description", in.Description, true, MaxDescription)
	}
	if !in.ExpiresAt.IsZero() {
		switch {
		case !in.ExpiresAt.After(now):
			e.Add("expires_at", "must be in the future")
		case in.ExpiresAt.Sub(now) > MaxExpiry:
			e.Add("expires_at", "must be within a year")
		}
	}
	if in.Language != "" && !contains(Languages, in.Language) {
		e.Add("language", "must be one of en, es, fr, ru, uk")
	}
	e.Text("note", in.Note, false, MaxNote)
	seen := map[int64]bool{}
	for _, id := range in.PaymentSystemIDs {
		if id <= 0 || seen[id] {
			e.Add("payment_system_ids", "must be distinct payment system ids")
			break
		}
		seen[id] = true
	}
	return e
}

func contains[T comparable](s []T, v T) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// Filter narrows List. Zero values do not filter.
type Filter struct {
	Status      Status
	ContactID   int64
	OfferID     int64
	CreatorType string // admin or api, with CreatorID
	CreatorID   int64
	From, To    time.Time // created_at in [From, To)
	BeforeID    int64     // keyset cursor: links older than it
	Limit       int       // default 50, at most MaxList
}

// Page is one page of links, newest first; NextBeforeID is 0 on the last page.
type Page struct {
	Links        []Link
	NextBeforeID int64
}

// Event is a line of a link's own timeline.
type Event struct {
	ID        int64
	Kind      string
	Message   string
	Actor     string
	CreatedAt time.Time
}

// ErrNotActive is the kind of error a link that is no longer active answers with (its message says what became of
// it: paid, cancelled, declined, expired, voided).
var ErrNotActive = check.Conflict("The payment link is no longer active.")

// notActive explains why l cannot change, at now.
func notActive(l Link, now time.Time) error {
	var msg string
	switch l.StatusAt(now) {
	case StatusPaid:
		msg = "This payment link has been paid already."
	case StatusCancelled:
		msg = "This payment link was cancelled by the school."
	case StatusDeclined:
		msg = "This payment link was declined."
	case StatusExpired:
		msg = "This payment link has expired."
	case StatusVoided:
		msg = "This payment link is void: it was paid another way."
	default:
		msg = "This payment link is no longer active."
	}
	when := now
	if l.DecidedAt != nil {
		when = *l.DecidedAt
	}
	return &check.StateError{Message: msg, Who: l.DecidedBy, When: when, Err: ErrNotActive}
}

// NotFoundError is the error for an unknown link (or a token that is not one of this server's).
func NotFoundError(what any) error { return fmt.Errorf("payment link %v: %w", what, check.ErrNotFound) }
