package paypal

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	paypalsdk "github.com/plutov/paypal/v4"

	"github.com/bursar/bursar/internal/gateway"
)

// Headers PayPal sends with a webhook, all of which the verification needs.
const (
	HeaderAuthAlgo         = "PAYPAL-AUTH-ALGO"
	HeaderCertURL          = "PAYPAL-CERT-URL"
	HeaderTransmissionID   = "PAYPAL-TRANSMISSION-ID"
	HeaderTransmissionSig  = "PAYPAL-TRANSMISSION-SIG"
	HeaderTransmissionTime = "PAYPAL-TRANSMISSION-TIME"
)

// PayPal event types Bursar acts on.
const (
	EventOrderApproved    = "CHECKOUT.ORDER.APPROVED"
	EventCaptureCompleted = "PAYMENT.CAPTURE.COMPLETED"
	EventCapturePending   = "PAYMENT.CAPTURE.PENDING"
	EventCaptureDenied    = "PAYMENT.CAPTURE.DENIED"
	EventCaptureRefunded  = "PAYMENT.CAPTURE.REFUNDED"
)

// verificationSuccess is the one answer of verify-webhook-signature that makes a webhook authentic.
const verificationSuccess = "SUCCESS"

// maxBody bounds a webhook body (PayPal's are a few KiB); maxHeader bounds each transmission header.
const (
	maxBody   = 256 << 10
	maxHeader = 2048
)

// verifyRequest is POST /v1/notifications/verify-webhook-signature's body without its webhook_event, which is
// appended verbatim.
type verifyRequest struct {
	AuthAlgo         string `json:"auth_algo"`
	CertURL          string `json:"cert_url"`
	TransmissionID   string `json:"transmission_id"`
	TransmissionSig  string `json:"transmission_sig"`
	TransmissionTime string `json:"transmission_time"`
	WebhookID        string `json:"webhook_id"`
}

// Verify authenticates a webhook through PayPal itself — POST /v1/notifications/verify-webhook-signature with the
// payment system's webhook_id, the five PAYPAL-* transmission headers and the body exactly as received — and
// normalizes it. Only verification_status SUCCESS is authentic: FAILURE, a missing webhook_id or header, a body
// that is not a JSON object, or PayPal refusing the verification request wrap gateway.ErrSignature; PayPal being
// unreachable or failing wraps gateway.ErrUnavailable (so the webhook is answered with an error and PayPal
// delivers it again). The transmission time is not checked against the clock: PayPal's signature covers it, and a
// replayed event has the same id, which Bursar stores once.
//
// Authentic events become: CHECKOUT.ORDER.APPROVED → the order is captured now (idempotently, see Status) and the
// capture reported (COMPLETED paid, PENDING pending, refused failed); PAYMENT.CAPTURE.COMPLETED → paid, with the
// payer's e-mail read from the order (capture webhooks carry no payer); PAYMENT.CAPTURE.PENDING → pending;
// PAYMENT.CAPTURE.DENIED → failed; PAYMENT.CAPTURE.REFUNDED → refunded, RefundedAmount the capture's refunded total
// (from the event, else from the API); CUSTOMER.DISPUTE.* → dispute. Subscriptions (subevents.go):
// BILLING.SUBSCRIPTION.PAYMENT.FAILED → an unpaid charge; every other BILLING.SUBSCRIPTION.* → the subscription's
// state; PAYMENT.SALE.COMPLETED/DENIED of a subscription → a paid/unpaid charge (a sale of none is ignored);
// PAYMENT.SALE.REFUNDED/REVERSED → refunded (Ref the sale id). Any other type is ignored. Event.ID is the webhook
// event id (WH-…); for payments Ref is the PayPal order id, AltRef the capture id, OrderID the custom_id.
func (p *Provider) Verify(ctx context.Context, acct gateway.Account, in gateway.Inbound) (gateway.Event, error) {
	req, err := verification(acct, in)
	if err != nil {
		return gateway.Event{}, err
	}
	cl, err := p.newCall(ctx, acct)
	if err != nil {
		return gateway.Event{}, fmt.Errorf("%w: %w", err, gateway.ErrSignature)
	}
	if err := cl.verify(req, in.Body); err != nil {
		return gateway.Event{}, err
	}
	var ev paypalsdk.AnyEvent
	if err := json.Unmarshal(in.Body, &ev); err != nil {
		return gateway.Event{}, fmt.Errorf("paypal: verified webhook body: %w", err)
	}
	if ev.ID == "" || ev.EventType == "" || len(ev.ID) > 255 || len(ev.EventType) > 255 {
		return gateway.Event{}, errors.New("paypal: verified webhook without id or event_type")
	}
	return cl.eventOf(ev)
}

// verification is the verify request of in for acct, or why in cannot be authentic without asking PayPal.
func verification(acct gateway.Account, in gateway.Inbound) (verifyRequest, error) {
	req := verifyRequest{WebhookID: acct.System.Setting(SettingWebhookID)}
	if req.WebhookID == "" {
		return req, fmt.Errorf("paypal: payment system %d has no %s: %w", acct.System.ID, SettingWebhookID,
			gateway.ErrSignature)
	}
	if len(in.Body) > maxBody {
		return req, fmt.Errorf("paypal: webhook of %d bytes: %w", len(in.Body), gateway.ErrSignature)
	}
	if b := bytes.TrimSpace(in.Body); len(b) == 0 || b[0] != '{' || !json.Valid(b) {
		return req, fmt.Errorf("paypal: webhook body is not a JSON object: %w", gateway.ErrSignature)
	}
	for _, h := range []struct {
		name string
		dst  *string
	}{{HeaderAuthAlgo, &req.AuthAlgo}, {HeaderCertURL, &req.CertURL}, {HeaderTransmissionID, &req.TransmissionID},
		{HeaderTransmissionSig, &req.TransmissionSig}, {HeaderTransmissionTime, &req.TransmissionTime}} {
		if in.Header != nil {
			*h.dst = in.Header(h.name)
		}
		if *h.dst == "" || len(*h.dst) > maxHeader {
			return req, fmt.Errorf("paypal: webhook without a valid %s header: %w", h.name, gateway.ErrSignature)
		}
	}
	return req, nil
}

// verify asks PayPal whether body came with the signature in req.
func (c *call) verify(req verifyRequest, body []byte) error {
	head, err := encode(req)
	if err != nil {
		return fmt.Errorf("paypal: verify webhook: %w", err)
	}
	// The event goes to PayPal byte for byte (whitespace around it is no part of a JSON value): its CRC32 is part
	// of what PayPal signed, and re-encoding it (Go escapes "&" and "<") would make an authentic event fail.
	var b bytes.Buffer
	b.Write(head[:len(head)-1])
	b.WriteString(`,"webhook_event":`)
	b.Write(bytes.TrimSpace(body))
	b.WriteByte('}')
	var res paypalsdk.VerifyWebhookResponse
	err = c.do("verify webhook "+req.TransmissionID, http.MethodPost, "/v1/notifications/verify-webhook-signature",
		b.Bytes(), nil, &res)
	switch {
	case errors.Is(err, gateway.ErrUnavailable):
		return err
	case err != nil:
		return fmt.Errorf("%w: %w", err, gateway.ErrSignature)
	case res.VerificationStatus != verificationSuccess:
		return fmt.Errorf("paypal: webhook verification_status %q: %w", res.VerificationStatus, gateway.ErrSignature)
	}
	return nil
}

// eventOf normalizes an authentic event.
func (c *call) eventOf(ev paypalsdk.AnyEvent) (gateway.Event, error) {
	var (
		out gateway.Event
		err error
	)
	switch ev.EventType {
	case EventOrderApproved:
		out, err = c.approved(ev)
	case EventCaptureCompleted, EventCapturePending, EventCaptureDenied:
		out, err = c.captured(ev)
	case EventCaptureRefunded:
		out, err = c.refunded(ev)
	case EventDisputeCreated, EventDisputeUpdated, EventDisputeResolved:
		out, err = disputed(ev)
	case EventSubscriptionPaymentFailed:
		out, err = c.subscriptionFailed(ev)
	case EventSaleCompleted, EventSaleDenied:
		out, err = c.sold(ev)
	case EventSaleRefunded, EventSaleReversed:
		out, err = saleRefunded(ev)
	default:
		if strings.HasPrefix(ev.EventType, subscriptionEvents) {
			out, err = subscriptionChanged(ev)
			break
		}
		out = gateway.Event{Kind: gateway.EventIgnored}
	}
	if err != nil {
		return gateway.Event{}, fmt.Errorf("paypal: event %s (%s): %w", ev.ID, ev.EventType, err)
	}
	out.ID, out.Type = ev.ID, ev.EventType
	return out, nil
}

// resource decodes ev's resource into v.
func resource(ev paypalsdk.AnyEvent, v any) error {
	if len(ev.Resource) == 0 || string(ev.Resource) == "null" {
		return errors.New("no resource")
	}
	return json.Unmarshal(ev.Resource, v)
}

// approved captures the order a CHECKOUT.ORDER.APPROVED event names and reports the capture. Orders of another
// intent (AUTHORIZE) are not Bursar's: ignored.
func (c *call) approved(ev paypalsdk.AnyEvent) (gateway.Event, error) {
	var o orderJSON
	if err := resource(ev, &o); err != nil {
		return gateway.Event{}, fmt.Errorf("order: %w", err)
	}
	if o.Intent != "" && o.Intent != paypalsdk.OrderIntentCapture {
		return gateway.Event{Kind: gateway.EventIgnored}, nil
	}
	captured, declined, err := c.captureOrder(o.ID)
	if err != nil {
		return gateway.Event{}, err
	}
	return orderEvent(captured, declined)
}

// captured reports a PAYMENT.CAPTURE.COMPLETED, PENDING or DENIED event; a completed one reads the order for the
// payer's e-mail.
func (c *call) captured(ev paypalsdk.AnyEvent) (gateway.Event, error) {
	var cp captureJSON
	if err := resource(ev, &cp); err != nil {
		return gateway.Event{}, fmt.Errorf("capture: %w", err)
	}
	if !validID(cp.ID) || cp.Amount == nil {
		return gateway.Event{}, errors.New("capture without id or amount")
	}
	m, err := amount(*cp.Amount)
	if err != nil {
		return gateway.Event{}, err
	}
	e := gateway.Event{OrderID: bursarOrderID(cp.CustomID), Ref: cp.orderID(), AltRef: cp.ID, Amount: m}
	switch ev.EventType {
	case EventCaptureCompleted:
		e.Kind = gateway.EventPaid
	case EventCapturePending:
		e.Kind = gateway.EventPending
	default:
		e.Kind = gateway.EventFailed
	}
	if e.Kind == gateway.EventPaid && e.Ref != "" {
		o, err := c.order(e.Ref)
		if err != nil {
			return gateway.Event{}, err
		}
		e.PayerEmail = o.payerEmail()
		if e.OrderID == 0 && o.unit() != nil {
			e.OrderID = bursarOrderID(o.unit().CustomID)
		}
	}
	return e, nil
}

// refunded reports a PAYMENT.CAPTURE.REFUNDED event: the refunded capture is read for its order, custom_id and
// amount, and the refunded total is the event's total_refunded_amount, else the capture's completed refunds as the
// order lists them.
func (c *call) refunded(ev paypalsdk.AnyEvent) (gateway.Event, error) {
	var r refundJSON
	if err := resource(ev, &r); err != nil {
		return gateway.Event{}, fmt.Errorf("refund: %w", err)
	}
	capID := r.captureID()
	if capID == "" {
		return gateway.Event{}, fmt.Errorf("refund %q names no capture", r.ID)
	}
	cp, err := c.captureByID(capID)
	if err != nil {
		return gateway.Event{}, err
	}
	if cp.Amount == nil {
		return gateway.Event{}, fmt.Errorf("capture %s without amount", capID)
	}
	m, err := amount(*cp.Amount)
	if err != nil {
		return gateway.Event{}, err
	}
	e := gateway.Event{Kind: gateway.EventRefunded, OrderID: bursarOrderID(cp.CustomID), Ref: cp.orderID(),
		AltRef: capID, Amount: m}
	if e.OrderID == 0 {
		e.OrderID = bursarOrderID(r.CustomID)
	}
	switch {
	case r.SellerPayableBreakdown != nil && r.SellerPayableBreakdown.TotalRefundedAmount != nil:
		total, err := amount(*r.SellerPayableBreakdown.TotalRefundedAmount)
		if err != nil {
			return gateway.Event{}, err
		}
		if total.Currency != m.Currency {
			return gateway.Event{}, fmt.Errorf("refunded total in %s of a capture in %s", total.Currency, m.Currency)
		}
		e.RefundedAmount = total.Amount
	case cp.Status == captureRefunded:
		e.RefundedAmount = m.Amount
	case e.Ref != "":
		o, err := c.order(e.Ref)
		if err != nil {
			return gateway.Event{}, err
		}
		if e.RefundedAmount, err = o.unit().refunded(capID, m.Currency, refundCompleted); err != nil {
			return gateway.Event{}, err
		}
	default:
		return gateway.Event{}, fmt.Errorf("capture %s names no order to read its refunds from", capID)
	}
	return e, nil
}
