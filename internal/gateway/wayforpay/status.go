package wayforpay

import (
	"context"
	"fmt"

	"github.com/bursar/bursar/internal/gateway"
)

// Status asks CHECK_STATUS about the payment ref (its orderReference), signed with HMAC-MD5 of
// "merchantAccount;orderReference", and reports it as Verify would its notification, with an empty ID and no
// Reply. An answer carrying a merchantSignature must be signed like a notification (else gateway.ErrSignature);
// an answer without a transactionStatus (an unknown order, a refused request) is an error with WayForPay's reason.
// A subscription charge's reference is reported as Verify reports its notification, At the provider's clock.
func (p *Provider) Status(ctx context.Context, acct gateway.Account, ref string) (gateway.Event, error) {
	if ref == "" {
		return gateway.Event{}, fmt.Errorf("wayforpay: status: no orderReference")
	}
	m, err := merchantOf(acct)
	if err != nil {
		return gateway.Event{}, err
	}
	req := checkStatusRequest{TransactionType: "CHECK_STATUS", MerchantAccount: m.account, OrderReference: ref,
		MerchantSignature: sign(m.secret, m.account, ref), APIVersion: apiVersion}
	o, err := p.call(ctx, acct, "status "+ref, req)
	if err != nil {
		return gateway.Event{}, err
	}
	if status, _ := o.text("transactionStatus"); status == "" {
		return gateway.Event{}, refused("status "+ref, o)
	}
	if sig, _ := o.text("merchantSignature"); sig != "" {
		if err := authentic(o, m.secret, m.account); err != nil {
			return gateway.Event{}, fmt.Errorf("wayforpay: status %s answer: %w", ref, err)
		}
	}
	if got, _ := o.text("orderReference"); got != ref {
		return gateway.Event{}, fmt.Errorf("wayforpay: status %s: the answer is about %q", ref, truncate(got, 100))
	}
	ev, err := eventOf(o, p.now())
	if err != nil {
		return gateway.Event{}, err
	}
	ev.ID = ""
	return ev, nil
}
