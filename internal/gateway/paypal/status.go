package paypal

import (
	"context"
	"fmt"

	"github.com/bursar/bursar/internal/gateway"
)

// Status re-checks the payment ref (a PayPal order id, or a capture id) with GET /v2/checkout/orders/{id}. An
// order the payer approved but nobody captured yet is captured now, exactly as the CHECKOUT.ORDER.APPROVED webhook
// does (same PayPal-Request-Id, "already captured" read back), so the return page calling Status and the webhook
// racing it capture the order once; the capture's result is reported. Kinds: CREATED/SAVED/PAYER_ACTION_REQUIRED
// pending (the payer has not approved), VOIDED failed, COMPLETED by its capture (COMPLETED paid, PENDING pending,
// DECLINED/FAILED failed, refunded with the refunded total). Type is orderType's "order:<status>[/<capture status>]".
func (p *Provider) Status(ctx context.Context, acct gateway.Account, ref string) (gateway.Event, error) {
	if ref == "" {
		return gateway.Event{}, fmt.Errorf("paypal: status: no order reference")
	}
	cl, err := p.newCall(ctx, acct)
	if err != nil {
		return gateway.Event{}, err
	}
	o, _, err := cl.resolve(ref)
	if err != nil {
		return gateway.Event{}, err
	}
	declined := false
	if o.Status == orderApproved {
		if o, declined, err = cl.captureOrder(o.ID); err != nil {
			return gateway.Event{}, err
		}
	}
	e, err := orderEvent(o, declined)
	if err != nil {
		return gateway.Event{}, err
	}
	e.Type = orderType(o, declined)
	return e, nil
}
