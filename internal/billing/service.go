package billing

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/bursar/bursar/internal/access"
	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/crm"
	"github.com/bursar/bursar/internal/db"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/offer"
	"github.com/bursar/bursar/internal/paylink"
	"github.com/bursar/bursar/internal/settings"
)

// The modules an enrollment reaches. Each interface is what billing needs of one module; the app passes the
// module's service (or the catalog cache's reader).

// Offers reads offers (internal/offer, through the catalog cache).
type Offers interface {
	Offer(ctx context.Context, id int64) (offer.Offer, error)
}

// Systems reads payment systems (internal/gateway, through the catalog cache).
type Systems interface {
	Get(ctx context.Context, id int64) (gateway.System, error)
}

// Contacts finds, makes and reads contacts and writes their timeline (internal/crm).
type Contacts interface {
	Contact(ctx context.Context, id int64) (crm.Contact, error)
	ContactsByID(ctx context.Context, ids []int64) (map[int64]crm.Contact, error)
	PayerTx(ctx context.Context, tx db.DBTX, email string) (crm.Contact, bool, error)
	AddEventTx(ctx context.Context, tx db.DBTX, contactID int64, kind, message string) error
}

// Access grants, pauses and resumes the learner's access (internal/access).
type Access interface {
	GrantTx(ctx context.Context, tx db.DBTX, n access.NewGrant) (access.Grant, bool, error)
	PauseTx(ctx context.Context, tx db.DBTX, ids []int64, reason string) error
	ResumeTx(ctx context.Context, tx db.DBTX, ids []int64) error
	// EndTx sets the grants' end (a cancelled enrollment: the end of the paid period).
	EndTx(ctx context.Context, tx db.DBTX, ids []int64, end time.Time) error
}

// Links makes and closes the receipts' payment links (internal/paylink), in billing's transaction.
type Links interface {
	CreateTx(ctx context.Context, tx pgx.Tx, in paylink.Input) (paylink.Link, error)
	// CancelTx closes an active link in tx (locking the link's order first, as a paid notification does): a
	// receipt waived or cancelled. A link no longer active is paylink.ErrNotActive.
	CancelTx(ctx context.Context, tx pgx.Tx, id int64, comment string) (paylink.Link, error)
	Expire(ctx context.Context, id int64) (bool, error)
	Get(ctx context.Context, id int64) (paylink.Link, error)
}

// Welcomer issues a learner without a password a single-use sign-in link (internal/account).
type Welcomer interface {
	WelcomeLinkTx(ctx context.Context, tx pgx.Tx, contactID, offerID int64) (string, error)
}

// School reads the school's settings: its time zone, and its details on the receipts (internal/settings).
type School interface {
	GetTx(ctx context.Context, tx db.DBTX) (settings.School, error)
}

// Mailer queues billing e-mails in the caller's transaction (internal/mailer).
type Mailer interface {
	BillingEmailTx(ctx context.Context, tx pgx.Tx, e Email) error
}

// Jobs enqueues River jobs inside a transaction (internal/jobs).
type Jobs interface {
	InsertTx(ctx context.Context, tx pgx.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
}

// Deps are the modules billing reaches.
type Deps struct {
	Offers   Offers
	Systems  Systems
	Contacts Contacts
	Access   Access
	Links    Links
	Welcome  Welcomer
	School   School
	Mailer   Mailer
	Jobs     Jobs
}

// Config is the service's settings.
type Config struct {
	// BaseURL is the public URL (the cabinet's address in e-mails).
	BaseURL string
	// IssueLead is how long before its due date a period's receipt is issued (DefaultIssueLead when 0; never more
	// than the period itself).
	IssueLead time.Duration
	// FirstPaymentWindow is how long a pending enrollment waits for its first receipt to be paid
	// (DefaultFirstPaymentWindow when 0).
	FirstPaymentWindow time.Duration
	// Now is the clock (time.Now when nil): schedules, due dates, grace, reminders and the jobs follow it.
	Now func() time.Time
}

// Defaults.
const (
	DefaultIssueLead          = 7 * 24 * time.Hour
	DefaultFirstPaymentWindow = 3 * 24 * time.Hour
)

// Service runs enrollments and receipts. Every use case below is the one entry point the admin screens, the API,
// the public enrollment form, the cabinet and the jobs call.
type Service struct {
	db    *pgxpool.Pool
	audit *audit.Log
	deps  Deps
	cfg   Config
}

var errTODO = errors.New("billing: not built yet")

// Enroll records a pending enrollment for in and issues its first receipt (the enrollment fee added) with its
// payment link, in one transaction; the payer pays on the link's page (Enrolled.Receipt.PayURL). Bad input is a
// check.Errors naming every field (the offer's required registration fields, a learner without an e-mail, a
// payment system the offer does not list); nothing is written then. A first receipt not paid within
// Config.FirstPaymentWindow is cancelled and the enrollment dropped.
func (s *Service) Enroll(ctx context.Context, in EnrollInput) (Enrolled, error) {
	return Enrolled{}, errTODO
}

// Get returns enrollment id.
func (s *Service) Get(ctx context.Context, id int64) (Enrollment, error) {
	return Enrollment{}, errTODO
}

// Enrollments lists enrollments under f, newest first.
func (s *Service) Enrollments(ctx context.Context, f Filter) (EnrollmentPage, error) {
	return EnrollmentPage{}, errTODO
}

// Events returns enrollment id's own timeline, oldest first.
func (s *Service) Events(ctx context.Context, id int64) ([]Event, error) { return nil, errTODO }

// Receipt returns receipt id.
func (s *Service) Receipt(ctx context.Context, id int64) (Receipt, error) { return Receipt{}, errTODO }

// ReceiptByNumber returns the receipt numbered number (R-2027-000123).
func (s *Service) ReceiptByNumber(ctx context.Context, number string) (Receipt, error) {
	return Receipt{}, errTODO
}

// Receipts lists receipts under f, newest first.
func (s *Service) Receipts(ctx context.Context, f ReceiptFilter) (ReceiptPage, error) {
	return ReceiptPage{}, errTODO
}

// Payments returns what paid receipt id, oldest first.
func (s *Service) Payments(ctx context.Context, id int64) ([]Payment, error) { return nil, errTODO }

// Document is what receipt id's printable document shows.
func (s *Service) Document(ctx context.Context, id int64) (Document, error) {
	return Document{}, errTODO
}

// ForPayer returns the receipts contactID pays (the cabinet), newest first; ForLearner the enrollments contactID
// learns in, and ForPayerEnrollments those contactID pays for.
func (s *Service) ForPayer(ctx context.Context, contactID int64) ([]Receipt, error) {
	return nil, errTODO
}

// ForLearner: see ForPayer.
func (s *Service) ForLearner(ctx context.Context, contactID int64) ([]Enrollment, error) {
	return nil, errTODO
}

// ForPayerEnrollments: see ForPayer.
func (s *Service) ForPayerEnrollments(ctx context.Context, contactID int64) ([]Enrollment, error) {
	return nil, errTODO
}

// IssueNext issues enrollment id's next receipt now, ahead of its schedule (a manager's "issue the next receipt
// now"); an enrollment with nothing more to issue, or not active or suspended, is ErrEnrollmentState.
func (s *Service) IssueNext(ctx context.Context, id int64) (Receipt, error) {
	return Receipt{}, errTODO
}

// IssueDue issues every receipt whose time has come (River's periodic billing.issue, in every process): exactly
// one per enrollment and period whatever the number of processes or retries; it returns how many it issued.
func (s *Service) IssueDue(ctx context.Context) (int, error) { return 0, errTODO }

// Remind sends the reminders due (before, on and after the due date), marks receipts overdue, and suspends the
// enrollments with a receipt unpaid past its grace (River's periodic billing.remind); it returns how many changes
// it made.
func (s *Service) Remind(ctx context.Context) (int, error) { return 0, errTODO }

// ExpirePending drops enrollment id if it is still pending past its expiry: its first receipt is cancelled (its
// link expired, so a payment still arriving is a payment exception). River's billing.expire_pending.
func (s *Service) ExpirePending(ctx context.Context, id int64) (bool, error) { return false, errTODO }

// RecordPayment records cash (or money received another way) against receipt id by the manager in ctx: partially
// paid, or paid in full (the enrollment activated or resumed as paying by link would). More than is due is a field
// error.
func (s *Service) RecordPayment(ctx context.Context, id int64, p CashPayment) (Receipt, error) {
	return Receipt{}, errTODO
}

// Waive forgives what is left of receipt id: its link is cancelled (a payment still arriving becomes a payment
// exception); a receipt paid meanwhile is ErrNotOpen.
func (s *Service) Waive(ctx context.Context, id int64, reason string) (Receipt, error) {
	return Receipt{}, errTODO
}

// ExtendGrace moves receipt id's grace to until (later than now and than its current grace); a suspension it
// caused is lifted when no other receipt is past its grace.
func (s *Service) ExtendGrace(ctx context.Context, id int64, until time.Time) (Receipt, error) {
	return Receipt{}, errTODO
}

// Pause pauses active enrollment id (no receipts issued, access paused); Resume takes it up again from the next
// period due after now.
func (s *Service) Pause(ctx context.Context, id int64, reason string) (Enrollment, error) {
	return Enrollment{}, errTODO
}

// Resume: see Pause.
func (s *Service) Resume(ctx context.Context, id int64) (Enrollment, error) {
	return Enrollment{}, errTODO
}

// Cancel ends enrollment id (pending, active, suspended or paused): no further receipts, its open receipts
// cancelled, access until the end of the last paid period.
func (s *Service) Cancel(ctx context.Context, id int64, reason string) (Enrollment, error) {
	return Enrollment{}, errTODO
}

// NewService returns a Service on pool, or an error naming what is missing.
func NewService(pool *pgxpool.Pool, al *audit.Log, cfg Config, d Deps) (*Service, error) {
	switch {
	case pool == nil:
		return nil, errors.New("billing: a pool is required")
	case al == nil:
		return nil, errors.New("billing: an audit log is required")
	}
	for _, dep := range []struct {
		name string
		v    any
	}{{"Offers", d.Offers}, {"Systems", d.Systems}, {"Contacts", d.Contacts}, {"Access", d.Access},
		{"Links", d.Links}, {"Welcome", d.Welcome}, {"School", d.School}, {"Mailer", d.Mailer}, {"Jobs", d.Jobs}} {
		if dep.v == nil || (reflect.ValueOf(dep.v).Kind() == reflect.Pointer && reflect.ValueOf(dep.v).IsNil()) {
			return nil, fmt.Errorf("billing: Deps.%s is required", dep.name)
		}
	}
	return &Service{db: pool, audit: al, deps: d, cfg: cfg}, nil
}
