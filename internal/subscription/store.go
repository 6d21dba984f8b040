package subscription

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/csvcell"
	"github.com/bursar/bursar/internal/db"
	"github.com/bursar/bursar/internal/money"
	"github.com/bursar/bursar/internal/subscription/subscriptionq"
)

func fromRow(r subscriptionq.Subscription) Subscription {
	return Subscription{ID: r.ID, Number: r.Number, ContactID: r.ContactID, OfferID: r.OfferID,
		OfferTitle: r.OfferTitle, PaymentSystemID: r.PaymentSystemID, Status: Status(r.Status),
		Price: money.New(r.Amount, r.Currency), Interval: r.Interval, IntervalCount: int(r.IntervalCount),
		TrialDays: int(r.TrialDays), MaxCharges: int(r.MaxCharges), GraceDays: int(r.GraceDays),
		Language: r.Language, GatewayRef: r.GatewayRef, CustomerRef: r.CustomerRef, CheckoutRef: r.CheckoutRef,
		CurrentPeriodStart: r.CurrentPeriodStart, CurrentPeriodEnd: r.CurrentPeriodEnd, TrialEnd: r.TrialEnd,
		PaidThrough: r.PaidThrough, CancelAtPeriodEnd: r.CancelAtPeriodEnd, CancelledAt: r.CancelledAt,
		EndedAt: r.EndedAt, Charges: int(r.Charges), UpdateURL: r.UpdateUrl, StateAt: r.StateAt,
		CardSaved: r.CardToken != "", NextChargeAt: r.NextChargeAt, Retries: int(r.Retries), cardToken: r.CardToken,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

func chargeFromRow(r subscriptionq.SubscriptionCharge) Charge {
	c := Charge{ID: r.ID, SubscriptionID: r.SubscriptionID, PaymentSystemID: r.PaymentSystemID, Ref: r.ChargeRef,
		Status: r.Status, Amount: money.New(r.Amount, r.Currency), PeriodStart: r.PeriodStart,
		PeriodEnd: r.PeriodEnd, ChargedAt: r.ChargedAt, CreatedAt: r.CreatedAt}
	if r.OrderID != nil {
		c.OrderID = *r.OrderID
	}
	return c
}

// saveTx writes sub's state (under its lock) and returns the row as stored.
func (s *Service) saveTx(ctx context.Context, tx db.DBTX, sub Subscription) (Subscription, error) {
	reschedule(&sub, s.now())
	r, err := subscriptionq.New(tx).SubscriptionSave(ctx, subscriptionq.SubscriptionSaveParams{ID: sub.ID,
		Status: string(sub.Status), Amount: sub.Price.Amount, Currency: sub.Price.Currency,
		GatewayRef: sub.GatewayRef, CustomerRef: sub.CustomerRef, CheckoutRef: sub.CheckoutRef,
		CurrentPeriodStart: sub.CurrentPeriodStart, CurrentPeriodEnd: sub.CurrentPeriodEnd, TrialEnd: sub.TrialEnd,
		PaidThrough: sub.PaidThrough, CancelAtPeriodEnd: sub.CancelAtPeriodEnd, CancelledAt: sub.CancelledAt,
		EndedAt: sub.EndedAt, Charges: int32(sub.Charges), UpdateUrl: sub.UpdateURL, StateAt: sub.StateAt,
		CardToken: sub.cardToken, NextChargeAt: sub.NextChargeAt, Retries: int32(sub.Retries), Now: s.now()})
	if err != nil {
		return sub, fmt.Errorf("save subscription %s: %w", sub.Number, err)
	}
	return fromRow(r), nil
}

// Get returns subscription id (check.ErrNotFound when none).
func (s *Service) Get(ctx context.Context, id int64) (Subscription, error) {
	return s.GetTx(ctx, s.db, id)
}

// GetTx is Get inside tx (an event's object rendered in the emitting transaction).
func (s *Service) GetTx(ctx context.Context, tx db.DBTX, id int64) (Subscription, error) {
	r, err := subscriptionq.New(tx).SubscriptionGet(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return Subscription{}, fmt.Errorf("subscription %d: %w", id, check.ErrNotFound)
	}
	if err != nil {
		return Subscription{}, fmt.Errorf("read subscription %d: %w", id, err)
	}
	return fromRow(r), nil
}

// Detail returns subscription id with its charges and timeline.
func (s *Service) Detail(ctx context.Context, id int64) (Detail, error) {
	sub, err := s.Get(ctx, id)
	if err != nil {
		return Detail{}, err
	}
	q := subscriptionq.New(s.db)
	cs, err := q.ChargesOf(ctx, id)
	if err != nil {
		return Detail{}, fmt.Errorf("charges of subscription %d: %w", id, err)
	}
	es, err := q.EventsOf(ctx, id)
	if err != nil {
		return Detail{}, fmt.Errorf("timeline of subscription %d: %w", id, err)
	}
	d := Detail{Subscription: sub, ChargeList: make([]Charge, 0, len(cs)), Events: make([]Event, 0, len(es))}
	for _, c := range cs {
		d.ChargeList = append(d.ChargeList, chargeFromRow(c))
	}
	for _, e := range es {
		d.Events = append(d.Events, Event{ID: e.ID, Kind: e.Kind, Message: e.Message, CreatedAt: e.CreatedAt})
	}
	return d, nil
}

func (f Filter) validate() error {
	e := check.Errors{}
	if f.Status != "" && !validStatus(f.Status) {
		e.Add("status", "must be one of pending, trialing, active, past_due, paused, cancelled, ended")
	}
	if f.Limit < 0 {
		e.Add("limit", "must not be negative")
	}
	e.Text("query", f.Query, false, 200)
	return e.Err()
}

func validStatus(st Status) bool {
	for _, v := range Statuses {
		if v == st {
			return true
		}
	}
	return false
}

// List returns one page of subscriptions under f, newest first.
func (s *Service) List(ctx context.Context, f Filter) (Page, error) {
	if err := f.validate(); err != nil {
		return Page{}, err
	}
	limit := f.Limit
	if limit == 0 || limit > MaxList {
		limit = MaxList
	}
	subs, err := s.list(ctx, f, limit+1)
	if err != nil {
		return Page{}, err
	}
	p := Page{Subscriptions: subs}
	if len(subs) > limit {
		p.Subscriptions = subs[:limit]
		p.NextAfter = subs[limit-1].ID
	}
	return p, nil
}

func (s *Service) list(ctx context.Context, f Filter, limit int) ([]Subscription, error) {
	rs, err := subscriptionq.New(s.db).SubscriptionList(ctx, subscriptionq.SubscriptionListParams{
		Status: string(f.Status), ContactID: f.ContactID, OfferID: f.OfferID, PaymentSystemID: f.PaymentSystemID,
		AfterID: f.AfterID, Query: strings.TrimSpace(f.Query), Max: int32(limit)})
	if err != nil {
		return nil, fmt.Errorf("list subscriptions: %w", err)
	}
	out := make([]Subscription, 0, len(rs))
	for _, r := range rs {
		out = append(out, fromRow(r.Subscription))
	}
	return out, nil
}

// ForContact returns the subscriptions contactID pays, newest first, with their charges (the cabinet). Pending
// ones (never confirmed by the gateway) are left out.
func (s *Service) ForContact(ctx context.Context, contactID int64) ([]Detail, error) {
	subs, err := s.list(ctx, Filter{ContactID: contactID}, MaxList)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, 0, len(subs))
	out := make([]Detail, 0, len(subs))
	for _, sub := range subs {
		if sub.Status == StatusPending {
			continue
		}
		ids = append(ids, sub.ID)
		out = append(out, Detail{Subscription: sub, ChargeList: []Charge{}, Events: []Event{}})
	}
	if len(ids) == 0 {
		return out, nil
	}
	cs, err := subscriptionq.New(s.db).ChargesOfMany(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("charges of contact %d's subscriptions: %w", contactID, err)
	}
	at := make(map[int64]int, len(out))
	for i, d := range out {
		at[d.ID] = i
	}
	for _, c := range cs {
		i := at[c.SubscriptionID]
		out[i].ChargeList = append(out[i].ChargeList, chargeFromRow(c))
	}
	return out, nil
}

// CSVHeader is WriteCSV's header row.
var CSVHeader = []string{"number", "status", "contact_email", "offer", "payment_system_id", "amount", "currency",
	"interval", "current_period_end", "paid_through", "cancel_at_period_end", "charges", "created_at"}

// WriteCSV writes every subscription under f (no paging) as CSV with a header row.
func (s *Service) WriteCSV(ctx context.Context, w io.Writer, f Filter) error {
	if err := f.validate(); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	f.Limit = MaxList
	for {
		subs, err := s.list(ctx, f, MaxList)
		if err != nil {
			return err
		}
		contacts, err := s.contactsOf(ctx, subs)
		if err != nil {
			return err
		}
		for _, sub := range subs {
			interval := sub.Interval
			if sub.IntervalCount > 1 {
				interval = fmt.Sprintf("%d %ss", sub.IntervalCount, sub.Interval)
			}
			// The e-mail and the title are typed by people: never a formula in a spreadsheet.
			if err := cw.Write([]string{sub.Number, string(sub.Status), csvcell.Text(contacts[sub.ContactID]),
				csvcell.Text(sub.OfferTitle),
				strconv.FormatInt(sub.PaymentSystemID, 10), sub.Price.Decimal(), sub.Price.Currency, interval,
				csvTime(sub.CurrentPeriodEnd), csvTime(sub.PaidThrough), strconv.FormatBool(sub.CancelAtPeriodEnd),
				strconv.Itoa(sub.Charges), sub.CreatedAt.UTC().Format(time.RFC3339)}); err != nil {
				return err
			}
		}
		if len(subs) < MaxList {
			break
		}
		f.AfterID = subs[len(subs)-1].ID
	}
	cw.Flush()
	return cw.Error()
}

// contactsOf maps the contacts of subs to their e-mails.
func (s *Service) contactsOf(ctx context.Context, subs []Subscription) (map[int64]string, error) {
	ids := make([]int64, 0, len(subs))
	for _, sub := range subs {
		ids = append(ids, sub.ContactID)
	}
	out := map[int64]string{}
	if len(ids) == 0 {
		return out, nil
	}
	cs, err := s.deps.Contacts.ContactsByID(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("contacts of subscriptions: %w", err)
	}
	for id, c := range cs {
		out[id] = c.Email
	}
	return out, nil
}

func csvTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
