package order

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/order/orderq"
)

// The payments-exceptions inbox: what an admin sees of an exception and does about it. Resolving one with a note
// is ResolveException (exceptions.go); AcceptException takes the money the gateway reported (completing the order,
// or recording a late payment: exception_accept.go), and RefundException returns it through the gateway
// (exception_refund.go). Each action resolves the exception in the same
// transaction as its effects, with a conditional update: a second click, or another admin, finds it resolved.

// ExceptionKinds lists every exception kind, in the order filters show them.
var ExceptionKinds = []ExceptionKind{ExAmountMismatch, ExCurrencyMismatch, ExLatePayment, ExNoEmail, ExOutsideRefund,
	ExUnknownOrder, ExForeignSystem, ExRefundUnconfirmed, ExDispute, ExRefundAccess, ExSubscriptionCharge,
	ExUnknownSubscription}

// Timeline kinds of exception actions.
const (
	EventExceptionAccepted = "payment.exception_accepted" // an admin took the money an exception reported
	EventExceptionRefunded = "payment.exception_refunded" // an admin returned it through the gateway
)

// ErrNotRefundable is returned when refunding an exception that reports no payment to return through its gateway.
var ErrNotRefundable = check.Conflict("The payment exception cannot be refunded through the gateway.")

// ExceptionItem is an exception as the inbox shows it, with its order as it is now.
type ExceptionItem struct {
	Exception
	OrderNumber string // "" when no order matched
	OrderStatus Status // "" when no order matched
	ContactID   int64  // the order's contact; 0 when there is none (yet)
}

// Open reports whether x still waits for a human.
func (x Exception) Open() bool { return x.Status == ExceptionOpen }

// CanAccept reports whether x's money can be taken: another amount or currency for an order still open (it
// completes), or a late payment for an order already final (recorded as an extra payment).
func (x ExceptionItem) CanAccept() bool {
	if !x.Open() || x.OrderID == 0 || x.Amount.Amount <= 0 || x.Amount.Currency == "" {
		return false
	}
	switch x.Kind {
	case ExAmountMismatch, ExCurrencyMismatch:
		return x.OrderStatus == StatusOpen
	case ExLatePayment:
		return x.OrderStatus != "" && x.OrderStatus != StatusOpen
	}
	return false
}

// CanRefund reports whether x's money can be returned through sys, x's payment system: x is open, reports a payment
// Bursar did not apply (another amount or currency, a late payment, a payment for no known order) with its gateway
// reference and a positive amount, and sys's type refunds through its API.
func (x Exception) CanRefund(sys gateway.System) bool {
	if !x.Open() || x.RefundStatus != "" || sys.ID != x.PaymentSystemID || !sys.Can(gateway.APIRefunds) ||
		x.GatewayRef == "" || x.Amount.Amount <= 0 || x.Amount.Currency == "" || x.Dispute.Ref != "" {
		return false
	}
	switch x.Kind {
	case ExAmountMismatch, ExCurrencyMismatch, ExLatePayment, ExUnknownOrder, ExForeignSystem:
		return true
	}
	return false
}

// InboxFilter narrows Inbox. Zero values do not filter.
type InboxFilter struct {
	Status string        // open, resolved; "" for both, open ones first
	Kind   ExceptionKind // one of ExceptionKinds
	Cursor string        // InboxPage.NextCursor of the previous page
	Limit  int           // default 50, at most MaxList
}

// InboxPage is one page of the inbox; NextCursor is "" on the last page.
type InboxPage struct {
	Items      []ExceptionItem
	NextCursor string
}

// inboxCursor is a position in the inbox: (open, id) of the last item shown.
type inboxCursor struct {
	open bool
	id   int64
}

func (c inboxCursor) String() string {
	p := "r"
	if c.open {
		p = "o"
	}
	return base64.RawURLEncoding.EncodeToString([]byte("x:" + p + strconv.FormatInt(c.id, 10)))
}

// parseInboxCursor reads a cursor made by inboxCursor.String; "" is the first page.
func parseInboxCursor(s string) (inboxCursor, error) {
	if s == "" {
		return inboxCursor{open: true, id: math.MaxInt64}, nil
	}
	bad := check.Field("cursor", "is not a cursor this list returned")
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) < 4 || string(b[:2]) != "x:" || (b[2] != 'o' && b[2] != 'r') {
		return inboxCursor{}, bad
	}
	id, err := strconv.ParseInt(string(b[3:]), 10, 64)
	if err != nil || id <= 0 {
		return inboxCursor{}, bad
	}
	return inboxCursor{open: b[2] == 'o', id: id}, nil
}

// validKind reports whether k is an exception kind.
func validKind(k ExceptionKind) bool {
	for _, v := range ExceptionKinds {
		if v == k {
			return true
		}
	}
	return false
}

// Inbox lists payment exceptions with their orders: open ones first, each group newest first.
func (s *Service) Inbox(ctx context.Context, f InboxFilter) (InboxPage, error) {
	e := check.Errors{}
	if f.Status != "" && f.Status != ExceptionOpen && f.Status != ExceptionResolved {
		e.Add("status", "must be open or resolved")
	}
	if f.Kind != "" && !validKind(f.Kind) {
		e.Add("kind", "must be one of amount_mismatch, currency_mismatch, late_payment, no_email, outside_refund, unknown_order, "+
			"foreign_system, refund_unconfirmed, dispute, refund_access")
	}
	cur, err := parseInboxCursor(f.Cursor)
	if err != nil {
		e.Add("cursor", "is not a cursor this list returned")
	}
	if err := e.Err(); err != nil {
		return InboxPage{}, err
	}
	limit := limitOf(f.Limit)
	rows, err := orderq.New(s.db).ExceptionsInbox(ctx, orderq.ExceptionsInboxParams{Status: f.Status,
		Kind: string(f.Kind), BeforeOpen: cur.open, BeforeID: cur.id, Lim: int32(limit + 1)})
	if err != nil {
		return InboxPage{}, fmt.Errorf("list exceptions: %w", err)
	}
	var p InboxPage
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[limit-1].PaymentException
		p.NextCursor = inboxCursor{open: last.Status == ExceptionOpen, id: last.ID}.String()
	}
	p.Items = make([]ExceptionItem, len(rows))
	for i, r := range rows {
		p.Items[i] = ExceptionItem{Exception: exceptionFromRow(r.PaymentException), OrderNumber: r.OrderNumber,
			OrderStatus: Status(r.OrderStatus), ContactID: r.ContactID}
	}
	return p, nil
}

// OpenExceptions counts the exceptions waiting for a human.
func (s *Service) OpenExceptions(ctx context.Context) (int64, error) {
	n, err := orderq.New(s.db).ExceptionsOpenCount(ctx)
	if err != nil {
		return 0, fmt.Errorf("count open exceptions: %w", err)
	}
	return n, nil
}

// Exception returns exception id with its order.
func (s *Service) Exception(ctx context.Context, id int64) (ExceptionItem, error) {
	r, err := orderq.New(s.db).ExceptionItem(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return ExceptionItem{}, exceptionNotFound(id)
	}
	if err != nil {
		return ExceptionItem{}, fmt.Errorf("read payment exception %d: %w", id, err)
	}
	return ExceptionItem{Exception: exceptionFromRow(r.PaymentException), OrderNumber: r.OrderNumber,
		OrderStatus: Status(r.OrderStatus), ContactID: r.ContactID}, nil
}

func exceptionNotFound(id int64) error {
	return fmt.Errorf("payment exception %d: %w", id, check.ErrNotFound)
}

// StoredEvent is a gateway notification as it was stored: verbatim, with what applying it did.
type StoredEvent struct {
	ID              int64
	PaymentSystemID int64
	EventID         string // the gateway's own id
	Type            string
	Kind            string
	Result          string
	Body            string // as received
	ReceivedAt      time.Time
	ProcessedAt     *time.Time
}

// StoredEvent returns the stored gateway notification id (an Exception's GatewayEventID).
func (s *Service) StoredEvent(ctx context.Context, id int64) (StoredEvent, error) {
	r, err := orderq.New(s.db).GatewayEventGet(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return StoredEvent{}, fmt.Errorf("gateway event %d: %w", id, check.ErrNotFound)
	}
	if err != nil {
		return StoredEvent{}, fmt.Errorf("read gateway event %d: %w", id, err)
	}
	return StoredEvent{ID: r.ID, PaymentSystemID: r.PaymentSystemID, EventID: r.EventID, Type: r.Type, Kind: r.Kind,
		Result: r.Result, Body: r.Body, ReceivedAt: r.ReceivedAt, ProcessedAt: r.ProcessedAt}, nil
}

// resolvedError explains that x was resolved already, by whom and when.
func resolvedError(x Exception) error {
	if x.ResolvedAt != nil && x.ResolvedBy != "" {
		return &check.StateError{Message: fmt.Sprintf("Payment exception %d was already resolved by %s at %s.", x.ID,
			x.ResolvedBy, x.ResolvedAt.UTC().Format("2006-01-02 15:04 UTC")), Who: x.ResolvedBy, When: *x.ResolvedAt}
	}
	return check.Conflictf(nil, "Payment exception %d was already resolved.", x.ID)
}

// resolveTx resolves exception id with note inside tx, or explains why it cannot: unknown, or resolved already.
func resolveTx(ctx context.Context, tx pgx.Tx, id int64, note string) (Exception, error) {
	q := orderq.New(tx)
	r, err := q.ExceptionResolve(ctx, orderq.ExceptionResolveParams{ID: id, Resolution: truncate(note, MaxComment),
		ResolvedBy: audit.ActorFrom(ctx).Label})
	if errors.Is(err, pgx.ErrNoRows) {
		cur, err := q.ExceptionGet(ctx, id)
		if errors.Is(err, pgx.ErrNoRows) {
			return Exception{}, exceptionNotFound(id)
		}
		if err != nil {
			return Exception{}, fmt.Errorf("read payment exception %d: %w", id, err)
		}
		return Exception{}, resolvedError(exceptionFromRow(cur))
	}
	if err != nil {
		return Exception{}, fmt.Errorf("resolve payment exception %d: %w", id, err)
	}
	return exceptionFromRow(r), nil
}

// checkNote trims and checks an admin's note on an exception action: required, at most MaxComment.
func checkNote(note string) (string, error) {
	note = strings.TrimSpace(note)
	e := check.Errors{}
	e.Text("note", note, true, MaxComment)
	return note, e.Err()
}

// notRefundableWhy says in a few words why x cannot be refunded through sys.
func notRefundableWhy(x Exception, sys gateway.System) string {
	switch {
	case !sys.Can(gateway.APIRefunds):
		return "is through a payment system that cannot refund through its API: refund in its dashboard"
	case x.Kind == ExOutsideRefund:
		return "is a refund already"
	case x.Kind == ExNoEmail:
		return "completed its order: refund the order instead"
	case x.GatewayRef == "":
		return "has no gateway reference"
	}
	return "reports no amount to refund"
}
