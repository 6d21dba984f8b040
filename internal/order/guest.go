package order

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/crm"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/order/orderq"
)

// Paying without signing in (F2): a visitor's order is opened without a contact (OpenGateway with Guest); the
// gateway's verified payment names the payer by e-mail, and paidTx makes that the order's contact — found or
// created — before completing the order, so access goes to the e-mail used at payment. The contact then gets a
// single-use sign-in link instead of the usual cabinet link. A gateway that reported no e-mail (Apple Pay, Google
// Pay through some gateways) leaves a placeholder contact holding the access and a no_email exception for a human.

// payerOf is the contact a visitor's payment named.
type payerOf struct {
	contact crm.Contact
	created bool
}

// payerTx finds or makes the contact of visitor's order o from the payment ev and makes it the order's contact.
func (s *Service) payerTx(ctx context.Context, tx pgx.Tx, o Order, sys gateway.System, ev gateway.Event) (payerOf, error) {
	var p payerOf
	if ev.PayerEmail != "" {
		c, created, err := s.deps.Payers.PayerTx(ctx, tx, ev.PayerEmail)
		if _, bad := check.AsErrors(err); bad {
			err = nil // not an e-mail address: treated as none
		}
		if err != nil {
			return payerOf{}, fmt.Errorf("payer of order %s: %w", o.Number, err)
		}
		p = payerOf{contact: c, created: created}
	}
	if p.contact.ID == 0 {
		sc, err := s.deps.School.GetTx(ctx, tx)
		if err != nil {
			return payerOf{}, fmt.Errorf("school settings: %w", err)
		}
		c, err := s.deps.Payers.PlaceholderTx(ctx, tx, sc.PlaceholderDomain, fmt.Sprintf(
			"Placeholder for the payer of order %s (%s): %s reported no e-mail. Find the payer in %s (payment %s) and "+
				"move the access to their contact.", o.Number, o.OfferTitle, sys.Name, sys.Name, ev.Ref))
		if err != nil {
			return payerOf{}, fmt.Errorf("placeholder payer of order %s: %w", o.Number, err)
		}
		p = payerOf{contact: c, created: true}
	}
	n, err := orderq.New(tx).OrderSetContact(ctx, orderq.OrderSetContactParams{ContactID: &p.contact.ID, ID: o.ID})
	if err != nil {
		return payerOf{}, fmt.Errorf("contact of order %s: %w", o.Number, err)
	}
	if n != 1 {
		return payerOf{}, check.Conflictf(nil, "Order %s has a contact already.", o.Number)
	}
	return p, nil
}

// welcomeTx e-mails the payer of visitor's order o (completed) the single-use sign-in link; a placeholder contact
// has no inbox and gets nothing.
func (s *Service) welcomeTx(ctx context.Context, tx pgx.Tx, o Order, p payerOf) error {
	if p.contact.Placeholder {
		return nil
	}
	link, err := s.deps.Welcome.WelcomeLinkTx(ctx, tx, p.contact.ID, o.OfferID)
	if err != nil {
		return fmt.Errorf("sign-in link for order %s: %w", o.Number, err)
	}
	if err := s.deps.Mailer.OrderEmailTx(ctx, tx, Email{Kind: EmailWelcome, Order: o, To: p.contact.Email,
		SignInURL: link}); err != nil {
		return fmt.Errorf("order e-mail %s: %w", EmailWelcome, err)
	}
	return nil
}
