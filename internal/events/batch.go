package events

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// Batch gathers the events of several changes one transaction makes (an import's rows, a run of receipts, an
// order's completion with its payment and grants) so that they reach the Emitter in one EmitTx call. The zero
// value is empty and ready.
type Batch struct{ evs []Event }

// Add appends evs.
func (b *Batch) Add(evs ...Event) { b.evs = append(b.evs, evs...) }

// Events are the events added so far, in order.
func (b *Batch) Events() []Event { return b.evs }

// EmitTx hands b's events to em in one call (no call when b is empty) and empties b.
func (b *Batch) EmitTx(ctx context.Context, em Emitter, tx pgx.Tx) error {
	if len(b.evs) == 0 {
		return nil
	}
	evs := b.evs
	b.evs = nil
	return em.EmitTx(ctx, tx, evs...)
}

// OrNop is em, or Nop when em is nil: a module built without an Emitter emits nothing.
func OrNop(em Emitter) Emitter {
	if em == nil {
		return Nop{}
	}
	return em
}
