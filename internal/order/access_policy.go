package order

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/access"
	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/offer"
	"github.com/bursar/bursar/internal/order/orderq"
)

// What a refund or a dispute does to an order's access: the offer's RefundAccess and DisputeAccess (internal/offer,
// access_policy.go) — revoke the grants the order created at once, keep them, or ask a manager through a payment
// exception whose actions are revoke and keep (access_exception.go). Every refund that makes an order refunded
// goes through refundedTx, whoever made it (the admin, the API, the gateway's dashboard reported by a
// notification, the re-check), and applies RefundAccess there; a dispute applies DisputeAccess when it is first
// seen (dispute.go). The offer is read before the transaction, like every read of the catalog.

// Access decisions an exception asks for or records (payment_exceptions.access).
const (
	AccessAsk     = "ask"     // a manager decides: revoke or keep
	AccessRevoked = "revoked" // the grants the order created were revoked
	AccessKept    = "kept"    // they were kept
)

// EventAccessAsked is the timeline kind of a refund whose access waits for a manager's decision.
const EventAccessAsked = "access.decision_asked"

// refundPolicy is the refund access policy of order id's offer, read through the pool before a transaction.
func (s *Service) refundPolicy(ctx context.Context, id int64) (string, error) {
	o, err := getOrder(ctx, s.db, id)
	if err != nil {
		return "", err
	}
	return s.offerRefundPolicy(ctx, o.OfferID)
}

// offerRefundPolicy is offer id's refund access policy.
func (s *Service) offerRefundPolicy(ctx context.Context, id int64) (string, error) {
	of, err := s.deps.Offers.Offer(ctx, id)
	if err != nil {
		return "", fmt.Errorf("offer %d: %w", id, err)
	}
	return of.RefundAccess, nil
}

// refundAccessTx applies policy to refunded order o (refundedTx) and says what it did, for the order's line:
// revoke ("" too: the behaviour before the policy existed) revokes the grants o created, keep keeps them, ask
// opens an exception of kind refund_access for a manager's decision.
func (s *Service) refundAccessTx(ctx context.Context, tx pgx.Tx, o Order, policy, note string) (string, error) {
	switch policy {
	case offer.AccessKeep:
		return "; access kept (the offer's refund policy)", nil
	case offer.AccessAsk:
		msg := fmt.Sprintf("Order %s was refunded and its offer asks a manager whether its access goes", o.Number)
		if note != "" {
			msg += ": " + note
		}
		x, err := orderq.New(tx).ExceptionAccessInsert(ctx, orderq.ExceptionAccessInsertParams{OrderID: &o.ID,
			PaymentSystemID: o.PaymentSystemID, Amount: o.Price.Amount, Currency: o.Price.Currency,
			Note: truncate(msg, MaxComment)})
		if err != nil {
			return "", fmt.Errorf("open refund_access exception of order %s: %w", o.Number, err)
		}
		if err := s.audit.RecordTx(ctx, tx, "payment_exception.open", "payment_exception", x.ID, map[string]any{
			"kind": ExRefundAccess, "order_id": o.ID, "payment_system_id": o.PaymentSystemID}); err != nil {
			return "", err
		}
		return fmt.Sprintf("; access kept until a manager decides (payment exception %d)", x.ID), nil
	}
	kept, err := s.revokeTx(ctx, tx, o, note)
	return keptWords(kept), err
}

// revokeGrantsTx revokes the grants o created (its order_grants), each with reason; it returns how many grants o
// only extended (kept: they were the contact's before the order). Grants of the contact's other orders are never
// touched.
func (s *Service) revokeGrantsTx(ctx context.Context, tx pgx.Tx, o Order, reason string) (kept int, err error) {
	grants, err := orderq.New(tx).OrderGrants(ctx, o.ID)
	if err != nil {
		return 0, fmt.Errorf("grants of order %s: %w", o.Number, err)
	}
	reason = truncate(reason, access.MaxReason)
	for _, g := range grants {
		if !g.Created {
			kept++
			continue
		}
		if _, err := s.deps.Access.RevokeTx(ctx, tx, g.GrantID, reason); err != nil && !errors.Is(err, access.ErrRevoked) &&
			!errors.Is(err, check.ErrNotFound) {
			return kept, fmt.Errorf("revoke grant %d: %w", g.GrantID, err)
		}
	}
	return kept, nil
}

// keptWords says on a timeline line how many extended grants a revocation kept ("" for none).
func keptWords(kept int) string {
	if kept == 0 {
		return ""
	}
	return fmt.Sprintf("; %d extended grant(s) kept, revoke them on the contact card if needed", kept)
}

// accessWords says what a dispute's opening did to the access, for the order's line.
func accessWords(decision string) string {
	switch decision {
	case AccessRevoked:
		return "access revoked (the offer's dispute policy)"
	case AccessKept:
		return "access kept (the offer's dispute policy)"
	case AccessAsk:
		return "access kept until a manager decides (revoke or keep in the exceptions inbox)"
	}
	return "access unchanged"
}
