package paylink

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/events"
	"github.com/bursar/bursar/internal/paylink/paylinkq"
)

// closing is one way a link closes: to which status, the timeline kind, the audit action and e-mail.
type closing struct {
	to      Status
	event   string
	action  string
	reason  string    // the payer's reason (declined) or the operator's comment
	dueOnly bool      // expire: only once the link's expiry has passed
	mail    EmailKind // "" for none
}

// Cancel closes active link id at once, by the operator in ctx: the page stops offering payment, the open order its
// payment started is cancelled, and a payment that still arrives for that order becomes a payment exception. A link
// paid (or closed) meanwhile is the ErrNotActive conflict saying what it became; nothing changes then.
func (s *Service) Cancel(ctx context.Context, id int64, comment string) (Link, error) {
	return s.close(ctx, id, closing{to: StatusCancelled, event: EventCancelled, action: "payment_link.cancel",
		reason: truncate(comment, MaxReason)})
}

// Decline closes the active link tok names, by its payer, with an optional reason: like Cancel, and the operator
// who made it is e-mailed. A wrong token is check.ErrNotFound.
func (s *Service) Decline(ctx context.Context, tok, reason string) (Link, error) {
	l, err := s.ByToken(ctx, tok)
	if err != nil {
		return Link{}, err
	}
	ctx = audit.WithActor(ctx, payerActor(l))
	return s.close(ctx, l.ID, closing{to: StatusDeclined, event: EventDeclined, action: "payment_link.decline",
		reason: truncate(reason, MaxReason), mail: EmailDeclined})
}

// payerActor is who acts through the link's page: its payer, named by the link (never a signed-in account).
func payerActor(l Link) audit.Actor {
	return audit.Actor{Type: audit.ActorSystem, Label: fmt.Sprintf("link:%d payer", l.ID)}
}

// Expire closes active link id when its expiry has passed (by the clock), as the system; it reports whether it did.
// A link not yet due, or no longer active, is left as it is; so is one whose order has money on its way (a bank
// transfer the payer reported and a manager has yet to confirm, a payment the gateway is processing): past its expiry
// it can no longer be paid, and that order's outcome decides it (paid, or expired by a later sweep).
func (s *Service) Expire(ctx context.Context, id int64) (bool, error) {
	ctx = audit.WithActor(ctx, audit.Actor{Type: audit.ActorSystem, Label: "system"})
	_, err := s.close(ctx, id, closing{to: StatusExpired, event: EventExpired, action: "payment_link.expire",
		reason: "expired", dueOnly: true})
	if errors.Is(err, ErrNotActive) || errors.Is(err, errAwaited) {
		return false, nil
	}
	return err == nil, err
}

// errAwaited stops an expiry while the link's order has money on its way.
var errAwaited = errors.New("paylink: the link's order has a payment on its way")

// ExpireDue expires every active link past its expiry (the sweep, behind each link's own job); it returns how many.
func (s *Service) ExpireDue(ctx context.Context) (int, error) {
	n := 0
	after := paylinkq.LinksDueParams{Now: s.rec.clock(), Lim: 100}
	for {
		due, err := paylinkq.New(s.db).LinksDue(ctx, after)
		if err != nil {
			return n, fmt.Errorf("links due: %w", err)
		}
		for _, d := range due {
			ok, err := s.Expire(ctx, d.ID)
			if err != nil {
				return n, err
			}
			if ok {
				n++
			}
			after.AfterAt, after.AfterID = d.ExpiresAt, d.ID // a link left waiting is passed over, not read again
		}
		if len(due) < int(after.Lim) {
			return n, nil
		}
	}
}

// closeRetries bounds how often close starts again when a payment of the link opened a new order between reading
// the link and locking that order.
const closeRetries = 5

// close moves active link id to c.to in one transaction: it locks the link's order first (if it has one; the
// order a paid notification locks first too), then closes the link only if it is still active with that same
// order, cancels that order if still open, and writes the timelines, audit and e-mail.
func (s *Service) close(ctx context.Context, id int64, c closing) (Link, error) {
	for range closeRetries {
		var (
			out   Link
			again bool
		)
		err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
			var err error
			out, again, err = s.closeTx(ctx, tx, id, c)
			return err
		})
		if err != nil || !again {
			return out, err
		}
	}
	return Link{}, fmt.Errorf("close payment link %d: its order kept changing", id)
}

// closeTx is one attempt of close in tx; again says that a payment opened another order meanwhile (nothing was
// changed: start again, locking that order).
func (s *Service) closeTx(ctx context.Context, tx pgx.Tx, id int64, c closing) (out Link, again bool, err error) {
	l, err := s.get(ctx, tx, id)
	if err != nil {
		return Link{}, false, err
	}
	now := s.rec.clock()
	if l.Status != StatusActive || (c.to != StatusExpired && l.Expired(now)) {
		return Link{}, false, notActive(l, now)
	}
	var orderID *int64
	if l.OrderID != 0 {
		orderID = &l.OrderID
		o, err := s.deps.Orders.LockTx(ctx, tx, l.OrderID)
		if err != nil {
			return Link{}, false, err
		}
		if c.dueOnly && o.Awaited() {
			return Link{}, false, errAwaited // its payment decides: paid, or expired by the sweep once it is not
		}
	}
	row, err := paylinkq.New(tx).LinkClose(ctx, paylinkq.LinkCloseParams{ID: id, Status: string(c.to),
		DeclineReason: reasonIf(c), Now: now, DecidedBy: audit.ActorFrom(ctx).Label, OrderID: orderID,
		DueOnly: c.dueOnly})
	if errors.Is(err, pgx.ErrNoRows) {
		cur, err := s.get(ctx, tx, id)
		if err != nil {
			return Link{}, false, err
		}
		if cur.Status == StatusActive && cur.OrderID != l.OrderID {
			return Link{}, true, nil // a payment opened another order meanwhile: lock that one instead
		}
		return Link{}, false, notActive(cur, now)
	}
	if err != nil {
		return Link{}, false, fmt.Errorf("close payment link %d: %w", id, err)
	}
	out = s.rec.link(row)
	return out, false, s.closedTx(ctx, tx, out, c)
}

func reasonIf(c closing) string {
	if c.to == StatusDeclined {
		return c.reason
	}
	return ""
}

// closedTx writes what follows a link's closing: its open order cancelled, the timelines, audit and e-mail.
func (s *Service) closedTx(ctx context.Context, tx pgx.Tx, l Link, c closing) error {
	msg := fmt.Sprintf("%s %s", capital(describe(l)), c.to)
	if c.reason != "" && c.to != StatusExpired {
		msg += ": " + c.reason
	}
	details := map[string]any{"reason": c.reason}
	if l.OrderID != 0 {
		cancelled, err := s.deps.Orders.CancelOpenTx(ctx, tx, l.OrderID, fmt.Sprintf("payment link %d %s", l.ID, c.to))
		if err != nil {
			return err
		}
		if cancelled {
			msg += "; its open order was cancelled"
			details["order_cancelled"] = l.OrderID
		}
	}
	if _, err := s.rec.eventTx(ctx, tx, l, c.event, msg, c.action, details); err != nil {
		return err
	}
	if c.mail != "" {
		if err := s.rec.operatorMailTx(ctx, tx, l, c.mail); err != nil {
			return err
		}
	}
	if c.to != StatusDeclined {
		return nil
	}
	return s.rec.events.EmitTx(ctx, tx, events.Event{Type: events.PaymentLinkDeclined, ID: l.ID})
}

func capital(s string) string {
	if s == "" {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// truncate cuts s to at most n bytes at a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

// ErrClosing is CancelTx's conflict when a payment of the link opened another order while it was being cancelled:
// the caller's transaction should be rolled back and tried again.
var ErrClosing = check.Conflict("A payment of the link started meanwhile; try again.")

// CancelTx is Cancel inside the caller's transaction tx (billing cancels a receipt's link as it waives or cancels
// the receipt): it locks the link's order, then the link, as Cancel does, without Cancel's retries: a payment that
// opened another order meanwhile is ErrClosing (roll back and try again); a link no longer active is ErrNotActive.
func (s *Service) CancelTx(ctx context.Context, tx pgx.Tx, id int64, comment string) (Link, error) {
	l, again, err := s.closeTx(ctx, tx, id, closing{to: StatusCancelled, event: EventCancelled,
		action: "payment_link.cancel", reason: truncate(comment, MaxReason)})
	if err == nil && again {
		return Link{}, ErrClosing
	}
	return l, err
}
