package fondy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/money"
)

// Fondy's order statuses (order_status).
const (
	StatusCreated    = "created"    // the payer has not entered their details yet
	StatusProcessing = "processing" // the payment is under way
	StatusDeclined   = "declined"   // refused by Fondy, the bank or the payment system
	StatusApproved   = "approved"   // paid
	StatusExpired    = "expired"    // the order's lifetime ended unpaid
	StatusReversed   = "reversed"   // an approved payment was reversed (refunded), fully or in part
)

// TranReverse is the tran_type of a callback about a reversal (a purchase's is "purchase").
const TranReverse = "reverse"

// maxCallback bounds a callback's body; Fondy sends a few KiB.
const maxCallback = 64 << 10

// maxRef bounds an order_id (Fondy's own limit).
const maxRef = 1024

// Verify authenticates a server callback and parses it. The body is a JSON object (optionally wrapped in
// {"response": …}) when it starts with "{", else application/x-www-form-urlencoded; the signature covers every
// received non-empty field but signature and response_signature_string, values exactly as received (JSON numbers
// as their literal text). A missing payment key, an unreadable body, a repeated field, a value that is an object,
// array or boolean, or a missing or wrong signature wrap gateway.ErrSignature. A signed callback of another
// merchant, or with a malformed amount or currency, is a plain error.
//
// order_status approved is EventPaid, created and processing EventPending, declined EventFailed, expired
// EventExpired, reversed EventRefunded, and so is an approved callback of tran_type "reverse" (a partial
// reversal), with RefundedAmount = reversal_amount, the total reversed so far; a reversal that was not approved
// and any other status are EventIgnored. Event.ID is "<order_id>:<order_status>:<reversal_amount>", so a
// re-delivery repeats it while another state of the same payment, and every further partial reversal, differ.
// Fondy wants an empty 200: Reply is nil.
//
// An order whose order_id gateway.ChargeRefSubscription recognizes is a subscription's charge (savedcard.go):
// approved is an EventCharge paid, declined and expired an EventCharge not paid (Charge.CardToken the rectoken
// when sent, Charge.At in.Received), pending and refunds as above, without an order id.
func (p *Provider) Verify(_ context.Context, acct gateway.Account, in gateway.Inbound) (gateway.Event, error) {
	secret := acct.Credentials[CredSecretKey]
	if secret == "" {
		return gateway.Event{}, fmt.Errorf("fondy: payment system %d has no %s: %w", acct.System.ID, CredSecretKey,
			gateway.ErrSignature)
	}
	if len(in.Body) > maxCallback {
		return gateway.Event{}, fmt.Errorf("fondy: callback of %d bytes: %w", len(in.Body), gateway.ErrSignature)
	}
	f, err := parseCallback(in.Body)
	if err != nil {
		return gateway.Event{}, fmt.Errorf("fondy: callback: %v: %w", err, gateway.ErrSignature)
	}
	if !f.flat {
		return gateway.Event{}, fmt.Errorf("fondy: callback with a structured value cannot be verified: %w",
			gateway.ErrSignature)
	}
	if f.fields[signatureKey] == "" {
		return gateway.Event{}, fmt.Errorf("fondy: callback without a signature: %w", gateway.ErrSignature)
	}
	if !signedBy(secret, f.fields) {
		return gateway.Event{}, fmt.Errorf("fondy: callback signature does not match: %w", gateway.ErrSignature)
	}
	if err := sameMerchant(acct, f.fields); err != nil {
		return gateway.Event{}, err
	}
	e, err := eventOf(f.fields)
	if err != nil {
		return gateway.Event{}, err
	}
	at := in.Received
	if at.IsZero() {
		at = p.now()
	}
	e = asCharge(e, f.fields, at)
	e.ID = fmt.Sprintf("%s:%s:%d", e.Ref, f.fields["order_status"], e.RefundedAmount)
	return e, nil
}

// parseCallback reads a callback body: JSON when it starts with "{", else a form.
func parseCallback(body []byte) (fields, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return fields{}, errors.New("empty body")
	}
	if trimmed[0] == '{' {
		return parseJSON(trimmed)
	}
	vs, err := url.ParseQuery(string(trimmed))
	if err != nil {
		return fields{}, err
	}
	f := fields{fields: make(map[string]string, len(vs)), flat: true}
	for k, v := range vs {
		if len(v) != 1 {
			return fields{}, fmt.Errorf("field %q repeated", k)
		}
		f.fields[k] = v[0]
	}
	return f, nil
}

// sameMerchant rejects a signed callback or answer naming a merchant other than acct's (one payment key shared
// by two merchants must not let one's payments complete the other's orders).
func sameMerchant(acct gateway.Account, f map[string]string) error {
	want := strings.TrimSpace(acct.System.Setting(SettingMerchantID))
	if got := f["merchant_id"]; got != "" && want != "" && got != want {
		return fmt.Errorf("fondy: signed for merchant %q, payment system %d is merchant %q", got, acct.System.ID, want)
	}
	return nil
}

// eventOf normalizes the authentic fields of a callback or a status answer (ID left empty).
func eventOf(f map[string]string) (gateway.Event, error) {
	ref := f["order_id"]
	if ref == "" || len(ref) > maxRef {
		return gateway.Event{}, errors.New("fondy: signed message without a valid order_id")
	}
	status, tran := f["order_status"], f["tran_type"]
	e := gateway.Event{Type: status, Kind: kindOf(status, tran), Ref: ref, OrderID: orderID(f["merchant_data"], ref),
		PayerEmail: strings.TrimSpace(f["sender_email"])}
	if tran != "" {
		e.Type = tran + ":" + status
	}
	amount, err := minorUnits(f["amount"])
	if err != nil {
		return gateway.Event{}, fmt.Errorf("fondy: order %s: amount: %w", ref, err)
	}
	cur := f["currency"]
	if cur != "" && !money.Known(cur) {
		return gateway.Event{}, fmt.Errorf("fondy: order %s: unknown currency %q", ref, cur)
	}
	if (e.Kind == gateway.EventPaid || e.Kind == gateway.EventRefunded) && (amount <= 0 || cur == "") {
		return gateway.Event{}, fmt.Errorf("fondy: order %s %s without an amount and currency", ref, status)
	}
	if cur != "" {
		e.Amount = money.Money{Amount: amount, Currency: cur}
	}
	if e.RefundedAmount, err = minorUnits(f["reversal_amount"]); err != nil {
		return gateway.Event{}, fmt.Errorf("fondy: order %s: reversal_amount: %w", ref, err)
	}
	return e, nil
}

// kindOf is what an order_status (of a transaction of type tran) means for Bursar.
func kindOf(status, tran string) gateway.EventKind {
	if tran == TranReverse {
		// A reversal that did not go through leaves the payment as it was.
		if status == StatusApproved || status == StatusReversed {
			return gateway.EventRefunded
		}
		return gateway.EventIgnored
	}
	switch status {
	case StatusApproved:
		return gateway.EventPaid
	case StatusCreated, StatusProcessing:
		return gateway.EventPending
	case StatusDeclined:
		return gateway.EventFailed
	case StatusExpired:
		return gateway.EventExpired
	case StatusReversed:
		return gateway.EventRefunded
	}
	return gateway.EventIgnored
}

// minorUnits reads an amount in minor units: "" is 0, anything but up to 13 digits is an error.
func minorUnits(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	if !digits(s, 1, 13) {
		return 0, fmt.Errorf("%q is not an amount in minor units", s)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n > money.MaxAmount {
		return 0, fmt.Errorf("%q is out of range", s)
	}
	return n, nil
}

// orderID is Bursar's order id from merchant_data, else from the order_id's "<order id>-" prefix; 0 when neither
// is a positive decimal.
func orderID(data, ref string) int64 {
	prefix, _, _ := strings.Cut(ref, "-")
	for _, v := range []string{strings.TrimSpace(data), prefix} {
		if digits(v, 1, 18) {
			if id, err := strconv.ParseInt(v, 10, 64); err == nil && id > 0 {
				return id
			}
		}
	}
	return 0
}
