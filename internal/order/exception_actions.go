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
	"github.com/bursar/bursar/internal/offer"
	"github.com/bursar/bursar/internal/order/orderq"
)

// The payments-exceptions inbox: what an admin sees of an exception and does about it. Resolving one with a note
// is ResolveException; accepting takes the money the gateway reported (completing the order, or recording a late
// payment), and RefundException returns it through the gateway. Each action resolves the exception in the same
// transaction as its effects, with a conditional update: a second click, or another admin, finds it resolved.

// ExceptionKinds lists every exception kind, in the order filters show them.
var ExceptionKinds = []ExceptionKind{ExAmountMismatch, ExCurrencyMismatch, ExLatePayment, ExNoEmail, ExOutsideRefund,
	ExUnknownOrder, ExForeignSystem, ExRefundUnconfirmed}

// Timeline kinds of exception actions.
const (
	EventExceptionAccepted = "payment.exception_accepted" // an admin took the money an exception reported
	EventExceptionRefunded = "payment.exception_refunded" // an admin returned it through the gateway
)

// ErrNotAcceptable is returned when accepting an exception whose kind has no money to take (an outside refund, a
// payment without an order, a missing e-mail) or whose order is in a state the kind does not allow.
var ErrNotAcceptable = check.Conflict("The payment exception cannot be accepted.")

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
		x.GatewayRef == "" || x.Amount.Amount <= 0 || x.Amount.Currency == "" {
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
			"foreign_system")
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

// Acceptance is an admin's decision to take the money an exception reports.
type Acceptance struct {
	// Note says why (required); it resolves the exception and goes to the order's timeline, never to the payer.
	Note string
	// PayerEmail names the payer of an order paid without signing in that has no contact yet (the gateway's event
	// usually shows it). Empty: access goes to a placeholder contact and a no_email exception is opened, as when
	// the gateway reports no e-mail.
	PayerEmail string
}

// AcceptException takes the money exception id reports, in one transaction with the exception resolved:
//
//   - amount_mismatch, currency_mismatch, the order still open: the payment is recorded as the gateway reported it
//     (its amount and currency; fee and net computed as for any payment through the system), the order completes
//     at that price, its products are granted, the confirmation e-mail is queued and the timelines written — the
//     effects of a verified payment;
//   - late_payment, the order final: the money is recorded as an extra succeeded payment on the order; nothing is
//     granted again.
//
// Other kinds, and orders in another state, are ErrNotAcceptable; an exception resolved already (by another admin)
// is a conflict, and nothing changes.
func (s *Service) AcceptException(ctx context.Context, id int64, a Acceptance) (Exception, error) {
	note, err := checkNote(a.Note)
	e, _ := check.AsErrors(err)
	if e == nil {
		e = check.Errors{}
	}
	email := check.NormalizeEmail(a.PayerEmail)
	e.Email("payer_email", email, false)
	if err := e.Err(); err != nil {
		return Exception{}, err
	}
	// Read what the action needs from other modules first: inside the transaction only tx is used.
	x, err := s.Exception(ctx, id)
	if err != nil {
		return Exception{}, err
	}
	if !x.Open() {
		return Exception{}, resolvedError(x.Exception)
	}
	if !x.CanAccept() {
		return Exception{}, notAcceptable(x)
	}
	cur, err := getOrder(ctx, s.db, x.OrderID)
	if err != nil {
		return Exception{}, err
	}
	of, err := s.deps.Offers.Offer(ctx, cur.OfferID)
	if err != nil {
		return Exception{}, fmt.Errorf("offer of order %s: %w", cur.Number, err)
	}
	sys, err := s.deps.Systems.Get(ctx, x.PaymentSystemID)
	if err != nil {
		return Exception{}, fmt.Errorf("payment system of payment exception %d: %w", id, err)
	}
	var out Exception
	err = pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		resolution := fmt.Sprintf("Accepted %s through %s for order %s: %s", x.Amount, sys.Name, cur.Number, note)
		if out, err = resolveTx(ctx, tx, id, resolution); err != nil {
			return err
		}
		o, err := lockedOrder(ctx, tx, x.OrderID)
		if err != nil {
			return err
		}
		if x.Kind == ExLatePayment {
			err = s.acceptLateTx(ctx, tx, o, sys, out, note)
		} else {
			err = s.acceptCompleteTx(ctx, tx, o, of, sys, out, note, email)
		}
		if err != nil {
			return err
		}
		return s.audit.RecordTx(ctx, tx, "payment_exception.accept", "payment_exception", id, map[string]any{
			"kind": x.Kind, "order_id": o.ID, "number": o.Number, "payment_system_id": sys.ID,
			"gateway_ref": x.GatewayRef, "amount": x.Amount.Amount, "currency": x.Amount.Currency, "note": note})
	})
	if err != nil {
		return Exception{}, err
	}
	return out, nil
}

// notAcceptable explains why x's money cannot be taken.
func notAcceptable(x ExceptionItem) error {
	switch {
	case x.Kind == ExForeignSystem:
		return check.Conflictf(ErrNotAcceptable, "Payment exception %d came through a payment system order %s was "+
			"never paid through: refund it or resolve it.", x.ID, x.OrderNumber)
	case x.Kind == ExUnknownOrder || x.OrderID == 0:
		return check.Conflictf(ErrNotAcceptable, "Payment exception %d names no order to apply the money to: refund "+
			"it or resolve it.", x.ID)
	case x.Kind == ExOutsideRefund:
		return check.Conflictf(ErrNotAcceptable, "Payment exception %d is a refund made in the gateway: there is no "+
			"money to accept.", x.ID)
	case x.Kind == ExNoEmail:
		return check.Conflictf(ErrNotAcceptable, "Payment exception %d completed its order already: move the access "+
			"on the contact card.", x.ID)
	case x.Amount.Amount <= 0:
		return check.Conflictf(ErrNotAcceptable, "Payment exception %d reports no amount to accept.", x.ID)
	case x.Kind == ExLatePayment:
		return check.Conflictf(ErrNotAcceptable, "Order %s is %s: a late payment is accepted only on a final order.",
			x.OrderNumber, x.OrderStatus)
	}
	return check.Conflictf(ErrNotAcceptable, "Order %s is already %s: only an open order can be completed by accepting.",
		x.OrderNumber, x.OrderStatus)
}

// acceptCompleteTx completes open order o (locked) with the money exception x reported: paidTx's effects at the
// reported price.
func (s *Service) acceptCompleteTx(ctx context.Context, tx pgx.Tx, o Order, of offer.Offer, sys gateway.System,
	x Exception, note, email string) error {
	if o.Status != StatusOpen {
		return stateError(o, ErrNotOpen)
	}
	ev := gateway.Event{Type: "exception.accept", Kind: gateway.EventPaid, OrderID: o.ID, Ref: x.GatewayRef,
		Amount: x.Amount, PayerEmail: email}
	var payer payerOf
	if o.ContactID == 0 {
		var err error
		if payer, err = s.payerTx(ctx, tx, o, sys, ev); err != nil {
			return err
		}
		o.ContactID = payer.contact.ID
	}
	r, err := orderq.New(tx).OrderCompleteAccepted(ctx, orderq.OrderCompleteAcceptedParams{ID: o.ID,
		Amount: x.Amount.Amount, Currency: x.Amount.Currency, PaymentSystemID: sys.ID,
		DecidedBy: audit.ActorFrom(ctx).Label, DecisionNote: truncate(note, MaxComment)})
	if errors.Is(err, pgx.ErrNoRows) {
		return conflictTx(ctx, tx, o.ID, ErrNotOpen)
	}
	if err != nil {
		return fmt.Errorf("complete order %d: %w", o.ID, err)
	}
	o = withPayments(fromRow(r), o.Payments)
	if err := s.acceptedPaymentTx(ctx, tx, &o, sys, x, true); err != nil {
		return err
	}
	if err := s.grantTx(ctx, tx, o, of); err != nil {
		return err
	}
	msg := fmt.Sprintf("Order %s completed: %s payment %s of %s accepted from payment exception %d — %s", o.Number,
		sys.Name, x.GatewayRef, x.Amount, x.ID, note)
	if err := s.eventsTx(ctx, tx, o, EventCompleted, msg); err != nil {
		return err
	}
	// The admin's note is internal: the payer's e-mail carries none.
	if payer.contact.ID == 0 {
		if err := s.notifyTx(ctx, tx, EmailCompleted, o, ""); err != nil {
			return err
		}
	} else if err := s.welcomeTx(ctx, tx, o, payer); err != nil {
		return err
	}
	if err := s.audit.RecordTx(ctx, tx, "order.complete", "order", o.ID, map[string]any{"number": o.Number,
		"payment_system_id": sys.ID, "gateway_ref": x.GatewayRef, "exception_id": x.ID, "amount": x.Amount.Amount,
		"currency": x.Amount.Currency, "guest": payer.contact.ID != 0}); err != nil {
		return err
	}
	if !payer.contact.Placeholder {
		return nil
	}
	_, err = s.exceptionOutcome(ctx, tx, ExNoEmail, o, sys, ev, x.GatewayEventID, fmt.Sprintf(
		"%s payment %s of %s, accepted from payment exception %d, completed order %s without the payer's e-mail: "+
			"access went to the placeholder contact %s; find the payer in %s and move the access to them", sys.Name,
		x.GatewayRef, x.Amount, x.ID, o.Number, payer.contact.Email, sys.Name))
	return err
}

// acceptLateTx records the money exception x reported for final order o (locked) as an extra payment: the order,
// its access and its e-mails stay as they are.
func (s *Service) acceptLateTx(ctx context.Context, tx pgx.Tx, o Order, sys gateway.System, x Exception, note string) error {
	if o.Status == StatusOpen {
		return check.Conflictf(ErrNotAcceptable, "Order %s is open: a late payment is accepted only on a final order.",
			o.Number)
	}
	if err := s.acceptedPaymentTx(ctx, tx, &o, sys, x, false); err != nil {
		return err
	}
	msg := fmt.Sprintf("%s payment %s of %s, late for %s order %s, recorded from payment exception %d — %s",
		sys.Name, x.GatewayRef, x.Amount, o.Status, o.Number, x.ID, note)
	return s.eventsTx(ctx, tx, o, EventExceptionAccepted, msg)
}

// acceptedPaymentTx records the money exception x reported as a succeeded payment of o through sys: the attempt its
// reference names (or, when completing, o's latest attempt through sys without a reference) becomes succeeded with
// the reported amount, else a new payment is recorded. A payment already settled under that reference is a
// conflict: the money is on the order already.
func (s *Service) acceptedPaymentTx(ctx context.Context, tx pgx.Tx, o *Order, sys gateway.System, x Exception, completing bool) error {
	p, found := paymentByRef(*o, sys.ID, x.GatewayRef)
	if found && settled(p.Status) {
		return check.Conflictf(nil, "Payment %s of order %s is recorded already (payment %d): resolve the exception instead.",
			x.GatewayRef, o.Number, p.ID)
	}
	if !found && completing {
		p, found = unreferencedAttempt(*o, sys.ID)
	}
	fee, net := s.feeTx(ctx, tx, x.Amount, sys)
	comment := fmt.Sprintf("accepted from payment exception %d", x.ID)
	q := orderq.New(tx)
	if !found {
		r, err := q.PaymentInsert(ctx, orderq.PaymentInsertParams{OrderID: o.ID, PaymentSystemID: sys.ID, Mode: sys.Mode,
			Status: PaymentSucceeded, Amount: x.Amount.Amount, Currency: x.Amount.Currency, Fee: fee, Net: net,
			PaidOn: today(), Comment: comment, GatewayRef: x.GatewayRef})
		if err != nil {
			return fmt.Errorf("insert payment %s: %w", x.GatewayRef, err)
		}
		o.Payments = append(o.Payments, paymentFromRow(r))
		return nil
	}
	n, err := q.PaymentSucceedAccepted(ctx, orderq.PaymentSucceedAcceptedParams{ID: p.ID, Amount: x.Amount.Amount,
		Currency: x.Amount.Currency, Fee: fee, Net: net, PaidOn: today(), GatewayRef: x.GatewayRef, Comment: comment})
	if err != nil {
		return fmt.Errorf("payment %d succeeded: %w", p.ID, err)
	}
	if n != 1 {
		return check.Conflictf(nil, "Payment %d is no longer an open attempt; reload to see what changed.", p.ID)
	}
	for i := range o.Payments {
		if o.Payments[i].ID == p.ID {
			o.Payments[i].Status, o.Payments[i].Amount, o.Payments[i].Fee, o.Payments[i].Net =
				PaymentSucceeded, x.Amount, fee, net
			o.Payments[i].GatewayRef, o.Payments[i].PaidOn, o.Payments[i].Comment = x.GatewayRef, today(), comment
		}
	}
	return nil
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
