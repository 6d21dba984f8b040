// Package wayforpay is the WayForPay provider of internal/gateway: the Purchase form posted to WayForPay's payment
// page, the signed serviceUrl notifications and their signed "accept" answer, and the REFUND and CHECK_STATUS
// calls of WayForPay's JSON API; for subscriptions whose schedule Bursar owns (gateway.CardCharger, savedcard.go),
// the Purchase form that saves the payer's card and the host-to-host CHARGE of the saved card (its recToken). Every request and answer is signed with HMAC-MD5 of the payment system's
// secret_key over fields joined by ";" (https://wiki.wayforpay.com/en/view/852102 and the pages it links).
//
// WayForPay has no sandbox host: a payment system in test mode is one configured with WayForPay's test merchant
// (test_merch_n1) or a merchant in test mode, and it talks to the same hosts. Account.APIURL, when set, replaces
// both hosts: the form posts to APIURL+"/pay" and API calls go to APIURL+"/api".
//
// Amounts are sent the way WayForPay's own PHP SDK renders them (PHP's float to string: "49", "49.5",
// "1547.36"): the signature covers the exact text sent, and this is the form WayForPay's examples sign.
// Amounts received are read from the JSON text as sent (json.Number) and converted to minor units with integers.
package wayforpay

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/money"
)

// Names of the settings and the credential of WayForPay payment systems.
const (
	SettingMerchantAccount = "merchant_account"
	SettingMerchantDomain  = "merchant_domain"
	CredSecretKey          = "secret_key"
)

// WayForPay's endpoints.
const (
	PayURL = "https://secure.wayforpay.com/pay"
	APIURL = "https://api.wayforpay.com/api"
)

// Defaults of Options.
const (
	DefaultTimeout = gateway.DefaultTimeout
)

// MaxNotification bounds a notification body; WayForPay sends about 1 KiB.
const MaxNotification = 64 << 10

// maxAnswer bounds an API answer read into memory.
const maxAnswer = 1 << 20

// Transaction statuses, as WayForPay spells them (https://wiki.wayforpay.com/en/view/852131).
const (
	StatusCreated             = "Created"
	StatusInProcessing        = "InProcessing"
	StatusWaitingAuthComplete = "WaitingAuthComplete"
	StatusApproved            = "Approved"
	StatusPending             = "Pending"
	StatusExpired             = "Expired"
	StatusRefunded            = "Refunded"
	StatusVoided              = "Voided"
	StatusDeclined            = "Declined"
	StatusRefundInProcessing  = "RefundInProcessing"
)

// ReasonOK is the reasonCode of an operation performed without errors.
const ReasonOK = "1100"

// Options configure a Provider; the zero value is production's.
type Options struct {
	// Timeout bounds each HTTP request to WayForPay's API, reading the answer included (DefaultTimeout when 0).
	Timeout time.Duration
	// Transport carries the requests (a clone of http.DefaultTransport when nil).
	Transport http.RoundTripper
	// Now is the clock for orderDate and the notification answer's time (time.Now when nil).
	Now func() time.Time
}

// Provider is the WayForPay gateway.Provider.
type Provider struct {
	timeout time.Duration
	client  *http.Client
	now     func() time.Time
}

var _ gateway.Provider = (*Provider)(nil)

// New returns a WayForPay provider.
func New(opts Options) *Provider {
	p := &Provider{timeout: opts.Timeout, now: opts.Now}
	if p.timeout <= 0 {
		p.timeout = DefaultTimeout
	}
	if p.now == nil {
		p.now = time.Now
	}
	p.client = gateway.NewHTTPClient(p.timeout, opts.Transport)
	return p
}

// Type is gateway.TypeWayForPay.
func (p *Provider) Type() string { return gateway.TypeWayForPay }

// merchant is what every WayForPay operation needs of an account.
type merchant struct {
	account string
	domain  string
	secret  string
}

// merchantOf reads acct's merchant account and secret key (and domain, which only Begin needs).
func merchantOf(acct gateway.Account) (merchant, error) {
	m := merchant{account: acct.System.Setting(SettingMerchantAccount),
		domain: acct.System.Setting(SettingMerchantDomain), secret: acct.Credentials[CredSecretKey]}
	if m.account == "" {
		return m, fmt.Errorf("wayforpay: payment system %d has no %s", acct.System.ID, SettingMerchantAccount)
	}
	if m.secret == "" {
		return m, fmt.Errorf("wayforpay: payment system %d has no %s", acct.System.ID, CredSecretKey)
	}
	return m, nil
}

// sign is WayForPay's signature: hex HMAC-MD5 with the secret key of the fields joined by ";".
func sign(secret string, fields ...string) string {
	h := hmac.New(md5.New, []byte(secret))
	h.Write([]byte(strings.Join(fields, ";")))
	return hex.EncodeToString(h.Sum(nil))
}

// signatureOK compares a received hex signature with the expected one in constant time, either case.
func signatureOK(secret, got string, fields ...string) bool {
	given, err := hex.DecodeString(got)
	if err != nil || len(given) != md5.Size {
		return false
	}
	want, _ := hex.DecodeString(sign(secret, fields...))
	return hmac.Equal(given, want)
}

// base is the payment page or API endpoint: WayForPay's own, or acct.APIURL + path.
func base(acct gateway.Account, own, path string) string {
	if acct.APIURL != "" {
		return strings.TrimRight(acct.APIURL, "/") + path
	}
	return own
}

// formatAmount renders m as WayForPay's PHP SDK does: the decimal without trailing fraction zeros ("49", "49.5").
func formatAmount(m money.Money) string {
	s := m.Decimal()
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// parseAmount reads a decimal amount as WayForPay sends it ("1547.36", "49", "49.5", "49.00") into minor units of
// currency (money.ParseExact).
func parseAmount(s, currency string) (int64, error) { return money.ParseExact(s, currency) }

// digits reports whether s is one or more decimal digits.
func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// object is a JSON object decoded with json.Number, so numbers keep the text they were sent as.
type object map[string]any

// decodeObject decodes one JSON object and nothing after it.
func decodeObject(b []byte) (object, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var o object
	if err := dec.Decode(&o); err != nil {
		return nil, err
	}
	if o == nil {
		return nil, errors.New("not a JSON object")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("data after the JSON object")
	}
	return o, nil
}

// text is field name as it appears in the JSON text: a string's value or a number's digits; "" when the field is
// missing or null. Any other type is an error.
func (o object) text(name string) (string, error) {
	switch v := o[name].(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	case json.Number:
		return v.String(), nil
	default:
		return "", fmt.Errorf("field %s is a %T", name, v)
	}
}

// texts reads the fields names, in order.
func (o object) texts(names ...string) ([]string, error) {
	out := make([]string, len(names))
	for i, n := range names {
		v, err := o.text(n)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// transactionFields are the fields a notification's (and a CHECK_STATUS answer's) merchantSignature covers.
var transactionFields = []string{"merchantAccount", "orderReference", "amount", "currency", "authCode", "cardPan",
	"transactionStatus", "reasonCode"}

// call posts req as JSON to WayForPay's API and decodes the answer. A network error, a timeout, a 5xx or a 429
// wraps gateway.ErrUnavailable; another non-200 answer (with WayForPay's reason when it gave one) or one that is
// not a JSON object is a plain error.
func (p *Provider) call(ctx context.Context, acct gateway.Account, op string, req any) (object, error) {
	status, raw, err := p.post(ctx, acct, op, req)
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, httpRefused(op, status, raw)
	}
	o, err := decodeObject(raw)
	if err != nil {
		return nil, fmt.Errorf("wayforpay: %s: answer: %w", op, err)
	}
	return o, nil
}

// post posts req as JSON to WayForPay's API and returns the answer's status and body. A network error, a timeout,
// a 5xx or a 429 wraps gateway.ErrUnavailable.
func (p *Provider) post(ctx context.Context, acct gateway.Account, op string, req any) (int, []byte, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return 0, nil, fmt.Errorf("wayforpay: %s: %w", op, err)
	}
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, base(acct, APIURL, "/api"), bytes.NewReader(body))
	if err != nil {
		return 0, nil, fmt.Errorf("wayforpay: %s: %w", op, err)
	}
	hr.Header.Set("Content-Type", "application/json")
	hr.Header.Set("Accept", "application/json")
	status, raw, err := gateway.Exchange(p.client, hr, maxAnswer)
	if err != nil {
		return 0, nil, fmt.Errorf("wayforpay: %s: %w", op, err)
	}
	return status, raw, nil
}

// httpRefused describes a non-200 answer that is not a server error, with WayForPay's reason when the body is a
// JSON object carrying one.
func httpRefused(op string, status int, raw []byte) error {
	if o, err := decodeObject(raw); err == nil {
		if reason, _ := o.text("reason"); reason != "" {
			return fmt.Errorf("%w (HTTP %d)", refused(op, o), status)
		}
	}
	return fmt.Errorf("wayforpay: %s: HTTP %d", op, status)
}

// refused describes an API answer that did not do what was asked, with WayForPay's reason.
func refused(op string, o object) error {
	code, _ := o.text("reasonCode")
	reason, _ := o.text("reason")
	status, _ := o.text("transactionStatus")
	return fmt.Errorf("wayforpay: %s refused: %s (reasonCode %s, transactionStatus %q)", op, truncate(reason, 200),
		truncate(code, 12), truncate(status, 40))
}

// truncate cuts s to at most n bytes on a rune boundary, so gateway text stays bounded in errors.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
