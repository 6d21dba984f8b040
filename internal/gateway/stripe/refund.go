package stripe

import (
	"context"
	"fmt"
	"strings"

	stripego "github.com/stripe/stripe-go/v76"

	"github.com/bursar/bursar/internal/gateway"
)

// MetaReason is the refund metadata key holding Bursar's free-text reason (Stripe's own reason is an enum).
const MetaReason = "bursar_reason"

// maxMetaValue is Stripe's limit on a metadata value.
const maxMetaValue = 500

// Refund refunds r.Amount of the payment r.Ref: a Checkout Session id (its PaymentIntent is looked up) or a
// PaymentIntent id. The amount must be positive and in the payment's currency; the full amount is a full refund.
//
// The idempotency key is "bursar-refund-<payment intent>-<amount>-after-<refunded so far>": a repeat of the same
// refund (a retry, a double submit) is made once, while a second refund of the same amount made after the first
// went through sees a different total and is a new refund. A request carrying its own IdempotencyKey is sent with
// that key instead: Bursar asks again with it when the first answer was lost, and Stripe answers the repeat with
// the first refund (for 24 hours).
func (p *Provider) Refund(ctx context.Context, acct gateway.Account, r gateway.RefundRequest) (gateway.RefundResult, error) {
	if r.Ref == "" || r.Amount.Amount <= 0 {
		return gateway.RefundResult{}, fmt.Errorf("stripe: refund %q: a payment reference and a positive amount are required", r.Ref)
	}
	cl, err := p.newCall(ctx, acct)
	if err != nil {
		return gateway.RefundResult{}, err
	}
	pi, err := cl.paymentIntent(r.Ref)
	if err != nil {
		return gateway.RefundResult{}, err
	}
	if r.Amount.Currency != "" && pi.Currency != "" && !strings.EqualFold(r.Amount.Currency, string(pi.Currency)) {
		return gateway.RefundResult{}, fmt.Errorf("stripe: refund %s: payment is in %s, refund asked in %s", r.Ref,
			strings.ToUpper(string(pi.Currency)), r.Amount.Currency)
	}
	var refunded int64
	if pi.LatestCharge != nil {
		refunded = pi.LatestCharge.AmountRefunded
	}
	params := &stripego.RefundParams{
		Params:        cl.params(),
		PaymentIntent: stripego.String(pi.ID),
		Amount:        stripego.Int64(r.Amount.Amount),
		Reason:        stripego.String(string(stripego.RefundReasonRequestedByCustomer)),
	}
	if reason := strings.TrimSpace(r.Reason); reason != "" {
		params.AddMetadata(MetaReason, truncate(reason, maxMetaValue))
	}
	key := r.IdempotencyKey
	if key == "" {
		key = fmt.Sprintf("bursar-refund-%s-%d-after-%d", pi.ID, r.Amount.Amount, refunded)
	}
	params.SetIdempotencyKey(key)
	re, err := cl.api.Refunds.New(params)
	if err != nil {
		return gateway.RefundResult{}, cl.fail("refund "+r.Ref, err)
	}
	return gateway.RefundResult{ID: re.ID, Status: string(re.Status)}, nil
}

// paymentIntent finds the PaymentIntent (with its latest charge) of a session or PaymentIntent reference.
func (c *call) paymentIntent(ref string) (*stripego.PaymentIntent, error) {
	if strings.HasPrefix(ref, "pi_") {
		params := &stripego.PaymentIntentParams{Params: c.params()}
		params.AddExpand("latest_charge")
		pi, err := c.api.PaymentIntents.Get(ref, params)
		if err != nil {
			return nil, c.fail("payment intent "+ref, err)
		}
		return pi, nil
	}
	params := &stripego.CheckoutSessionParams{Params: c.params()}
	params.AddExpand("payment_intent.latest_charge")
	s, err := c.api.CheckoutSessions.Get(ref, params)
	if err != nil {
		return nil, c.fail("session "+ref, err)
	}
	if s.PaymentIntent == nil || s.PaymentIntent.ID == "" {
		return nil, fmt.Errorf("stripe: session %s has no payment to refund", ref)
	}
	return s.PaymentIntent, nil
}

// truncate cuts s to at most n runes.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}
