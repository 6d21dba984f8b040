package fondy

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/bursar/bursar/internal/gateway"
)

// Saved cards (gateway.CardCharger). The first charge of a subscription whose schedule Bursar owns is an ordinary
// hosted checkout with required_rectoken=Y: Fondy saves the card and sends its token as rectoken in the server
// callback. Every later charge is a host-to-host POST to /api/recurring/ with that rectoken, answered at once with
// the order's state, signed like a callback. Both use Bursar's reference (gateway.NewChargeRef, "S<subscription
// id>-<8 random>") as the order_id; Verify and Status report such orders as subscription charges (EventCharge).
//
// Sources: https://docs.flitt.com/getting-started/recurring (required_rectoken=Y, rectoken in the callback) and
// https://docs.flitt.com/api/create-order-recurring (the request and its answer); Fondy is now Flitt, the
// protocol is the same.

// RecurringPath charges a saved card (rectoken) host to host.
const RecurringPath = "/api/recurring/"

var _ gateway.CardCharger = (*Provider)(nil)

// BeginSaving creates Fondy's hosted checkout page for the first charge of a subscription, asking Fondy to save
// the card (required_rectoken=Y). The order_id is c.Ref, and so is Redirect.Ref; the request carries c.Amount,
// order_desc c.Title (else "Subscription <number>"), the payer's e-mail as sender_email when known, SuccessURL as
// response_url and NotifyURL as server_callback_url, where Fondy posts the callback with the rectoken. Fondy
// refusing the request is an *APIError.
func (p *Provider) BeginSaving(ctx context.Context, acct gateway.Account, c gateway.CardCheckout) (gateway.Redirect, error) {
	if gateway.ChargeRefSubscription(c.Ref) <= 0 || len(c.Ref) > maxRef || c.Amount.Amount <= 0 ||
		c.Amount.Currency == "" || c.SuccessURL == "" || c.NotifyURL == "" {
		return gateway.Redirect{}, fmt.Errorf("fondy: begin saving a card for %.40q: a charge reference, a positive "+
			"amount, currency, the return and the notification URLs are required", c.Ref)
	}
	m, err := merchantOf(acct)
	if err != nil {
		return gateway.Redirect{}, err
	}
	title := strings.TrimSpace(c.Title)
	if title == "" {
		title = "Subscription " + c.Number
	}
	f := map[string]string{
		"order_id":            c.Ref,
		"merchant_id":         m.id,
		"order_desc":          truncate(title, maxDesc),
		"amount":              strconv.FormatInt(c.Amount.Amount, 10),
		"currency":            strings.ToUpper(c.Amount.Currency),
		"response_url":        c.SuccessURL,
		"server_callback_url": c.NotifyURL,
		"required_rectoken":   "Y",
	}
	if c.Email != "" {
		f["sender_email"] = c.Email
	}
	if l := lang(c.Language); l != "" {
		f["lang"] = l
	}
	res, err := p.call(ctx, acct, m, "begin saving a card for "+c.Ref, CheckoutPath, f)
	if err != nil {
		return gateway.Redirect{}, err
	}
	u, err := url.Parse(res["checkout_url"])
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return gateway.Redirect{}, fmt.Errorf("fondy: begin saving a card for %s: answer without a checkout_url", c.Ref)
	}
	return gateway.Redirect{URL: u.String(), Ref: c.Ref}, nil
}

// ChargeCard charges the saved card c.Token (a rectoken) with c.Amount as order c.Ref through /api/recurring/,
// with order_desc c.Title (else "Subscription charge") and, when set, c.NotifyURL as server_callback_url (Fondy
// posts later changes of the order there, a reversal among them).
//
// Fondy answers with the order's state, which must be signed with the account's key, name its merchant and be
// about c.Ref: approved is an EventCharge paid, declined, expired and reversed an EventCharge not paid, created
// and processing an EventPending; Type is the order_status, ID "" and Charge.At the provider's clock. Fondy
// refusing the request (response_status "failure" without an order_status: a wrong token, signature or
// parameter) is an *APIError: nothing was charged. A network error, a timeout, a 5xx, or an answer that is not
// Fondy's signed JSON about this order wraps gateway.ErrUnavailable: whether the card was charged is then known
// only by asking Status(c.Ref).
func (p *Provider) ChargeCard(ctx context.Context, acct gateway.Account, c gateway.CardCharge) (gateway.Event, error) {
	if gateway.ChargeRefSubscription(c.Ref) <= 0 || len(c.Ref) > maxRef || c.Token == "" ||
		c.Amount.Amount <= 0 || c.Amount.Currency == "" {
		return gateway.Event{}, fmt.Errorf("fondy: charge %.40q: a charge reference, a card token, a positive amount "+
			"and its currency are required", c.Ref)
	}
	m, err := merchantOf(acct)
	if err != nil {
		return gateway.Event{}, err
	}
	title := strings.TrimSpace(c.Title)
	if title == "" {
		title = "Subscription charge"
	}
	f := map[string]string{
		"order_id":    c.Ref,
		"merchant_id": m.id,
		"order_desc":  truncate(title, maxDesc),
		"amount":      strconv.FormatInt(c.Amount.Amount, 10),
		"currency":    strings.ToUpper(c.Amount.Currency),
		"rectoken":    c.Token,
	}
	if c.NotifyURL != "" {
		f["server_callback_url"] = c.NotifyURL
	}
	op := "charge " + c.Ref
	status, raw, err := p.post(ctx, acct, m, RecurringPath, f)
	if err != nil {
		if errors.Is(err, errNotSent) || errors.Is(err, gateway.ErrUnavailable) {
			return gateway.Event{}, fmt.Errorf("fondy: %s: %w", op, err)
		}
		// Sent, answered, but the answer could not be read (too large): the card may have been charged.
		return gateway.Event{}, fmt.Errorf("fondy: %s: %w: %w", op, err, gateway.ErrUnavailable)
	}
	res, err := parseJSON(raw)
	if err == nil && res.fields["order_status"] == "" &&
		(res.fields["response_status"] == "failure" || res.fields["error_code"] != "") {
		return gateway.Event{}, &APIError{Op: op, Code: res.fields["error_code"], Message: res.fields["error_message"]}
	}
	switch {
	case status < 200 || status > 299:
		return gateway.Event{}, fmt.Errorf("fondy: %s: HTTP %d: %w", op, status, gateway.ErrUnavailable)
	case err != nil:
		return gateway.Event{}, fmt.Errorf("fondy: %s: answer: %v: %w", op, err, gateway.ErrUnavailable)
	case !res.flat || !signedBy(m.secret, res.fields):
		return gateway.Event{}, fmt.Errorf("fondy: %s: answer not signed with the payment key: %w", op,
			gateway.ErrUnavailable)
	case res.fields["order_id"] != c.Ref:
		return gateway.Event{}, fmt.Errorf("fondy: %s: answer is about order %.40q: %w", op, res.fields["order_id"],
			gateway.ErrUnavailable)
	}
	if err := sameMerchant(acct, res.fields); err != nil {
		return gateway.Event{}, fmt.Errorf("%w: %w", err, gateway.ErrUnavailable)
	}
	st := res.fields["order_status"]
	e, err := eventOf(withTran(res.fields, ""))
	if err != nil {
		return gateway.Event{}, fmt.Errorf("%w: %w", err, gateway.ErrUnavailable)
	}
	switch st {
	case StatusApproved, StatusDeclined, StatusExpired, StatusReversed:
		e.Kind = gateway.EventFailed // a charge: reversed here means not paid, never a refund of it
		if st == StatusApproved {
			e.Kind = gateway.EventPaid
		}
	case StatusCreated, StatusProcessing:
	default:
		return gateway.Event{}, fmt.Errorf("fondy: %s: unexpected order_status %.20q: %w", op, st,
			gateway.ErrUnavailable)
	}
	e = asCharge(e, res.fields, p.now())
	e.Type = st
	return e, nil
}

// asCharge is e, an event about an order Bursar made for a subscription's charge (gateway.ChargeRefSubscription
// recognizes its reference), as the gateway.CardCharger contract reports it: paid, failed and expired become an
// EventCharge (Charge.At at), refunds and pending stay as they are; no order is named. Any other reference is
// left alone.
func asCharge(e gateway.Event, f map[string]string, at time.Time) gateway.Event {
	sub := gateway.ChargeRefSubscription(e.Ref)
	if sub <= 0 {
		return e
	}
	e.OrderID = 0
	switch e.Kind {
	case gateway.EventPaid, gateway.EventFailed, gateway.EventExpired:
		e.Charge = &gateway.SubscriptionCharge{Ref: e.Ref, PaymentRef: e.Ref, SubscriptionID: sub, Amount: e.Amount,
			Paid: e.Kind == gateway.EventPaid, CardToken: f["rectoken"], PayerEmail: e.PayerEmail, At: at}
		e.Kind = gateway.EventCharge
	}
	return e
}
