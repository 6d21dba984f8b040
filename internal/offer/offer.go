// Package offer is the catalog: products (what access is granted to) and offers (the price plans that sell them).
package offer

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/money"
)

// Product kinds.
const (
	KindCourse       = "course"
	KindModule       = "module"
	KindWebinar      = "webinar"
	KindMarathon     = "marathon"
	KindConsultation = "consultation"
)

// ProductKinds lists every product kind, in the order forms show them.
var ProductKinds = []string{KindCourse, KindModule, KindWebinar, KindMarathon, KindConsultation}

// Product is what access is granted to.
type Product struct {
	ID          int64
	Name        string
	Kind        string
	Description string
	ParentID    int64 // 0 when none
	ExternalURL string
	ExternalID  string
	ArchivedAt  *time.Time
	CreatedAt   time.Time
}

// ProductFilter narrows Products.
type ProductFilter struct {
	Query           string // matches the name, case-insensitively
	IncludeArchived bool
	AfterID         int64 // keyset cursor: products with a greater id
	Limit           int   // 0: up to MaxList
}

// MaxList bounds one page of a list.
const MaxList = 1000

// Service manages products and offers.
type Service struct {
	db    *pgxpool.Pool
	audit *audit.Log
	payer PayerEmails
}

// PayerEmails tells what an offer's payment systems can do (internal/gateway implements it): whether any reports the
// payer's e-mail, so that the offer may be paid without signing in; which cannot charge a saved card on schedule,
// so that a recurring offer is not sold through them; which cannot start a free trial, so that a recurring offer
// with one is not sold through them.
type PayerEmails interface {
	ReportPayerEmail(ctx context.Context, ids []int64) (bool, error)
	// NotRecurring returns the names of the payment systems among ids whose type cannot charge a saved card on
	// schedule (gateway.Recurring), in the order of ids; unknown ids are left out.
	NotRecurring(ctx context.Context, ids []int64) ([]string, error)
	// NoTrial returns the names of the payment systems among ids whose type cannot start a free trial (the first
	// payment on the gateway's page saves the card: gateway.SavedCards), in the order of ids; unknown ids are left
	// out.
	NoTrial(ctx context.Context, ids []int64) ([]string, error)
}

// NewService returns a Service on pool, or an error naming what is missing. payer makes Create and Update refuse
// paying without signing in (GuestCheckout) on an offer none of whose payment systems reports the payer's e-mail.
func NewService(pool *pgxpool.Pool, al *audit.Log, payer PayerEmails) (*Service, error) {
	switch {
	case pool == nil:
		return nil, errors.New("offer: a pool is required")
	case al == nil:
		return nil, errors.New("offer: an audit log is required")
	case payer == nil || (reflect.ValueOf(payer).Kind() == reflect.Pointer && reflect.ValueOf(payer).IsNil()):
		return nil, errors.New("offer: a reader of payment systems reporting the payer's e-mail is required")
	}
	return &Service{db: pool, audit: al, payer: payer}, nil
}

// checkGuest adds the field error of GuestCheckout on an offer that cannot be paid without signing in.
func (s *Service) checkGuest(ctx context.Context, in Input, e check.Errors) error {
	if !in.GuestCheckout || len(in.PaymentSystemIDs) == 0 {
		return nil
	}
	if _, bad := e["payment_system_ids"]; bad {
		return nil
	}
	ok, err := s.payer.ReportPayerEmail(ctx, in.PaymentSystemIDs)
	if err != nil || ok {
		return err
	}
	e.Add("guest_checkout", "needs a payment system that reports the payer's e-mail (Stripe, PayPal, WayForPay or "+
		"Fondy): with the chosen ones Bursar could not tell who paid")
	return nil
}

// RecurringSystemsHint names the payment system types that can sell a recurring offer.
const RecurringSystemsHint = "Stripe, PayPal, WayForPay or Fondy"

// NotRecurringMessage says why the payment systems named cannot sell a recurring offer, and what to do instead.
func NotRecurringMessage(names ...string) string {
	return joinNames(names) + " cannot charge a saved card on schedule here: sell this programme as tuition " +
		"(receipts with payment links) instead"
}

// NoTrialMessage says why the payment systems named cannot sell a recurring offer with a free trial (their first
// payment, on the gateway's page, is what saves the card), and what to do instead.
func NoTrialMessage(names ...string) string {
	return joinNames(names) + " cannot start a free trial: the first payment saves the payer's card; set no trial, " +
		"or sell through Stripe or PayPal"
}

// joinNames lists names for a message: "A", "A and B", "A, B and C".
func joinNames(names []string) string {
	if n := len(names); n > 1 {
		return strings.Join(names[:n-1], ", ") + " and " + names[n-1]
	}
	return strings.Join(names, ", ")
}

// checkRecurring adds the field errors of a recurring offer sold through payment systems that cannot charge a saved
// card on schedule, of one with a free trial sold through systems whose first payment saves the card (no trial
// possible), and of a published one with no payment system at all.
func (s *Service) checkRecurring(ctx context.Context, in Input, e check.Errors) error {
	if in.Kind != Recurring {
		return nil
	}
	if _, bad := e["payment_system_ids"]; bad {
		return nil
	}
	if len(in.PaymentSystemIDs) == 0 {
		if in.Status == StatusPublished {
			e.Add("payment_system_ids", "a published recurring offer needs a payment system that can charge a "+
				"saved card on schedule ("+RecurringSystemsHint+")")
		}
		return nil
	}
	names, err := s.payer.NotRecurring(ctx, in.PaymentSystemIDs)
	if err != nil {
		return err
	}
	if len(names) > 0 {
		e.Add("payment_system_ids", NotRecurringMessage(names...))
	}
	if in.TrialDays <= 0 {
		return nil
	}
	if names, err = s.payer.NoTrial(ctx, in.PaymentSystemIDs); err != nil {
		return err
	}
	if len(names) > 0 {
		e.Add("trial_days", NoTrialMessage(names...))
	}
	return nil
}

func productNotFound(id int64) error { return fmt.Errorf("product %d: %w", id, check.ErrNotFound) }

func offerNotFound(what any) error { return fmt.Errorf("offer %v: %w", what, check.ErrNotFound) }

func pageSize(n int) int32 {
	if n <= 0 || n > MaxList {
		return MaxList
	}
	return int32(n)
}

// Offer statuses.
const (
	StatusDraft     = "draft"
	StatusPublished = "published"
	StatusArchived  = "archived"
)

// Statuses lists every offer status.
var Statuses = []string{StatusDraft, StatusPublished, StatusArchived}

// Offer kinds: how the price is paid.
const (
	OneTime      = "one_time"
	Recurring    = "recurring"
	Installments = "installments"
	// Tuition is a programme billed per period by receipts (internal/billing), for a fixed number of periods or
	// until cancelled.
	Tuition = "tuition"
)

// Kinds lists every offer kind.
var Kinds = []string{OneTime, Recurring, Installments, Tuition}

// NotSoldMessage says why an offer of a kind no channel sells cannot be published or bought.
const NotSoldMessage = "offers of this kind cannot be sold"

// SubscribedMessage says why an order or a payment link cannot be made for a recurring offer.
const SubscribedMessage = "recurring offers are sold by subscription (the gateway charges each period), " +
	"not by a single payment of the full price"

// EnrolledMessage says why an order or a payment link cannot be made for a tuition or installments offer.
const EnrolledMessage = "tuition and installment offers are sold by enrollment (billed by receipts), " +
	"not by a single payment of the full price"

// Sold reports whether offers of kind can be published. One-time offers are sold by checkout; tuition and
// installment offers by enrollment (Enrolled); recurring offers by subscription (Subscribed).
func Sold(kind string) bool { return kind == OneTime || Enrolled(kind) || Subscribed(kind) }

// Subscribed reports whether offers of kind are sold as subscriptions the gateway charges each period
// (internal/subscription), never by the one-payment checkout: orders and payment links refuse them.
func Subscribed(kind string) bool { return kind == Recurring }

// Limits of recurring offers (migration 00033's checks).
const (
	MaxIntervalCount = 52
	MaxTrialDays     = 730
	MaxCharges       = 1200
)

// Enrolled reports whether offers of kind are sold through an enrollment (internal/billing.Enroll) billed by
// receipts, never by the one-payment checkout: orders and payment links refuse them.
func Enrolled(kind string) bool { return kind == Tuition || kind == Installments }

// Billing units of tuition and installment schedules (the words of billing.Unit).
const (
	UnitWeek  = "week"
	UnitMonth = "month"
	UnitYear  = "year"
)

// BillingUnits lists every billing unit, in the order forms show them.
var BillingUnits = []string{UnitWeek, UnitMonth, UnitYear}

// Limits and defaults of the billing settings (migration 00027's checks).
const (
	MaxBillingEvery     = 120
	MaxBillingPeriods   = 1200
	MaxGraceDays        = 365
	MaxRemindDays       = 60
	MinInstallments     = 2
	MaxInstallments     = 36
	DefaultGraceDays    = 7
	DefaultRemindDays   = 3
	DefaultBillingEvery = 1
)

// Recurring intervals; IntervalCustom repeats every IntervalDays days.
const (
	IntervalWeek   = "week"
	IntervalMonth  = "month"
	IntervalYear   = "year"
	IntervalCustom = "custom"
)

// Intervals lists every recurring interval.
var Intervals = []string{IntervalWeek, IntervalMonth, IntervalYear, IntervalCustom}

// Languages an offer page can be shown in.
var Languages = []string{"en", "es", "fr", "ru", "uk"}

// FieldTypes are the types of registration fields.
var FieldTypes = []string{"text", "email", "phone", "textarea", "select"}

// DefaultManualConfirmDays is how long a manual payment waits for a manager by default.
const DefaultManualConfirmDays = 30

// RegistrationField is one question asked at checkout.
type RegistrationField struct {
	Key      string   `json:"key"`
	Label    string   `json:"label"`
	Type     string   `json:"type"`
	Required bool     `json:"required"`
	Options  []string `json:"options,omitempty"` // only for select
}

// Contact is what payers see to reach the school.
type Contact struct {
	Email string `json:"email"`
	Phone string `json:"phone"`
	Note  string `json:"note"`
}

// Input is what an admin sets on an offer.
type Input struct {
	Title        string
	Slug         string // suggested from the title when empty
	Description  string // markdown
	Status       string
	Amount       int64 // minor units; the total for installments, one period for recurring and tuition
	Currency     string
	Kind         string
	Interval     string // recurring only
	IntervalDays int    // IntervalCustom only
	// IntervalCount: recurring offers charge every IntervalCount weeks, months or years (1–52; 1 for custom).
	IntervalCount int
	// TrialDays free days before a recurring offer's first charge (0–730); MaxCharges ends it after that many
	// charges (0: until cancelled).
	TrialDays    int
	MaxCharges   int
	Installments int // installments only: 2–36 parts
	// How tuition and installments are billed (internal/billing.Schedule): every BillingEvery BillingUnits, a monthly
	// schedule on BillingDay (0: the enrollment's day). Other kinds keep the defaults (NewInput).
	BillingEvery     int    // 1–120
	BillingUnit      string // week, month or year
	BillingDay       int    // 0–31, monthly only
	BillingPeriods   int    // tuition only: how many periods, 0 until cancelled
	EnrollmentFee    int64  // tuition only: minor units in Currency, added to the first receipt
	GraceDays        int    // days after a due date before the enrollment is suspended
	RemindDays       int    // days before a due date the reminder goes
	UnlockByPart     bool   // installments only: each paid part unlocks the next product
	AccessDays       int    // 0: forever
	ProductIDs       []int64
	PaymentSystemIDs []int64 // in the order the page shows them
	GuestCheckout    bool    // pay without authorization
	// Unlisted offers are sold only by payment link (internal/paylink): no public page, no checkout.
	Unlisted bool
	// LinkOnly marks the offer internal/paylink makes for one link's custom amount (CreateTx): always unlisted, no
	// part of the catalog (Offers leaves it out), and never edited (Update refuses: ErrLinkOnly). Only CreateTx's
	// caller sets it; Update keeps it as it is.
	LinkOnly           bool
	RegistrationFields []RegistrationField
	Language           string
	SuccessURL         string
	SuccessMessage     string // shown when SuccessURL is empty
	FailureURL         string
	FailureMessage     string // shown when FailureURL is empty
	Contact            Contact
	ManualConfirmDays  int
	// RefundAccess and DisputeAccess are what a refund and a dispute of an order do to the access it granted:
	// AccessRevoke, AccessKeep or AccessAsk (access_policy.go); "" is the default.
	RefundAccess  string
	DisputeAccess string
}

// NewInput is an empty offer with the defaults: a draft, one-time, English, forever, 30 days to confirm, billed (when
// tuition or installments) every month on the enrollment's day, 7 days of grace, reminded 3 days before.
func NewInput() Input {
	in := Input{Status: StatusDraft, Kind: OneTime, Language: "en", ManualConfirmDays: DefaultManualConfirmDays,
		ProductIDs: []int64{}, PaymentSystemIDs: []int64{}, RegistrationFields: []RegistrationField{},
		RefundAccess: DefaultRefundAccess, DisputeAccess: DefaultDisputeAccess, IntervalCount: 1}
	in.resetBilling()
	return in
}

// Offer is a price plan.
type Offer struct {
	ID int64
	Input
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Price is the offer's amount and currency.
func (o Offer) Price() money.Money { return money.Money{Amount: o.Amount, Currency: o.Currency} }

// Filter narrows Offers.
type Filter struct {
	Status  string // "" for all
	Query   string // matches title or slug, case-insensitively
	AfterID int64  // keyset cursor: offers with a greater id
	Limit   int    // 0: up to MaxList
}

// Page is a published offer as its public page shows it.
type Page struct {
	Offer
	ProductNames []string
}

// resetBilling sets the billing settings to their defaults.
func (in *Input) resetBilling() {
	in.BillingEvery, in.BillingUnit, in.BillingDay, in.BillingPeriods = DefaultBillingEvery, UnitMonth, 0, 0
	in.EnrollmentFee, in.GraceDays, in.RemindDays, in.UnlockByPart = 0, DefaultGraceDays, DefaultRemindDays, false
}
