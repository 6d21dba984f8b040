package order

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/db"
	"github.com/bursar/bursar/internal/order/orderq"
)

// PaymentTx reads payment id inside tx (payment.succeeded's and payment.failed's object, with its OrderID); an
// unknown id wraps check.ErrNotFound.
func (s *Service) PaymentTx(ctx context.Context, tx db.DBTX, id int64) (Payment, error) {
	r, err := orderq.New(tx).PaymentGet(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return Payment{}, fmt.Errorf("payment %d: %w", id, check.ErrNotFound)
	}
	if err != nil {
		return Payment{}, fmt.Errorf("read payment %d: %w", id, err)
	}
	return paymentFromRow(r), nil
}

// RefundTx reads refund id with the order its payment belongs to, inside tx (refund.created's object); an unknown
// id wraps check.ErrNotFound.
func (s *Service) RefundTx(ctx context.Context, tx db.DBTX, id int64) (RefundRecord, int64, error) {
	r, err := orderq.New(tx).RefundGet(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return RefundRecord{}, 0, fmt.Errorf("refund %d: %w", id, check.ErrNotFound)
	}
	if err != nil {
		return RefundRecord{}, 0, fmt.Errorf("read refund %d: %w", id, err)
	}
	return refundRecordFromRow(r.Refund), r.OrderID, nil
}
