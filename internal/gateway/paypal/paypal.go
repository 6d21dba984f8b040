// Package paypal is the PayPal provider of internal/gateway: Orders v2 with intent CAPTURE, webhooks verified by
// PayPal's own verify-webhook-signature API, capture refunds and order status re-checks, through the client of
// github.com/plutov/paypal/v4 (its OAuth2 token handling, authentication and error decoding).
//
// A payment goes: Begin creates an order (custom_id = Bursar's order id) and sends the payer to its approval link;
// the payer approves at PayPal; then whichever comes first — the CHECKOUT.ORDER.APPROVED webhook (Verify) or the
// return page asking Status — captures the order, with a PayPal-Request-Id derived from the order id, so the order
// is captured once however many processes ask at once; PAYMENT.CAPTURE.* webhooks report what became of the money.
//
// Subscriptions (subscription.go, subevents.go) go through the Subscriptions API v1: a product, a plan and a
// subscription per checkout, its BILLING.SUBSCRIPTION.* and PAYMENT.SALE.* webhooks reporting its state and charges.
//
// Each call builds its own client from the payment system's client_id setting and client_secret credential and its
// API base (the sandbox in test mode, Account.APIURL when set). Access tokens are cached per account until shortly
// before they expire, as PayPal asks; nothing else is shared between calls.
package paypal

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	paypalsdk "github.com/plutov/paypal/v4"

	"github.com/bursar/bursar/internal/gateway"
)

// Names of the settings and the credential of PayPal payment systems.
const (
	SettingClientID  = "client_id"
	SettingWebhookID = "webhook_id"
	CredClientSecret = "client_secret"
)

// PayPal's API bases.
const (
	SandboxAPIURL = "https://api-m.sandbox.paypal.com"
	LiveAPIURL    = "https://api-m.paypal.com"
)

// DefaultTimeout bounds each HTTP request to PayPal when Options.Timeout is 0.
const DefaultTimeout = gateway.DefaultTimeout

// tokenMargin is how long before its expiry a cached access token is no longer used.
const tokenMargin = 5 * time.Minute

// Options configure a Provider; the zero value is production's.
type Options struct {
	// Timeout bounds each HTTP request to PayPal, reading the answer included (DefaultTimeout when 0).
	Timeout time.Duration
	// Transport carries the requests (a clone of http.DefaultTransport when nil).
	Transport http.RoundTripper
}

// Provider is the PayPal gateway.Provider and gateway.Subscriber.
type Provider struct {
	timeout   time.Duration
	transport http.RoundTripper

	mu     sync.Mutex
	tokens map[string]token // by tokenKey
}

var _ gateway.Provider = (*Provider)(nil)

// New returns a PayPal provider.
func New(opts Options) *Provider {
	p := &Provider{timeout: opts.Timeout, transport: opts.Transport, tokens: map[string]token{}}
	if p.timeout <= 0 {
		p.timeout = DefaultTimeout
	}
	if p.transport == nil {
		p.transport = http.DefaultTransport.(*http.Transport).Clone()
	}
	return p
}

// Type is gateway.TypePayPal.
func (p *Provider) Type() string { return gateway.TypePayPal }

// apiBase is where acct's calls go: Account.APIURL, else the sandbox in test mode and the live API in live mode.
func apiBase(acct gateway.Account) string {
	switch {
	case acct.APIURL != "":
		return strings.TrimRight(acct.APIURL, "/")
	case acct.System.Mode == gateway.ModeLive:
		return LiveAPIURL
	}
	return SandboxAPIURL
}

// call is one operation's client, the probe that sees how its HTTP exchanges ended, and whether it started from
// a cached token.
type call struct {
	p      *Provider
	sdk    *paypalsdk.Client
	probe  *gateway.Probe
	ctx    context.Context
	base   string
	key    string
	cached bool
	manage string // the account's autopay page (ManageURL)
}

// newCall builds a client for acct: its client id and secret, its API base and this provider's timeout, with a
// cached access token when there is one.
func (p *Provider) newCall(ctx context.Context, acct gateway.Account) (*call, error) {
	id := strings.TrimSpace(acct.System.Setting(SettingClientID))
	secret := acct.Credentials[CredClientSecret]
	if id == "" || secret == "" {
		return nil, fmt.Errorf("paypal: payment system %d needs its %s and %s", acct.System.ID, SettingClientID,
			CredClientSecret)
	}
	base := apiBase(acct)
	sdk, err := paypalsdk.NewClient(id, secret, base)
	if err != nil {
		return nil, fmt.Errorf("paypal: client: %w", err)
	}
	pr := &gateway.Probe{Base: p.transport}
	sdk.SetHTTPClient(gateway.NewHTTPClient(p.timeout, pr))
	c := &call{p: p, sdk: sdk, probe: pr, ctx: ctx, base: base, key: tokenKey(base, id, secret), manage: manageURL(acct)}
	if tok, ok := p.cachedToken(c.key); ok {
		sdk.SetAccessToken(tok)
		c.cached = true
	}
	return c, nil
}

// tokenKey names an account's token in the cache without keeping its secret: a hash of base, id and secret.
func tokenKey(base, id, secret string) string {
	h := sha256.New()
	for _, v := range []string{base, id, secret} {
		fmt.Fprintf(h, "%d:%s;", len(v), v)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// token is a cached access token.
type token struct {
	value   string
	expires time.Time
}

// cachedToken is the account's cached access token, unless it expires within tokenMargin.
func (p *Provider) cachedToken(key string) (string, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	t, ok := p.tokens[key]
	if !ok || time.Until(t.expires) < tokenMargin {
		return "", false
	}
	return t.value, true
}

// keepToken caches an account's access token for ttl.
func (p *Provider) keepToken(key, value string, ttl time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if ttl <= tokenMargin {
		return
	}
	for k, t := range p.tokens { // drop the expired ones, so the cache holds only live accounts
		if time.Until(t.expires) < tokenMargin {
			delete(p.tokens, k)
		}
	}
	p.tokens[key] = token{value: value, expires: time.Now().Add(ttl)}
}

// forgetToken drops an account's cached token (PayPal refused it).
func (p *Provider) forgetToken(key string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.tokens, key)
}

// do sends one API request: method to path under the API base with body (JSON; nil for none) and headers, and
// decodes the answer into out (when not nil). A cached token PayPal no longer accepts (401) is dropped and the
// request sent once more with a new one: a 401 means PayPal did nothing.
func (c *call) do(op, method, path string, body []byte, header map[string]string, out any) error {
	for attempt := 0; ; attempt++ {
		var rd io.Reader
		if body != nil {
			rd = bytes.NewReader(body)
		}
		req, err := http.NewRequestWithContext(c.ctx, method, c.base+path, rd)
		if err != nil {
			return fmt.Errorf("paypal: %s: %w", op, err)
		}
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		for k, v := range header {
			req.Header.Set(k, v)
		}
		err = c.sdk.SendWithAuth(req, out)
		if err == nil {
			c.keep()
			return nil
		}
		if attempt == 0 && c.cached && statusOf(err) == http.StatusUnauthorized {
			c.p.forgetToken(c.key)
			c.sdk.Token, c.cached = nil, false
			continue
		}
		return c.fail(op, err)
	}
}

// keep caches the token the call fetched.
func (c *call) keep() {
	if c.cached || c.sdk.Token == nil || c.sdk.Token.Token == "" {
		return
	}
	c.p.keepToken(c.key, c.sdk.Token.Token, c.sdk.Token.ExpiresIn.ToDuration())
	c.cached = true
}

// statusOf is the HTTP status of an error answer of PayPal's, 0 for other errors.
func statusOf(err error) int {
	var er *paypalsdk.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		return er.Response.StatusCode
	}
	return 0
}

// apiError is an answer of PayPal's refusing a request (a 4xx): its name and the first detail's issue
// (ORDER_ALREADY_CAPTURED, RESOURCE_NOT_FOUND's INVALID_RESOURCE_ID, …).
type apiError struct {
	op      string
	status  int
	name    string
	issue   string
	message string
	debugID string
}

func (e *apiError) Error() string {
	msg := fmt.Sprintf("paypal: %s: HTTP %d", e.op, e.status)
	for _, v := range []string{e.name, e.issue, e.message} {
		if v != "" {
			msg += " " + v
		}
	}
	if e.debugID != "" {
		msg += " (debug_id " + e.debugID + ")"
	}
	return msg
}

// issueOf is the PayPal error name and issue of err ("" when err is not an answer of PayPal's).
func issueOf(err error) (name, issue string) {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.name, ae.issue
	}
	return "", ""
}

// fail turns an error of operation op into Bursar's: a network error, a timeout, a 5xx or a 429 wraps
// gateway.ErrUnavailable; a refusal is an *apiError carrying PayPal's name, issue and message (never the request's
// credentials).
func (c *call) fail(op string, err error) error {
	var er *paypalsdk.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		code := er.Response.StatusCode
		ae := &apiError{op: op, status: code, name: er.Name, message: er.Message, debugID: er.DebugID}
		if len(er.Details) > 0 {
			ae.issue = er.Details[0].Issue
		}
		if ae.name == "" && er.Response.Request != nil && er.Response.Request.URL != nil {
			ae.name = "at " + er.Response.Request.URL.Path // the token endpoint answers OAuth2 errors, not PayPal's
		}
		if gateway.UnavailableStatus(code) {
			return fmt.Errorf("%w: %w", ae, gateway.ErrUnavailable)
		}
		return ae
	}
	if c.probe.Failed() || gateway.Unreachable(err) {
		return fmt.Errorf("paypal: %s: %v: %w", op, err, gateway.ErrUnavailable)
	}
	return fmt.Errorf("paypal: %s: %w", op, err)
}

// encode is v as compact JSON without HTML escaping ("&" stays "&").
func encode(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// idPattern is what PayPal's order, capture and refund ids look like; anything else never reaches a URL path.
var idPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// validID reports whether id may be a PayPal resource id.
func validID(id string) bool { return idPattern.MatchString(id) }

// truncate cuts s to at most n runes.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}
