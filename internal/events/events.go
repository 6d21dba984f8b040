// Package events names what happened in Bursar that other systems may subscribe to (issue 16's outgoing webhooks):
// the event types, the kinds of object an event carries, and the Emitter a module calls inside the transaction that
// caused the event. It is a leaf: modules import it, it imports no module. internal/webhook implements Emitter
// (stores the event and its deliveries in the caller's transaction); the object is rendered as the API returns it
// by a Render function the app wires (internal/apiview), inside the same transaction, so the payload is the
// object as of the event.
package events

import (
	"context"
	"encoding/json"

	"github.com/jackc/pgx/v5"
)

// Type is an event type, as receivers see it in the payload's "type" and choose it on an endpoint.
type Type string

// The event types. A new one is added here, to Types and to the OpenAPI document.
const (
	OrderCreated        Type = "order.created"
	OrderCompleted      Type = "order.completed"
	OrderRejected       Type = "order.rejected"
	OrderExpired        Type = "order.expired"
	OrderRefunded       Type = "order.refunded"
	PaymentSucceeded    Type = "payment.succeeded"
	PaymentFailed       Type = "payment.failed"
	RefundCreated       Type = "refund.created"
	AccessGranted       Type = "access.granted"
	AccessRevoked       Type = "access.revoked"
	AccessTransferred   Type = "access.transferred"
	ContactCreated      Type = "contact.created"
	ContactUpdated      Type = "contact.updated"
	PaymentLinkPaid     Type = "payment_link.paid"
	PaymentLinkDeclined Type = "payment_link.declined"
	ReceiptIssued       Type = "receipt.issued"
	ReceiptPaid         Type = "receipt.paid"
	ReceiptOverdue      Type = "receipt.overdue"
	ReceiptWaived       Type = "receipt.waived"
	EnrollmentCreated   Type = "enrollment.created"
	EnrollmentActivated Type = "enrollment.activated"
	EnrollmentSuspended Type = "enrollment.suspended"
	EnrollmentResumed   Type = "enrollment.resumed"
	EnrollmentPaused    Type = "enrollment.paused"
	EnrollmentCancelled Type = "enrollment.cancelled"
	EnrollmentCompleted Type = "enrollment.completed"
	// Subscriptions (internal/subscription): created when the gateway confirms it; updated on any other change of
	// state (renewed period, cancel at period end set or undone, paused, resumed, plan changed); past_due when a
	// charge failed; cancelled when no charge will follow; ended when its access ran out. Each charge is an order
	// (order.completed, payment.succeeded).
	SubscriptionCreated   Type = "subscription.created"
	SubscriptionUpdated   Type = "subscription.updated"
	SubscriptionPastDue   Type = "subscription.past_due"
	SubscriptionCancelled Type = "subscription.cancelled"
	SubscriptionEnded     Type = "subscription.ended"
)

// Kind is the kind of object an event carries in its "data": the API resource it is rendered as.
type Kind string

// The object kinds, each rendered as its API resource (GET /api/v1/<resource>/{id}).
const (
	KindOrder        Kind = "order"        // GET /api/v1/orders/{id}
	KindPayment      Kind = "payment"      // a payment as in the order's "payments", with its order_id
	KindRefund       Kind = "refund"       // a refund as in the order's "refunds", with its order_id
	KindAccess       Kind = "access"       // GET /api/v1/access/{id}
	KindContact      Kind = "contact"      // GET /api/v1/contacts/{id}
	KindPaymentLink  Kind = "payment_link" // GET /api/v1/payment-links/{id}
	KindReceipt      Kind = "receipt"      // GET /api/v1/receipts/{id}
	KindEnrollment   Kind = "enrollment"   // GET /api/v1/enrollments/{id}
	KindSubscription Kind = "subscription" // GET /api/v1/subscriptions/{id}
)

// Types lists every event type with the kind of object it carries, in the order endpoints' forms show them.
var Types = []struct {
	Type Type
	Kind Kind
}{
	{OrderCreated, KindOrder}, {OrderCompleted, KindOrder}, {OrderRejected, KindOrder}, {OrderExpired, KindOrder},
	{OrderRefunded, KindOrder},
	{PaymentSucceeded, KindPayment}, {PaymentFailed, KindPayment}, {RefundCreated, KindRefund},
	{AccessGranted, KindAccess}, {AccessRevoked, KindAccess}, {AccessTransferred, KindAccess},
	{ContactCreated, KindContact}, {ContactUpdated, KindContact},
	{PaymentLinkPaid, KindPaymentLink}, {PaymentLinkDeclined, KindPaymentLink},
	{ReceiptIssued, KindReceipt}, {ReceiptPaid, KindReceipt}, {ReceiptOverdue, KindReceipt},
	{ReceiptWaived, KindReceipt},
	{EnrollmentCreated, KindEnrollment}, {EnrollmentActivated, KindEnrollment},
	{EnrollmentSuspended, KindEnrollment}, {EnrollmentResumed, KindEnrollment}, {EnrollmentPaused, KindEnrollment},
	{EnrollmentCancelled, KindEnrollment}, {EnrollmentCompleted, KindEnrollment},
	{SubscriptionCreated, KindSubscription}, {SubscriptionUpdated, KindSubscription},
	{SubscriptionPastDue, KindSubscription}, {SubscriptionCancelled, KindSubscription},
	{SubscriptionEnded, KindSubscription},
}

// KindOf is the kind of object t carries, and whether t is a known type.
func KindOf(t Type) (Kind, bool) {
	for _, e := range Types {
		if e.Type == t {
			return e.Kind, true
		}
	}
	return "", false
}

// Event is one thing that happened: its type and the object it is about (by kind and id).
type Event struct {
	Type Type
	ID   int64 // the object's id (order id, grant id, contact id, …) of the type's Kind
}

// Emitter records events in the transaction that caused them: they are delivered only if it commits, exactly
// as of that moment. EmitTx must be cheap when no endpoint subscribes to the types (no write, no read of the
// object). Modules call it after their own writes, with the objects' final state in tx.
type Emitter interface {
	EmitTx(ctx context.Context, tx pgx.Tx, evs ...Event) error
}

// Render renders the object of kind k and id as the API returns it, reading in tx (the emitting transaction).
type Render func(ctx context.Context, tx pgx.Tx, k Kind, id int64) (json.RawMessage, error)

// Nop is an Emitter that records nothing: for tools and tests that do not look at events.
type Nop struct{}

// EmitTx does nothing.
func (Nop) EmitTx(context.Context, pgx.Tx, ...Event) error { return nil }
