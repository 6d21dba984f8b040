package wayforpay

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/bursar/bursar/internal/gateway"
)

// apiVersion is the API protocol version Bursar speaks.
const apiVersion = 1

// maxComment bounds the refund comment sent to WayForPay.
const maxComment = 250

// defaultComment is the refund comment when no reason was given (WayForPay requires one).
const defaultComment = "Refund"

// refundRequest is the REFUND call. Amount is a json.Number so the JSON carries exactly the signed text.
type refundRequest struct {
	TransactionType   string      `json:"transactionType"`
	MerchantAccount   string      `json:"merchantAccount"`
	OrderReference    string      `json:"orderReference"`
	Amount            json.Number `json:"amount"`
	Currency          string      `json:"currency"`
	Comment           string      `json:"comment"`
	MerchantSignature string      `json:"merchantSignature"`
	APIVersion        int         `json:"apiVersion"`
}

// checkStatusRequest is the CHECK_STATUS call.
type checkStatusRequest struct {
	TransactionType   string `json:"transactionType"`
	MerchantAccount   string `json:"merchantAccount"`
	OrderReference    string `json:"orderReference"`
	MerchantSignature string `json:"merchantSignature"`
	APIVersion        int    `json:"apiVersion"`
}

// Refund returns r.Amount of the payment r.Ref (its orderReference) through the REFUND call, signed with
// HMAC-MD5 of "merchantAccount;orderReference;amount;currency". Any positive amount up to what is left of the
// payment may be refunded, in the payment's currency; the whole amount is a full refund (Voided when the money
// was only held).
//
// Refunded or Voided is Status "succeeded"; RefundInProcessing (the merchant's balance is too low for now) is
// "pending"; anything else is an error carrying WayForPay's reason. WayForPay gives a refund no id of its own:
// ID is the orderReference. The answer's signature is not checked: WayForPay documents its field list for refund
// answers inconsistently, the answer comes over TLS from the API itself, and the refund's effect on the order is
// applied from the signed Refunded notification.
func (p *Provider) Refund(ctx context.Context, acct gateway.Account, r gateway.RefundRequest) (gateway.RefundResult, error) {
	if r.Ref == "" || r.Amount.Amount <= 0 || r.Amount.Currency == "" {
		return gateway.RefundResult{}, fmt.Errorf("wayforpay: refund %q: a payment reference, a positive amount "+
			"and its currency are required", r.Ref)
	}
	m, err := merchantOf(acct)
	if err != nil {
		return gateway.RefundResult{}, err
	}
	amount := formatAmount(r.Amount)
	comment := strings.TrimSpace(r.Reason)
	if comment == "" {
		comment = defaultComment
	}
	req := refundRequest{TransactionType: "REFUND", MerchantAccount: m.account, OrderReference: r.Ref,
		Amount: json.Number(amount), Currency: r.Amount.Currency, Comment: truncate(comment, maxComment),
		MerchantSignature: sign(m.secret, m.account, r.Ref, amount, r.Amount.Currency), APIVersion: apiVersion}
	o, err := p.call(ctx, acct, "refund "+r.Ref, req)
	if err != nil {
		return gateway.RefundResult{}, err
	}
	status, _ := o.text("transactionStatus")
	switch status {
	case StatusRefunded, StatusVoided:
		return gateway.RefundResult{ID: r.Ref, Status: "succeeded"}, nil
	case StatusRefundInProcessing:
		return gateway.RefundResult{ID: r.Ref, Status: "pending"}, nil
	}
	return gateway.RefundResult{}, refused("refund "+r.Ref, o)
}
