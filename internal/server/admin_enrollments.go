package server

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/bursar/bursar/internal/apiview"
	"github.com/bursar/bursar/internal/billing"
	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/money"
	"github.com/bursar/bursar/templates/admin"
)

// The Enrollments screens: the list (filters, keyset pages, CSV) and an enrollment's page (payer and learner,
// schedule, answers, receipts, timeline) with its actions: issue the next receipt now, pause, resume, cancel. Every
// change goes through internal/billing's use cases, as the API's.

func enrollmentURL(id int64) string { return "/admin/enrollments/" + itoa(id) }

// enrollmentFilter reads the filters the list, its CSV export and the API share: status, offer_id, contact_id
// (payer or learner) and overdue. Bad values are added to e.
func enrollmentFilter(r *http.Request, e check.Errors) billing.Filter {
	q := r.URL.Query()
	f := billing.Filter{Status: billing.EnrollmentStatus(q.Get("status")), OfferID: queryID(r, "offer_id", e),
		ContactID: queryID(r, "contact_id", e), Overdue: queryFlag(r, "overdue", e)}
	if f.Status != "" && !slices.Contains(billing.EnrollmentStatuses, f.Status) {
		e.Add("status", "must be one of "+joinStatuses(billing.EnrollmentStatuses))
	}
	return f
}

// queryFlag reads an optional yes/no query parameter: 1 or true, 0 or false, or nothing.
func queryFlag(r *http.Request, name string, e check.Errors) bool {
	switch r.URL.Query().Get(name) {
	case "", "0", "false":
		return false
	case "1", "true", "on":
		return true
	}
	e.Add(name, "must be true or false")
	return false
}

func joinStatuses[S ~string](all []S) string {
	out := make([]string, len(all))
	for i, s := range all {
		out[i] = string(s)
	}
	return strings.Join(out, ", ")
}

// adminContactFilter finds the contact the list's e-mail box names (?email=) when no contact_id is given; notice
// says why the list is empty without asking (no contact has the e-mail).
func (s *Server) adminContactFilter(ctx context.Context, email string, id *int64) (notice string, err error) {
	if email == "" || *id != 0 {
		return "", nil
	}
	c, err := s.contacts.ByEmail(ctx, email)
	switch {
	case errors.Is(err, check.ErrNotFound):
		return "No contact has the e-mail " + email + ".", nil
	case err != nil:
		return "", err
	}
	*id = c.ID
	return "", nil
}

// adminEnrollmentFilter is the list's filter: enrollmentFilter, with the contact also found by its e-mail.
func (s *Server) adminEnrollmentFilter(r *http.Request) (f billing.Filter, v admin.EnrollmentFilter, e check.Errors, notice string, err error) {
	q := r.URL.Query()
	e = check.Errors{}
	f = enrollmentFilter(r, e)
	v = admin.EnrollmentFilter{Status: q.Get("status"), OfferID: q.Get("offer_id"), ContactID: q.Get("contact_id"),
		Email: strings.TrimSpace(q.Get("email")), Overdue: f.Overdue}
	notice, err = s.adminContactFilter(r.Context(), v.Email, &f.ContactID)
	return f, v, e, notice, err
}

func (s *Server) adminEnrollments(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f, fv, errs, notice, err := s.adminEnrollmentFilter(r)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	v := admin.EnrollmentList{Page: s.adminPage(r, "Enrollments", "enrollments"), Filter: fv, Errors: errs,
		Notice: notice, CSVURL: csvURL("/admin/enrollments.csv", r)}
	for _, st := range billing.EnrollmentStatuses {
		v.Statuses = append(v.Statuses, string(st))
	}
	if v.Offers, err = s.linkOffers(r, false); err != nil {
		s.serverError(w, r, err)
		return
	}
	if len(errs) > 0 || notice != "" {
		status := http.StatusOK
		if len(errs) > 0 {
			status = http.StatusUnprocessableEntity
		}
		s.render(w, r, status, admin.EnrollmentsPage(v))
		return
	}
	f.BeforeID, f.Limit = parseID(r.URL.Query().Get("before")), ordersPageSize
	page, err := s.billing.Enrollments(ctx, f)
	if e, ok := check.AsErrors(err); ok {
		v.Errors = e
		s.render(w, r, http.StatusUnprocessableEntity, admin.EnrollmentsPage(v))
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	names := &contactEmails{s: s, ctx: ctx, cache: map[int64]string{}}
	if err := names.load(enrollmentContacts(page.Enrollments)); err != nil {
		s.serverError(w, r, err)
		return
	}
	for _, en := range page.Enrollments {
		v.Rows = append(v.Rows, enrollmentRow(en, names))
	}
	if page.NextBeforeID != 0 {
		nq := r.URL.Query()
		nq.Set("before", itoa(page.NextBeforeID))
		v.NextURL = "/admin/enrollments?" + nq.Encode()
	}
	s.render(w, r, http.StatusOK, admin.EnrollmentsPage(v))
}

// csvURL is the export of the list r shows: the same filters, every page.
func csvURL(path string, r *http.Request) string {
	q := r.URL.Query()
	q.Del("before")
	if len(q) > 0 {
		return path + "?" + q.Encode()
	}
	return path
}

func enrollmentContacts(list []billing.Enrollment) []int64 {
	ids := make([]int64, 0, 2*len(list))
	for _, en := range list {
		ids = append(ids, en.LearnerID, en.PayerID)
	}
	return ids
}

func enrollmentRow(en billing.Enrollment, names *contactEmails) admin.EnrollmentRow {
	row := admin.EnrollmentRow{ID: en.ID, Status: string(en.Status), Title: en.Title, OfferID: en.OfferID,
		LearnerID: en.LearnerID, Learner: names.of(en.LearnerID), Price: enrollmentPrice(en),
		NextDue: dateOrEmpty(nextDue(en), en), PaidThrough: dateOrEmpty(en.PaidThrough, en)}
	if en.PayerID != en.LearnerID {
		row.PayerID, row.Payer = en.PayerID, names.of(en.PayerID)
	}
	return row
}

// enrollmentPrice is what the enrollment costs, in words: "49.00 EUR per month", "300.00 EUR in 3 parts".
func enrollmentPrice(en billing.Enrollment) string {
	p := en.Price.Format("en")
	if en.Kind == billing.KindInstallments {
		return p + " in " + strconv.Itoa(en.Schedule.Periods) + " parts"
	}
	return p + " " + everyWords(en.Schedule, "per")
}

// everyWords is a schedule's step: "per month", "every 3 months"; lead is the word for one unit ("per", "every").
func everyWords(sc billing.Schedule, lead string) string {
	unit := string(sc.Unit)
	if sc.Every == 1 {
		return lead + " " + unit
	}
	return "every " + strconv.Itoa(sc.Every) + " " + unit + "s"
}

// scheduleWords is an enrollment's schedule as a manager reads it: "Every month on day 31 (the month's last day
// when shorter), 12 periods from 2027-01-31 (Europe/Madrid)".
func scheduleWords(en billing.Enrollment) string {
	sc := en.Schedule
	var b strings.Builder
	if en.Kind == billing.KindInstallments {
		b.WriteString(strconv.Itoa(sc.Periods) + " parts, " + everyWords(sc, "every") + " apart")
	} else {
		b.WriteString(strings.ToUpper(everyWords(sc, "every")[:1]) + everyWords(sc, "every")[1:])
	}
	if sc.Unit == billing.Month {
		day := sc.Day
		if day == 0 && sc.Location != nil && !sc.First.IsZero() {
			day = sc.First.In(sc.Location).Day()
		}
		if day > 0 {
			b.WriteString(" on day " + strconv.Itoa(day))
			if day > 28 {
				b.WriteString(" (the month's last day when shorter)")
			}
		}
	}
	if en.Kind != billing.KindInstallments {
		if sc.Periods > 0 {
			b.WriteString(", " + strconv.Itoa(sc.Periods) + " periods")
		} else {
			b.WriteString(", until cancelled")
		}
	}
	if !sc.First.IsZero() {
		b.WriteString(" from " + dateIn(sc.First, en))
	}
	if en.TimeZone != "" {
		b.WriteString(" (" + en.TimeZone + ")")
	}
	return b.String()
}

// nextDue is when the next period not issued yet is due; nil when nothing more is to be issued.
func nextDue(en billing.Enrollment) *time.Time { return apiview.NextDue(en) }

// dateIn is t's date in the enrollment's time zone (UTC when it has none loaded).
func dateIn(t time.Time, en billing.Enrollment) string {
	if en.Schedule.Location != nil {
		t = t.In(en.Schedule.Location)
	} else {
		t = t.UTC()
	}
	return t.Format(time.DateOnly)
}

func dateOrEmpty(t *time.Time, en billing.Enrollment) string {
	if t == nil {
		return ""
	}
	return dateIn(*t, en)
}

// enrollmentCSVHeader is the export's header row; amounts are decimal in the row's currency and in minor units.
var enrollmentCSVHeader = []string{"id", "status", "kind", "created_at", "offer_id", "title", "learner_email",
	"payer_email", "currency", "price", "price_minor", "fee_minor", "schedule", "next_due", "paid_through",
	"activated_at", "ended_at", "end_reason"}

// adminEnrollmentsCSV is GET /admin/enrollments.csv: the filtered list, every page, as CSV.
func (s *Server) adminEnrollmentsCSV(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f, _, errs, notice, err := s.adminEnrollmentFilter(r)
	switch {
	case err != nil:
		s.serverError(w, r, err)
		return
	case len(errs) > 0:
		s.htmlError(w, r, errs)
		return
	}
	f.Limit = billing.MaxList
	var page billing.EnrollmentPage
	if notice == "" {
		// The first page is read before anything is written, so bad filters still get a proper answer.
		if page, err = s.billing.Enrollments(ctx, f); err != nil {
			s.htmlError(w, r, err)
			return
		}
	}
	names := &contactEmails{s: s, ctx: ctx, cache: map[int64]string{}}
	cw := startCSV(w, "enrollments", s.now(), enrollmentCSVHeader)
	for {
		if err := names.load(enrollmentContacts(page.Enrollments)); err != nil {
			s.log.Error("enrollments export", "err", err)
			return
		}
		for _, en := range page.Enrollments {
			payer := ""
			if en.PayerID != en.LearnerID {
				payer = names.of(en.PayerID)
			}
			_ = cw.Write([]string{itoa(en.ID), string(en.Status), string(en.Kind), en.CreatedAt.UTC().Format(time.RFC3339),
				itoa(en.OfferID), csvText(en.Title), csvText(names.of(en.LearnerID)), csvText(payer), en.Price.Currency,
				en.Price.Decimal(), strconv.FormatInt(en.Price.Amount, 10), strconv.FormatInt(en.Fee, 10),
				csvText(scheduleWords(en)), dateOrEmpty(nextDue(en), en), dateOrEmpty(en.PaidThrough, en),
				rfc3339(en.ActivatedAt), rfc3339(en.EndedAt), csvText(en.EndReason)})
		}
		cw.Flush()
		if cw.Error() != nil || page.NextBeforeID == 0 {
			return
		}
		f.BeforeID = page.NextBeforeID
		if page, err = s.billing.Enrollments(ctx, f); err != nil {
			s.log.Error("enrollments export", "err", err)
			return
		}
	}
}

func rfc3339(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// adminEnrollment is an enrollment's page.
func (s *Server) adminEnrollment(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	s.renderEnrollment(w, r, id, http.StatusOK, nil)
}

// renderEnrollment shows enrollment id's page with status; adjust fills in what a failed form needs to show.
func (s *Server) renderEnrollment(w http.ResponseWriter, r *http.Request, id int64, status int, adjust func(*admin.EnrollmentView)) {
	v, err := s.enrollmentView(r, id)
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	if adjust != nil {
		adjust(&v)
	}
	s.render(w, r, status, admin.EnrollmentPage(v))
}

func (s *Server) enrollmentView(r *http.Request, id int64) (admin.EnrollmentView, error) {
	ctx := r.Context()
	en, err := s.billing.Get(ctx, id)
	if err != nil {
		return admin.EnrollmentView{}, err
	}
	people, err := s.contacts.ContactsByID(ctx, []int64{en.PayerID, en.LearnerID})
	if err != nil {
		return admin.EnrollmentView{}, err
	}
	person := func(id int64) admin.Person {
		p := admin.Person{ID: id, Email: "contact #" + itoa(id)}
		if c, ok := people[id]; ok {
			p.Email, p.Name = c.Email, c.Name
		}
		return p
	}
	st := en.Status
	v := admin.EnrollmentView{Page: s.adminPage(r, "Enrollment "+itoa(id), "enrollments"), ID: en.ID,
		Status: string(st), Kind: string(en.Kind), Title: en.Title, OfferID: en.OfferID,
		Learner: person(en.LearnerID), Price: enrollmentPrice(en), Schedule: scheduleWords(en),
		GraceDays: en.GraceDays, RemindDays: en.RemindDays, Language: en.Language,
		NextDue: dateOrEmpty(nextDue(en), en), PaidThrough: dateOrEmpty(en.PaidThrough, en),
		Expires: timeOrEmpty(en.ExpiresAt), Activated: timeOrEmpty(en.ActivatedAt),
		Suspended: timeOrEmpty(en.SuspendedAt), Paused: timeOrEmpty(en.PausedAt), Ended: timeOrEmpty(en.EndedAt),
		EndReason: en.EndReason, Creator: en.Creator, Created: en.CreatedAt.UTC().Format(timeFormat),
		CanIssueNext: (st == billing.EnrollmentActive || st == billing.EnrollmentSuspended) && en.NextIssueAt != nil,
		CanPause:     st == billing.EnrollmentActive, CanResume: st == billing.EnrollmentPaused,
		CanCancel: st == billing.EnrollmentPending || st == billing.EnrollmentActive ||
			st == billing.EnrollmentSuspended || st == billing.EnrollmentPaused,
		IssueToken: newFormToken(), Errors: map[string]string{}}
	if en.PayerID != en.LearnerID {
		v.Payer = person(en.PayerID)
	}
	if en.Fee > 0 {
		v.Fee = money.Money{Amount: en.Fee, Currency: en.Price.Currency}.Format("en")
	}
	for _, id := range en.PaymentSystemIDs {
		if sys, err := s.systems.Get(ctx, id); err == nil {
			v.Systems = append(v.Systems, sys.Name)
		}
	}
	keys := make([]string, 0, len(en.Answers))
	for k := range en.Answers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v.Answers = append(v.Answers, admin.KeyValue{Key: k, Value: en.Answers[k]})
	}
	rp, err := s.billing.Receipts(ctx, billing.ReceiptFilter{EnrollmentID: id, Limit: billing.MaxList})
	if err != nil {
		return v, err
	}
	loc := en.Schedule.Location
	if loc == nil {
		loc = s.schoolLocation(ctx)
	}
	for _, rc := range rp.Receipts {
		v.Receipts = append(v.Receipts, receiptRow(rc, nil, loc))
	}
	evs, err := s.billing.Events(ctx, id)
	if err != nil {
		return v, err
	}
	for _, e := range evs {
		v.Events = append(v.Events, admin.EventRow{At: e.CreatedAt.UTC().Format(timeFormat), Kind: e.Kind,
			Message: e.Message, Actor: e.Actor})
	}
	return v, nil
}

// adminEnrollmentIssueNext is POST /admin/enrollments/{id}/issue-next: the next receipt issued now.
func (s *Server) adminEnrollmentIssueNext(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	// Once per form token: a second click issues nothing more.
	err = s.submitOnce(w, r, "The next receipt is issued.", func() (string, error) {
		rc, err := s.billing.IssueNext(r.Context(), id)
		if err != nil {
			return "", err
		}
		return receiptURL(rc.ID), nil
	})
	if err != nil && s.flashOutcome(w, r, "", err) {
		http.Redirect(w, r, enrollmentURL(id), http.StatusSeeOther)
	}
}

// adminEnrollmentPause is POST /admin/enrollments/{id}/pause with a reason.
func (s *Server) adminEnrollmentPause(w http.ResponseWriter, r *http.Request) {
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	s.adminEnrollmentAction(w, r, "pause", func(id int64) (string, error) {
		_, err := s.billing.Pause(r.Context(), id, reason)
		return "Enrollment paused: no receipts are issued and the learner's access is paused.", err
	})
}

// adminEnrollmentResume is POST /admin/enrollments/{id}/resume.
func (s *Server) adminEnrollmentResume(w http.ResponseWriter, r *http.Request) {
	s.adminEnrollmentAction(w, r, "", func(id int64) (string, error) {
		_, err := s.billing.Resume(r.Context(), id)
		return "Enrollment resumed.", err
	})
}

// adminEnrollmentCancel is POST /admin/enrollments/{id}/cancel with a reason.
func (s *Server) adminEnrollmentCancel(w http.ResponseWriter, r *http.Request) {
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	s.adminEnrollmentAction(w, r, "cancel", func(id int64) (string, error) {
		if r.PostFormValue("confirm") != "yes" {
			return "", check.Field("confirm", "tick the box to confirm the cancellation")
		}
		_, err := s.billing.Cancel(r.Context(), id, reason)
		return "Enrollment cancelled: no further receipts; access lasts until the paid period ends.", err
	})
}

// adminEnrollmentAction runs do on the enrollment of the path and goes back to its page with the message do
// returns, or with why it could not (a conflict's message: a second click, or the status changed meanwhile). Bad
// input shows the page again with the messages on form's fields.
func (s *Server) adminEnrollmentAction(w http.ResponseWriter, r *http.Request, form string, do func(id int64) (string, error)) {
	id, err := pathID(r, "id")
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	done, err := do(id)
	if e, ok := check.AsErrors(err); ok {
		s.renderEnrollment(w, r, id, http.StatusUnprocessableEntity, func(v *admin.EnrollmentView) {
			v.Errors, v.Form, v.Reason = e, form, r.PostFormValue("reason")
		})
		return
	}
	if !s.flashOutcome(w, r, done, err) {
		return
	}
	http.Redirect(w, r, enrollmentURL(id), http.StatusSeeOther)
}

// flashOutcome keeps done for the next page, or the message of a state conflict (the thing changed meanwhile, or
// the same action was already done); any other error is answered here and flashOutcome reports false.
func (s *Server) flashOutcome(w http.ResponseWriter, r *http.Request, done string, err error) bool {
	var se *check.StateError
	switch {
	case err == nil:
		s.flash(r, done)
	case errors.As(err, &se):
		s.flash(r, se.Message)
	default:
		s.htmlError(w, r, err)
		return false
	}
	return true
}

// contactEnrollments are the enrollments contact id learns in or pays for, newest first: the card links the other
// person's card (payer ≠ learner).
func (s *Server) contactEnrollments(ctx context.Context, id int64) ([]admin.EnrollmentRow, error) {
	learns, err := s.billing.ForLearner(ctx, id)
	if err != nil {
		return nil, err
	}
	pays, err := s.billing.ForPayerEnrollments(ctx, id)
	if err != nil {
		return nil, err
	}
	all := slices.Concat(learns, pays)
	slices.SortFunc(all, func(a, b billing.Enrollment) int { return cmp.Compare(b.ID, a.ID) })
	all = slices.CompactFunc(all, func(a, b billing.Enrollment) bool { return a.ID == b.ID })
	names := &contactEmails{s: s, ctx: ctx, cache: map[int64]string{}}
	if err := names.load(enrollmentContacts(all)); err != nil {
		return nil, err
	}
	rows := make([]admin.EnrollmentRow, 0, len(all))
	for _, en := range all {
		rows = append(rows, enrollmentRow(en, names))
	}
	return rows, nil
}
