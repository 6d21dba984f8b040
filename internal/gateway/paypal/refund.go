package paypal

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	paypalsdk "github.com/plutov/paypal/v4"

	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/money"
)

// maxNote is PayPal's limit on a refund's note to the payer.
const maxNote = 255

// Refund refunds r.Amount of the payment r.Ref — a PayPal order id (its capture is found through the order), a
// capture id, or the sale of a subscription's charge (refundSale) — through POST /v2/payments/captures/{id}/refund with the amount and currency; r.Reason goes to the
// payer as note_to_payer. The amount must be positive, in the capture's currency and at most what is left
// unrefunded; the full amount is a full refund. RefundResult.Status is PayPal's refund status in Bursar's words:
// succeeded (COMPLETED), pending, failed or canceled.
//
// The PayPal-Request-Id is "bursar-refund-<capture>-<amount>-after-<refunded so far>": a repeat of the same refund
// (a retry, a double submit) is made once, while a second refund of the same amount made after the first went
// through sees a different total and is a new refund.
func (p *Provider) Refund(ctx context.Context, acct gateway.Account, r gateway.RefundRequest) (gateway.RefundResult, error) {
	if r.Ref == "" || r.Amount.Amount <= 0 {
		return gateway.RefundResult{}, fmt.Errorf("paypal: refund %q: a payment reference and a positive amount are required", r.Ref)
	}
	cl, err := p.newCall(ctx, acct)
	if err != nil {
		return gateway.RefundResult{}, err
	}
	o, capID, err := cl.resolve(r.Ref)
	if name, _ := issueOf(err); name == nameNotFound && validID(r.Ref) {
		return cl.refundSale(r, err)
	}
	if err != nil {
		return gateway.RefundResult{}, err
	}
	u := o.unit()
	cp := u.capture(capID)
	if cp == nil || cp.Amount == nil || (cp.Status != captureCompleted && cp.Status != capturePartiallyRefunded) {
		return gateway.RefundResult{}, fmt.Errorf("paypal: refund %s: no completed capture to refund", r.Ref)
	}
	captured, err := amount(*cp.Amount)
	if err != nil {
		return gateway.RefundResult{}, fmt.Errorf("refund %s: %w", r.Ref, err)
	}
	if r.Amount.Currency != "" && !strings.EqualFold(r.Amount.Currency, captured.Currency) {
		return gateway.RefundResult{}, fmt.Errorf("paypal: refund %s: payment is in %s, refund asked in %s", r.Ref,
			captured.Currency, r.Amount.Currency)
	}
	refunded, err := u.refunded(cp.ID, captured.Currency, refundCompleted, refundPending)
	if err != nil {
		return gateway.RefundResult{}, fmt.Errorf("paypal: refund %s: %w", r.Ref, err)
	}
	if refunded+r.Amount.Amount > captured.Amount {
		return gateway.RefundResult{}, fmt.Errorf("paypal: refund %s: %s asked, %s of %s refunded already", r.Ref,
			money.New(r.Amount.Amount, captured.Currency), money.New(refunded, captured.Currency), captured)
	}
	val, err := value(money.New(r.Amount.Amount, captured.Currency))
	if err != nil {
		return gateway.RefundResult{}, fmt.Errorf("refund %s: %w", r.Ref, err)
	}
	body, err := encode(paypalsdk.RefundCaptureRequest{Amount: &paypalsdk.Money{Currency: captured.Currency, Value: val},
		NoteToPayer: truncate(strings.TrimSpace(r.Reason), maxNote)})
	if err != nil {
		return gateway.RefundResult{}, fmt.Errorf("paypal: refund %s: %w", r.Ref, err)
	}
	var res refundJSON
	if err := cl.do("refund capture "+cp.ID, http.MethodPost, "/v2/payments/captures/"+cp.ID+"/refund", body,
		map[string]string{"PayPal-Request-Id": fmt.Sprintf("bursar-refund-%s-%d-after-%d", cp.ID, r.Amount.Amount, refunded)},
		&res); err != nil {
		return gateway.RefundResult{}, err
	}
	if res.ID == "" {
		return gateway.RefundResult{}, fmt.Errorf("paypal: refund capture %s: answer without a refund id", cp.ID)
	}
	return gateway.RefundResult{ID: res.ID, Status: refundStatus(res.Status)}, nil
}

// refundStatus is a PayPal refund status in Bursar's (and Stripe's) words.
func refundStatus(s string) string {
	switch s {
	case refundCompleted:
		return "succeeded"
	case "CANCELLED":
		return "canceled"
	}
	return strings.ToLower(s)
}
