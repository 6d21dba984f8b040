// Package subscription sells recurring offers as subscriptions the gateway charges each period (issue 15, PRODUCT.md
// F6): Stripe (Checkout in subscription mode, invoice.* and customer.subscription.* events) and PayPal (plans and
// subscriptions, BILLING.SUBSCRIPTION.* and PAYMENT.SALE.* events). The gateway owns the schedule; Bursar keeps:
//
//   - the subscription (migration 00033): contact, offer, payment system, gateway references, status, current
//     period, cancel at period end, paid_through;
//   - every charge as an order of the subscription's offer completed through the one completion workflow
//     (order.ChargeDesk.ChargeTx): a payment with its fee and net, the completed e-mail, the grants extended to the
//     paid period's end plus the offer's grace;
//   - its state as the gateway's notifications report it, the latest by the gateway's own time (state_at): deliveries
//     in any order and any number of times end in the same row.
//
// The use cases: Start (the checkout), ApplyTx (a notification, inside order.Ingest's transaction), Act (cancel now or
// at the period's end, undo, pause, resume, change plan: admin, API and the student's cabinet), ManageURL (change the
// card), and the reads (Get, Detail, List, ForContact, WriteCSV).
package subscription

import (
	"errors"
	"time"

	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/money"
)

// Status is a subscription's status.
type Status string

// Statuses. Pending is Bursar's own: the intent written before the payer went to the gateway.
const (
	StatusPending   Status = "pending"
	StatusTrialing  Status = gateway.SubTrialing
	StatusActive    Status = gateway.SubActive
	StatusPastDue   Status = gateway.SubPastDue
	StatusPaused    Status = gateway.SubPaused
	StatusCancelled Status = gateway.SubCancelled
	StatusEnded     Status = gateway.SubEnded
)

// Statuses lists every status, in the order filters show them.
var Statuses = []Status{StatusPending, StatusTrialing, StatusActive, StatusPastDue, StatusPaused, StatusCancelled,
	StatusEnded}

// Live reports whether a subscription in status s may still be charged.
func (s Status) Live() bool {
	return s == StatusTrialing || s == StatusActive || s == StatusPastDue || s == StatusPaused
}

// Subscription is one contact's subscription to one recurring offer through one payment system.
type Subscription struct {
	ID              int64
	Number          string // S-000123
	ContactID       int64
	OfferID         int64
	OfferTitle      string
	PaymentSystemID int64
	Status          Status
	Price           money.Money // one period's price
	Interval        string      // gateway.IntervalDay … IntervalYear
	IntervalCount   int
	TrialDays       int
	MaxCharges      int // 0: until cancelled
	GraceDays       int
	Language        string
	GatewayRef      string // sub_…, I-…
	CustomerRef     string // cus_…
	CheckoutRef     string
	// CurrentPeriodStart and CurrentPeriodEnd are the period the gateway is in; PaidThrough the latest paid period's
	// end (access lasts until PaidThrough plus GraceDays while the subscription is live, until PaidThrough after).
	CurrentPeriodStart *time.Time
	CurrentPeriodEnd   *time.Time
	TrialEnd           *time.Time
	PaidThrough        *time.Time
	CancelAtPeriodEnd  bool
	CancelledAt        *time.Time
	EndedAt            *time.Time
	Charges            int    // charges recorded
	UpdateURL          string // where the payer fixes a failed charge (past due)
	// CardSaved: the gateway saved the payer's card for Bursar to charge (gateway.SavedCards). NextChargeAt is when
	// Bursar's charge job looks at it next (the period's end, a retry, the end of one cancelling); Retries the
	// failed charges since the last paid one. Both stay zero for subscriptions the gateway schedules.
	CardSaved    bool
	NextChargeAt *time.Time
	Retries      int
	cardToken    string // the saved card: never shown
	StateAt      *time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// OwnSchedule reports whether Bursar charges the subscriptions of payment system sys on its own schedule (the
// gateway saves the card and charges it when Bursar asks: WayForPay, Fondy) rather than the gateway (Stripe,
// PayPal). Such subscriptions can do every Action (a plan change's new price applies from the next charge), have no
// free trial, and a past-due one is paid by the payer on the gateway's page (PayNow), with another card if need be.
func OwnSchedule(sys gateway.System) bool { return gateway.TypeCan(sys.Type, gateway.SavedCards) }

// NextCharge is when the gateway charges next (Upcoming says it for every subscription): the current period's end of a live subscription that is not paused
// and not cancelling; nil otherwise.
func (s Subscription) NextCharge() *time.Time {
	if !s.Status.Live() || s.Status == StatusPaused || s.CancelAtPeriodEnd {
		return nil
	}
	if s.MaxCharges > 0 && s.Charges >= s.MaxCharges {
		return nil
	}
	return s.CurrentPeriodEnd
}

// AccessUntil is when the access the subscription paid for ends: PaidThrough plus the grace days while it is live,
// PaidThrough once cancelled or ended; nil before any charge.
func (s Subscription) AccessUntil() *time.Time {
	if s.PaidThrough == nil {
		return nil
	}
	t := *s.PaidThrough
	if s.Status.Live() {
		t = t.AddDate(0, 0, s.GraceDays)
	}
	return &t
}

// Charge statuses.
const (
	ChargePaid   = "paid"
	ChargeFailed = "failed"
)

// Charge is one charge the gateway made for a subscription; a paid one has its order (the payment, fee and net).
type Charge struct {
	ID              int64
	SubscriptionID  int64
	PaymentSystemID int64
	Ref             string // in_…, the PayPal sale id
	OrderID         int64  // 0 for a failed charge
	Status          string // ChargePaid or ChargeFailed
	Amount          money.Money
	PeriodStart     *time.Time
	PeriodEnd       *time.Time
	ChargedAt       time.Time
	CreatedAt       time.Time
}

// Event is a line of a subscription's own timeline.
type Event struct {
	ID        int64
	Kind      string
	Message   string
	CreatedAt time.Time
}

// Detail is a subscription with its charges (newest first) and its timeline (oldest first).
type Detail struct {
	Subscription
	ChargeList []Charge
	Events     []Event
}

// Filter narrows List and WriteCSV.
type Filter struct {
	Status          Status // "" for all
	ContactID       int64
	OfferID         int64
	PaymentSystemID int64
	Query           string // the number, the contact's e-mail or name, the gateway reference
	AfterID         int64  // keyset cursor: subscriptions with a smaller id (newest first)
	Limit           int    // 0: MaxList
}

// MaxList bounds one page of a list.
const MaxList = 1000

// Page is one page of subscriptions, newest first; NextAfter is the cursor of the next page (0: none).
type Page struct {
	Subscriptions []Subscription
	NextAfter     int64
}

// Start is a subscription to start at checkout: contact ContactID (made or found by the checkout) subscribes to
// recurring offer OfferID through payment system SystemID.
type Start struct {
	OfferID    int64
	SystemID   int64
	ContactID  int64
	Language   string // "" is the offer's
	SuccessURL string // where the gateway sends the payer back (the redirect never starts anything)
	CancelURL  string
}

// Started is a pending subscription and the gateway's redirect to follow.
type Started struct {
	Subscription Subscription
	Redirect     gateway.Redirect
}

// Action is a change asked of a subscription (Act).
type Action struct {
	Kind    string // gateway.ActionCancelNow … gateway.ActionChangePlan
	OfferID int64  // ActionChangePlan: the recurring offer to move to (same payment system and currency)
	// ContactID, when set, is the payer acting from the cabinet: the subscription must be theirs (else
	// check.ErrNotFound) and only cancel at the period's end and its undo are theirs to ask.
	ContactID int64
	Note      string // why, for the timeline and audit
}

// Errors.
var (
	// ErrNotLive says the subscription is pending, cancelled or ended: nothing can be changed.
	ErrNotLive = errors.New("subscription: not live")
	// ErrNotYet marks what this contract does not do yet (the skeleton's stubs).
	ErrNotYet = errors.New("subscription: not implemented yet")
	// ErrNothingDue says a subscription has no charge to pay now (PayNow of one not past due, or one the gateway
	// schedules).
	ErrNothingDue = errors.New("subscription: nothing to pay now")
)
