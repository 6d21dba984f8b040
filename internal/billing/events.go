package billing

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/events"
)

// Billing's outgoing events (issue 16). Every change of an enrollment or a receipt is written with a timeline
// line by core.eventTx (the batch issue by issueManyTx): the line's kind names the event, which eventTx adds to the
// transaction's batch. The batch is emitted in one EmitTx at the end of the transaction (inTx; OrderCompletedTx for
// billing's side of an order's completion), after every write, so each object is rendered as it ends up: an
// enrollment's activation is written (saveEnrollment) after its timeline line.

// emitted maps a timeline kind to the event it is; receipt says the object is the line's receipt (else the
// enrollment). A dropped enrollment (its first receipt unpaid, or cancelled before it was active) is
// enrollment.cancelled: receivers know no "dropped".
var emitted = map[string]struct {
	t       events.Type
	receipt bool
}{
	EventEnrolled:    {events.EnrollmentCreated, false},
	EventActivated:   {events.EnrollmentActivated, false},
	EventSuspended:   {events.EnrollmentSuspended, false},
	EventResumed:     {events.EnrollmentResumed, false},
	EventUnpaused:    {events.EnrollmentResumed, false},
	EventPaused:      {events.EnrollmentPaused, false},
	EventCancelled:   {events.EnrollmentCancelled, false},
	EventDropped:     {events.EnrollmentCancelled, false},
	EventCompleted:   {events.EnrollmentCompleted, false},
	EventIssued:      {events.ReceiptIssued, true},
	EventReceiptPaid: {events.ReceiptPaid, true},
	EventOverdue:     {events.ReceiptOverdue, true},
	EventWaived:      {events.ReceiptWaived, true},
}

type batchKey struct{}

// errNoBatch is a change written outside inTx (a programming error the tests catch).
var errNoBatch = errors.New("billing: a change outside a transaction that emits its events (inTx)")

// withBatch is ctx carrying a new batch of events.
func withBatch(ctx context.Context) (context.Context, *events.Batch) {
	b := &events.Batch{}
	return context.WithValue(ctx, batchKey{}, b), b
}

// emit adds the event a timeline line of kind is (if any) to ctx's batch.
func emit(ctx context.Context, kind string, enrollmentID, receiptID int64) error {
	m, ok := emitted[kind]
	if !ok {
		return nil
	}
	b, ok := ctx.Value(batchKey{}).(*events.Batch)
	if !ok {
		return errNoBatch
	}
	id := enrollmentID
	if m.receipt {
		id = receiptID
	}
	b.Add(events.Event{Type: m.t, ID: id})
	return nil
}

// inTx runs f in a transaction whose events (emit) go out in one EmitTx after f, inside the transaction; a failed
// f emits nothing.
func (s *Service) inTx(ctx context.Context, f func(ctx context.Context, tx pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		ctx, b := withBatch(ctx)
		if err := f(ctx, tx); err != nil {
			return err
		}
		return b.EmitTx(ctx, s.deps.Events, tx)
	})
}
