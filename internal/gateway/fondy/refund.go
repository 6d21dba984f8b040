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

// withTran is f with tran_type set to tran.
func withTran(f map[string]string, tran string) map[string]string {
	out := make(map[string]string, len(f)+1)
	for k, v := range f {
		out[k] = v
	}
	out["tran_type"] = tran
	return out
}
