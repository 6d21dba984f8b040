package order

import "context"

// WithRecordFault returns ctx carrying f, called inside each transaction that records a gateway's answer to a
// refund with the step's name (refund_made, refund_failed, exception_refund_made, exception_refund_failed): an
// error rolls the recording back, as a crash or a failed commit after the gateway answered would.
func WithRecordFault(ctx context.Context, f func(step string) error) context.Context {
	return context.WithValue(ctx, recordFaultKey{}, f)
}
