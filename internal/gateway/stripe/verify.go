package stripe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	stripego "github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/money"
)

// SignatureHeader is the header Stripe signs webhooks in.
const SignatureHeader = "Stripe-Signature"

// Stripe event types Bursar acts on.
const (
	EventSessionCompleted      = "checkout.session.completed"
	EventSessionAsyncSucceeded = "checkout.session.async_payment_succeeded"
	EventSessionAsyncFailed    = "checkout.session.async_payment_failed"
	EventSessionExpired        = "checkout.session.expired"
	EventChargeRefunded        = "charge.refunded"

	// Subscriptions (see subscription.go): the webhook endpoint must be subscribed to these too.
	EventInvoicePaid              = "invoice.paid"
	EventInvoicePaymentSucceeded  = "invoice.payment_succeeded"
	EventInvoicePaymentFailed     = "invoice.payment_failed"
	EventSubscriptionCreated      = "customer.subscription.created"
	EventSubscriptionUpdated      = "customer.subscription.updated"
	EventSubscriptionDeleted      = "customer.subscription.deleted"
	EventSubscriptionPaused       = "customer.subscription.paused"
	EventSubscriptionResumed      = "customer.subscription.resumed"
	EventSubscriptionTrialWillEnd = "customer.subscription.trial_will_end" // ignored: the e-mail is Stripe's
)

// Verify authenticates a webhook (HMAC-SHA256 of "<t>.<body>" with the account's webhook_secret, any of the v1
// signatures matching) and parses it. A missing secret, a missing or malformed header, no matching signature, or
// a timestamp more than the tolerance before or after in.Received wrap gateway.ErrSignature. The event's
// api_version is not checked: the webhook endpoint's version is the Stripe account's choice, and Bursar reads only
// fields that are the same in every version since 2020, except for subscriptions, whose objects changed shape in
// 2025-03-31: both shapes are read (normalize.go), and an invoice of the newer shape carries no PaymentIntent.
func (p *Provider) Verify(_ context.Context, acct gateway.Account, in gateway.Inbound) (gateway.Event, error) {
	secret := acct.Credentials[CredWebhookSecret]
	if secret == "" {
		return gateway.Event{}, fmt.Errorf("stripe: payment system %d has no %s: %w", acct.System.ID,
			CredWebhookSecret, gateway.ErrSignature)
	}
	header := ""
	if in.Header != nil {
		header = in.Header(SignatureHeader)
	}
	ts, err := signedAt(header)
	if err != nil {
		return gateway.Event{}, err
	}
	ev, err := webhook.ConstructEventWithOptions(in.Body, header, secret, webhook.ConstructEventOptions{
		IgnoreTolerance: true, IgnoreAPIVersionMismatch: true, // the window is checked below, both ways
	})
	if err != nil {
		if errors.Is(err, webhook.ErrNotSigned) || errors.Is(err, webhook.ErrInvalidHeader) ||
			errors.Is(err, webhook.ErrNoValidSignature) || errors.Is(err, webhook.ErrTooOld) {
			return gateway.Event{}, fmt.Errorf("stripe: %w: %w", gateway.ErrSignature, err)
		}
		return gateway.Event{}, fmt.Errorf("stripe: signed event body: %w", err)
	}
	if err := p.inWindow(ts, in.Received); err != nil {
		return gateway.Event{}, err
	}
	if ev.ID == "" || ev.Type == "" {
		return gateway.Event{}, errors.New("stripe: signed event without id or type")
	}
	return eventOf(ev)
}

// signedAt reads the one t=<unix seconds> of a Stripe-Signature header.
func signedAt(header string) (time.Time, error) {
	if header == "" {
		return time.Time{}, fmt.Errorf("stripe: no %s header: %w", SignatureHeader, gateway.ErrSignature)
	}
	var ts []string
	for pair := range strings.SplitSeq(header, ",") {
		if v, ok := strings.CutPrefix(pair, "t="); ok {
			ts = append(ts, v)
		}
	}
	if len(ts) != 1 {
		return time.Time{}, fmt.Errorf("stripe: %s needs one timestamp, has %d: %w", SignatureHeader, len(ts),
			gateway.ErrSignature)
	}
	sec, err := strconv.ParseInt(ts[0], 10, 64)
	if err != nil || sec <= 0 {
		return time.Time{}, fmt.Errorf("stripe: %s timestamp %q: %w", SignatureHeader, ts[0], gateway.ErrSignature)
	}
	return time.Unix(sec, 0), nil
}

// inWindow rejects a signature made more than the tolerance before or after the notification arrived.
func (p *Provider) inWindow(signed, received time.Time) error {
	if received.IsZero() {
		received = time.Now()
	}
	d := received.Sub(signed)
	if d > p.tolerance {
		return fmt.Errorf("stripe: signature %s old: %w", d.Truncate(time.Second), gateway.ErrSignature)
	}
	if -d > p.tolerance {
		return fmt.Errorf("stripe: signature %s in the future: %w", (-d).Truncate(time.Second), gateway.ErrSignature)
	}
	return nil
}

// eventOf normalizes an authentic event.
func eventOf(ev stripego.Event) (gateway.Event, error) {
	out := gateway.Event{ID: ev.ID, Type: string(ev.Type), Kind: gateway.EventIgnored}
	if ev.Data == nil {
		return out, nil
	}
	switch out.Type {
	case EventSessionCompleted, EventSessionAsyncSucceeded, EventSessionAsyncFailed, EventSessionExpired:
		var s stripego.CheckoutSession
		if err := json.Unmarshal(ev.Data.Raw, &s); err != nil {
			return gateway.Event{}, fmt.Errorf("stripe: event %s: checkout session: %w", ev.ID, err)
		}
		if s.Mode == stripego.CheckoutSessionModeSubscription {
			subscriptionSessionEvent(&out, &s, unixTime(ev.Created))
			break
		}
		fillSession(&out, &s)
		out.Kind = sessionEventKind(out.Type, s.PaymentStatus)
	case EventInvoicePaid, EventInvoicePaymentSucceeded, EventInvoicePaymentFailed:
		var in stripego.Invoice
		if err := json.Unmarshal(ev.Data.Raw, &in); err != nil {
			return gateway.Event{}, fmt.Errorf("stripe: event %s: invoice: %w", ev.ID, err)
		}
		invoiceEvent(&out, &in, ev.Data.Raw, unixTime(ev.Created))
	case EventSubscriptionCreated, EventSubscriptionUpdated, EventSubscriptionDeleted, EventSubscriptionPaused,
		EventSubscriptionResumed:
		var s stripego.Subscription
		if err := json.Unmarshal(ev.Data.Raw, &s); err != nil {
			return gateway.Event{}, fmt.Errorf("stripe: event %s: subscription: %w", ev.ID, err)
		}
		if s.ID == "" {
			return gateway.Event{}, fmt.Errorf("stripe: event %s: subscription without id", ev.ID)
		}
		st := subscriptionState(&s, ev.Data.Raw, unixTime(ev.Created))
		out.Kind, out.Ref, out.Subscription = gateway.EventSubscription, s.ID, &st
	case EventChargeRefunded:
		var c stripego.Charge
		if err := json.Unmarshal(ev.Data.Raw, &c); err != nil {
			return gateway.Event{}, fmt.Errorf("stripe: event %s: charge: %w", ev.ID, err)
		}
		fillCharge(&out, &c)
		out.Kind = gateway.EventRefunded
	case EventDisputeCreated, EventDisputeUpdated, EventDisputeClosed:
		if err := disputeEvent(&out, ev); err != nil {
			return gateway.Event{}, err
		}
	}
	return out, nil
}

// sessionEventKind is what a checkout.session.* event means.
func sessionEventKind(typ string, ps stripego.CheckoutSessionPaymentStatus) gateway.EventKind {
	switch typ {
	case EventSessionCompleted:
		if settled(ps) {
			return gateway.EventPaid
		}
		return gateway.EventPending
	case EventSessionAsyncSucceeded:
		return gateway.EventPaid
	case EventSessionAsyncFailed:
		return gateway.EventFailed
	case EventSessionExpired:
		return gateway.EventExpired
	}
	return gateway.EventIgnored
}

// settled reports whether a session's payment status means the money is there.
func settled(ps stripego.CheckoutSessionPaymentStatus) bool {
	return ps == stripego.CheckoutSessionPaymentStatusPaid || ps == stripego.CheckoutSessionPaymentStatusNoPaymentRequired
}

// fillSession copies a session's order, references, amount and payer into e.
func fillSession(e *gateway.Event, s *stripego.CheckoutSession) {
	e.OrderID = orderID(s.ClientReferenceID, s.Metadata)
	e.Ref = s.ID
	if s.PaymentIntent != nil {
		e.AltRef = s.PaymentIntent.ID
	}
	if s.Currency != "" {
		e.Amount = money.Money{Amount: s.AmountTotal, Currency: strings.ToUpper(string(s.Currency))}
	}
	if s.CustomerDetails != nil && s.CustomerDetails.Email != "" {
		e.PayerEmail = s.CustomerDetails.Email
	} else {
		e.PayerEmail = s.CustomerEmail
	}
}

// fillCharge copies a refunded charge into e: Ref is its PaymentIntent (a session's AltRef), the order comes from
// metadata when the charge has it.
func fillCharge(e *gateway.Event, c *stripego.Charge) {
	e.OrderID = orderID("", c.Metadata)
	if c.PaymentIntent != nil {
		e.Ref = c.PaymentIntent.ID
	}
	if c.Currency != "" {
		e.Amount = money.Money{Amount: c.Amount, Currency: strings.ToUpper(string(c.Currency))}
	}
	e.RefundedAmount = c.AmountRefunded
	if c.BillingDetails != nil {
		e.PayerEmail = c.BillingDetails.Email
	}
}

// orderID is Bursar's order id from client_reference_id, else metadata.order_id; 0 when neither is a positive
// decimal.
func orderID(ref string, meta map[string]string) int64 {
	for _, v := range []string{ref, meta[MetaOrderID]} {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil && id > 0 {
			return id
		}
	}
	return 0
}
