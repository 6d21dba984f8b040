// Package access is who may use which product: grants with their source, start, end and revocation.
//
// A grant is never deleted or rewritten to hide history: revoking sets revoked_at, and a transfer revokes the old
// grant and creates a new one for the target that points back at it. Granting a product the contact already has
// active access to extends that grant to the later end instead of adding a second row.
package access

import (
	"context"
	"fmt"
	"time"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/crm"
	"github.com/bursar/bursar/internal/db"
)

// Sources of a grant.
const (
	SourceOrder    = "order"
	SourceManual   = "manual"
	SourceAPI      = "api"
	SourceImport   = "import"
	SourceTransfer = "transfer"
	// SourceEnrollment is access an enrollment gives its learner while it is paid (internal/billing); paused, not
	// revoked, while a receipt is overdue past its grace.
	SourceEnrollment = "enrollment"
)

// Timeline event kinds this package writes to the contact's timeline.
const (
	EventGranted        = "access.granted"
	EventExtended       = "access.extended"
	EventRevoked        = "access.revoked"
	EventTransferredOut = "access.transferred_out"
	EventTransferredIn  = "access.transferred_in"
	EventPaused         = "access.paused"
	EventResumed        = "access.resumed"
	EventEnded          = "access.ended"
)

// Limits on grant input.
const (
	MaxDays      = 36500
	MaxReason    = 500
	MaxSourceRef = 200
)

// ErrRevoked is returned when a grant is revoked already: a second revoke or a transfer changes nothing.
var ErrRevoked = check.Conflict("This access was revoked already; nothing was changed.")

// ErrExpired is returned when transferring a grant whose end has passed.
var ErrExpired = check.Conflict("This access has expired; grant the product again instead.")

// Grant is a contact's access to a product.
type Grant struct {
	ID              int64
	ContactID       int64
	ProductID       int64
	Source          string
	SourceRef       string // order id, admin e-mail, API key name
	TransferredFrom int64  // the grant this one was moved from; 0 when none
	StartsAt        time.Time
	EndsAt          *time.Time // nil: forever
	RevokedAt       *time.Time
	RevokeReason    string
	// PausedAt is set while the grant is paused (its enrollment suspended or paused): kept, but giving no access.
	PausedAt    *time.Time
	PauseReason string
	CreatedAt   time.Time
}

// ActiveAt reports whether g gives access at t.
func (g Grant) ActiveAt(t time.Time) bool {
	return g.RevokedAt == nil && g.PausedAt == nil && !g.StartsAt.After(t) && (g.EndsAt == nil || g.EndsAt.After(t))
}

// MsgDays is the message for a number of days out of range.
var MsgDays = fmt.Sprintf("must be a whole number from 1 to %d", MaxDays)

// ParseDays checks a number of days a person or a client gave explicitly: 1–MaxDays. Zero is refused, not taken
// for forever (NewGrant's Days 0): forever is asked for by giving no days at all.
func ParseDays(days int) (int, error) {
	if days < 1 || days > MaxDays {
		return 0, check.Field("days", MsgDays)
	}
	return days, nil
}

// NewGrant is a request for access. Give at most one of Days and EndsAt; neither means forever.
type NewGrant struct {
	ContactID int64
	ProductID int64
	Source    string
	SourceRef string
	Days      int        // access for this many days from now
	EndsAt    *time.Time // or until this moment
	// StartsAt is when the access started, not in the future (a sale made elsewhere, imported with its date); nil
	// is now. A grant the contact has in force already keeps its start.
	StartsAt        *time.Time
	TransferredFrom int64
}

// Validate checks n against now and names every bad field.
func (n NewGrant) Validate(now time.Time) error {
	e := check.Errors{}
	if n.ContactID <= 0 {
		e.Add("contact_id", "is required")
	}
	if n.ProductID <= 0 {
		e.Add("product_id", "is required")
	}
	switch n.Source {
	case SourceOrder, SourceManual, SourceAPI, SourceImport, SourceTransfer, SourceEnrollment:
	default:
		e.Add("source", "must be one of order, manual, api, import, transfer, enrollment")
	}
	e.Text("source_ref", n.SourceRef, false, MaxSourceRef)
	switch {
	case n.Days != 0 && n.EndsAt != nil:
		e.Add("days", "give either days or ends_at, not both")
	case n.Days < 0 || n.Days > MaxDays:
		e.Add("days", MsgDays)
	case n.EndsAt != nil && !n.EndsAt.After(now):
		e.Add("ends_at", "must be in the future")
	}
	if n.StartsAt != nil && n.StartsAt.After(now) {
		e.Add("starts_at", "must not be in the future")
	}
	return e.Err()
}

// end is when the requested access ends, nil for forever.
func (n NewGrant) end(now time.Time) *time.Time {
	switch {
	case n.EndsAt != nil:
		t := n.EndsAt.UTC()
		return &t
	case n.Days > 0:
		t := now.UTC().AddDate(0, 0, n.Days)
		return &t
	}
	return nil
}

// Contacts is what this package needs from the CRM: a contact's e-mail and its timeline (a line, or a batch's
// lines in one statement).
type Contacts interface {
	EmailTx(ctx context.Context, tx db.DBTX, id int64) (string, error)
	AddEventTx(ctx context.Context, tx db.DBTX, contactID int64, kind, message string) error
	AddEventsTx(ctx context.Context, tx db.DBTX, events []crm.Event) error
}

// Products names products for timeline messages.
type Products interface {
	ProductNamesTx(ctx context.Context, tx db.DBTX, ids []int64) (map[int64]string, error)
}
