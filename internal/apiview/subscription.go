package apiview

import (
	"time"

	"github.com/bursar/bursar/internal/money"
	"github.com/bursar/bursar/internal/subscription"
)

// Money is an amount in minor units of an ISO 4217 currency.
type Money struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

// MoneyOf is m in the API.
func MoneyOf(m money.Money) Money { return Money{Amount: m.Amount, Currency: m.Currency} }

// Subscription is a subscription in the API (GET /subscriptions, the object of the subscription.* events): one
// contact's subscription to one recurring offer, charged each period by the payment system's gateway on its own
// schedule (Stripe, PayPal: schedule "gateway") or by Bursar through a card the gateway saved (WayForPay, Fondy:
// schedule "bursar").
type Subscription struct {
	ID              int64  `json:"id"`
	Number          string `json:"number"`
	Status          string `json:"status"` // pending, trialing, active, past_due, paused, cancelled, ended
	ContactID       int64  `json:"contact_id"`
	OfferID         int64  `json:"offer_id"`
	OfferTitle      string `json:"offer_title"`
	PaymentSystemID int64  `json:"payment_system_id"`
	Price           Money  `json:"price"`    // one period's
	Schedule        string `json:"schedule"` // ScheduleGateway or ScheduleBursar
	// The schedule: every interval_count intervals (day, week, month or year), after trial_days free days, at most
	// max_charges charges (0: until cancelled); access outlasts a failed charge by grace_days.
	Interval      string `json:"interval"`
	IntervalCount int    `json:"interval_count"`
	TrialDays     int    `json:"trial_days"`
	MaxCharges    int    `json:"max_charges"`
	GraceDays     int    `json:"grace_days"`
	Charges       int    `json:"charge_count"` // charges recorded
	Language      string `json:"language"`
	GatewayRef    string `json:"gateway_ref"`  // the gateway's subscription (sub_…, I-…)
	CustomerRef   string `json:"customer_ref"` // the gateway's customer (cus_…)
	// The period the gateway is in; next_charge is when it charges next (null when it will not: paused,
	// cancelling, ended, or every charge made); paid_through is the latest paid period's end and access_until the
	// end of the access it paid for (plus the grace while live).
	CurrentPeriodStart *time.Time `json:"current_period_start"`
	CurrentPeriodEnd   *time.Time `json:"current_period_end"`
	TrialEnd           *time.Time `json:"trial_end"`
	NextCharge         *time.Time `json:"next_charge"`
	PaidThrough        *time.Time `json:"paid_through"`
	AccessUntil        *time.Time `json:"access_until"`
	CancelAtPeriodEnd  bool       `json:"cancel_at_period_end"`
	CancelledAt        *time.Time `json:"cancelled_at"`
	EndedAt            *time.Time `json:"ended_at"`
	UpdateURL          string     `json:"update_url"` // where the payer fixes a failed charge (past due)
	// For schedule "bursar": when Bursar's charge job looks at it next (the period's end, a retry of a failed
	// charge, the end of one cancelling; null when nothing is due) and the failed charges since the last paid one.
	// Always null and 0 for schedule "gateway".
	NextChargeAt *time.Time `json:"next_charge_at"`
	Retries      int        `json:"retries"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
}

// SubscriptionCharge is one charge the gateway made for a subscription; a paid one completed an order (its payment
// holds the fee and net).
type SubscriptionCharge struct {
	ID          int64      `json:"id"`
	Status      string     `json:"status"` // paid or failed
	Amount      Money      `json:"amount"`
	OrderID     *int64     `json:"order_id"` // null for a failed charge
	GatewayRef  string     `json:"gateway_ref"`
	PeriodStart *time.Time `json:"period_start"`
	PeriodEnd   *time.Time `json:"period_end"`
	ChargedAt   time.Time  `json:"charged_at"`
}

// SubscriptionDetail is a subscription with its charges (newest first) and timeline (GET /subscriptions/{id} and
// the actions' answers).
type SubscriptionDetail struct {
	Subscription
	ChargeList []SubscriptionCharge `json:"charges"`
	Timeline   []Line               `json:"timeline"`
}

// The schedules of a subscription: who charges it each period.
const (
	ScheduleGateway = "gateway" // the gateway charges on its own schedule (Stripe, PayPal)
	ScheduleBursar  = "bursar"  // Bursar charges the card the gateway saved (WayForPay, Fondy)
)

// SubscriptionOf is sub in the API; own says whether Bursar charges it on its own schedule
// (subscription.OwnSchedule of its payment system).
func SubscriptionOf(sub subscription.Subscription, own bool) Subscription {
	next, retry := sub.Upcoming(own)
	if next == nil {
		next = retry
	}
	schedule := ScheduleGateway
	if own {
		schedule = ScheduleBursar
	}
	return Subscription{Schedule: schedule, NextChargeAt: UTCPtr(sub.NextChargeAt), Retries: sub.Retries, ID: sub.ID, Number: sub.Number, Status: string(sub.Status), ContactID: sub.ContactID,
		OfferID: sub.OfferID, OfferTitle: sub.OfferTitle, PaymentSystemID: sub.PaymentSystemID,
		Price: MoneyOf(sub.Price), Interval: sub.Interval, IntervalCount: sub.IntervalCount, TrialDays: sub.TrialDays,
		MaxCharges: sub.MaxCharges, GraceDays: sub.GraceDays, Charges: sub.Charges, Language: sub.Language,
		GatewayRef: sub.GatewayRef, CustomerRef: sub.CustomerRef, CurrentPeriodStart: UTCPtr(sub.CurrentPeriodStart),
		CurrentPeriodEnd: UTCPtr(sub.CurrentPeriodEnd), TrialEnd: UTCPtr(sub.TrialEnd),
		NextCharge: UTCPtr(next), PaidThrough: UTCPtr(sub.PaidThrough),
		AccessUntil: UTCPtr(sub.AccessUntil()), CancelAtPeriodEnd: sub.CancelAtPeriodEnd,
		CancelledAt: UTCPtr(sub.CancelledAt), EndedAt: UTCPtr(sub.EndedAt), UpdateURL: sub.UpdateURL,
		CreatedAt: sub.CreatedAt.UTC(), UpdatedAt: sub.UpdatedAt.UTC()}
}

// SubscriptionChargeOf is c in the API.
func SubscriptionChargeOf(c subscription.Charge) SubscriptionCharge {
	return SubscriptionCharge{ID: c.ID, Status: c.Status, Amount: MoneyOf(c.Amount), OrderID: Positive(c.OrderID),
		GatewayRef: c.Ref, PeriodStart: UTCPtr(c.PeriodStart), PeriodEnd: UTCPtr(c.PeriodEnd),
		ChargedAt: c.ChargedAt.UTC()}
}

// SubscriptionDetailOf is d in the API; own as SubscriptionOf's.
func SubscriptionDetailOf(d subscription.Detail, own bool) SubscriptionDetail {
	out := SubscriptionDetail{Subscription: SubscriptionOf(d.Subscription, own),
		ChargeList: make([]SubscriptionCharge, 0, len(d.ChargeList)), Timeline: make([]Line, 0, len(d.Events))}
	for _, c := range d.ChargeList {
		out.ChargeList = append(out.ChargeList, SubscriptionChargeOf(c))
	}
	for _, e := range d.Events {
		out.Timeline = append(out.Timeline, line(e.Kind, e.Message, "", e.CreatedAt))
	}
	return out
}
