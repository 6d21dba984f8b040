package order

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/db"
	"github.com/bursar/bursar/internal/events"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/money"
	"github.com/bursar/bursar/internal/offer"
	"github.com/bursar/bursar/internal/order/orderq"
)

// today is the school's current date (UTC).
func today() time.Time {
	y, m, d := time.Now().UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// earliestPaidOn bounds how far back a payment date may go.
var earliestPaidOn = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// latestZone is the offset of the time zone furthest ahead of UTC (UTC+14): its date is the latest "today" anyone
// can have.
const latestZone = 14 * time.Hour

// checkPaidOn names a payment date in the future or absurdly far back.
func checkPaidOn(e check.Errors, t time.Time) { checkPaidOnAt(e, t, time.Now()) }

// checkPaidOnAt is checkPaidOn at the instant now. A date is in the future only when it is after today everywhere:
// a payer (or a school's server) ahead of UTC may already be in tomorrow's UTC date, and the checkout form, which
// allows for that, must not have the payment it accepted refused here.
func checkPaidOnAt(e check.Errors, t, now time.Time) {
	switch {
	case t.After(dateOf(now.UTC().Add(latestZone))):
		e.Add("paid_on", "must not be in the future")
	case t.Before(earliestPaidOn):
		e.Add("paid_on", "must be 2000-01-01 or later")
	}
}

// dateOf is t's calendar date in UTC.
func dateOf(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// validate checks what can be checked without the database.
func (n *NewManual) validate() check.Errors {
	e := check.Errors{}
	if n.OfferID <= 0 {
		e.Add("offer_id", "is required")
	}
	if n.ContactID <= 0 {
		e.Add("contact_id", "is required")
	}
	if n.PaymentSystemID < 0 {
		e.Add("payment_system_id", "no payment system has this id")
	}
	switch n.Channel {
	case ChannelCheckout, ChannelAdmin, ChannelAPI, ChannelLink:
	default:
		e.Add("channel", "must be checkout, admin, api or link")
	}
	if n.PaidOn.IsZero() {
		n.PaidOn = today()
	}
	n.PaidOn = dateOf(n.PaidOn)
	checkPaidOn(e, n.PaidOn)
	e.Text("comment", n.Comment, false, MaxComment)
	return e
}

// CreateManual opens an order paid through a manual payment system, with its pending payment, the deadline job,
// the "received" e-mail and both timelines, in one transaction. A contact's second attempt at the same offer while
// an order is open returns that open order instead of a second one.
//
// The offer must be published when the payer orders at checkout; a manager (admin or API) may record a payment for
// an offer in any status, since money taken for a draft or archived offer still has to be booked. The payment
// system must be manual, enabled and listed by the offer; when PaymentSystemID is 0 the offer's only enabled manual
// system is used.
func (s *Service) CreateManual(ctx context.Context, n NewManual) (Order, error) {
	o, _, err := s.OpenManual(ctx, n)
	return o, err
}

// OpenManual is CreateManual that also reports whether the order was created now (false: the contact's open order
// for the offer was returned).
func (s *Service) OpenManual(ctx context.Context, n NewManual) (Order, bool, error) {
	e := n.validate()
	of, sys, err := s.manualTarget(ctx, &n, e)
	if err != nil {
		return Order{}, false, err
	}
	var (
		out     Order
		created bool
	)
	err = pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		if existing, ok, err := openOrder(ctx, tx, n.ContactID, n.OfferID); err != nil || ok {
			out = existing
			return claimed(ctx, tx, n.Claim, existing, err)
		}
		to, err := s.contactEmailTx(ctx, tx, n.ContactID)
		if err != nil {
			return err
		}
		price, err := s.priceTx(ctx, tx, of.Price(), sys)
		if err != nil {
			return err
		}
		deadline := time.Now().UTC().AddDate(0, 0, confirmDays(of))
		r, err := orderq.New(tx).OrderInsertOpen(ctx, orderq.OrderInsertOpenParams{OfferID: of.ID,
			OfferTitle: of.Title, ContactID: contactRef(n.ContactID), PaymentSystemID: sys.ID, Amount: price.Amount,
			Currency: price.Currency, ListAmount: of.Amount, ListCurrency: of.Currency, Language: of.Language,
			Channel: n.Channel, DeadlineAt: &deadline})
		if errors.Is(err, pgx.ErrNoRows) {
			// A concurrent request opened it first and has committed (the unique index waited for it).
			existing, _, err := openOrder(ctx, tx, n.ContactID, n.OfferID)
			out = existing
			return claimed(ctx, tx, n.Claim, existing, err)
		}
		if err != nil {
			return fmt.Errorf("insert order: %w", err)
		}
		out, created = fromRow(r), true
		return claimed(ctx, tx, n.Claim, out, s.openedTx(ctx, tx, &out, n, sys, to))
	})
	if err != nil {
		return Order{}, false, err
	}
	return out, created, nil
}

// claimed runs claim (when there is one) on o once opening it succeeded (err nil).
func claimed(ctx context.Context, tx pgx.Tx, claim Claim, o Order, err error) error {
	if err != nil || claim == nil {
		return err
	}
	return claim(ctx, tx, o)
}

// contactEmailTx returns the e-mail of contact id ("" for none: a visitor's order), a field error on contact_id
// when there is no such contact.
func (s *Service) contactEmailTx(ctx context.Context, tx db.DBTX, id int64) (string, error) {
	if id <= 0 {
		return "", nil
	}
	to, err := s.deps.Timeline.EmailTx(ctx, tx, id)
	if errors.Is(err, check.ErrNotFound) {
		return "", check.Field("contact_id", "no contact has this id")
	}
	return to, err
}

func confirmDays(of offer.Offer) int {
	if of.ManualConfirmDays > 0 {
		return of.ManualConfirmDays
	}
	return offer.DefaultManualConfirmDays
}

// openOrder returns the contact's open order for offerID; ok is false when there is none.
func openOrder(ctx context.Context, tx db.DBTX, contactID, offerID int64) (Order, bool, error) {
	r, err := orderq.New(tx).OrderOpenFor(ctx, orderq.OrderOpenForParams{ContactID: &contactID, OfferID: offerID})
	if errors.Is(err, pgx.ErrNoRows) {
		return Order{}, false, nil
	}
	if err != nil {
		return Order{}, false, fmt.Errorf("find open order: %w", err)
	}
	o := fromRow(r)
	return o, true, attachPayments(ctx, tx, []*Order{&o})
}

// manualTarget loads and checks the offer and payment system of n, adding to e; it returns e when anything is
// wrong.
func (s *Service) manualTarget(ctx context.Context, n *NewManual, e check.Errors) (offer.Offer, gateway.System, error) {
	var (
		of  offer.Offer
		sys gateway.System
	)
	if _, bad := e["offer_id"]; !bad {
		var err error
		of, err = s.deps.Offers.Offer(ctx, n.OfferID)
		switch {
		case errors.Is(err, check.ErrNotFound):
			e.Add("offer_id", "no offer has this id")
		case err != nil:
			return of, sys, err
		case offer.Enrolled(of.Kind):
			e.Add("offer_id", offer.EnrolledMessage)
		case offer.Subscribed(of.Kind):
			e.Add("offer_id", offer.SubscribedMessage)
		case !offer.Sold(of.Kind):
			e.Add("offer_id", offer.NotSoldMessage)
		case sellsPublished(n.Channel) && of.Status != offer.StatusPublished:
			e.Add("offer_id", "is not on sale")
		case n.Channel == ChannelCheckout && of.Unlisted:
			e.Add("offer_id", "is sold only by payment link")
		}
	}
	if _, bad := e["offer_id"]; bad {
		return of, sys, e
	}
	sys, err := s.manualSystem(ctx, of, n.PaymentSystemID, e)
	if err != nil {
		return of, sys, err
	}
	n.PaymentSystemID = sys.ID
	return of, sys, e.Err()
}

// manualSystem picks and checks the payment system: id, or the offer's only enabled manual system when id is 0.
func (s *Service) manualSystem(ctx context.Context, of offer.Offer, id int64, e check.Errors) (gateway.System, error) {
	if id == 0 {
		var found []gateway.System
		for _, sid := range of.PaymentSystemIDs {
			sys, err := s.deps.Systems.Get(ctx, sid)
			if errors.Is(err, check.ErrNotFound) {
				continue
			}
			if err != nil {
				return sys, err
			}
			if sys.Type == gateway.TypeManual && sys.Enabled {
				found = append(found, sys)
			}
		}
		switch len(found) {
		case 0:
			e.Add("payment_system_id", "this offer has no enabled manual payment system")
			return gateway.System{}, nil
		case 1:
			return found[0], nil
		}
		e.Add("payment_system_id", "this offer has several manual payment systems: choose one")
		return gateway.System{}, nil
	}
	sys, err := s.deps.Systems.Get(ctx, id)
	switch {
	case errors.Is(err, check.ErrNotFound):
		e.Add("payment_system_id", "no payment system has this id")
	case err != nil:
		return sys, err
	case sys.Type != gateway.TypeManual:
		e.Add("payment_system_id", "is not a manual payment system")
	case !sys.Enabled:
		e.Add("payment_system_id", "is disabled")
	case !slices.Contains(of.PaymentSystemIDs, id):
		e.Add("payment_system_id", "is not one of this offer's payment systems")
	}
	return sys, nil
}

// openedTx writes what follows a new order: the pending payment, the deadline job, timelines, e-mail and audit.
func (s *Service) openedTx(ctx context.Context, tx pgx.Tx, o *Order, n NewManual, sys gateway.System, to string) error {
	fee, net := s.feeTx(ctx, tx, o.Price, sys)
	p, err := orderq.New(tx).PaymentInsert(ctx, orderq.PaymentInsertParams{OrderID: o.ID, PaymentSystemID: sys.ID, Mode: sys.Mode,
		Status: PaymentPending, Amount: o.Price.Amount, Currency: o.Price.Currency, Fee: fee, Net: net,
		PaidOn: n.PaidOn, Comment: n.Comment, PayerEmail: to})
	if err != nil {
		return fmt.Errorf("insert payment: %w", err)
	}
	o.Payments = []Payment{paymentFromRow(p)}
	if _, err := s.deps.Jobs.InsertTx(ctx, tx, DeadlineArgs{OrderID: o.ID},
		&river.InsertOpts{ScheduledAt: *o.DeadlineAt}); err != nil {
		return fmt.Errorf("schedule deadline of order %s: %w", o.Number, err)
	}
	msg := fmt.Sprintf("Order %s opened for %s (%s) through %s; paid on %s", o.Number, o.OfferTitle, o.Price,
		sys.Name, n.PaidOn.Format(time.DateOnly))
	if err := s.eventsTx(ctx, tx, *o, EventCreated, msg); err != nil {
		return err
	}
	if err := s.mailTx(ctx, tx, EmailReceived, *o, to, ""); err != nil {
		return err
	}
	if err := s.audit.RecordTx(ctx, tx, "order.create", "order", o.ID, map[string]any{"number": o.Number,
		"offer_id": o.OfferID, "contact_id": o.ContactID, "payment_system_id": sys.ID, "amount": o.Price.Amount,
		"currency": o.Price.Currency, "channel": n.Channel}); err != nil {
		return err
	}
	return s.deps.Events.EmitTx(ctx, tx, events.Event{Type: events.OrderCreated, ID: o.ID})
}

// eventsTx writes msg to the order's own timeline and the contact's.
func (s *Service) eventsTx(ctx context.Context, tx pgx.Tx, o Order, kind, msg string) error {
	return s.linesTx(ctx, tx, o, orderLines{kind: kind, msg: msg})
}

// orderLines is what linesTx writes: msg of kind on the order's and the contact's timelines; line, when not "", on
// the order's own after it (a gateway notification's line, EventGateway); grants, the order's order_grants rows.
type orderLines struct {
	kind, msg, line string
	grants          []orderGrant
	// email: read the contact's e-mail with their line (crm's AddEventEmailTx) into *email.
	email *string
}

// linesTx writes l: the order's own lines and grants in one statement, then the contact's line.
func (s *Service) linesTx(ctx context.Context, tx pgx.Tx, o Order, l orderLines) error {
	q, actor := orderq.New(tx), audit.ActorFrom(ctx).Label
	var err error
	if l.line == "" && len(l.grants) == 0 {
		err = q.OrderEventAdd(ctx, orderq.OrderEventAddParams{OrderID: o.ID, Kind: l.kind, Message: l.msg, Actor: actor})
	} else {
		p := orderq.OrderEventsAddParams{OrderID: o.ID, Kinds: []string{l.kind}, Messages: []string{l.msg},
			Actor: actor, GrantIds: []int64{}, ProductIds: []int64{}, Created: []bool{}}
		if l.line != "" {
			p.Kinds, p.Messages = append(p.Kinds, EventGateway), append(p.Messages, l.line)
		}
		for _, g := range l.grants {
			p.GrantIds, p.ProductIds, p.Created = append(p.GrantIds, g.id), append(p.ProductIds, g.product),
				append(p.Created, g.created)
		}
		err = q.OrderEventsAdd(ctx, p)
	}
	if err != nil {
		return fmt.Errorf("order event: %w", err)
	}
	if o.ContactID == 0 {
		return nil // a visitor's order not paid yet: no contact to tell
	}
	if l.email != nil {
		*l.email, err = s.deps.Timeline.AddEventEmailTx(ctx, tx, o.ContactID, l.kind, l.msg)
	} else {
		err = s.deps.Timeline.AddEventTx(ctx, tx, o.ContactID, l.kind, l.msg)
	}
	if err != nil {
		return fmt.Errorf("contact timeline: %w", err)
	}
	return nil
}

// mailTx queues an order e-mail to to; with no address to send to, nothing is sent.
func (s *Service) mailTx(ctx context.Context, tx pgx.Tx, kind EmailKind, o Order, to, comment string) error {
	if to == "" {
		return nil
	}
	if err := s.deps.Mailer.OrderEmailTx(ctx, tx, Email{Kind: kind, Order: o, To: to, Comment: comment}); err != nil {
		return fmt.Errorf("order e-mail %s: %w", kind, err)
	}
	return nil
}

// Get returns order id with its payments.
func (s *Service) Get(ctx context.Context, id int64) (Order, error) { return getOrder(ctx, s.db, id) }

// ByNumber returns the order numbered number (e.g. "B-000123") with its payments.
func (s *Service) ByNumber(ctx context.Context, number string) (Order, error) {
	r, err := orderq.New(s.db).OrderByNumber(ctx, number)
	if errors.Is(err, pgx.ErrNoRows) {
		return Order{}, NotFoundError(number)
	}
	if err != nil {
		return Order{}, fmt.Errorf("read order %s: %w", number, err)
	}
	o := fromRow(r)
	return o, attachPayments(ctx, s.db, []*Order{&o})
}

// Detail returns order id with its payments, refunds, timeline and grants.
func (s *Service) Detail(ctx context.Context, id int64) (Detail, error) {
	return s.DetailTx(ctx, s.db, id)
}

// DetailTx is Detail inside tx (an event's object rendered in the emitting transaction).
func (s *Service) DetailTx(ctx context.Context, tx db.DBTX, id int64) (Detail, error) {
	o, err := getOrder(ctx, tx, id)
	if err != nil {
		return Detail{}, err
	}
	d := Detail{Order: o, Refunds: []Refund{}, Events: []Event{}, Grants: []Grant{}}
	q := orderq.New(tx)
	refunds, err := q.RefundsForOrder(ctx, id)
	if err != nil {
		return d, fmt.Errorf("read refunds: %w", err)
	}
	for _, r := range refunds {
		d.Refunds = append(d.Refunds, Refund{ID: r.ID, PaymentID: r.PaymentID, Amount: money.New(r.Amount, r.Currency),
			Comment: r.Comment, Actor: r.Actor, CreatedAt: r.CreatedAt})
	}
	events, err := q.OrderEvents(ctx, id)
	if err != nil {
		return d, fmt.Errorf("read order events: %w", err)
	}
	for _, e := range events {
		d.Events = append(d.Events, Event{ID: e.ID, Kind: e.Kind, Message: e.Message, Actor: e.Actor, CreatedAt: e.CreatedAt})
	}
	grants, err := q.OrderGrants(ctx, id)
	if err != nil {
		return d, fmt.Errorf("read order grants: %w", err)
	}
	for _, g := range grants {
		d.Grants = append(d.Grants, Grant{GrantID: g.GrantID, ProductID: g.ProductID, Created: g.Created})
	}
	return d, nil
}

// ForContact lists a contact's orders, newest first (at most MaxList).
func (s *Service) ForContact(ctx context.Context, contactID int64) ([]Order, error) {
	rows, err := orderq.New(s.db).OrdersForContact(ctx, orderq.OrdersForContactParams{ContactID: &contactID, Lim: MaxList})
	if err != nil {
		return nil, fmt.Errorf("orders of contact %d: %w", contactID, err)
	}
	out := make([]Order, len(rows))
	ptrs := make([]*Order, len(rows))
	for i, r := range rows {
		out[i] = fromRow(r)
		ptrs[i] = &out[i]
	}
	return out, attachPayments(ctx, s.db, ptrs)
}

// List returns one page of orders, newest first.
func (s *Service) List(ctx context.Context, f Filter) (Page, error) {
	if f.Status != "" && !slices.Contains(Statuses, f.Status) {
		return Page{}, check.Field("status", "must be one of open, completed, rejected, expired, cancelled, refunded")
	}
	return listOrders(ctx, s.db, f)
}

// Payments returns one page of payments, newest first.
func (s *Service) Payments(ctx context.Context, f PaymentFilter) (PaymentPage, error) {
	if f.Status != "" && !slices.Contains(PaymentStatuses, f.Status) {
		return PaymentPage{}, check.Field("status", "is not a payment status")
	}
	return listPayments(ctx, s.db, f)
}

// Counts are the dashboard's order figures.
type Counts struct {
	Open          int64 // orders waiting for a payment or a manager's decision
	CompletedWeek int64 // orders completed in the last 7 days
}

// Counts returns the dashboard's order figures.
func (s *Service) Counts(ctx context.Context) (Counts, error) {
	r, err := orderq.New(s.db).OrderCounts(ctx)
	if err != nil {
		return Counts{}, fmt.Errorf("order counts: %w", err)
	}
	return Counts{Open: r.Open, CompletedWeek: r.CompletedWeek}, nil
}
