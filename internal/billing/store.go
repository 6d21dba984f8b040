package billing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/billing/billingq"
	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/db"
	"github.com/bursar/bursar/internal/money"
	"github.com/bursar/bursar/internal/offer"
)

// core is what the Service and the Completions share: the audit log, the settings and the modules.
type core struct {
	audit *audit.Log
	cfg   Config
	deps  Deps
}

func (c core) now() time.Time {
	if c.cfg.Now != nil {
		return c.cfg.Now()
	}
	return time.Now()
}

func (c core) window() time.Duration {
	if c.cfg.FirstPaymentWindow > 0 {
		return c.cfg.FirstPaymentWindow
	}
	return DefaultFirstPaymentWindow
}

func (c core) lead() time.Duration {
	if c.cfg.IssueLead > 0 {
		return c.cfg.IssueLead
	}
	return DefaultIssueLead
}

// Terms are how an offer is billed: its schedule, enrollment fee, grace, reminders and unlocking.
type Terms struct {
	Every        int
	Unit         Unit
	Day          int
	Periods      int // tuition: 0 until cancelled; installments: the parts
	Fee          int64
	GraceDays    int
	RemindDays   int
	UnlockByPart bool
}

// terms reads an offer's billing terms (offer.Input's billing fields).
func terms(of offer.Offer) (Terms, error) {
	t := Terms{Every: of.BillingEvery, Unit: Unit(of.BillingUnit), Day: of.BillingDay, Periods: of.BillingPeriods,
		Fee: of.EnrollmentFee, GraceDays: of.GraceDays, RemindDays: of.RemindDays, UnlockByPart: of.UnlockByPart}
	if t.Unit != Month {
		t.Day = 0
	}
	if of.Kind == string(KindInstallments) {
		t.Periods, t.Fee = of.Installments, 0
		if t.Periods < 1 {
			return Terms{}, check.Field("offer_id", "the offer has no number of installments")
		}
	} else {
		t.UnlockByPart = false
	}
	return t, nil
}

var (
	locMu sync.Mutex
	locs  = map[string]*time.Location{}
)

// location loads (once) the time zone named tz; an unknown one is UTC.
func location(tz string) *time.Location {
	locMu.Lock()
	defer locMu.Unlock()
	if l, ok := locs[tz]; ok {
		return l
	}
	l, err := time.LoadLocation(tz)
	if err != nil {
		l = time.UTC
	}
	locs[tz] = l
	return l
}

func enrollmentFrom(r billingq.Enrollment) Enrollment {
	e := Enrollment{ID: r.ID, OfferID: r.OfferID, Kind: Kind(r.Kind), PayerID: r.PayerID, LearnerID: r.LearnerID,
		Status: EnrollmentStatus(r.Status), Title: r.Title, Price: money.Money{Amount: r.Amount, Currency: r.Currency},
		Fee: r.Fee, TimeZone: r.TimeZone, GraceDays: int(r.GraceDays), RemindDays: int(r.RemindDays),
		UnlockByPart: r.UnlockByPart, PaymentSystemIDs: r.PaymentSystemIds, Language: r.Language,
		NextPeriod: int(r.NextPeriod), NextIssueAt: r.NextIssueAt, PaidThrough: r.PaidThrough, ExpiresAt: r.ExpiresAt,
		ActivatedAt: r.ActivatedAt, SuspendedAt: r.SuspendedAt, PausedAt: r.PausedAt, EndedAt: r.EndedAt,
		EndReason: r.EndReason, Creator: r.Creator, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
		Schedule: Schedule{First: r.FirstDue, Every: int(r.Every), Unit: Unit(r.Unit), Day: int(r.Day),
			Periods: int(r.Periods), Location: location(r.TimeZone)}}
	e.Answers = map[string]string{}
	_ = json.Unmarshal(r.Answers, &e.Answers)
	return e
}

func enrollmentsFrom(rs []billingq.Enrollment) []Enrollment {
	out := make([]Enrollment, 0, len(rs))
	for _, r := range rs {
		out = append(out, enrollmentFrom(r))
	}
	return out
}

func receiptFrom(r billingq.Receipt) Receipt {
	rc := Receipt{ID: r.ID, EnrollmentID: r.EnrollmentID, Period: int(r.Period), Number: r.Number,
		PayerID: r.PayerID, LearnerID: r.LearnerID, OfferID: r.OfferID, Title: r.Title,
		Amount: money.Money{Amount: r.Amount, Currency: r.Currency}, Fee: r.Fee, Paid: r.Paid,
		PeriodStart: r.PeriodStart, PeriodEnd: r.PeriodEnd, DueAt: r.DueAt, GraceUntil: r.GraceUntil,
		Status: ReceiptStatus(r.Status), Reminded: int(r.Reminded), IssuedAt: r.IssuedAt, PaidAt: r.PaidAt,
		DecidedAt: r.DecidedAt, DecidedBy: r.DecidedBy, Note: r.Note, UpdatedAt: r.UpdatedAt}
	if r.LinkID != nil {
		rc.LinkID = *r.LinkID
	}
	return rc
}

func receiptsFrom(rs []billingq.Receipt) []Receipt {
	out := make([]Receipt, 0, len(rs))
	for _, r := range rs {
		out = append(out, receiptFrom(r))
	}
	return out
}

func paymentFrom(r billingq.ReceiptPayment) Payment {
	p := Payment{ID: r.ID, ReceiptID: r.ReceiptID, Method: r.Method,
		Amount: money.Money{Amount: r.Amount, Currency: r.Currency}, PaidOn: r.PaidOn, Note: r.Note,
		RecordedBy: r.RecordedBy, CreatedAt: r.CreatedAt}
	if r.OrderID != nil {
		p.OrderID = *r.OrderID
	}
	return p
}

// notFound maps pgx.ErrNoRows to check.ErrNotFound.
func notFound(what string, id any, err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%s %v: %w", what, id, check.ErrNotFound)
	}
	return fmt.Errorf("%s %v: %w", what, id, err)
}

func getEnrollment(ctx context.Context, q db.DBTX, id int64) (Enrollment, error) {
	r, err := billingq.New(q).EnrollmentGet(ctx, id)
	if err != nil {
		return Enrollment{}, notFound("enrollment", id, err)
	}
	return enrollmentFrom(r), nil
}

func lockEnrollment(ctx context.Context, tx db.DBTX, id int64) (Enrollment, error) {
	r, err := billingq.New(tx).EnrollmentLock(ctx, id)
	if err != nil {
		return Enrollment{}, notFound("enrollment", id, err)
	}
	return enrollmentFrom(r), nil
}

func lockReceipt(ctx context.Context, tx db.DBTX, id int64) (Receipt, error) {
	r, err := billingq.New(tx).ReceiptLock(ctx, id)
	if err != nil {
		return Receipt{}, notFound("receipt", id, err)
	}
	return receiptFrom(r), nil
}

// saveEnrollment writes back e's mutable state.
func (c core) saveEnrollment(ctx context.Context, tx db.DBTX, e Enrollment) (Enrollment, error) {
	r, err := billingq.New(tx).EnrollmentSave(ctx, billingq.EnrollmentSaveParams{ID: e.ID, Status: string(e.Status),
		NextPeriod: int32(e.NextPeriod), NextIssueAt: e.NextIssueAt, PaidThrough: e.PaidThrough,
		ExpiresAt: e.ExpiresAt, ActivatedAt: e.ActivatedAt, SuspendedAt: e.SuspendedAt, PausedAt: e.PausedAt,
		EndedAt: e.EndedAt, EndReason: e.EndReason, Now: c.now()})
	if err != nil {
		return Enrollment{}, fmt.Errorf("save enrollment %d: %w", e.ID, err)
	}
	return enrollmentFrom(r), nil
}

// saveReceipt writes back r's mutable state.
func (c core) saveReceipt(ctx context.Context, tx db.DBTX, r Receipt) (Receipt, error) {
	row, err := billingq.New(tx).ReceiptSave(ctx, billingq.ReceiptSaveParams{ID: r.ID, Status: string(r.Status),
		Paid: r.Paid, PaidAt: r.PaidAt, GraceUntil: r.GraceUntil, Reminded: int32(r.Reminded),
		DecidedAt: r.DecidedAt, DecidedBy: r.DecidedBy, Note: r.Note, Now: c.now()})
	if err != nil {
		return Receipt{}, fmt.Errorf("save receipt %d: %w", r.ID, err)
	}
	return receiptFrom(row), nil
}

// eventTx writes a change of enrollment e (and of receipt receiptID, 0 for none) on the enrollment's timeline, the
// payer's and (when another) the learner's, and in the audit log.
func (c core) eventTx(ctx context.Context, tx db.DBTX, e Enrollment, receiptID int64, kind, msg, action string,
	details map[string]any) error {
	actor := audit.ActorFrom(ctx).Label
	var rid *int64
	if receiptID != 0 {
		rid = &receiptID
	}
	if err := billingq.New(tx).EventInsert(ctx, billingq.EventInsertParams{EnrollmentID: e.ID, ReceiptID: rid,
		Kind: kind, Message: msg, Actor: actor, Now: c.now()}); err != nil {
		return fmt.Errorf("enrollment %d event: %w", e.ID, err)
	}
	if err := c.deps.Contacts.AddEventTx(ctx, tx, e.PayerID, kind, msg); err != nil {
		return err
	}
	if e.LearnerID != e.PayerID {
		if err := c.deps.Contacts.AddEventTx(ctx, tx, e.LearnerID, kind, msg); err != nil {
			return err
		}
	}
	if details == nil {
		details = map[string]any{}
	}
	details["enrollment_id"] = e.ID
	entity, id := "enrollment", e.ID
	if receiptID != 0 {
		entity, id = "receipt", receiptID
	}
	if err := c.audit.RecordTx(ctx, tx, action, entity, id, details); err != nil {
		return err
	}
	return emit(ctx, kind, e.ID, receiptID)
}

// grantIDs are the grants enrollment id made.
func grantIDs(ctx context.Context, tx db.DBTX, id int64) ([]int64, error) {
	rows, err := billingq.New(tx).GrantsOf(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("grants of enrollment %d: %w", id, err)
	}
	ids := make([]int64, 0, len(rows))
	for _, r := range rows {
		ids = append(ids, r.GrantID)
	}
	return ids, nil
}

// dayAfter is the start of the day n days after t's day in loc.
func dayAfter(t time.Time, n int, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	y, m, d = time.Date(y, m, d+n, 12, 0, 0, 0, time.UTC).Date()
	return startOfDay(y, m, d, loc)
}

// system is the actor of the jobs.
func system(ctx context.Context) context.Context {
	return audit.WithActor(ctx, audit.Actor{Type: audit.ActorSystem, Label: "system"})
}
