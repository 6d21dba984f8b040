package paypal

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/money"
)

// saleRefundRequest is POST /v1/payments/sale/{id}/refund's body.
type saleRefundRequest struct {
	Amount      saleMoney `json:"amount"`
	Description string    `json:"description,omitempty"`
}

// refundSale refunds r.Amount of sale r.Ref — a subscription's charge, which is neither an order nor a capture
// (notFound says so) — through the v1 payments API the sales of subscriptions belong to: GET
// /v1/payments/sale/{id}, then POST /v1/payments/sale/{id}/refund with the amount, and r.Reason as its description.
// A sale PayPal does not know either is notFound. The sale's answer lists no refunds, so the refundable balance is
// PayPal's to check (it refuses more than is left). The PayPal-Request-Id is r.IdempotencyKey when given, else
// "bursar-refund-<sale>-<amount>-<the sale's state>": a repeat of the same refund is made once, and a second refund
// of the same amount after a first one (the sale now partially_refunded) is another.
func (c *call) refundSale(r gateway.RefundRequest, notFound error) (gateway.RefundResult, error) {
	var s saleJSON
	err := c.do("read sale "+r.Ref, http.MethodGet, "/v1/payments/sale/"+r.Ref, nil, nil, &s)
	if name, _ := issueOf(err); name == "INVALID_RESOURCE_ID" || name == nameNotFound {
		return gateway.RefundResult{}, fmt.Errorf("paypal: %s is neither an order, a capture nor a sale: %w", r.Ref, notFound)
	}
	if err != nil {
		return gateway.RefundResult{}, err
	}
	if s.ID != r.Ref || s.Amount == nil {
		return gateway.RefundResult{}, fmt.Errorf("paypal: refund sale %s: PayPal answered sale %q without its amount", r.Ref, s.ID)
	}
	if s.State != "completed" && s.State != "partially_refunded" {
		return gateway.RefundResult{}, fmt.Errorf("paypal: refund sale %s: the sale is %s, not completed", r.Ref, s.State)
	}
	sold, err := s.Amount.money()
	if err != nil {
		return gateway.RefundResult{}, fmt.Errorf("paypal: refund sale %s: %w", r.Ref, err)
	}
	cur := sold.Amount.Currency
	if r.Amount.Currency != "" && !strings.EqualFold(r.Amount.Currency, cur) {
		return gateway.RefundResult{}, fmt.Errorf("paypal: refund sale %s: payment is in %s, refund asked in %s", r.Ref,
			cur, r.Amount.Currency)
	}
	if r.Amount.Amount > sold.Amount.Amount {
		return gateway.RefundResult{}, fmt.Errorf("paypal: refund sale %s: %d asked of a payment of %s", r.Ref,
			r.Amount.Amount, sold.Amount)
	}
	val, err := value(money.New(r.Amount.Amount, cur))
	if err != nil {
		return gateway.RefundResult{}, fmt.Errorf("refund sale %s: %w", r.Ref, err)
	}
	key := r.IdempotencyKey
	if key == "" {
		key = fmt.Sprintf("bursar-refund-%s-%d-%s", r.Ref, r.Amount.Amount, s.State)
	}
	var res struct {
		ID    string `json:"id"`
		State string `json:"state"`
	}
	if err := c.send("refund sale "+r.Ref, http.MethodPost, "/v1/payments/sale/"+r.Ref+"/refund",
		saleRefundRequest{Amount: saleMoney{Total: val, Currency: cur},
			Description: truncate(strings.TrimSpace(r.Reason), maxNote)}, key, &res); err != nil {
		return gateway.RefundResult{}, err
	}
	if res.ID == "" {
		return gateway.RefundResult{}, fmt.Errorf("paypal: refund sale %s: answer without a refund id", r.Ref)
	}
	return gateway.RefundResult{ID: res.ID, Status: refundStatus(strings.ToUpper(res.State))}, nil
}
