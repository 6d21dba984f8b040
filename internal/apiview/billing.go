package apiview

import (
	"time"

	"github.com/bursar/bursar/internal/billing"
)

// Receipt is a receipt in the API; amount, fee (the enrollment fee included in amount), paid and due (what is
// left while it is open, else 0) are in minor units of currency.
type Receipt struct {
	ID            int64      `json:"id"`
	Number        string     `json:"number"`
	Status        string     `json:"status"`
	EnrollmentID  int64      `json:"enrollment_id"`
	Period        int        `json:"period"`
	PayerID       int64      `json:"payer_id"`
	LearnerID     int64      `json:"learner_id"`
	OfferID       int64      `json:"offer_id"`
	Title         string     `json:"title"`
	Amount        int64      `json:"amount"`
	Currency      string     `json:"currency"`
	Fee           int64      `json:"fee"`
	Paid          int64      `json:"paid"`
	Due           int64      `json:"due"`
	PeriodStart   time.Time  `json:"period_start"`
	PeriodEnd     time.Time  `json:"period_end"`
	DueAt         time.Time  `json:"due_at"`
	GraceUntil    time.Time  `json:"grace_until"`
	PaymentLinkID *int64     `json:"payment_link_id"`
	PayURL        string     `json:"pay_url"` // the payer's page while the receipt is open
	Reminded      int        `json:"reminded"`
	IssuedAt      time.Time  `json:"issued_at"`
	PaidAt        *time.Time `json:"paid_at"`
	DecidedAt     *time.Time `json:"decided_at"`
	DecidedBy     string     `json:"decided_by"`
	Note          string     `json:"note"`
	UpdatedAt     time.Time  `json:"updated_at"`
}

// ReceiptPayment is money that paid (part of) a receipt.
type ReceiptPayment struct {
	ID         int64     `json:"id"`
	Method     string    `json:"method"` // order or cash
	OrderID    *int64    `json:"order_id"`
	Amount     int64     `json:"amount"`
	Currency   string    `json:"currency"`
	PaidOn     string    `json:"paid_on"`
	Note       string    `json:"note"`
	RecordedBy string    `json:"recorded_by"`
	CreatedAt  time.Time `json:"created_at"`
}

// ReceiptDetail is a receipt with its payments (GET /receipts/{id} and the actions' answers).
type ReceiptDetail struct {
	Receipt
	Payments []ReceiptPayment `json:"payments"`
}

// ReceiptOf is rc in the API.
func ReceiptOf(rc billing.Receipt) Receipt {
	out := Receipt{ID: rc.ID, Number: rc.Number, Status: string(rc.Status), EnrollmentID: rc.EnrollmentID,
		Period: rc.Period, PayerID: rc.PayerID, LearnerID: rc.LearnerID, OfferID: rc.OfferID, Title: rc.Title,
		Amount: rc.Amount.Amount, Currency: rc.Amount.Currency, Fee: rc.Fee, Paid: rc.Paid,
		PeriodStart: rc.PeriodStart.UTC(), PeriodEnd: rc.PeriodEnd.UTC(), DueAt: rc.DueAt.UTC(),
		GraceUntil: rc.GraceUntil.UTC(), PaymentLinkID: Positive(rc.LinkID), PayURL: rc.PayURL,
		Reminded: rc.Reminded, IssuedAt: rc.IssuedAt.UTC(), PaidAt: UTCPtr(rc.PaidAt), DecidedAt: UTCPtr(rc.DecidedAt),
		DecidedBy: rc.DecidedBy, Note: rc.Note, UpdatedAt: rc.UpdatedAt.UTC()}
	if rc.Status.Open() {
		out.Due = rc.Due().Amount
	}
	return out
}

// ReceiptDetailOf is rc with its payments in the API.
func ReceiptDetailOf(rc billing.Receipt, pays []billing.Payment) ReceiptDetail {
	out := ReceiptDetail{Receipt: ReceiptOf(rc), Payments: make([]ReceiptPayment, 0, len(pays))}
	for _, p := range pays {
		out.Payments = append(out.Payments, ReceiptPayment{ID: p.ID, Method: p.Method, OrderID: Positive(p.OrderID),
			Amount: p.Amount.Amount, Currency: p.Amount.Currency, PaidOn: p.PaidOn.Format(time.DateOnly), Note: p.Note,
			RecordedBy: p.RecordedBy, CreatedAt: p.CreatedAt.UTC()})
	}
	return out
}

// Schedule is when an enrollment's periods (or parts) are due.
type Schedule struct {
	FirstDue time.Time `json:"first_due"`
	Every    int       `json:"every"`
	Unit     string    `json:"unit"`
	Day      int       `json:"day"`     // monthly: the day of month; 0 for first_due's day
	Periods  int       `json:"periods"` // 0: until cancelled
	TimeZone string    `json:"time_zone"`
}

// Enrollment is an enrollment in the API; amount (one period's price, or the whole price of installments) and
// fee are in minor units of currency.
type Enrollment struct {
	ID               int64             `json:"id"`
	Status           string            `json:"status"`
	Kind             string            `json:"kind"`
	OfferID          int64             `json:"offer_id"`
	Title            string            `json:"title"`
	PayerID          int64             `json:"payer_id"`
	LearnerID        int64             `json:"learner_id"`
	Amount           int64             `json:"amount"`
	Currency         string            `json:"currency"`
	Fee              int64             `json:"fee"`
	Schedule         Schedule          `json:"schedule"`
	GraceDays        int               `json:"grace_days"`
	RemindDays       int               `json:"remind_days"`
	UnlockByPart     bool              `json:"unlock_by_part"`
	PaymentSystemIDs []int64           `json:"payment_system_ids"`
	Language         string            `json:"language"`
	Answers          map[string]string `json:"answers"`
	NextPeriod       int               `json:"next_period"`
	NextDueAt        *time.Time        `json:"next_due_at"`
	NextIssueAt      *time.Time        `json:"next_issue_at"`
	PaidThrough      *time.Time        `json:"paid_through"`
	ExpiresAt        *time.Time        `json:"expires_at"`
	ActivatedAt      *time.Time        `json:"activated_at"`
	SuspendedAt      *time.Time        `json:"suspended_at"`
	PausedAt         *time.Time        `json:"paused_at"`
	EndedAt          *time.Time        `json:"ended_at"`
	EndReason        string            `json:"end_reason"`
	Creator          string            `json:"creator"`
	CreatedAt        time.Time         `json:"created_at"`
	UpdatedAt        time.Time         `json:"updated_at"`
}

// EnrollmentDetail is an enrollment with its receipts and timeline (GET /enrollments/{id} and the actions'
// answers); PayURL is set in the answer to POST /enrollments: where the payer pays the first receipt.
type EnrollmentDetail struct {
	Enrollment
	PayURL   string    `json:"pay_url,omitempty"`
	Receipts []Receipt `json:"receipts"`
	Timeline []Line    `json:"timeline"`
}

// NextDue is when en's next period is due, nil when nothing more is to be issued.
func NextDue(en billing.Enrollment) *time.Time {
	if en.NextIssueAt == nil || en.Schedule.Location == nil || en.Schedule.First.IsZero() || en.NextPeriod < 0 ||
		(en.Schedule.Periods > 0 && en.NextPeriod >= en.Schedule.Periods) {
		return nil
	}
	d := en.Schedule.Due(en.NextPeriod)
	return &d
}

// EnrollmentOf is en in the API.
func EnrollmentOf(en billing.Enrollment) Enrollment {
	sc := en.Schedule
	out := Enrollment{ID: en.ID, Status: string(en.Status), Kind: string(en.Kind), OfferID: en.OfferID,
		Title: en.Title, PayerID: en.PayerID, LearnerID: en.LearnerID, Amount: en.Price.Amount,
		Currency: en.Price.Currency, Fee: en.Fee, Schedule: Schedule{FirstDue: sc.First.UTC(), Every: sc.Every,
			Unit: string(sc.Unit), Day: sc.Day, Periods: sc.Periods, TimeZone: en.TimeZone},
		GraceDays: en.GraceDays, RemindDays: en.RemindDays, UnlockByPart: en.UnlockByPart,
		PaymentSystemIDs: en.PaymentSystemIDs, Language: en.Language, Answers: en.Answers, NextPeriod: en.NextPeriod,
		NextDueAt: UTCPtr(NextDue(en)), NextIssueAt: UTCPtr(en.NextIssueAt), PaidThrough: UTCPtr(en.PaidThrough),
		ExpiresAt: UTCPtr(en.ExpiresAt), ActivatedAt: UTCPtr(en.ActivatedAt), SuspendedAt: UTCPtr(en.SuspendedAt),
		PausedAt: UTCPtr(en.PausedAt), EndedAt: UTCPtr(en.EndedAt), EndReason: en.EndReason, Creator: en.Creator,
		CreatedAt: en.CreatedAt.UTC(), UpdatedAt: en.UpdatedAt.UTC()}
	if out.PaymentSystemIDs == nil {
		out.PaymentSystemIDs = []int64{}
	}
	if out.Answers == nil {
		out.Answers = map[string]string{}
	}
	return out
}

// EnrollmentDetailOf is en with its receipts and timeline evs in the API; payURL "" leaves pay_url out.
func EnrollmentDetailOf(en billing.Enrollment, payURL string, receipts []billing.Receipt, evs []billing.Event) EnrollmentDetail {
	out := EnrollmentDetail{Enrollment: EnrollmentOf(en), PayURL: payURL,
		Receipts: make([]Receipt, 0, len(receipts)), Timeline: make([]Line, 0, len(evs))}
	for _, rc := range receipts {
		out.Receipts = append(out.Receipts, ReceiptOf(rc))
	}
	for _, e := range evs {
		out.Timeline = append(out.Timeline, line(e.Kind, e.Message, e.Actor, e.CreatedAt))
	}
	return out
}
