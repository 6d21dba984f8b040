package billing

import (
	"time"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/crm"
	"github.com/bursar/bursar/internal/money"
	"github.com/bursar/bursar/internal/settings"
)

// This file is the contract of the enrollments and receipts (migration 00027): the types every caller (the admin
// screens, the API, the public enrollment form, the cabinet, the jobs, the mailer, the receipt document) uses.

// Kind is how an enrollment is billed.
type Kind string

// Enrollment kinds, the same words as the offer kinds (offer.Tuition, offer.Installments).
const (
	KindTuition      Kind = "tuition"      // a price per period, for a number of periods or until cancelled
	KindInstallments Kind = "installments" // the offer's price in N parts, the first at enrollment
)

// EnrollmentStatus is an enrollment's state.
//
//	pending → active (its first receipt paid) | dropped (the first receipt not paid in time)
//	active ⇄ suspended (a receipt unpaid past its grace; paying every such receipt resumes it)
//	active ⇄ paused (by a manager: no receipts issued, access paused)
//	active | suspended | paused → cancelled (by a manager: no further receipts; access until the paid period ends)
//	active → completed (the last period or part paid)
type EnrollmentStatus string

// Enrollment statuses.
const (
	EnrollmentPending   EnrollmentStatus = "pending"
	EnrollmentActive    EnrollmentStatus = "active"
	EnrollmentSuspended EnrollmentStatus = "suspended"
	EnrollmentPaused    EnrollmentStatus = "paused"
	EnrollmentCancelled EnrollmentStatus = "cancelled"
	EnrollmentCompleted EnrollmentStatus = "completed"
	EnrollmentDropped   EnrollmentStatus = "dropped"
)

// EnrollmentStatuses lists every enrollment status, in the order filters show them.
var EnrollmentStatuses = []EnrollmentStatus{EnrollmentPending, EnrollmentActive, EnrollmentSuspended,
	EnrollmentPaused, EnrollmentCancelled, EnrollmentCompleted, EnrollmentDropped}

// ReceiptStatus is a receipt's state: issued → partially_paid → paid; issued | partially_paid → overdue (past its
// due date) → paid; waived (by a manager) and cancelled (its enrollment dropped or cancelled before it was paid) are
// final, as is paid.
type ReceiptStatus string

// Receipt statuses.
const (
	ReceiptIssued        ReceiptStatus = "issued"
	ReceiptPartiallyPaid ReceiptStatus = "partially_paid"
	ReceiptPaid          ReceiptStatus = "paid"
	ReceiptOverdue       ReceiptStatus = "overdue"
	ReceiptWaived        ReceiptStatus = "waived"
	ReceiptCancelled     ReceiptStatus = "cancelled"
)

// ReceiptStatuses lists every receipt status, in the order filters show them.
var ReceiptStatuses = []ReceiptStatus{ReceiptIssued, ReceiptPartiallyPaid, ReceiptPaid, ReceiptOverdue,
	ReceiptWaived, ReceiptCancelled}

// Open reports whether a receipt in status st still has money due.
func (st ReceiptStatus) Open() bool {
	return st == ReceiptIssued || st == ReceiptPartiallyPaid || st == ReceiptOverdue
}

// Enrollment is a learner enrolled in a tuition or installments offer, paid for by a payer.
type Enrollment struct {
	ID        int64
	OfferID   int64
	Kind      Kind
	PayerID   int64
	LearnerID int64 // PayerID when one pays for oneself
	Status    EnrollmentStatus
	Title     string // the offer's title at enrollment
	// Price is one period's price (tuition) or the whole price (installments); Fee the enrollment fee, on the first
	// receipt.
	Price            money.Money
	Fee              int64
	Schedule         Schedule // with Location loaded from TimeZone
	TimeZone         string
	GraceDays        int
	RemindDays       int
	UnlockByPart     bool
	PaymentSystemIDs []int64
	Language         string
	Answers          map[string]string // the enrollment form's registration fields
	NextPeriod       int               // the next period to issue
	NextIssueAt      *time.Time        // when the issuing job issues it; nil: nothing more to issue
	PaidThrough      *time.Time        // the end of the last period paid in full
	ExpiresAt        *time.Time        // pending: dropped when the first receipt is not paid by then
	ActivatedAt      *time.Time
	SuspendedAt      *time.Time
	PausedAt         *time.Time
	EndedAt          *time.Time
	EndReason        string
	Creator          string
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// Receipt is one period's (or one part's) bill of an enrollment, paid through its payment link.
type Receipt struct {
	ID           int64
	EnrollmentID int64
	Period       int    // from 0; for installments, the part
	Number       string // R-2027-000123, gapless per year
	PayerID      int64
	LearnerID    int64
	OfferID      int64
	Title        string
	Amount       money.Money // what the receipt asks, the enrollment fee included
	Fee          int64       // the enrollment fee in Amount (the first receipt only)
	Paid         int64       // paid so far, in Amount's currency
	PeriodStart  time.Time
	PeriodEnd    time.Time
	DueAt        time.Time
	GraceUntil   time.Time // past it unpaid, the enrollment is suspended
	Status       ReceiptStatus
	LinkID       int64  // the payment link it is paid through now; 0 when none
	PayURL       string // that link's page, for the payer (empty when the receipt is not open)
	Reminded     int    // reminder stages sent: 1 before the due date, 2 on it, 3 overdue
	IssuedAt     time.Time
	PaidAt       *time.Time
	DecidedAt    *time.Time
	DecidedBy    string
	Note         string
	UpdatedAt    time.Time
}

// Due is what is left to pay.
func (r Receipt) Due() money.Money {
	return money.Money{Amount: r.Amount.Amount - r.Paid, Currency: r.Amount.Currency}
}

// Payment is money that paid (part of) a receipt: an order paid through its link, or cash a manager recorded.
type Payment struct {
	ID         int64
	ReceiptID  int64
	OrderID    int64 // 0 for cash
	Method     string
	Amount     money.Money
	PaidOn     time.Time // the date, in the school's time zone
	Note       string
	RecordedBy string
	CreatedAt  time.Time
}

// Payment methods.
const (
	MethodOrder = "order" // through the receipt's payment link: a gateway, or a bank transfer a manager confirmed
	MethodCash  = "cash"  // recorded by a manager
)

// Event is a line of an enrollment's own timeline.
type Event struct {
	ID           int64
	EnrollmentID int64
	ReceiptID    int64
	Kind         string
	Message      string
	Actor        string
	CreatedAt    time.Time
}

// Timeline kinds, written on the enrollment's timeline and the payer's and learner's contact timelines.
const (
	EventEnrolled      = "enrollment.created"
	EventActivated     = "enrollment.activated"
	EventDropped       = "enrollment.dropped"
	EventSuspended     = "enrollment.suspended"
	EventResumed       = "enrollment.resumed"
	EventPaused        = "enrollment.paused"
	EventUnpaused      = "enrollment.unpaused"
	EventCancelled     = "enrollment.cancelled"
	EventCompleted     = "enrollment.completed"
	EventIssued        = "receipt.issued"
	EventReceiptPaid   = "receipt.paid"
	EventPartPaid      = "receipt.partially_paid"
	EventOverdue       = "receipt.overdue"
	EventWaived        = "receipt.waived"
	EventGraceExtended = "receipt.grace_extended"
	EventReminded      = "receipt.reminded"
	EventReceiptVoid   = "receipt.cancelled"
)

// EnrollInput is a new enrollment (the public enrollment form, the checkout of a tuition or installments offer, an
// operator through the API).
type EnrollInput struct {
	OfferID int64 // a published (or unlisted) offer of kind tuition or installments
	// PayerID is the paying contact (the signed-in student). Learner, when set, is someone else the payer pays for:
	// found by e-mail or created, with the name given; when empty the payer is the learner.
	PayerID int64
	Learner *LearnerInput
	// PaymentSystemID is the method the payer picked: the first receipt's link offers it first (and only it when
	// the offer lists one).
	PaymentSystemID int64
	Answers         map[string]string // the offer's registration fields, keyed by field key
	Language        string            // the pages' and e-mails' language; empty: the offer's
}

// LearnerInput is the person a payer enrolls.
type LearnerInput struct {
	Email string
	Name  string
}

// Enrolled is what Enroll made: the pending enrollment and its first receipt (with PayURL: where the payer pays).
type Enrolled struct {
	Enrollment Enrollment
	Receipt    Receipt
}

// CashPayment is money a manager records against a receipt (RecordPayment).
type CashPayment struct {
	Amount money.Money // at most what is due, in the receipt's currency
	PaidOn time.Time   // zero: today
	Note   string
}

// Filter narrows Enrollments. Zero values do not filter.
type Filter struct {
	Status    EnrollmentStatus
	OfferID   int64
	ContactID int64 // payer or learner
	Overdue   bool  // with a receipt overdue
	BeforeID  int64 // keyset cursor: enrollments older than it
	Limit     int   // default 50, at most MaxList
}

// EnrollmentPage is a page of enrollments, newest first; NextBeforeID is 0 on the last one.
type EnrollmentPage struct {
	Enrollments  []Enrollment
	NextBeforeID int64
}

// ReceiptFilter narrows Receipts. Zero values do not filter.
type ReceiptFilter struct {
	Status         ReceiptStatus
	OfferID        int64
	EnrollmentID   int64
	PayerID        int64
	Overdue        bool      // open and past the due date
	DueFrom, DueTo time.Time // due_at in [DueFrom, DueTo)
	BeforeID       int64
	Limit          int
}

// ReceiptPage is a page of receipts, newest first.
type ReceiptPage struct {
	Receipts     []Receipt
	NextBeforeID int64
}

// MaxList bounds a page of enrollments or receipts.
const MaxList = 500

// Document is what a printable receipt shows (the HTML page and the PDF, internal/receiptdoc).
type Document struct {
	School     settings.School
	Payer      crm.Contact
	Learner    crm.Contact
	Enrollment Enrollment
	Receipt    Receipt
	Payments   []Payment
	Language   string
}

// EmailKind names a billing e-mail.
type EmailKind string

// Billing e-mails; receipts' e-mails go to the payer, the welcome to the learner.
const (
	EmailIssued    EmailKind = "receipt_issued"    // a new receipt, with its payment link
	EmailDueSoon   EmailKind = "receipt_due_soon"  // remind_days before the due date
	EmailDueToday  EmailKind = "receipt_due_today" // on the due date
	EmailOverdue   EmailKind = "receipt_overdue"   // the day after the due date, with the grace's end
	EmailPaid      EmailKind = "receipt_paid"      // paid in full, the receipt's PDF attached
	EmailWelcome   EmailKind = "enrollment_welcome"
	EmailSuspended EmailKind = "enrollment_suspended" // to the payer and, when another, the learner
	EmailResumed   EmailKind = "enrollment_resumed"
)

// Email is a billing e-mail; the mailer renders it in Language and deduplicates it by DedupKey.
type Email struct {
	Kind       EmailKind
	To         string
	Language   string
	Enrollment Enrollment
	Receipt    Receipt // with PayURL; zero for the welcome
	// SignInURL is the welcome e-mail's single-use sign-in link for a learner without a password (else empty: the
	// cabinet's address).
	SignInURL string
	// Document is the paid receipt (EmailPaid): the mailer attaches its PDF.
	Document *Document
	DedupKey string
}

// ErrNotOpen is the conflict of an action on a receipt that is no longer open (paid, waived or cancelled); its
// check.StateError says what it became.
var ErrNotOpen = check.Conflict("The receipt is not open any more.")

// ErrEnrollmentState is the conflict of an action an enrollment's status does not allow.
var ErrEnrollmentState = check.Conflict("The enrollment's status does not allow this.")
