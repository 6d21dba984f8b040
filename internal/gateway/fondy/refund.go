package fondy

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/bursar/bursar/internal/gateway"
)

// Fondy's reversal statuses (reverse_status).
const (
	ReverseCreated  = "created"  // accepted, not processed yet
	ReverseApproved = "approved" // done
	ReverseDeclined = "declined" // refused by Fondy, the bank or the payment system
)

// Refund reverses r.Amount of the order r.Ref (its order_id): the order's whole amount is a full reversal, less a
// partial one, and several partial reversals may follow each other up to the amount paid. The currency must be
// the payment's (Fondy checks it too); r.Reason goes to Fondy as the comment.
//
// Result: Status "succeeded" when Fondy approved the reversal, "pending" when it was created and will be
// processed later (a callback of tran_type "reverse" follows); ID is Fondy's transaction_id when the answer has
// one. A declined reversal and a refused request (*APIError) are errors. The answer's signature is not checked:
// it arrives over TLS as the answer to this very request, and calling a reversal that happened a failure would
// invite a second one.
func (p *Provider) Refund(ctx context.Context, acct gateway.Account, r gateway.RefundRequest) (gateway.RefundResult, error) {
	if r.Ref == "" || len(r.Ref) > maxRef || r.Amount.Amount <= 0 || r.Amount.Currency == "" {
		return gateway.RefundResult{}, fmt.Errorf("fondy: refund %q: an order reference, a positive amount and its "+
			"currency are required", r.Ref)
	}
	m, err := merchantOf(acct)
	if err != nil {
		return gateway.RefundResult{}, err
	}
	req := map[string]string{
		"order_id":    r.Ref,
		"merchant_id": m.id,
		"amount":      strconv.FormatInt(r.Amount.Amount, 10),
		"currency":    strings.ToUpper(r.Amount.Currency),
	}
	if reason := strings.TrimSpace(r.Reason); reason != "" {
		req["comment"] = truncate(reason, maxDesc)
	}
	res, err := p.call(ctx, acct, m, "refund "+r.Ref, ReversePath, req)
	if err != nil {
		return gateway.RefundResult{}, err
	}
	out := gateway.RefundResult{ID: res["transaction_id"]}
	switch st := res["reverse_status"]; st {
	case ReverseApproved:
		out.Status = "succeeded"
	case ReverseCreated:
		out.Status = "pending"
	case ReverseDeclined:
		return gateway.RefundResult{}, fmt.Errorf("fondy: refund %s: declined: %s (code %s)", r.Ref,
			res["response_description"], res["response_code"])
	default:
		return gateway.RefundResult{}, fmt.Errorf("fondy: refund %s: unexpected reverse_status %q", r.Ref, st)
	}
	return out, nil
}

// Status asks Fondy about the order ref (its order_id) and reports it like a callback (ID empty): approved is
// paid, reversed (or approved with a reversal_amount) refunded, and so on. When the answer carries a signature it
// must be the account's, else the error wraps gateway.ErrSignature; Type is "status:<order_status>".
func (p *Provider) Status(ctx context.Context, acct gateway.Account, ref string) (gateway.Event, error) {
	if ref == "" || len(ref) > maxRef {
		return gateway.Event{}, fmt.Errorf("fondy: status: no valid order reference")
	}
	m, err := merchantOf(acct)
	if err != nil {
		return gateway.Event{}, err
	}
	res, err := p.call(ctx, acct, m, "status "+ref, StatusPath, map[string]string{"order_id": ref, "merchant_id": m.id})
	if err != nil {
		return gateway.Event{}, err
	}
	if res[signatureKey] != "" && !signedBy(m.secret, res) {
		return gateway.Event{}, fmt.Errorf("fondy: status %s: answer signature does not match: %w", ref,
			gateway.ErrSignature)
	}
	if err := sameMerchant(acct, res); err != nil {
		return gateway.Event{}, err
	}
	if res["order_id"] != ref {
		return gateway.Event{}, fmt.Errorf("fondy: status %s: answer is about order %q", ref, res["order_id"])
	}
	tran := res["tran_type"]
	if res["order_status"] == StatusApproved && res["reversal_amount"] != "" && res["reversal_amount"] != "0" {
		tran = TranReverse // an order partly reversed stays approved; the re-check reports the reversal
	}
	e, err := eventOf(withTran(res, tran))
	if err != nil {
		return gateway.Event{}, err
	}
	e.Type = "status:" + res["order_status"]
	return e, nil
}

// withTran is f with tran_type set to tran.
func withTran(f map[string]string, tran string) map[string]string {
	out := make(map[string]string, len(f)+1)
	for k, v := range f {
		out[k] = v
	}
	out["tran_type"] = tran
	return out
}
