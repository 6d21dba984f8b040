package order

import (
	"context"

	"github.com/bursar/bursar/internal/gateway"
)

// WithRecordFault returns ctx carrying f, called inside each transaction that records a gateway's answer to a
// refund with the step's name (refund_made, refund_failed, exception_refund_made, exception_refund_failed): an
// error rolls the recording back, as a crash or a failed commit after the gateway answered would.
func WithRecordFault(ctx context.Context, f func(step string) error) context.Context {
	return context.WithValue(ctx, recordFaultKey{}, f)
}

// RefundGatewayVia is the gateway refund of RefundOrder made through via, for tests with their own gateway fakes.
func (s *Service) RefundGatewayVia(ctx context.Context, orderID int64, req GatewayRefund, via Refunder) (RefundRecord, error) {
	return s.refundGateway(ctx, orderID, req, via)
}

// RecheckVia is Recheck asking via, for tests with their own gateway fakes.
func (s *Service) RecheckVia(ctx context.Context, orderID int64, via StatusAsker) ([]Check, error) {
	return s.recheck(ctx, orderID, via)
}

// RecheckStaleVia is RecheckStale asking via, for tests with their own gateway fakes.
func (s *Service) RecheckStaleVia(ctx context.Context, via StatusAsker, cfg RecheckConfig) (RecheckSummary, error) {
	return s.recheckStale(ctx, via, cfg)
}

// SettleRefundsVia is SettleRefunds asking via, for tests with their own gateway fakes.
func (s *Service) SettleRefundsVia(ctx context.Context, via Refunder, cfg RecheckConfig) (RefundSettlement, error) {
	return s.settleRefunds(ctx, via, cfg)
}

// RefundExceptionVia is RefundException made through via, for tests with their own gateway fakes.
func (s *Service) RefundExceptionVia(ctx context.Context, id int64, note string, via Refunder) (Exception, gateway.RefundResult, error) {
	return s.refundException(ctx, id, note, via)
}
