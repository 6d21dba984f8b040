// Package stripe is the Stripe provider of internal/gateway: Checkout Sessions in payment mode, signed webhook
// events, refunds, status re-checks and subscriptions (Checkout in subscription mode, changes, the billing portal;
// see subscription.go) through stripe-go v76 (API version 2023-10-16, as stripe-go v76 pins it).
//
// Every call builds its own stripe-go client from the account's secret_key and, when Account.APIURL is set
// (BURSAR_STRIPE_API_URL), its own API base, so accounts and tests never share stripe-go's global state.
package stripe

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	stripego "github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/client"

	"github.com/bursar/bursar/internal/gateway"
)

// Credential names of Stripe payment systems.
const (
	CredSecretKey     = "secret_key"
	CredWebhookSecret = "webhook_secret"
)

// Defaults of Options.
const (
	DefaultTimeout   = gateway.DefaultTimeout
	DefaultTolerance = 5 * time.Minute
)

// Options configure a Provider; the zero value is production's.
type Options struct {
	// Timeout bounds each HTTP request to Stripe, reading the answer included (DefaultTimeout when 0).
	Timeout time.Duration
	// Tolerance is how far a webhook signature's timestamp may be from its arrival, either way (DefaultTolerance
	// when 0).
	Tolerance time.Duration
	// MaxNetworkRetries is how many times stripe-go repeats a request after a network error or a 5xx (0: never;
	// the payer's own retry is the retry, and Begin's idempotency key makes it safe).
	MaxNetworkRetries int64
	// Transport carries the requests (a clone of http.DefaultTransport when nil).
	Transport http.RoundTripper
	// Now is the clock stamping the states ChangeSubscription and SubscriptionStatus answer (time.Now when nil).
	Now func() time.Time
}

// Provider is the Stripe gateway.Provider.
type Provider struct {
	timeout   time.Duration
	tolerance time.Duration
	retries   int64
	transport http.RoundTripper
	now       func() time.Time
}

var (
	_ gateway.Provider   = (*Provider)(nil)
	_ gateway.Subscriber = (*Provider)(nil)
)

// New returns a Stripe provider.
func New(opts Options) *Provider {
	p := &Provider{timeout: opts.Timeout, tolerance: opts.Tolerance, retries: opts.MaxNetworkRetries, transport: opts.Transport, now: opts.Now}
	if p.timeout <= 0 {
		p.timeout = DefaultTimeout
	}
	if p.tolerance <= 0 {
		p.tolerance = DefaultTolerance
	}
	if p.now == nil {
		p.now = time.Now
	}
	if p.transport == nil {
		p.transport = http.DefaultTransport.(*http.Transport).Clone()
	}
	return p
}

// Type is gateway.TypeStripe.
func (p *Provider) Type() string { return gateway.TypeStripe }

// call is one operation's client and the probe that sees how its HTTP exchanges ended.
type call struct {
	api   *client.API
	probe *gateway.Probe
	ctx   context.Context
}

// newCall builds a stripe-go client for acct: its secret key, its API base, this provider's timeout, no logging
// and no telemetry.
func (p *Provider) newCall(ctx context.Context, acct gateway.Account) (*call, error) {
	key := acct.Credentials[CredSecretKey]
	if key == "" {
		return nil, fmt.Errorf("stripe: payment system %d has no %s", acct.System.ID, CredSecretKey)
	}
	pr := &gateway.Probe{Base: p.transport}
	cfg := &stripego.BackendConfig{
		HTTPClient:        gateway.NewHTTPClient(p.timeout, pr),
		LeveledLogger:     &stripego.LeveledLogger{Level: stripego.LevelNull},
		MaxNetworkRetries: stripego.Int64(p.retries),
		EnableTelemetry:   stripego.Bool(false),
	}
	if acct.APIURL != "" {
		cfg.URL = stripego.String(acct.APIURL)
	}
	b := stripego.GetBackendWithConfig(stripego.APIBackend, cfg)
	return &call{api: client.New(key, &stripego.Backends{API: b, Connect: b, Uploads: b}), probe: pr, ctx: ctx}, nil
}

// params returns request parameters bound to the call's context.
func (c *call) params() stripego.Params { return stripego.Params{Context: c.ctx} }

// fail turns a stripe-go error of operation op into Bursar's: a network error, a timeout, a 5xx or a 429 wraps
// gateway.ErrUnavailable; any other answer of Stripe's is a plain error carrying Stripe's message.
func (c *call) fail(op string, err error) error {
	var se *stripego.Error
	if errors.As(err, &se) {
		if gateway.UnavailableStatus(se.HTTPStatusCode) {
			return fmt.Errorf("stripe: %s: %s (HTTP %d): %w", op, se.Msg, se.HTTPStatusCode, gateway.ErrUnavailable)
		}
		return fmt.Errorf("stripe: %s: %s (HTTP %d, %s)", op, se.Msg, se.HTTPStatusCode, se.Code)
	}
	if c.probe.Failed() || gateway.Unreachable(err) {
		return fmt.Errorf("stripe: %s: %v: %w", op, err, gateway.ErrUnavailable)
	}
	return fmt.Errorf("stripe: %s: %w", op, err)
}
