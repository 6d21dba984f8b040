package redsys

import (
	"bytes"
	"context"
	"crypto/hmac"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/money"
)

// maxNotification bounds a notification Bursar reads; Redsys sends about 2 KiB.
const maxNotification = 64 << 10

// envelope is the three fields every signed Redsys message carries.
type envelope struct {
	Version    string `json:"Ds_SignatureVersion"`
	Parameters string `json:"Ds_MerchantParameters"`
	Signature  string `json:"Ds_Signature"`
}

// Verify authenticates a Redsys notification and parses it. The body is the form Redsys posts
// (application/x-www-form-urlencoded: Ds_SignatureVersion, Ds_MerchantParameters, Ds_Signature), or a JSON object
// with the same three keys. The signature is HMAC-SHA256 of the Ds_MerchantParameters text as received under the
// key of the order it names (Ds_Order, the one value read before the signature is checked: it selects the key);
// parameters and signature may be standard or URL-safe base64. A missing merchant key, a malformed body, another
// signature version or a signature that does not match wraps gateway.ErrSignature.
//
// An authentic notification is normalized: Ref is Ds_Order (Begin's Redirect.Ref), OrderID is Ds_MerchantData,
// Amount is Ds_Amount (minor units) in Ds_Currency. Ds_TransactionType 0 with Ds_Response 0000–0099 is
// EventPaid and any other response EventFailed; type 3 with 0900 is EventRefunded (RefundedAmount is that
// refund's amount: Redsys never says how much was refunded in all); anything else (a cancellation, 0400 with type
// 9; a refused refund) is EventIgnored. Event.ID is "<order>:<type>:<response>:<authorisation code>", plus the
// amount, date and hour for refunds, so that redeliveries share it and each partial refund has its own. Redsys
// sends no payer e-mail, and expects an empty 200 (Event.Reply is nil).
func (p *Provider) Verify(_ context.Context, acct gateway.Account, in gateway.Inbound) (gateway.Event, error) {
	key, err := merchantKey(acct.Credentials[CredMerchantKey])
	if err != nil {
		return gateway.Event{}, fmt.Errorf("redsys: payment system %d: %w: %w", acct.System.ID, err, gateway.ErrSignature)
	}
	env, err := readEnvelope(in.Body)
	if err != nil {
		return gateway.Event{}, fmt.Errorf("redsys: %w: %w", gateway.ErrSignature, err)
	}
	values, err := authentic(key, env)
	if err != nil {
		return gateway.Event{}, err
	}
	return eventOf(values)
}

// readEnvelope reads the three signed fields of a form or JSON body. Each must be there once.
func readEnvelope(body []byte) (envelope, error) {
	if len(body) > maxNotification {
		return envelope{}, fmt.Errorf("notification larger than %d bytes", maxNotification)
	}
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return envelope{}, errors.New("empty notification")
	}
	var env envelope
	if body[0] == '{' {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(body, &obj); err != nil {
			return envelope{}, fmt.Errorf("notification is not a JSON object: %w", err)
		}
		var err error
		for name, dst := range env.fields() {
			if *dst, err = jsonField(obj, name); err != nil {
				return envelope{}, err
			}
		}
		return env, env.check()
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return envelope{}, fmt.Errorf("notification is not a form: %w", err)
	}
	for name, dst := range env.fields() {
		vs := formField(form, name)
		if len(vs) > 1 {
			return envelope{}, fmt.Errorf("%s given %d times", name, len(vs))
		}
		if len(vs) == 1 {
			*dst = vs[0]
		}
	}
	return env, env.check()
}

// fields are the envelope's fields by name.
func (e *envelope) fields() map[string]*string {
	return map[string]*string{FieldSignatureVersion: &e.Version, FieldMerchantParameters: &e.Parameters,
		FieldSignature: &e.Signature}
}

// check reports a missing field or a signature version other than HMAC_SHA256_V1.
func (e envelope) check() error {
	switch {
	case e.Parameters == "":
		return fmt.Errorf("no %s", FieldMerchantParameters)
	case e.Signature == "":
		return fmt.Errorf("no %s", FieldSignature)
	case e.Version != SignatureVersion:
		return fmt.Errorf("%s %q, want %s", FieldSignatureVersion, truncate(e.Version, 32), SignatureVersion)
	}
	return nil
}

// formField is the values of name in form, its case ignored.
func formField(form url.Values, name string) []string {
	var out []string
	for k, vs := range form {
		if strings.EqualFold(k, name) {
			out = append(out, vs...)
		}
	}
	return out
}

// jsonField is the string value of name in obj, its case ignored; "" when absent.
func jsonField(obj map[string]json.RawMessage, name string) (string, error) {
	var out string
	found := 0
	for k, v := range obj {
		if !strings.EqualFold(k, name) {
			continue
		}
		found++
		if err := json.Unmarshal(v, &out); err != nil {
			return "", fmt.Errorf("%s is not a string", name)
		}
	}
	if found > 1 {
		return "", fmt.Errorf("%s given %d times", name, found)
	}
	return out, nil
}

// authentic checks env's signature and returns its parameters, which may then be trusted.
func authentic(key []byte, env envelope) (map[string]string, error) {
	// Base64 has no spaces: a space is a "+" that a form decoder turned into one, and the signature is over the
	// text as Redsys sent it.
	text := strings.ReplaceAll(env.Parameters, " ", "+")
	values, err := decodeParams(text)
	if err != nil {
		return nil, fmt.Errorf("redsys: %w: %w", gateway.ErrSignature, err)
	}
	order := values["ds_order"]
	if !validOrder(order) {
		return nil, fmt.Errorf("redsys: %w: Ds_Order %q is not an order number", gateway.ErrSignature, truncate(order, 32))
	}
	got, err := decode64(env.Signature)
	if err != nil {
		return nil, fmt.Errorf("redsys: %w: Ds_Signature is not base64", gateway.ErrSignature)
	}
	want, err := signature(key, order, text)
	if err != nil {
		return nil, fmt.Errorf("redsys: %w: %w", gateway.ErrSignature, err)
	}
	if !hmac.Equal(got, want) {
		return nil, fmt.Errorf("redsys: %w: Ds_Signature of order %s does not match", gateway.ErrSignature, order)
	}
	return values, nil
}

// notification is the fields of an authentic notification Bursar reads, URL-decoded.
type notification struct {
	order, txType, response, authCode, amount, currency, merchantData, date, hour string
}

// notificationOf reads the fields of values. Redsys URL-encodes some values (Ds_Date "22%2F10%2F2021").
func notificationOf(values map[string]string) notification {
	get := func(name string) string {
		v := values[name]
		if u, err := url.QueryUnescape(v); err == nil {
			v = u
		}
		return strings.TrimSpace(v)
	}
	n := notification{order: values["ds_order"], txType: get("ds_transactiontype"), response: get("ds_response"),
		authCode: get("ds_authorisationcode"), amount: get("ds_amount"), currency: get("ds_currency"),
		merchantData: get("ds_merchantdata"), date: get("ds_date"), hour: get("ds_hour")}
	if n.txType == "" {
		n.txType = TransactionPayment // a payment page's notification always says 0; older ones said nothing
	}
	if n.authCode == "" {
		n.authCode = get("ds_authorizationcode")
	}
	return n
}

// eventOf normalizes an authentic notification.
func eventOf(values map[string]string) (gateway.Event, error) {
	n := notificationOf(values)
	kind := kindOf(n.txType, n.response)
	ev := gateway.Event{Type: typeName(n.txType) + ":" + truncate(n.response, 8), Kind: kind, Ref: n.order,
		OrderID: orderID(n.merchantData)}
	ev.ID = strings.Join([]string{n.order, truncate(n.txType, 8), truncate(n.response, 8),
		truncate(n.authCode, 16)}, ":")
	amount, err := amountOf(n.amount, n.currency)
	switch {
	case err == nil:
		ev.Amount = amount
	case kind == gateway.EventPaid || kind == gateway.EventRefunded:
		return gateway.Event{}, fmt.Errorf("redsys: notification %s: %w", ev.ID, err)
	}
	if kind == gateway.EventRefunded {
		ev.RefundedAmount = amount.Amount
		ev.RefundRef = n.order + ":" + truncate(n.authCode, 16) // as Refund's RefundResult.ID
		ev.ID += ":" + strconv.FormatInt(amount.Amount, 10) + ":" + truncate(n.date, 10) + " " + truncate(n.hour, 8)
	}
	return ev, nil
}

// kindOf is what a transaction type and response code mean for Bursar.
func kindOf(txType, response string) gateway.EventKind {
	code, ok := responseCode(response)
	switch txType {
	case TransactionPayment:
		if ok && code <= 99 {
			return gateway.EventPaid
		}
		return gateway.EventFailed
	case TransactionRefund:
		if ok && code == 900 {
			return gateway.EventRefunded
		}
	}
	// A cancellation (0400 with type 9), a refused refund or an operation Bursar never starts: no money moved
	// for an order Bursar sold.
	return gateway.EventIgnored
}

// responseCode reads a Ds_Response: one to four digits.
func responseCode(s string) (int, bool) {
	if !digits(s, 1, 4) {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

// typeName is a readable name of a transaction type, for Event.Type.
func typeName(txType string) string {
	switch txType {
	case TransactionPayment:
		return "payment"
	case TransactionRefund:
		return "refund"
	case TransactionCancellation:
		return "cancellation"
	}
	return "type_" + truncate(txType, 8)
}

// amountOf is Ds_Amount (minor units, digits only) in Ds_Currency (ISO 4217 numeric).
func amountOf(amount, numeric string) (money.Money, error) {
	code := alphaCurrency(numeric)
	if code == "" {
		return money.Money{}, fmt.Errorf("unknown Ds_Currency %q", truncate(numeric, 8))
	}
	if !digits(amount, 1, 13) {
		return money.Money{}, fmt.Errorf("Ds_Amount %q is not an amount in minor units", truncate(amount, 16))
	}
	n, err := strconv.ParseInt(amount, 10, 64)
	if err != nil || n > money.MaxAmount {
		return money.Money{}, fmt.Errorf("Ds_Amount %q is out of range", amount)
	}
	return money.New(n, code), nil
}

// orderID is Bursar's order id echoed in Ds_MerchantData; 0 when it is not a positive decimal.
func orderID(s string) int64 {
	if !digits(s, 1, 18) {
		return 0
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0
	}
	return id
}

// truncate cuts s to at most n bytes, dropping a character the cut splits (and any invalid UTF-8).
func truncate(s string, n int) string {
	if len(s) > n {
		s = s[:n]
	}
	return strings.ToValidUTF8(s, "")
}
