package order

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/order/orderq"
)

// A manager's decision on an exception asking what a refund or a dispute does to its order's access (the offer's
// policy "ask"): revoke the grants that order created, or keep them. Each is one transaction: the exception's
// conditional update (a second click, or another manager, finds it decided), the grants, the order's and the
// contact's timelines and the audit entry. A refund_access exception is resolved by the decision; a dispute's
// stays open until the dispute is closed, since its deadline and outcome still matter.

// Timeline kinds of access decisions.
const (
	EventAccessRevoked = "access.revoked_by_decision"
	EventAccessKept    = "access.kept_by_decision"
)

// ErrNoAccessDecision is returned when deciding the access of an exception that asks for no decision.
var ErrNoAccessDecision = check.Conflict("This payment exception asks for no access decision.")

// CanDecideAccess reports whether x waits for a manager's revoke or keep.
func (x Exception) CanDecideAccess() bool { return x.Access == AccessAsk && x.OrderID > 0 }

// RevokeAccessException revokes the grants exception id's order created (exactly that order's order_grants; the
// contact's other orders keep theirs) and records the decision; note is optional (≤ MaxComment).
func (s *Service) RevokeAccessException(ctx context.Context, id int64, note string) (Exception, error) {
	return s.decideAccess(ctx, id, AccessRevoked, note)
}

// KeepAccessException records that exception id's order keeps its access; note is optional (≤ MaxComment).
func (s *Service) KeepAccessException(ctx context.Context, id int64, note string) (Exception, error) {
	return s.decideAccess(ctx, id, AccessKept, note)
}

// decideAccess is RevokeAccessException and KeepAccessException.
func (s *Service) decideAccess(ctx context.Context, id int64, decision, note string) (Exception, error) {
	note = strings.TrimSpace(note)
	e := check.Errors{}
	e.Text("note", note, false, MaxComment)
	if err := e.Err(); err != nil {
		return Exception{}, err
	}
	var out Exception
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		q := orderq.New(tx)
		cur, err := q.ExceptionGet(ctx, id)
		if errors.Is(err, pgx.ErrNoRows) {
			return exceptionNotFound(id)
		}
		if err != nil {
			return fmt.Errorf("read payment exception %d: %w", id, err)
		}
		if cur.OrderID == nil {
			return ErrNoAccessDecision
		}
		// The order first, then the exception: the order a dispute notification locks before its exception.
		o, err := lockedOrderWait(ctx, tx, *cur.OrderID)
		if err != nil {
			return err
		}
		r, err := q.ExceptionSetAccess(ctx, orderq.ExceptionSetAccessParams{ID: id, Access: decision})
		if errors.Is(err, pgx.ErrNoRows) {
			return decidedError(ctx, tx, id)
		}
		if err != nil {
			return fmt.Errorf("decide access of payment exception %d: %w", id, err)
		}
		x := exceptionFromRow(r)
		kind, msg := EventAccessKept, fmt.Sprintf("Access of order %s kept (payment exception %d)", o.Number, x.ID)
		if decision == AccessRevoked {
			kept, err := s.revokeGrantsTx(ctx, tx, o, fmt.Sprintf("order %s: access revoked by decision (payment "+
				"exception %d)", o.Number, x.ID))
			if err != nil {
				return err
			}
			kind, msg = EventAccessRevoked, fmt.Sprintf("Access of order %s revoked (payment exception %d)", o.Number,
				x.ID)+keptWords(kept)
		}
		if note != "" {
			msg += ": " + note
		}
		if err := s.eventsTx(ctx, tx, o, kind, truncate(msg, MaxComment)); err != nil {
			return err
		}
		if x.Open() && (x.Kind == ExRefundAccess || (x.Kind == ExDispute && x.Dispute.Outcome != "")) {
			resolution := "access " + decision
			if note != "" {
				resolution += ": " + note
			}
			if x, err = resolveTx(ctx, tx, id, resolution); err != nil {
				return err
			}
		}
		out = x
		return s.audit.RecordTx(ctx, tx, "payment_exception."+map[string]string{AccessRevoked: "revoke_access",
			AccessKept: "keep_access"}[decision], "payment_exception", id, map[string]any{"kind": x.Kind,
			"order_id": o.ID, "number": o.Number, "note": note})
	})
	return out, err
}

// decidedError explains why exception id's access cannot be decided: decided already, or never asked.
func decidedError(ctx context.Context, tx pgx.Tx, id int64) error {
	r, err := orderq.New(tx).ExceptionGet(ctx, id)
	if err != nil {
		return fmt.Errorf("read payment exception %d: %w", id, err)
	}
	if r.Access == AccessRevoked || r.Access == AccessKept {
		return check.Conflictf(nil, "The access of payment exception %d was %s already.", id, r.Access)
	}
	return ErrNoAccessDecision
}
