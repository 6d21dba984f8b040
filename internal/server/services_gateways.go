package server

import (
	"context"
	"fmt"

	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/gateway/fondy"
	"github.com/bursar/bursar/internal/gateway/paypal"
	"github.com/bursar/bursar/internal/gateway/redsys"
	"github.com/bursar/bursar/internal/gateway/stripe"
	"github.com/bursar/bursar/internal/gateway/wayforpay"
)

// gatewayServices are the gateway providers by payment system type (manual has none: nothing to call).
type gatewayServices struct {
	gateways *gateway.Registry
	// gatewayAPIURLs overrides each provider's API base (BURSAR_<TYPE>_API_URL), by type.
	gatewayAPIURLs map[string]string
}

func newGatewayServices(d Deps) gatewayServices {
	providers := []gateway.Provider{
		stripe.New(stripe.Options{}),
		redsys.New(redsys.Options{}),
		fondy.New(fondy.Options{}),
		wayforpay.New(wayforpay.Options{}),
		paypal.New(paypal.Options{}),
	}
	return gatewayServices{gateways: gateway.NewRegistry(providers...), gatewayAPIURLs: d.Config.GatewayAPIURLs}
}

// gatewayAccount is what sys's provider needs to call its gateway: sys, its opened credentials and the API base.
// The credentials must never be logged or rendered.
func (g gatewayServices) gatewayAccount(ctx context.Context, systems *gateway.Service, sys gateway.System) (gateway.Account, error) {
	creds, err := systems.Credentials(ctx, sys.ID)
	if err != nil {
		return gateway.Account{}, fmt.Errorf("credentials of payment system %d: %w", sys.ID, err)
	}
	return gateway.Account{System: sys, Credentials: creds, APIURL: g.gatewayAPIURLs[sys.Type]}, nil
}
