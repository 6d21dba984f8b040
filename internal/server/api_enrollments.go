package server

import (
	"net/http"
	"strings"

	"github.com/bursar/bursar/internal/apiview"
	"github.com/bursar/bursar/internal/billing"
	"github.com/bursar/bursar/internal/check"
)

// The enrollments and receipts of the JSON API (scope billing): the same use cases as the admin screens, in
// internal/billing.

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
		out.Data = append(out.Data, apiview.EnrollmentOf(en))
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
	writeJSON(w, status, apiview.EnrollmentDetailOf(en, payURL, rp.Receipts, evs))
}
