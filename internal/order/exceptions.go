package order

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/money"
	"github.com/bursar/bursar/internal/order/orderq"
)

// ExceptionKind is why the gateway's money was not applied by itself.
type ExceptionKind string

// Exception kinds.
const (
	ExAmountMismatch   ExceptionKind = "amount_mismatch"   // paid another amount than the order's
	ExCurrencyMismatch ExceptionKind = "currency_mismatch" // paid in another currency than the order's
	ExLatePayment      ExceptionKind = "late_payment"      // paid for an order already final (by another payment)
	ExNoEmail          ExceptionKind = "no_email"          // the gateway returned no payer e-mail
	ExOutsideRefund    ExceptionKind = "outside_refund"    // refunded in the gateway, not through Bursar
	ExUnknownOrder     ExceptionKind = "unknown_order"     // no order matches the notification
	// ExForeignSystem: the notification names an order that was never paid through its payment system in its mode
	// (another gateway's order, a bank transfer waiting for a manager, a live order named by a test-mode event).
	ExForeignSystem ExceptionKind = "foreign_system"
	// ExRefundUnconfirmed: a refund of an order was asked of a gateway that cannot be asked again, and its answer was
	// lost (a crash before it was recorded): a human checks the gateway's dashboard. The refund stays pending.
	ExRefundUnconfirmed ExceptionKind = "refund_unconfirmed"
)

// Exception statuses.
const (
	ExceptionOpen     = "open"
	ExceptionResolved = "resolved"
)

// Exception is a payment a human must look at: the payments-exceptions inbox.
type Exception struct {
	ID              int64
	Kind            ExceptionKind
	OrderID         int64 // 0 when no order matched
	PaymentSystemID int64
	GatewayEventID  int64 // the notification that opened it (0 when it was deleted)
	GatewayRef      string
	Amount          money.Money // what the gateway reported
	Status          string      // open, resolved
	Note            string      // what happened, written when it was opened
	Resolution      string      // what the admin did about it
	AltRef          string      // the payment's second reference (Stripe's PaymentIntent), when the gateway gave one
	RefundedAmount  int64       // returned through the gateway from the inbox, minor units of Amount's currency
	ResolvedBy      string
	ResolvedAt      *time.Time
	CreatedAt       time.Time
	// RefundStatus is "" or the state of a refund of the exception's money being made: ExceptionRefundPending (asked
	// of the gateway, not recorded yet) or ExceptionRefundUnconfirmed (the answer was lost: a human checks).
	RefundStatus string
	// Dispute is the dispute a dispute exception (or an unknown_order one opened by a dispute) follows.
	Dispute ExceptionDispute
	// Access is the access decision the exception asks for (AccessAsk) or records (AccessRevoked, AccessKept); ""
	// for none (access_exception.go).
	Access string
}

func exceptionFromRow(r orderq.PaymentException) Exception {
	x := Exception{ID: r.ID, Kind: ExceptionKind(r.Kind), PaymentSystemID: r.PaymentSystemID,
		GatewayRef: r.GatewayRef, Amount: money.New(r.Amount, r.Currency), Status: r.Status, Note: r.Note,
		Resolution: r.Resolution, AltRef: r.GatewayAltRef, RefundedAmount: r.RefundedAmount,
		ResolvedBy: r.ResolvedBy, ResolvedAt: r.ResolvedAt, CreatedAt: r.CreatedAt, RefundStatus: r.RefundStatus,
		Dispute: disputeFromRow(r), Access: r.Access}
	if r.OrderID != nil {
		x.OrderID = *r.OrderID
	}
	if r.GatewayEventID != nil {
		x.GatewayEventID = *r.GatewayEventID
	}
	return x
}

// exceptionTx opens an exception for the notification eventRowID of system systemID.
func exceptionTx(ctx context.Context, tx pgx.Tx, kind ExceptionKind, orderID, systemID, eventRowID int64, ref, altRef string,
	amount money.Money, note string) (Exception, error) {
	p := orderq.ExceptionInsertParams{Kind: string(kind), PaymentSystemID: systemID, GatewayRef: ref, GatewayAltRef: altRef,
		Amount: amount.Amount, Currency: amount.Currency, Note: truncate(note, MaxComment)}
	if orderID > 0 {
		p.OrderID = &orderID
	}
	if eventRowID > 0 {
		p.GatewayEventID = &eventRowID
	}
	r, err := orderq.New(tx).ExceptionInsert(ctx, p)
	if err != nil {
		return Exception{}, fmt.Errorf("open %s exception: %w", kind, err)
	}
	return exceptionFromRow(r), nil
}

// ResolveException closes exception id with a note (what the admin did about it). Resolving one resolved already
// is a conflict and changes nothing.
func (s *Service) ResolveException(ctx context.Context, id int64, note string) (Exception, error) {
	note = strings.TrimSpace(note)
	e := check.Errors{}
	e.Text("note", note, true, MaxComment)
	if err := e.Err(); err != nil {
		return Exception{}, err
	}
	var out Exception
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		q := orderq.New(tx)
		r, err := q.ExceptionResolve(ctx, orderq.ExceptionResolveParams{ID: id, Resolution: note,
			ResolvedBy: audit.ActorFrom(ctx).Label})
		if errors.Is(err, pgx.ErrNoRows) {
			if _, err := q.ExceptionGet(ctx, id); errors.Is(err, pgx.ErrNoRows) {
				return fmt.Errorf("payment exception %d: %w", id, check.ErrNotFound)
			}
			return check.Conflictf(nil, "Payment exception %d is resolved already.", id)
		}
		if err != nil {
			return fmt.Errorf("resolve exception %d: %w", id, err)
		}
		out = exceptionFromRow(r)
		return s.audit.RecordTx(ctx, tx, "payment_exception.resolve", "payment_exception", id,
			map[string]any{"kind": out.Kind, "note": note})
	})
	return out, err
}

// refundedFromInbox reports whether the refund ev reports is money returned from the exceptions inbox: that payment
// was never applied, so no payment of Bursar's records the refund, yet it is known and opens nothing.
func refundedFromInbox(ctx context.Context, tx pgx.Tx, systemID int64, ev gateway.Event) (bool, error) {
	var refs []string
	for _, r := range []string{ev.Ref, ev.AltRef} {
		if r != "" {
			refs = append(refs, r)
		}
	}
	if len(refs) == 0 {
		return false, nil
	}
	n, err := orderq.New(tx).ExceptionsRefundedFor(ctx, orderq.ExceptionsRefundedForParams{PaymentSystemID: systemID,
		Refs: refs})
	if err != nil {
		return false, fmt.Errorf("refunds from the inbox for %v: %w", refs, err)
	}
	return n > 0 && ev.RefundedAmount <= n, nil
}
