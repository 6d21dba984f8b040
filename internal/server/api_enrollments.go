package server

import (
	"net/http"
	"strings"
	"time"

	"github.com/bursar/bursar/internal/billing"
	"github.com/bursar/bursar/internal/check"
)

// The enrollments and receipts of the JSON API (scope billing): the same use cases as the admin screens, in
// internal/billing.

// scheduleJSON is when an enrollment's periods (or parts) are due.
type scheduleJSON struct {
	FirstDue time.Time `json:"first_due"`
	Every    int       `json:"every"`
	Unit     string    `json:"unit"`
	Day      int       `json:"day"`     // monthly: the day of month; 0 for first_due's day
	Periods  int       `json:"periods"` // 0: until cancelled
	TimeZone string    `json:"time_zone"`
}

// enrollmentJSON is an enrollment in the API; amount (one period's price, or the whole price of installments) and
// fee are in minor units of currency.
type enrollmentJSON struct {
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
	Schedule         scheduleJSON      `json:"schedule"`
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

// enrollmentDetailJSON is an enrollment with its receipts and timeline (GET /enrollments/{id} and the actions'
// answers); PayURL is set in the answer to POST /enrollments: where the payer pays the first receipt.
type enrollmentDetailJSON struct {
	enrollmentJSON
	PayURL   string           `json:"pay_url,omitempty"`
	Receipts []receiptJSON    `json:"receipts"`
	Timeline []orderEventJSON `json:"timeline"`
}

func enrollmentOut(en billing.Enrollment) enrollmentJSON {
	sc := en.Schedule
	out := enrollmentJSON{ID: en.ID, Status: string(en.Status), Kind: string(en.Kind), OfferID: en.OfferID,
		Title: en.Title, PayerID: en.PayerID, LearnerID: en.LearnerID, Amount: en.Price.Amount,
		Currency: en.Price.Currency, Fee: en.Fee, Schedule: scheduleJSON{FirstDue: sc.First.UTC(), Every: sc.Every,
			Unit: string(sc.Unit), Day: sc.Day, Periods: sc.Periods, TimeZone: en.TimeZone},
		GraceDays: en.GraceDays, RemindDays: en.RemindDays, UnlockByPart: en.UnlockByPart,
		PaymentSystemIDs: en.PaymentSystemIDs, Language: en.Language, Answers: en.Answers, NextPeriod: en.NextPeriod,
		NextDueAt: utcPtr(nextDue(en)), NextIssueAt: utcPtr(en.NextIssueAt), PaidThrough: utcPtr(en.PaidThrough),
		ExpiresAt: utcPtr(en.ExpiresAt), ActivatedAt: utcPtr(en.ActivatedAt), SuspendedAt: utcPtr(en.SuspendedAt),
		PausedAt: utcPtr(en.PausedAt), EndedAt: utcPtr(en.EndedAt), EndReason: en.EndReason, Creator: en.Creator,
		CreatedAt: en.CreatedAt.UTC(), UpdatedAt: en.UpdatedAt.UTC()}
	if out.PaymentSystemIDs == nil {
		out.PaymentSystemIDs = []int64{}
	}
	if out.Answers == nil {
		out.Answers = map[string]string{}
	}
	return out
}

// learnerIn is the person a payer enrolls (POST /enrollments' learner).
type learnerIn struct {
	Email string `json:"email"`
	Name  string `json:"name"`
}

// enrollmentIn is the body of POST /api/v1/enrollments.
type enrollmentIn struct {
	OfferID         int64             `json:"offer_id"`
	PayerID         int64             `json:"payer_id"`
	Learner         *learnerIn        `json:"learner"`
	PaymentSystemID int64             `json:"payment_system_id"`
	Answers         map[string]string `json:"answers"`
	Language        string            `json:"language"`
}

// apiEnrollmentCreate is POST /api/v1/enrollments: billing's Enroll (the pending enrollment and its first
// receipt); Idempotency-Key is honoured by the idempotent middleware.
func (s *Server) apiEnrollmentCreate(w http.ResponseWriter, r *http.Request) {
	var in enrollmentIn
	if !decodeJSON(w, r, &in) {
		return
	}
	n := billing.EnrollInput{OfferID: in.OfferID, PayerID: in.PayerID, PaymentSystemID: in.PaymentSystemID,
		Answers: in.Answers, Language: strings.TrimSpace(in.Language)}
	if in.Learner != nil {
		n.Learner = &billing.LearnerInput{Email: strings.TrimSpace(in.Learner.Email), Name: strings.TrimSpace(in.Learner.Name)}
	}
	got, err := s.billing.Enroll(r.Context(), n)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/enrollments/"+itoa(got.Enrollment.ID))
	s.apiEnrollmentAnswer(w, r, http.StatusCreated, got.Enrollment, got.Receipt.PayURL)
}

func (s *Server) apiEnrollments(w http.ResponseWriter, r *http.Request) {
	limit, err := pageLimit(r)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	before, err := decodeCursor(r.URL.Query().Get("cursor"))
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	e := check.Errors{}
	f := enrollmentFilter(r, e)
	f.BeforeID, f.Limit = before, limit
	if err := e.Err(); err != nil {
		s.apiError(w, r, err)
		return
	}
	page, err := s.billing.Enrollments(r.Context(), f)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	out := List[enrollmentJSON]{Data: make([]enrollmentJSON, 0, len(page.Enrollments))}
	for _, en := range page.Enrollments {
		out.Data = append(out.Data, enrollmentOut(en))
	}
	if page.NextBeforeID != 0 {
		out.NextCursor = encodeCursor(page.NextBeforeID)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiEnrollment(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	en, err := s.billing.Get(r.Context(), id)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	s.apiEnrollmentAnswer(w, r, http.StatusOK, en, "")
}

// apiEnrollmentIssueNext is POST /api/v1/enrollments/{id}/issue-next: the next receipt issued now; answers the
// receipt, 201.
func (s *Server) apiEnrollmentIssueNext(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	rc, err := s.billing.IssueNext(r.Context(), id)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/receipts/"+itoa(rc.ID))
	s.apiReceiptAnswer(w, r, http.StatusCreated, rc)
}

// reasonIn is the optional body of pause, cancel and waive.
type reasonIn struct {
	Reason string `json:"reason"`
}

// readReason reads an optional {"reason": …}; false when the body was refused (answered already).
func readReason(w http.ResponseWriter, r *http.Request) (string, bool) {
	var in reasonIn
	if r.ContentLength != 0 && !decodeJSON(w, r, &in) {
		return "", false
	}
	return strings.TrimSpace(in.Reason), true
}

// apiEnrollmentPause is POST /api/v1/enrollments/{id}/pause with {"reason": …}.
func (s *Server) apiEnrollmentPause(w http.ResponseWriter, r *http.Request) {
	s.apiEnrollmentAction(w, r, func(id int64, reason string) (billing.Enrollment, error) {
		return s.billing.Pause(r.Context(), id, reason)
	})
}

// apiEnrollmentResume is POST /api/v1/enrollments/{id}/resume.
func (s *Server) apiEnrollmentResume(w http.ResponseWriter, r *http.Request) {
	s.apiEnrollmentAction(w, r, func(id int64, _ string) (billing.Enrollment, error) {
		return s.billing.Resume(r.Context(), id)
	})
}

// apiEnrollmentCancel is POST /api/v1/enrollments/{id}/cancel with {"reason": …}.
func (s *Server) apiEnrollmentCancel(w http.ResponseWriter, r *http.Request) {
	s.apiEnrollmentAction(w, r, func(id int64, reason string) (billing.Enrollment, error) {
		return s.billing.Cancel(r.Context(), id, reason)
	})
}

func (s *Server) apiEnrollmentAction(w http.ResponseWriter, r *http.Request, do func(id int64, reason string) (billing.Enrollment, error)) {
	id, err := pathID(r, "id")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	reason, ok := readReason(w, r)
	if !ok {
		return
	}
	en, err := do(id, reason)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	s.apiEnrollmentAnswer(w, r, http.StatusOK, en, "")
}

// apiEnrollmentAnswer writes en with its receipts and timeline.
func (s *Server) apiEnrollmentAnswer(w http.ResponseWriter, r *http.Request, status int, en billing.Enrollment, payURL string) {
	ctx := r.Context()
	rp, err := s.billing.Receipts(ctx, billing.ReceiptFilter{EnrollmentID: en.ID, Limit: billing.MaxList})
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	evs, err := s.billing.Events(ctx, en.ID)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	out := enrollmentDetailJSON{enrollmentJSON: enrollmentOut(en), PayURL: payURL,
		Receipts: make([]receiptJSON, 0, len(rp.Receipts)), Timeline: make([]orderEventJSON, 0, len(evs))}
	for _, rc := range rp.Receipts {
		out.Receipts = append(out.Receipts, receiptOut(rc))
	}
	for _, e := range evs {
		out.Timeline = append(out.Timeline, orderEventJSON{Kind: e.Kind, Message: e.Message, Actor: e.Actor,
			CreatedAt: e.CreatedAt.UTC()})
	}
	writeJSON(w, status, out)
}
