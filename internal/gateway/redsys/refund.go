package redsys

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/bursar/bursar/internal/gateway"
)

// ResponseRefunded is the Ds_Response of an authorized refund.
const ResponseRefunded = "0900"

// restAnswer is trataPeticionREST's answer: the signed envelope, or an error code (SIS0xxx) and nothing else.
type restAnswer struct {
	envelope
	ErrorCode string `json:"errorCode"`
}

// Refund returns r.Amount of the payment r.Ref (its Redsys order number) through the REST API: a signed
// DS_MERCHANT_TRANSACTIONTYPE 3 for the original order, in full or in part (Redsys refuses more than what is left,
// SIS0057). The answer must be signed by Redsys for that order and say Ds_Response 0900. Redsys takes no
// idempotency key: a refund whose answer was lost (ErrUnavailable) may have been made, so check the Redsys
// administration module before asking again. RefundResult.ID is "<order>:<authorisation code>".
func (p *Provider) Refund(ctx context.Context, acct gateway.Account, r gateway.RefundRequest) (gateway.RefundResult, error) {
	if !validOrder(r.Ref) || r.Amount.Amount <= 0 {
		return gateway.RefundResult{}, fmt.Errorf("redsys: refund %q: a Redsys order number and a positive amount "+
			"are required", r.Ref)
	}
	cur := numericCurrency(r.Amount.Currency)
	if cur == "" {
		return gateway.RefundResult{}, fmt.Errorf("redsys: refund %s: currency %q is not one Bursar can send to "+
			"Redsys", r.Ref, r.Amount.Currency)
	}
	m, err := merchantOf(acct)
	if err != nil {
		return gateway.RefundResult{}, err
	}
	params := encodeParams([]param{
		{"DS_MERCHANT_AMOUNT", strconv.FormatInt(r.Amount.Amount, 10)},
		{"DS_MERCHANT_ORDER", r.Ref},
		{"DS_MERCHANT_MERCHANTCODE", m.code},
		{"DS_MERCHANT_CURRENCY", cur},
		{"DS_MERCHANT_TRANSACTIONTYPE", TransactionRefund},
		{"DS_MERCHANT_TERMINAL", m.terminal},
	})
	sig, err := sign(m.key, r.Ref, params)
	if err != nil {
		return gateway.RefundResult{}, fmt.Errorf("redsys: refund %s: %w", r.Ref, err)
	}
	body, _ := json.Marshal(envelope{Version: SignatureVersion, Parameters: params, Signature: sig}) // strings only
	op := "refund " + r.Ref
	raw, err := p.post(ctx, op, baseURL(acct)+RESTPath, body)
	if err != nil {
		return gateway.RefundResult{}, err
	}
	values, err := restValues(m.key, op, raw)
	if err != nil {
		return gateway.RefundResult{}, err
	}
	n := notificationOf(values)
	if n.order != r.Ref {
		return gateway.RefundResult{}, fmt.Errorf("redsys: %s: the answer is about order %q", op, n.order)
	}
	if n.response != ResponseRefunded {
		return gateway.RefundResult{}, fmt.Errorf("redsys: %s: refused with Ds_Response %s", op, truncate(n.response, 8))
	}
	return gateway.RefundResult{ID: r.Ref + ":" + truncate(n.authCode, 16), Status: "succeeded"}, nil
}

// restValues reads a trataPeticionREST answer: an error code is an error; a signed envelope is checked with the
// merchant key and its parameters returned.
func restValues(key []byte, op string, raw []byte) (map[string]string, error) {
	var ans restAnswer
	if err := json.Unmarshal(raw, &ans); err != nil {
		return nil, fmt.Errorf("redsys: %s: the answer is not JSON: %w", op, err)
	}
	if ans.ErrorCode != "" {
		return nil, fmt.Errorf("redsys: %s: refused with %s", op, truncate(ans.ErrorCode, 16))
	}
	if err := ans.check(); err != nil {
		return nil, fmt.Errorf("redsys: %s: the answer is not a signed message: %w", op, err)
	}
	values, err := authentic(key, ans.envelope)
	if err != nil {
		return nil, fmt.Errorf("redsys: %s: the answer is not authentic: %w", op, err)
	}
	return values, nil
}
