package fondy

import (
	"context"
	"fmt"

	"github.com/bursar/bursar/internal/gateway"
)

// Status asks Fondy about the order ref (its order_id) and reports it like a callback (ID empty): approved is
// paid, reversed (or approved with a reversal_amount) refunded, and so on. When the answer carries a signature it
// must be the account's, else the error wraps gateway.ErrSignature; Type is "status:<order_status>". A
// subscription charge's order (savedcard.go) is reported as Verify reports its callback, dated by the provider's
// clock.
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
	e = asCharge(e, res, p.now())
	e.Type = "status:" + res["order_status"]
	return e, nil
}
