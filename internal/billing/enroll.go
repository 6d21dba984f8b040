package billing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/billing/billingq"
	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/db"
	"github.com/bursar/bursar/internal/offer"
)

func (s *Service) core() core { return core{audit: s.audit, cfg: s.cfg, deps: s.deps} }

// MaxAnswer bounds one registration answer.
const MaxAnswer = 2000

// Enroll records a pending enrollment for in and issues its first receipt (the enrollment fee added) with its
// payment link, in one transaction; the payer pays on the link's page (Enrolled.Receipt.PayURL). Bad input is a
// check.Errors naming every field (the offer's required registration fields as "answers.<key>", a learner without
// an e-mail, a payment system the offer does not list); nothing is written then. A first receipt not paid within
// Config.FirstPaymentWindow is cancelled and the enrollment dropped (the billing.expire_pending job).
func (s *Service) Enroll(ctx context.Context, in EnrollInput) (Enrolled, error) {
	c := s.core()
	e := check.Errors{}
	of, err := s.deps.Offers.Offer(ctx, in.OfferID)
	switch {
	case errors.Is(err, check.ErrNotFound) || (err == nil && of.LinkOnly):
		e.Add("offer_id", "no offer has this id")
	case err != nil:
		return Enrolled{}, err
	case of.Kind != string(KindTuition) && of.Kind != string(KindInstallments):
		e.Add("offer_id", "is not a tuition or installments offer")
	case of.Status != offer.StatusPublished:
		e.Add("offer_id", "is not on sale")
	}
	if in.PayerID <= 0 {
		e.Add("payer_id", "is required")
	} else if _, err := s.deps.Contacts.Contact(ctx, in.PayerID); errors.Is(err, check.ErrNotFound) {
		e.Add("payer_id", "no contact has this id")
	} else if err != nil {
		return Enrolled{}, err
	}
	if in.Learner != nil {
		e.Email("learner.email", check.NormalizeEmail(in.Learner.Email), true)
		e.Text("learner.name", in.Learner.Name, false, 200)
	}
	answers := map[string]string{}
	for _, f := range of.RegistrationFields {
		v := strings.TrimSpace(in.Answers[f.Key])
		if f.Required && v == "" {
			e.Add("answers."+f.Key, "is required")
		}
		if v != "" {
			e.Text("answers."+f.Key, v, false, MaxAnswer)
			answers[f.Key] = v
		}
	}
	var tm Terms
	var systems []int64
	if of.ID != 0 && len(e) == 0 {
		if tm, err = terms(of); err != nil {
			return Enrolled{}, err
		}
		if systems, err = s.systems(ctx, of, in.PaymentSystemID, e); err != nil {
			return Enrolled{}, err
		}
	}
	if err := e.Err(); err != nil {
		return Enrolled{}, err
	}
	lang := in.Language
	if lang == "" || !slices.Contains(offer.Languages, lang) {
		lang = of.Language
	}
	var out Enrolled
	err = s.inTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		now := c.now()
		learnerID := in.PayerID
		if in.Learner != nil {
			l, _, err := s.deps.Contacts.PayerTx(ctx, tx, in.Learner.Email)
			if err != nil {
				return err
			}
			if l.Name == "" && strings.TrimSpace(in.Learner.Name) != "" {
				if _, err := s.deps.Contacts.NameIfEmptyTx(ctx, tx, l.ID, strings.TrimSpace(in.Learner.Name)); err != nil {
					return err
				}
			}
			learnerID = l.ID
		}
		school, err := s.deps.School.GetTx(ctx, tx)
		if err != nil {
			return err
		}
		sched := Schedule{First: now, Every: tm.Every, Unit: tm.Unit, Day: tm.Day, Periods: tm.Periods,
			Location: location(school.Timezone)}
		if err := sched.Validate(); err != nil {
			return err
		}
		raw, err := json.Marshal(answers)
		if err != nil {
			return err
		}
		expires := now.Add(c.window())
		row, err := billingq.New(tx).EnrollmentInsert(ctx, billingq.EnrollmentInsertParams{OfferID: of.ID,
			Kind: of.Kind, PayerID: in.PayerID, LearnerID: learnerID, Title: of.Title, Amount: of.Amount,
			Fee: tm.Fee, Currency: of.Currency, FirstDue: now, Every: int32(tm.Every), Unit: string(tm.Unit),
			Day: int32(tm.Day), Periods: int32(tm.Periods), TimeZone: sched.Location.String(),
			GraceDays: int32(tm.GraceDays), RemindDays: int32(tm.RemindDays), UnlockByPart: tm.UnlockByPart,
			PaymentSystemIds: systems, Language: lang, Answers: raw, NextPeriod: 0, ExpiresAt: &expires,
			Creator: audit.ActorFrom(ctx).Label, Now: now})
		if err != nil {
			return fmt.Errorf("insert enrollment: %w", err)
		}
		en := enrollmentFrom(row)
		msg := fmt.Sprintf("Enrolled in %s (%s %s), paid by contact %d for contact %d", en.Title, en.Kind, en.Price,
			en.PayerID, en.LearnerID)
		if err := c.eventTx(ctx, tx, en, 0, EventEnrolled, msg, "enrollment.create", map[string]any{
			"offer_id": en.OfferID, "payer_id": en.PayerID, "learner_id": en.LearnerID}); err != nil {
			return err
		}
		r, err := s.issueTx(ctx, tx, en, 0, expires, false)
		if err != nil {
			return err
		}
		en.NextPeriod, en.NextIssueAt = 1, c.issueAt(en.Schedule, 1)
		if en, err = c.saveEnrollment(ctx, tx, en); err != nil {
			return err
		}
		if _, err := s.deps.Jobs.InsertTx(ctx, tx, ExpirePendingArgs{EnrollmentID: en.ID},
			&river.InsertOpts{ScheduledAt: expires}); err != nil {
			return fmt.Errorf("schedule expiry of enrollment %d: %w", en.ID, err)
		}
		out = Enrolled{Enrollment: en, Receipt: r}
		return nil
	})
	return out, err
}

// systems are the enrollment's payment systems: the offer's enabled ones that take its currency (the receipts'
// links are custom amounts), the payer's pick first. A pick the offer does not list is a field error.
func (s *Service) systems(ctx context.Context, of offer.Offer, pick int64, e check.Errors) ([]int64, error) {
	if pick != 0 && !slices.Contains(of.PaymentSystemIDs, pick) {
		e.Add("payment_system_id", "is not one of the offer's payment systems")
		return nil, nil
	}
	var out []int64
	for _, id := range of.PaymentSystemIDs {
		sys, err := s.deps.Systems.Get(ctx, id)
		if errors.Is(err, check.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if !sys.Enabled || sys.TransactionCurrency(of.Currency) != of.Currency {
			if id == pick {
				e.Add("payment_system_id", fmt.Sprintf("%s cannot take this payment", sys.Name))
				return nil, nil
			}
			continue
		}
		if id == pick {
			out = append([]int64{id}, out...)
		} else {
			out = append(out, id)
		}
	}
	if len(out) == 0 {
		e.Add("payment_system_id", "the offer has no payment system that can take it")
	}
	return out, nil
}

// mailTx queues billing e-mail kind about e and r to contact to, once per dedup.
func (c core) mailTx(ctx context.Context, tx pgx.Tx, kind EmailKind, to int64, e Enrollment, r Receipt,
	dedup string, edit func(*Email)) error {
	ct, err := c.deps.Contacts.Contact(ctx, to)
	if err != nil {
		return err
	}
	m := Email{Kind: kind, To: ct.Email, Language: e.Language, Enrollment: e, Receipt: r, DedupKey: dedup}
	if edit != nil {
		edit(&m)
	}
	return c.deps.Mailer.BillingEmailTx(ctx, tx, m)
}

// Get returns enrollment id.
func (s *Service) Get(ctx context.Context, id int64) (Enrollment, error) {
	return getEnrollment(ctx, s.db, id)
}

// EnrollmentTx is Get inside tx (an event's object rendered in the emitting transaction).
func (s *Service) EnrollmentTx(ctx context.Context, tx db.DBTX, id int64) (Enrollment, error) {
	return getEnrollment(ctx, tx, id)
}

func limit(n int) int32 {
	if n <= 0 {
		return 50
	}
	return int32(min(n, MaxList))
}

// Enrollments lists enrollments under f, newest first.
func (s *Service) Enrollments(ctx context.Context, f Filter) (EnrollmentPage, error) {
	lim := limit(f.Limit)
	rows, err := billingq.New(s.db).EnrollmentsList(ctx, billingq.EnrollmentsListParams{Status: string(f.Status),
		OfferID: f.OfferID, ContactID: f.ContactID, Overdue: f.Overdue, BeforeID: f.BeforeID, Lim: lim + 1})
	if err != nil {
		return EnrollmentPage{}, fmt.Errorf("list enrollments: %w", err)
	}
	p := EnrollmentPage{Enrollments: enrollmentsFrom(rows)}
	if len(p.Enrollments) > int(lim) {
		p.Enrollments = p.Enrollments[:lim]
		p.NextBeforeID = p.Enrollments[lim-1].ID
	}
	return p, nil
}

// Events returns enrollment id's own timeline, oldest first.
func (s *Service) Events(ctx context.Context, id int64) ([]Event, error) {
	return s.EventsTx(ctx, s.db, id)
}

// EventsTx is Events inside tx.
func (s *Service) EventsTx(ctx context.Context, tx db.DBTX, id int64) ([]Event, error) {
	rows, err := billingq.New(tx).EventsOf(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("events of enrollment %d: %w", id, err)
	}
	out := make([]Event, 0, len(rows))
	for _, r := range rows {
		ev := Event{ID: r.ID, EnrollmentID: r.EnrollmentID, Kind: r.Kind, Message: r.Message, Actor: r.Actor,
			CreatedAt: r.CreatedAt}
		if r.ReceiptID != nil {
			ev.ReceiptID = *r.ReceiptID
		}
		out = append(out, ev)
	}
	return out, nil
}

// withURL fills r's PayURL, its link's page, while r is open (no read: the link's URL is its id signed).
func (s *Service) withURL(r Receipt) Receipt {
	if r.LinkID == 0 || !r.Status.Open() {
		return r
	}
	r.PayURL = s.deps.Links.URL(r.LinkID)
	return r
}

// Receipt returns receipt id.
func (s *Service) Receipt(ctx context.Context, id int64) (Receipt, error) {
	return s.ReceiptTx(ctx, s.db, id)
}

// ReceiptTx is Receipt inside tx (an event's object rendered in the emitting transaction).
func (s *Service) ReceiptTx(ctx context.Context, tx db.DBTX, id int64) (Receipt, error) {
	r, err := billingq.New(tx).ReceiptGet(ctx, id)
	if err != nil {
		return Receipt{}, notFound("receipt", id, err)
	}
	return s.withURL(receiptFrom(r)), nil
}

// ReceiptByNumber returns the receipt numbered number (R-2027-000123).
func (s *Service) ReceiptByNumber(ctx context.Context, number string) (Receipt, error) {
	r, err := billingq.New(s.db).ReceiptByNumber(ctx, number)
	if err != nil {
		return Receipt{}, notFound("receipt", number, err)
	}
	return s.withURL(receiptFrom(r)), nil
}

// Receipts lists receipts under f, newest first.
func (s *Service) Receipts(ctx context.Context, f ReceiptFilter) (ReceiptPage, error) {
	return s.ReceiptsTx(ctx, s.db, f)
}

// ReceiptsTx is Receipts inside tx.
func (s *Service) ReceiptsTx(ctx context.Context, tx db.DBTX, f ReceiptFilter) (ReceiptPage, error) {
	lim := limit(f.Limit)
	p := billingq.ReceiptsListParams{Status: string(f.Status), OfferID: f.OfferID, EnrollmentID: f.EnrollmentID,
		PayerID: f.PayerID, Overdue: f.Overdue, Now: s.core().now(), BeforeID: f.BeforeID, Lim: lim + 1}
	if !f.DueFrom.IsZero() {
		p.DueFrom = &f.DueFrom
	}
	if !f.DueTo.IsZero() {
		p.DueTo = &f.DueTo
	}
	rows, err := billingq.New(tx).ReceiptsList(ctx, p)
	if err != nil {
		return ReceiptPage{}, fmt.Errorf("list receipts: %w", err)
	}
	out := ReceiptPage{Receipts: receiptsFrom(rows)}
	for i := range out.Receipts {
		out.Receipts[i] = s.withURL(out.Receipts[i])
	}
	if len(out.Receipts) > int(lim) {
		out.Receipts = out.Receipts[:lim]
		out.NextBeforeID = out.Receipts[lim-1].ID
	}
	return out, nil
}

// Payments returns what paid receipt id, oldest first.
func (s *Service) Payments(ctx context.Context, id int64) ([]Payment, error) {
	return s.PaymentsTx(ctx, s.db, id)
}

// PaymentsTx is Payments inside tx.
func (s *Service) PaymentsTx(ctx context.Context, tx db.DBTX, id int64) ([]Payment, error) {
	rows, err := billingq.New(tx).PaymentsOfReceipt(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("payments of receipt %d: %w", id, err)
	}
	out := make([]Payment, 0, len(rows))
	for _, r := range rows {
		out = append(out, paymentFrom(r))
	}
	return out, nil
}

// Document is what receipt id's printable document shows.
func (s *Service) Document(ctx context.Context, id int64) (Document, error) {
	var d Document
	err := s.inTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		r, err := billingq.New(tx).ReceiptGet(ctx, id)
		if err != nil {
			return notFound("receipt", id, err)
		}
		d, err = s.core().documentTx(ctx, tx, receiptFrom(r))
		return err
	})
	return d, err
}

// documentTx is receipt r's document, read in tx.
func (c core) documentTx(ctx context.Context, tx pgx.Tx, r Receipt) (Document, error) {
	e, err := getEnrollment(ctx, tx, r.EnrollmentID)
	if err != nil {
		return Document{}, err
	}
	school, err := c.deps.School.GetTx(ctx, tx)
	if err != nil {
		return Document{}, err
	}
	people, err := c.deps.Contacts.ContactsByID(ctx, []int64{e.PayerID, e.LearnerID})
	if err != nil {
		return Document{}, err
	}
	rows, err := billingq.New(tx).PaymentsOfReceipt(ctx, r.ID)
	if err != nil {
		return Document{}, fmt.Errorf("payments of receipt %d: %w", r.ID, err)
	}
	d := Document{School: school, Payer: people[e.PayerID], Learner: people[e.LearnerID], Enrollment: e,
		Receipt: r, Language: e.Language}
	for _, p := range rows {
		d.Payments = append(d.Payments, paymentFrom(p))
	}
	return d, nil
}

// ForPayer returns the receipts contactID pays (the cabinet), newest first; ForLearner the enrollments contactID
// learns in, and ForPayerEnrollments those contactID pays for.
func (s *Service) ForPayer(ctx context.Context, contactID int64) ([]Receipt, error) {
	rows, err := billingq.New(s.db).ReceiptsForPayer(ctx, contactID)
	if err != nil {
		return nil, fmt.Errorf("receipts of payer %d: %w", contactID, err)
	}
	out := receiptsFrom(rows)
	for i := range out {
		out[i] = s.withURL(out[i])
	}
	return out, nil
}

// ForLearner returns the enrollments contactID learns in, newest first (see ForPayer).
func (s *Service) ForLearner(ctx context.Context, contactID int64) ([]Enrollment, error) {
	rows, err := billingq.New(s.db).EnrollmentsForLearner(ctx, contactID)
	if err != nil {
		return nil, fmt.Errorf("enrollments of learner %d: %w", contactID, err)
	}
	return enrollmentsFrom(rows), nil
}

// ForPayerEnrollments returns the enrollments contactID pays for, newest first (see ForPayer).
func (s *Service) ForPayerEnrollments(ctx context.Context, contactID int64) ([]Enrollment, error) {
	rows, err := billingq.New(s.db).EnrollmentsForPayer(ctx, contactID)
	if err != nil {
		return nil, fmt.Errorf("enrollments of payer %d: %w", contactID, err)
	}
	return enrollmentsFrom(rows), nil
}
