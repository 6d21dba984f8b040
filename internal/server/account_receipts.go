package server

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/bursar/bursar/internal/billing"
	"github.com/bursar/bursar/internal/crm"
	"github.com/bursar/bursar/internal/i18n"
	"github.com/bursar/bursar/internal/money"
	"github.com/bursar/bursar/templates/public"
)

// The cabinet's side of enrollments (F5, payer ≠ learner): the enrollments the student learns in or pays for, the
// receipts they pay with a Pay button while open, and the printable receipt of a paid one, for its payer and its
// learner only.

// enrollmentStatusText is an enrollment status in lang.
func enrollmentStatusText(lang string, st billing.EnrollmentStatus) string {
	k := map[billing.EnrollmentStatus]i18n.Key{billing.EnrollmentPending: i18n.EnrollPending,
		billing.EnrollmentActive: i18n.EnrollActive, billing.EnrollmentSuspended: i18n.EnrollSuspended,
		billing.EnrollmentPaused: i18n.EnrollPaused, billing.EnrollmentCancelled: i18n.EnrollCancelled,
		billing.EnrollmentCompleted: i18n.EnrollCompleted, billing.EnrollmentDropped: i18n.EnrollDropped}[st]
	if k == "" {
		return string(st)
	}
	return i18n.T(lang, k)
}

// receiptStatusText is a receipt status in lang.
func receiptStatusText(lang string, st billing.ReceiptStatus) string {
	k := map[billing.ReceiptStatus]i18n.Key{billing.ReceiptIssued: i18n.ReceiptIssued,
		billing.ReceiptPartiallyPaid: i18n.ReceiptPartlyPaid, billing.ReceiptPaid: i18n.ReceiptPaidStatus,
		billing.ReceiptOverdue: i18n.ReceiptOverdue, billing.ReceiptWaived: i18n.ReceiptWaived,
		billing.ReceiptCancelled: i18n.ReceiptCancelled}[st]
	if k == "" {
		return string(st)
	}
	return i18n.T(lang, k)
}

// receiptPath is the cabinet's printable receipt numbered number.
func receiptPath(number string) string { return "/account/receipts/" + url.PathEscape(number) }

// schoolZone is the time zone an enrollment's dates are read in (UTC when it names none this machine knows).
func schoolZone(tz string) *time.Location {
	if loc, err := time.LoadLocation(tz); err == nil && tz != "" {
		return loc
	}
	return time.UTC
}

// lastDay is the date of the last moment before end (a period's end is the next one's start), in loc.
func lastDay(end time.Time, loc *time.Location) string {
	return dateText(end.Add(-time.Nanosecond).In(loc))
}

// personName is how the cabinet names another contact: the name, else the e-mail.
func personName(c crm.Contact) string {
	if c.Name != "" {
		return c.Name
	}
	return c.Email
}

// cabinetReads are a contact's enrollments and receipts, and the other people they name.
type cabinetReads struct {
	learns   []billing.Enrollment // the enrollments the contact learns in
	pays     []billing.Enrollment // those they pay for
	receipts []billing.Receipt    // the receipts they pay
	names    map[int64]crm.Contact
}

// readCabinetBilling reads what the cabinet shows of contactID's enrollments and receipts.
func (s *Server) readCabinetBilling(ctx context.Context, contactID int64) (cabinetReads, error) {
	var c cabinetReads
	var err error
	if c.learns, err = s.billing.ForLearner(ctx, contactID); err != nil {
		return c, err
	}
	if c.pays, err = s.billing.ForPayerEnrollments(ctx, contactID); err != nil {
		return c, err
	}
	if c.receipts, err = s.billing.ForPayer(ctx, contactID); err != nil {
		return c, err
	}
	others := map[int64]bool{}
	for _, e := range c.enrollments() {
		others[e.PayerID], others[e.LearnerID] = true, true
	}
	for _, rc := range c.receipts {
		others[rc.LearnerID] = true
	}
	delete(others, contactID)
	c.names = map[int64]crm.Contact{}
	if len(others) > 0 {
		ids := make([]int64, 0, len(others))
		for id := range others {
			ids = append(ids, id)
		}
		if c.names, err = s.contacts.ContactsByID(ctx, ids); err != nil {
			return c, err
		}
	}
	return c, nil
}

// enrollments are the enrollments the contact learns in, then those they pay for, each once.
func (c cabinetReads) enrollments() []billing.Enrollment {
	out := make([]billing.Enrollment, 0, len(c.learns)+len(c.pays))
	seen := map[int64]bool{}
	for _, e := range append(slices.Clip(c.learns), c.pays...) {
		if !seen[e.ID] {
			seen[e.ID] = true
			out = append(out, e)
		}
	}
	return out
}

// cabinetBilling adds to v, in lang, the enrollments contactID learns in or pays for and the receipts they pay:
// for a suspended enrollment, the overdue receipt that paused its access (one more read).
func (s *Server) cabinetBilling(ctx context.Context, c cabinetReads, contactID int64, lang string, v *public.Cabinet) error {
	names, es := c.names, c.enrollments()
	zones := map[int64]*time.Location{}
	for _, e := range es {
		zones[e.ID] = schoolZone(e.TimeZone)
	}
	for _, e := range es {
		ce := public.CabinetEnrollment{Title: e.Title, Status: enrollmentStatusText(lang, e.Status), State: string(e.Status)}
		if e.LearnerID != contactID {
			ce.For = i18n.F(lang, i18n.EnrollmentFor, personName(names[e.LearnerID]))
		}
		if e.PayerID != contactID {
			ce.PaidBy = i18n.F(lang, i18n.EnrollmentPaidBy, personName(names[e.PayerID]))
		}
		if e.PaidThrough != nil && e.Status != billing.EnrollmentDropped {
			ce.PaidUntil = i18n.F(lang, i18n.EnrollmentPaidUntil, lastDay(*e.PaidThrough, zones[e.ID]))
		}
		if e.Status == billing.EnrollmentSuspended {
			page, err := s.billing.Receipts(ctx, billing.ReceiptFilter{EnrollmentID: e.ID, Overdue: true, Limit: 1})
			if err != nil {
				return err
			}
			if len(page.Receipts) > 0 {
				ce.Notice = i18n.F(lang, i18n.AccessPausedOverdue, page.Receipts[0].Number)
			}
		}
		v.Enrollments = append(v.Enrollments, ce)
	}
	for _, rc := range c.receipts {
		loc := zones[rc.EnrollmentID]
		if loc == nil {
			loc = time.UTC
		}
		cr := public.CabinetReceipt{Number: rc.Number, Title: rc.Title, Due: dateText(rc.DueAt.In(loc)),
			Period: dateText(rc.PeriodStart.In(loc)) + " – " + lastDay(rc.PeriodEnd, loc),
			Amount: rc.Amount.Format(lang), Paid: money.Money{Amount: rc.Paid, Currency: rc.Amount.Currency}.Format(lang),
			Status: receiptStatusText(lang, rc.Status), State: string(rc.Status)}
		if rc.LearnerID != contactID {
			cr.Learner = personName(names[rc.LearnerID])
		}
		if rc.Status.Open() && rc.PayURL != "" {
			cr.PayURL, cr.PayText = s.localURL(rc.PayURL), i18n.F(lang, i18n.ReceiptPay, rc.Due().Format(lang))
		}
		if rc.Status == billing.ReceiptPaid {
			cr.DocURL, cr.PDFURL = receiptPath(rc.Number)+"?lang="+lang, receiptPath(rc.Number)+".pdf?lang="+lang
		}
		v.Receipts = append(v.Receipts, cr)
	}
	return nil
}

// accountReceipt is GET /account/receipts/{number}: the printable receipt, for its payer or its learner; anyone
// else's receipt is simply not found. With ?format=pdf (the page's own PDF link) it is the PDF.
func (s *Server) accountReceipt(w http.ResponseWriter, r *http.Request) {
	s.receiptDocument(w, r, receiptDocPDF(r))
}

// accountReceiptPDF is GET /account/receipts/{number}.pdf: the same receipt as a PDF.
func (s *Server) accountReceiptPDF(w http.ResponseWriter, r *http.Request) {
	s.receiptDocument(w, r, true)
}

func (s *Server) receiptDocument(w http.ResponseWriter, r *http.Request, pdf bool) {
	st, ok := s.requireStudent(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	rc, err := s.billing.ReceiptByNumber(ctx, chiURLParam(r, "number"))
	if err == nil && rc.PayerID != st.ContactID && rc.LearnerID != st.ContactID {
		s.notFound(w, r)
		return
	}
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	d, err := s.billing.Document(ctx, rc.ID)
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	s.writeReceiptDocument(w, r, d, pdf)
}
