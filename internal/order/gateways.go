package order

import (
	"context"

	"github.com/bursar/bursar/internal/gateway"
)

// Gateways is how the order module reaches payment systems' gateways, given once in Deps.Gateways; gateway.Caller
// implements it with the providers and the systems' opened credentials. The order module never calls a gateway
// inside a database transaction: it writes the intent, calls, then records the answer.
type Gateways interface {
	Beginner
	Refunder
	StatusAsker
	Verifier
}

// Beginner starts payments at a payment system's gateway (StartGateway).
type Beginner interface {
	Begin(ctx context.Context, sys gateway.System, c gateway.Checkout) (gateway.Redirect, error)
}

// Refunder makes refunds through a payment system's gateway (RefundOrder, RefundException, SettleRefunds).
type Refunder interface {
	Refund(ctx context.Context, sys gateway.System, r gateway.RefundRequest) (gateway.RefundResult, error)
}

// StatusAsker asks a payment system's gateway about a payment (Recheck): a gateway that cannot be asked answers an
// error wrapping gateway.ErrUnsupported, one that cannot be reached gateway.ErrUnavailable.
type StatusAsker interface {
	Status(ctx context.Context, sys gateway.System, ref string) (gateway.Event, error)
}

// Verifier authenticates a notification addressed to a payment system (TakeNotification); its errors are those of
// gateway.Caller.Verify.
type Verifier interface {
	Verify(ctx context.Context, systemID int64, in gateway.Inbound) (gateway.System, gateway.Event, error)
}
