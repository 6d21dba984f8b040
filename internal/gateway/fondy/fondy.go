// Package fondy is the Fondy (CloudIPSP) provider of internal/gateway, on Fondy's protocol version 1.0 in JSON:
// hosted checkout pages created host to host (/api/checkout/url/), signed server callbacks, reversals (refunds,
// full or partial) and order status re-checks; and, for subscriptions whose schedule Bursar owns, a first payment
// that saves the card (required_rectoken=Y) and host-to-host charges of the saved card (/api/recurring/): see
// savedcard.go.
//
// Every request and answer is signed the same way: the SHA-1, in lower-case hex, of the payment key followed by
// the values of every non-empty parameter sorted by name, all joined with "|" ("signature" and
// "response_signature_string" themselves excluded). The per-attempt order_id ("<order id>-<8 random
// alphanumerics>") is the payment's gateway reference.
//
// Fondy has no separate sandbox host: a test payment system talks to the same host with a test merchant (Fondy's
// public one is 1396424 with the payment key "test"), so the mode changes nothing here.
package fondy

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/bursar/bursar/internal/gateway"
)

// Setting and credential names of Fondy payment systems (internal/gateway/spec.go).
const (
	SettingMerchantID = "merchant_id"
	CredSecretKey     = "secret_key"
)

// BaseURL is Fondy's API host, for test and live merchants alike.
const BaseURL = "https://pay.fondy.eu"

// Paths under the base URL.
const (
	CheckoutPath = "/api/checkout/url/"     // creates the hosted checkout page of an order
	ReversePath  = "/api/reverse/order_id/" // refunds (part of) an approved order
	StatusPath   = "/api/status/order_id/"  // reports an order
)

// Fields left out of the signed string.
const (
	signatureKey = "signature"                 // the signature itself
	signedString = "response_signature_string" // Fondy's copy of the signed string with the key masked
)

// DefaultTimeout bounds each HTTP request to Fondy when Options gives neither a timeout nor a client.
const DefaultTimeout = gateway.DefaultTimeout

// maxResponse bounds what is read of a Fondy answer; one is a few KiB.
const maxResponse = 64 << 10

// Options configure a Provider; the zero value is production's.
type Options struct {
	// HTTPClient makes the API calls (a client with Timeout when nil).
	HTTPClient *http.Client
	// Timeout bounds each request of the default client, reading the answer included (DefaultTimeout when 0).
	Timeout time.Duration
	// Now is the clock that dates a saved-card charge when no notification time is known (time.Now when nil).
	Now func() time.Time
}

// Provider is the Fondy gateway.Provider, and its gateway.CardCharger (savedcard.go).
type Provider struct {
	client *http.Client
	now    func() time.Time
}

var _ gateway.Provider = (*Provider)(nil)

// New returns a Fondy provider.
func New(opts Options) *Provider {
	c := opts.HTTPClient
	if c == nil {
		c = gateway.NewHTTPClient(opts.Timeout, nil)
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	return &Provider{client: c, now: now}
}

// Type is gateway.TypeFondy.
func (p *Provider) Type() string { return gateway.TypeFondy }

// baseURL is where acct's requests go: acct.APIURL when set, else Fondy's host.
func baseURL(acct gateway.Account) string {
	if acct.APIURL != "" {
		return strings.TrimRight(acct.APIURL, "/")
	}
	return BaseURL
}

// merchant is what every signed request of one payment system needs.
type merchant struct {
	id     string // digits
	secret string // the payment key
}

// merchantOf reads acct's merchant id and payment key. Errors never include the key.
func merchantOf(acct gateway.Account) (merchant, error) {
	m := merchant{id: strings.TrimSpace(acct.System.Setting(SettingMerchantID)), secret: acct.Credentials[CredSecretKey]}
	if !digits(m.id, 1, 20) {
		return merchant{}, fmt.Errorf("fondy: payment system %d: %s must be digits", acct.System.ID, SettingMerchantID)
	}
	if m.secret == "" {
		return merchant{}, fmt.Errorf("fondy: payment system %d has no %s", acct.System.ID, CredSecretKey)
	}
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

// sign is Fondy's signature of fields under secret: hex SHA-1 of "secret|v1|v2|…", the non-empty values sorted by
// field name, signature and response_signature_string left out.
func sign(secret string, fields map[string]string) string {
	keys := make([]string, 0, len(fields))
	for k, v := range fields {
		if v != "" && k != signatureKey && k != signedString {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	h := sha1.New()
	h.Write([]byte(secret)) // a hash.Hash never returns an error
	for _, k := range keys {
		h.Write([]byte("|"))
		h.Write([]byte(fields[k]))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// signedBy reports whether fields carry their signature under secret (compared in constant time; Fondy writes
// lower-case hex, upper case is accepted).
func signedBy(secret string, fields map[string]string) bool {
	got := strings.ToLower(fields[signatureKey])
	if len(got) != sha1.Size*2 {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(got), []byte(sign(secret, fields))) == 1
}

// call posts {"request": fields + signature} to path and returns the fields of the answer's "response" object.
// A network error, a timeout, a 5xx or a 429 wraps gateway.ErrUnavailable; any other non-2xx status, an answer
// that is not Fondy's JSON, and an answer with response_status "failure" (carrying Fondy's error_message and
// error_code) are plain errors.
func (p *Provider) call(ctx context.Context, acct gateway.Account, m merchant, op, path string, fields map[string]string) (map[string]string, error) {
	status, raw, err := p.post(ctx, acct, m, path, fields)
	if err != nil {
		return nil, fmt.Errorf("fondy: %s: %w", op, err)
	}
	out, err := parseJSON(raw)
	if status < 200 || status > 299 {
		if err == nil && out.fields["error_message"] != "" {
			return nil, &APIError{Op: op, Code: out.fields["error_code"], Message: out.fields["error_message"]}
		}
		return nil, fmt.Errorf("fondy: %s: HTTP %d", op, status)
	}
	if err != nil {
		return nil, fmt.Errorf("fondy: %s: answer: %w", op, err)
	}
	if out.fields["response_status"] == "failure" || out.fields["error_code"] != "" {
		return nil, &APIError{Op: op, Code: out.fields["error_code"], Message: out.fields["error_message"]}
	}
	return out.fields, nil
}

// post signs fields under m's key, posts {"request": fields} to path and returns the answer's status and body. A
// network error, a timeout, a 5xx or a 429 wraps gateway.ErrUnavailable (gateway.Exchange); a request that could
// not be made wraps errNotSent.
func (p *Provider) post(ctx context.Context, acct gateway.Account, m merchant, path string, fields map[string]string) (int, []byte, error) {
	fields[signatureKey] = sign(m.secret, fields)
	body, err := json.Marshal(map[string]map[string]string{"request": fields})
	if err != nil {
		return 0, nil, fmt.Errorf("%w: %w", errNotSent, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, baseURL(acct)+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, fmt.Errorf("%w: %w", errNotSent, err)
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("Accept", "application/json")
	return gateway.Exchange(p.client, req, maxResponse)
}

// errNotSent says a request was never sent (it could not be made).
var errNotSent = errors.New("request not sent")

// APIError is Fondy refusing a request (response_status "failure"): a configuration or request to fix, not an
// outage.
type APIError struct {
	Op      string
	Code    string // Fondy's error_code (1002: application error, 1014: invalid signature, …)
	Message string // Fondy's error_message
}

// Error implements error.
func (e *APIError) Error() string {
	return fmt.Sprintf("fondy: %s: %s (error %s)", e.Op, e.Message, e.Code)
}

// fields is a flat object as Fondy sends it: each value as text, exactly as received (JSON numbers keep their
// literal text, null is ""). flat is false when some value was an object, an array or a boolean, which Fondy's
// signature does not define.
type fields struct {
	fields map[string]string
	flat   bool
}

// parseJSON reads one JSON object of fields, unwrapping Fondy's {"response": {...}} envelope. A repeated name,
// anything after the object, or anything but an object is an error.
func parseJSON(raw []byte) (fields, error) {
	f, nested, err := parseObject(raw)
	if err != nil {
		return fields{}, err
	}
	if env, ok := nested["response"]; ok && len(f.fields) == 1 {
		if f, nested, err = parseObject(env); err != nil {
			return fields{}, fmt.Errorf("response: %w", err)
		}
	}
	f.flat = len(nested) == 0
	return f, nil
}

// parseObject reads raw as one JSON object: its scalar values as text in f, its other values raw in nested (and
// as their JSON text in f, so that the set of names is complete).
func parseObject(raw []byte) (f fields, nested map[string]json.RawMessage, err error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return fields{}, nil, errors.New("not a JSON object")
	}
	f.fields = map[string]string{}
	nested = map[string]json.RawMessage{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return fields{}, nil, err
		}
		key, ok := t.(string)
		if !ok {
			return fields{}, nil, errors.New("object name is not a string")
		}
		if _, dup := f.fields[key]; dup {
			return fields{}, nil, fmt.Errorf("field %q repeated", key)
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return fields{}, nil, fmt.Errorf("field %q: %w", key, err)
		}
		switch v[0] {
		case '"':
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				return fields{}, nil, fmt.Errorf("field %q: %w", key, err)
			}
			f.fields[key] = s
		case 'n':
			f.fields[key] = ""
		case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
			f.fields[key] = string(v)
		default: // object, array, true, false
			f.fields[key] = string(v)
			nested[key] = v
		}
	}
	if t, err := dec.Token(); err != nil || t != json.Delim('}') {
		return fields{}, nil, errors.New("unterminated JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return fields{}, nil, errors.New("data after the JSON object")
	}
	return f, nested, nil
}
