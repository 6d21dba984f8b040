package paylink

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/events"
	"github.com/bursar/bursar/internal/order"
	"github.com/bursar/bursar/internal/paylink/paylinkq"
)

// Completions follows completed orders for internal/order (order.Deps.Completions): it is built before the order
// service (which the links' Service needs), from the same Config.
type Completions struct {
	rec recorder
}

var _ order.Completions = (*Completions)(nil)

// NewCompletions returns the links' side of the order completion workflow.
func NewCompletions(al *audit.Log, cfg Config, contacts Contacts, mailer Mailer) (*Completions, error) {
	if al == nil || contacts == nil || mailer == nil {
		return nil, fmt.Errorf("paylink: completions need an audit log, contacts and a mailer")
	}
	rec, err := newRecorder(al, cfg, contacts, mailer)
	if err != nil {
		return nil, err
	}
	return &Completions{rec: rec}, nil
}

// OrderCompletedTx runs inside the transaction completing o, which holds o's lock: the active link whose payment
// opened o becomes paid (its operator e-mailed), and the contact's other active links for o's offer become voided,
// paid another way. A link closed meanwhile had its order cancelled under the same lock, so o could not complete.
func (c *Completions) OrderCompletedTx(ctx context.Context, tx pgx.Tx, o order.Order) error {
	rows, err := paylinkq.New(tx).LinksSettle(ctx, paylinkq.LinksSettleParams{OrderID: o.ID, ContactID: o.ContactID,
		OfferID: o.OfferID, Now: c.rec.clock(), DecidedBy: audit.ActorFrom(ctx).Label})
	if err != nil {
		return fmt.Errorf("payment links of order %s: %w", o.Number, err)
	}
	evs := &events.Batch{}
	for _, row := range rows {
		l := c.rec.link(paylinkq.PaymentLink(row))
		if l.Status == StatusPaid {
			msg := fmt.Sprintf("Payment link %d paid: order %s (%s)", l.ID, o.Number, o.Price)
			if _, err := c.rec.eventTx(ctx, tx, l, EventPaid, msg, "payment_link.paid", map[string]any{
				"order_id": o.ID, "number": o.Number}); err != nil {
				return err
			}
			if err := c.rec.operatorMailTx(ctx, tx, l, EmailPaid); err != nil {
				return err
			}
			evs.Add(events.Event{Type: events.PaymentLinkPaid, ID: l.ID})
			continue
		}
		msg := fmt.Sprintf("Payment link %d voided: %s was paid another way (order %s)", l.ID, o.OfferTitle, o.Number)
		if _, err := c.rec.eventTx(ctx, tx, l, EventVoided, msg, "payment_link.void", map[string]any{
			"order_id": o.ID, "number": o.Number}); err != nil {
			return err
		}
	}
	return evs.EmitTx(ctx, c.rec.events, tx)
}
