package app

import (
	"context"
	"fmt"

	"github.com/bursar/bursar/internal/gateway"
)

// Gateways calls payment systems' gateways: through the provider of the system's type, with the system's opened
// credentials and the configured API base. It implements order.Refunder, order.Beginner and order.StatusAsker.
type Gateways struct {
	// Registry holds the providers by payment system type.
	Registry *gateway.Registry
	// Systems opens the payment systems' credentials.
	Systems *gateway.Service
	// APIURLs overrides each provider's API base (BURSAR_<TYPE>_API_URL), by type.
	APIURLs map[string]string
}

// Account is what sys's provider needs to call its gateway: sys, its opened credentials and the API base. The
// credentials must never be logged or rendered.
func (g Gateways) Account(ctx context.Context, sys gateway.System) (gateway.Account, error) {
	creds, err := g.Systems.Credentials(ctx, sys.ID)
	if err != nil {
		return gateway.Account{}, fmt.Errorf("credentials of payment system %d: %w", sys.ID, err)
	}
	return gateway.Account{System: sys, Credentials: creds, APIURL: g.APIURLs[sys.Type]}, nil
}

// Provider is sys's provider and account; a type without a provider cannot be asked (gateway.ErrUnsupported).
func (g Gateways) Provider(ctx context.Context, sys gateway.System) (gateway.Provider, gateway.Account, error) {
	p, ok := g.Registry.Provider(sys.Type)
	if !ok {
		return nil, gateway.Account{}, fmt.Errorf("payment systems of type %s: %w", sys.Type, gateway.ErrUnsupported)
	}
	acct, err := g.Account(ctx, sys)
	if err != nil {
		return nil, gateway.Account{}, err
	}
	return p, acct, nil
}

// Begin implements order.Beginner.
func (g Gateways) Begin(ctx context.Context, sys gateway.System, c gateway.Checkout) (gateway.Redirect, error) {
	p, acct, err := g.Provider(ctx, sys)
	if err != nil {
		return gateway.Redirect{}, err
	}
	return p.Begin(ctx, acct, c)
}

// Refund implements order.Refunder.
func (g Gateways) Refund(ctx context.Context, sys gateway.System, r gateway.RefundRequest) (gateway.RefundResult, error) {
	p, acct, err := g.Provider(ctx, sys)
	if err != nil {
		return gateway.RefundResult{}, err
	}
	return p.Refund(ctx, acct, r)
}

// Status implements order.StatusAsker.
func (g Gateways) Status(ctx context.Context, sys gateway.System, ref string) (gateway.Event, error) {
	p, acct, err := g.Provider(ctx, sys)
	if err != nil {
		return gateway.Event{}, err
	}
	return p.Status(ctx, acct, ref)
}
