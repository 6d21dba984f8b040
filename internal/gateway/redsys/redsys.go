// Package redsys is the Redsys provider of internal/gateway: the redirection payment page (realizarPago) entered
// by posting a signed form, signed notifications (HMAC_SHA256_V1) and refunds through the REST API
// (trataPeticionREST).
//
// Every message is signed the same way: the merchant key (base64, 24 bytes) encrypts the message's order number
// with 3DES-CBC to make a key for that order, and that key signs the base64 Ds_MerchantParameters text with
// HMAC-SHA256. The order number (DS_MERCHANT_ORDER, 12 characters per attempt) is the payment's gateway reference.
package redsys

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/bursar/bursar/internal/gateway"
)

// Setting and credential names of Redsys payment systems (internal/gateway/spec.go).
const (
	SettingMerchantCode = "merchant_code"
	SettingTerminal     = "terminal"
	CredMerchantKey     = "merchant_key"
)

// Redsys' hosts: the test environment (sis-t) and the live one.
const (
	TestBaseURL = "https://sis-t.redsys.es:25443"
	LiveBaseURL = "https://sis.redsys.es"
)

// Paths under the base URL.
const (
	PaymentPath = "/sis/realizarPago"           // the payment page the payer's browser posts the form to
	RESTPath    = "/sis/rest/trataPeticionREST" // server-to-server operations (refunds)
)

// DefaultTimeout bounds each HTTP request to Redsys when Options gives neither a timeout nor a client.
const DefaultTimeout = gateway.DefaultTimeout

// maxResponse bounds what is read of a Redsys answer; a REST answer is well under a KiB.
const maxResponse = 64 << 10

// Options configure a Provider; the zero value is production's.
type Options struct {
	// HTTPClient makes the REST calls (a client with Timeout when nil).
	HTTPClient *http.Client
	// Timeout bounds each request of the default client, reading the answer included (DefaultTimeout when 0).
	Timeout time.Duration
}

// Provider is the Redsys gateway.Provider.
type Provider struct {
	client *http.Client
}

var _ gateway.Provider = (*Provider)(nil)

// New returns a Redsys provider.
func New(opts Options) *Provider {
	c := opts.HTTPClient
	if c == nil {
		c = gateway.NewHTTPClient(opts.Timeout, nil)
	}
	return &Provider{client: c}
}

// Type is gateway.TypeRedsys.
func (p *Provider) Type() string { return gateway.TypeRedsys }

// baseURL is where acct's requests go: acct.APIURL when set, else Redsys' live host for live systems and the test
// host for any other.
func baseURL(acct gateway.Account) string {
	switch {
	case acct.APIURL != "":
		return strings.TrimRight(acct.APIURL, "/")
	case acct.System.Mode == gateway.ModeLive:
		return LiveBaseURL
	}
	return TestBaseURL
}

// merchant is what every signed request of one payment system carries.
type merchant struct {
	code     string
	terminal string
	key      []byte // the decoded merchant key, 24 bytes
}

// merchantOf reads acct's merchant code, terminal and key. Errors never include the key.
func merchantOf(acct gateway.Account) (merchant, error) {
	m := merchant{code: strings.TrimSpace(acct.System.Setting(SettingMerchantCode)),
		terminal: strings.TrimSpace(acct.System.Setting(SettingTerminal))}
	if !digits(m.code, 1, 9) {
		return merchant{}, fmt.Errorf("redsys: payment system %d: %s must be up to 9 digits", acct.System.ID,
			SettingMerchantCode)
	}
	if !digits(m.terminal, 1, 3) {
		return merchant{}, fmt.Errorf("redsys: payment system %d: %s must be up to 3 digits", acct.System.ID,
			SettingTerminal)
	}
	key, err := merchantKey(acct.Credentials[CredMerchantKey])
	if err != nil {
		return merchant{}, fmt.Errorf("redsys: payment system %d: %w", acct.System.ID, err)
	}
	m.key = key
	return m, nil
}

// digits reports whether s is between min and max ASCII digits.
func digits(s string, min, max int) bool {
	if len(s) < min || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// post sends body as JSON to url and returns the answer's body. A network error, a timeout, a 5xx or a 429 wraps
// gateway.ErrUnavailable; any other non-2xx status is a plain error.
func (p *Provider) post(ctx context.Context, op, url string, body []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("redsys: %s: %w", op, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	status, raw, err := gateway.Exchange(p.client, req, maxResponse)
	if err != nil {
		return nil, fmt.Errorf("redsys: %s: %w", op, err)
	}
	if status < 200 || status > 299 {
		return nil, fmt.Errorf("redsys: %s: HTTP %d", op, status)
	}
	return raw, nil
}
