package offer

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/offer/offerq"
)

// What a refund or a dispute of an order does to the access it granted (PRODUCT.md "Beyond the peers" 7): the
// offer's RefundAccess and DisputeAccess, applied by internal/order.
const (
	// AccessRevoke revokes the grants the order created at once.
	AccessRevoke = "revoke"
	// AccessKeep keeps them: the timeline says so.
	AccessKeep = "keep"
	// AccessAsk opens a payment exception whose actions are revoke and keep: a manager decides.
	AccessAsk = "ask"
)

// AccessPolicies lists every access policy, in the order forms show them.
var AccessPolicies = []string{AccessRevoke, AccessKeep, AccessAsk}

// Defaults of the access policies: a refund revokes (Bursar's behaviour before the setting existed); a dispute asks
// a manager, since the school may still win it and revoking at once is not always what it wants.
const (
	DefaultRefundAccess  = AccessRevoke
	DefaultDisputeAccess = AccessAsk
)

// normalizeAccess trims the access policies and fills the defaults of those left empty.
func (in *Input) normalizeAccess() {
	in.RefundAccess = strings.ToLower(strings.TrimSpace(in.RefundAccess))
	in.DisputeAccess = strings.ToLower(strings.TrimSpace(in.DisputeAccess))
	if in.RefundAccess == "" {
		in.RefundAccess = DefaultRefundAccess
	}
	if in.DisputeAccess == "" {
		in.DisputeAccess = DefaultDisputeAccess
	}
}

// validateAccess adds the field errors of unknown access policies.
func (in Input) validateAccess(e check.Errors) {
	if !slices.Contains(AccessPolicies, in.RefundAccess) {
		e.Add("refund_access", "must be revoke, keep or ask")
	}
	if !slices.Contains(AccessPolicies, in.DisputeAccess) {
		e.Add("dispute_access", "must be revoke, keep or ask")
	}
}

// setAccessTx writes offer id's access policies.
func setAccessTx(ctx context.Context, tx pgx.Tx, id int64, in Input) error {
	if err := offerq.New(tx).OfferSetAccess(ctx, offerq.OfferSetAccessParams{ID: id, RefundAccess: in.RefundAccess,
		DisputeAccess: in.DisputeAccess}); err != nil {
		return fmt.Errorf("offer %d access policies: %w", id, err)
	}
	return nil
}
