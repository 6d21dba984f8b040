package wayforpay

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/bursar/bursar/internal/gateway"
)

// ReplyContentType is the content type of the answer to a notification.
const ReplyContentType = "application/json"

// Verify authenticates a serviceUrl notification and parses it.
//
// The body is WayForPay's JSON object, sent raw (sometimes under a form content type); a body that arrives
// form-encoded as a single key whose name is the JSON (what PHP frameworks see) is read the same way. Its
// merchantSignature must be HMAC-MD5 with the secret key of
// "merchantAccount;orderReference;amount;currency;authCode;cardPan;transactionStatus;reasonCode", the values
// exactly as the JSON text carries them (numbers keep their digits), and merchantAccount must be the payment
// system's. A missing secret, an unreadable body, a missing or wrong signature or another merchant's notification
// wrap gateway.ErrSignature.
//
// A notification of a subscription charge (an orderReference gateway.ChargeRefSubscription recognizes, the first
// payment BeginSaving started or a ChargeCard) is reported as gateway.CardCharger says: chargeEvent.
//
// The event's ID is "<orderReference>:<transactionStatus>:<reasonCode>", plus ":<refunded minor units>" for
// refunds; Reply is the signed accept WayForPay waits for (it repeats the notification until it gets one).
//
// Refunded and Voided notifications report the refunded total in RefundedAmount: refundAmount when WayForPay
// includes it (CHECK_STATUS answers do), else amount. WayForPay's documentation does not say whether a partial
// refund's notification carries the order's amount or the refund's, nor whether it carries refundAmount; reading
// refundAmount first and amount second is right for a full refund in either case and for a single partial refund
// when amount is the refund's.
func (p *Provider) Verify(_ context.Context, acct gateway.Account, in gateway.Inbound) (gateway.Event, error) {
	secret := acct.Credentials[CredSecretKey]
	account := acct.System.Setting(SettingMerchantAccount)
	if secret == "" || account == "" {
		return gateway.Event{}, fmt.Errorf("wayforpay: payment system %d has no %s or %s: %w", acct.System.ID,
			CredSecretKey, SettingMerchantAccount, gateway.ErrSignature)
	}
	if len(in.Body) > MaxNotification {
		return gateway.Event{}, fmt.Errorf("wayforpay: notification of %d bytes is larger than %d: %w",
			len(in.Body), MaxNotification, gateway.ErrSignature)
	}
	raw, ok := notificationJSON(in.Body)
	if !ok {
		return gateway.Event{}, fmt.Errorf("wayforpay: notification is not a JSON object: %w", gateway.ErrSignature)
	}
	o, err := decodeObject(raw)
	if err != nil {
		return gateway.Event{}, fmt.Errorf("wayforpay: notification: %v: %w", err, gateway.ErrSignature)
	}
	if err := authentic(o, secret, account); err != nil {
		return gateway.Event{}, err
	}
	at := in.Received
	if at.IsZero() {
		at = p.now()
	}
	ev, err := eventOf(o, at)
	if err != nil {
		return gateway.Event{}, err
	}
	ev.Reply, ev.ReplyContentType = reply(secret, ev.Ref, at), ReplyContentType
	return ev, nil
}

// notificationJSON finds the JSON object in a notification body: the body itself, or the one key of a
// form-encoded body whose name is the JSON and whose value is empty.
func notificationJSON(body []byte) ([]byte, bool) {
	b := bytes.TrimSpace(body)
	if len(b) > 0 && b[0] == '{' {
		return b, true
	}
	vals, err := url.ParseQuery(string(b))
	if err != nil || len(vals) != 1 {
		return nil, false
	}
	for k, v := range vals {
		k = strings.TrimSpace(k)
		if strings.HasPrefix(k, "{") && len(v) == 1 && v[0] == "" {
			return []byte(k), true
		}
	}
	return nil, false
}

// authentic checks o's merchantSignature over the transaction fields and that it is account's. Every failure
// wraps gateway.ErrSignature.
func authentic(o object, secret, account string) error {
	sig, err := o.text("merchantSignature")
	if err != nil || sig == "" {
		return fmt.Errorf("wayforpay: no merchantSignature: %w", gateway.ErrSignature)
	}
	fields, err := o.texts(transactionFields...)
	if err != nil {
		return fmt.Errorf("wayforpay: signed fields: %v: %w", err, gateway.ErrSignature)
	}
	if !signatureOK(secret, sig, fields...) {
		return fmt.Errorf("wayforpay: merchantSignature does not match: %w", gateway.ErrSignature)
	}
	if fields[0] != account {
		return fmt.Errorf("wayforpay: signed for merchant %q, not this payment system's: %w",
			truncate(fields[0], 100), gateway.ErrSignature)
	}
	return nil
}

// eventOf normalizes an authentic notification, CHECK_STATUS or CHARGE answer received at at (ID, Reply and
// ReplyContentType are the caller's). An orderReference-less, currency-less or unreadable amount is an error.
func eventOf(o object, at time.Time) (gateway.Event, error) {
	f, err := o.texts("orderReference", "amount", "currency", "transactionStatus", "reasonCode", "email",
		"refundAmount")
	if err != nil {
		return gateway.Event{}, fmt.Errorf("wayforpay: %w", err)
	}
	ref, amount, currency, status, code, email, refundAmount := f[0], f[1], f[2], f[3], f[4], f[5], f[6]
	if ref == "" {
		return gateway.Event{}, fmt.Errorf("wayforpay: notification without orderReference")
	}
	ev := gateway.Event{Type: status, Kind: statusKind(status), OrderID: orderIDOf(ref), Ref: ref,
		PayerEmail: strings.TrimSpace(email)}
	ev.ID = ref + ":" + status + ":" + code
	currency = strings.ToUpper(currency)
	minor, err := parseAmount(amount, currency)
	if err != nil {
		if ev.Kind == gateway.EventIgnored {
			return ev, nil // nothing is done with its amount
		}
		return gateway.Event{}, fmt.Errorf("wayforpay: %s %s: %w", ref, status, err)
	}
	ev.Amount.Amount, ev.Amount.Currency = minor, currency
	if ev.Kind == gateway.EventRefunded {
		ev.RefundedAmount = minor
		if refundAmount != "" {
			n, err := parseAmount(refundAmount, currency)
			if err != nil {
				return gateway.Event{}, fmt.Errorf("wayforpay: %s %s refundAmount: %w", ref, status, err)
			}
			if n > 0 {
				ev.RefundedAmount = n
			}
		}
		ev.ID += ":" + strconv.FormatInt(ev.RefundedAmount, 10)
	}
	if sub := gateway.ChargeRefSubscription(ref); sub > 0 {
		return chargeEvent(ev, sub, o, at)
	}
	return ev, nil
}

// chargeEvent turns ev, the event of subscription sub's charge ev.Ref, into what gateway.CardCharger reports:
// Approved, Declined and Expired are an EventCharge (Paid only for Approved; CardToken the recToken WayForPay
// sent, if any; At the time it was received); processing statuses stay EventPending, refunds EventRefunded, and
// the rest EventIgnored, each with no order.
func chargeEvent(ev gateway.Event, sub int64, o object, at time.Time) (gateway.Event, error) {
	ev.OrderID = 0
	switch ev.Kind {
	case gateway.EventPaid, gateway.EventFailed, gateway.EventExpired:
	default:
		return ev, nil
	}
	token, err := o.text("recToken")
	if err != nil {
		return gateway.Event{}, fmt.Errorf("wayforpay: %s: %w", ev.Ref, err)
	}
	ev.Charge = &gateway.SubscriptionCharge{Ref: ev.Ref, PaymentRef: ev.Ref, SubscriptionID: sub, Amount: ev.Amount,
		Paid: ev.Kind == gateway.EventPaid, PayerEmail: ev.PayerEmail, CardToken: strings.TrimSpace(token), At: at}
	ev.Kind = gateway.EventCharge
	return ev, nil
}

// statusKind is what a transactionStatus means for Bursar.
func statusKind(status string) gateway.EventKind {
	switch status {
	case StatusApproved:
		return gateway.EventPaid
	case StatusPending, StatusInProcessing, StatusWaitingAuthComplete:
		return gateway.EventPending
	case StatusDeclined:
		return gateway.EventFailed
	case StatusExpired:
		return gateway.EventExpired
	case StatusRefunded, StatusVoided:
		return gateway.EventRefunded
	}
	return gateway.EventIgnored // Created, RefundInProcessing and statuses WayForPay may add
}

// reply is the answer a notification of ref waits for: {"orderReference","status":"accept","time","signature"},
// signed with HMAC-MD5 of "orderReference;accept;time".
func reply(secret, ref string, at time.Time) []byte {
	t := at.Unix()
	b, _ := json.Marshal(struct {
		OrderReference string `json:"orderReference"`
		Status         string `json:"status"`
		Time           int64  `json:"time"`
		Signature      string `json:"signature"`
	}{ref, "accept", t, sign(secret, ref, "accept", strconv.FormatInt(t, 10))})
	return b
}
