package server

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bursar/bursar/internal/billing"
	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/money"
	"github.com/bursar/bursar/templates/admin"
)

// The Receipts screens: the list (filters, keyset pages, CSV) and a receipt's page (its payments, its payment link,
// its document) with its actions: record a cash payment, waive, extend the grace. Every change goes through
// internal/billing's use cases, as the API's.

func receiptURL(id int64) string { return "/admin/receipts/" + itoa(id) }

// schoolLocation is the school's time zone: receipts' dates are read and shown in it.
func (s *Server) schoolLocation(ctx context.Context) *time.Location {
	sc, err := s.school.GetTx(ctx, s.pool)
	if err != nil {
		s.log.Error("read the school's time zone", "err", err)
		return time.UTC
	}
	return sc.Location()
}

// receiptFilter reads the filters the list, its CSV export and the API share: status, offer_id, enrollment_id,
// payer_id, overdue, due_from and due_to (dates in loc, due_to inclusive). Bad values are added to e.
func receiptFilter(r *http.Request, loc *time.Location, e check.Errors) billing.ReceiptFilter {
	q := r.URL.Query()
	f := billing.ReceiptFilter{Status: billing.ReceiptStatus(q.Get("status")), OfferID: queryID(r, "offer_id", e),
		EnrollmentID: queryID(r, "enrollment_id", e), PayerID: queryID(r, "payer_id", e),
		Overdue: queryFlag(r, "overdue", e)}
	if f.Status != "" && !slices.Contains(billing.ReceiptStatuses, f.Status) {
		e.Add("status", "must be one of "+joinStatuses(billing.ReceiptStatuses))
	}
	for _, d := range []struct {
		name string
		dst  *time.Time
		end  bool
	}{{"due_from", &f.DueFrom, false}, {"due_to", &f.DueTo, true}} {
		v := q.Get(d.name)
		if v == "" {
			continue
		}
		if t := parseDate(&v, d.name, e); t != nil {
			day := t.Day()
			if d.end {
				day++ // due_to is inclusive
			}
			*d.dst = time.Date(t.Year(), t.Month(), day, 0, 0, 0, 0, loc)
		}
	}
	if !f.DueFrom.IsZero() && !f.DueTo.IsZero() && !f.DueTo.After(f.DueFrom) {
		e.Add("due_to", "must not be before due_from")
	}
	return f
}

// adminReceiptFilter is the list's filter: receiptFilter, with the payer also found by their e-mail (?email=).
func (s *Server) adminReceiptFilter(r *http.Request, loc *time.Location) (f billing.ReceiptFilter, v admin.ReceiptFilter, e check.Errors, notice string, err error) {
	q := r.URL.Query()
	e = check.Errors{}
	f = receiptFilter(r, loc, e)
	v = admin.ReceiptFilter{Status: q.Get("status"), OfferID: q.Get("offer_id"), EnrollmentID: q.Get("enrollment_id"),
		PayerID: q.Get("payer_id"), Email: strings.TrimSpace(q.Get("email")), DueFrom: q.Get("due_from"),
		DueTo: q.Get("due_to"), Overdue: f.Overdue}
	notice, err = s.adminContactFilter(r.Context(), v.Email, &f.PayerID)
	return f, v, e, notice, err
}

func (s *Server) adminReceipts(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	loc := s.schoolLocation(ctx)
	f, fv, errs, notice, err := s.adminReceiptFilter(r, loc)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	v := admin.ReceiptList{Page: s.adminPage(r, "Receipts", "receipts"), Filter: fv, Errors: errs, Notice: notice,
		CSVURL: csvURL("/admin/receipts.csv", r)}
	for _, st := range billing.ReceiptStatuses {
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
		s.render(w, r, status, admin.ReceiptsPage(v))
		return
	}
	f.BeforeID, f.Limit = parseID(r.URL.Query().Get("before")), ordersPageSize
	page, err := s.billing.Receipts(ctx, f)
	if e, ok := check.AsErrors(err); ok {
		v.Errors = e
		s.render(w, r, http.StatusUnprocessableEntity, admin.ReceiptsPage(v))
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	names := &contactEmails{s: s, ctx: ctx, cache: map[int64]string{}}
	if err := names.load(receiptContacts(page.Receipts)); err != nil {
		s.serverError(w, r, err)
		return
	}
	for _, rc := range page.Receipts {
		v.Rows = append(v.Rows, receiptRow(rc, names, loc))
	}
	if page.NextBeforeID != 0 {
		nq := r.URL.Query()
		nq.Set("before", itoa(page.NextBeforeID))
		v.NextURL = "/admin/receipts?" + nq.Encode()
	}
	s.render(w, r, http.StatusOK, admin.ReceiptsPage(v))
}

func receiptContacts(list []billing.Receipt) []int64 {
	ids := make([]int64, 0, 2*len(list))
	for _, rc := range list {
		ids = append(ids, rc.PayerID, rc.LearnerID)
	}
	return ids
}

// receiptRow is rc in a list, its dates in loc; names (nil: none) names the payer.
func receiptRow(rc billing.Receipt, names *contactEmails, loc *time.Location) admin.ReceiptRow {
	row := admin.ReceiptRow{ID: rc.ID, Number: rc.Number, Status: string(rc.Status), Title: rc.Title,
		EnrollmentID: rc.EnrollmentID, PayerID: rc.PayerID, Amount: rc.Amount.Format("en"),
		Paid:   money.Money{Amount: rc.Paid, Currency: rc.Amount.Currency}.Format("en"),
		Period: periodWords(rc, loc), Due: rc.DueAt.In(loc).Format(time.DateOnly),
		Grace: rc.GraceUntil.In(loc).Format(timeFormat)} // the instant: a grace ends at the start of a day
	if names != nil {
		row.Payer = names.of(rc.PayerID)
	}
	return row
}

// periodWords is the days a receipt pays for: "2027-01-05 – 2027-02-04" (the end exclusive instant's previous day).
func periodWords(rc billing.Receipt, loc *time.Location) string {
	if rc.PeriodStart.IsZero() || rc.PeriodEnd.IsZero() {
		return ""
	}
	last := rc.PeriodEnd.In(loc).Add(-time.Nanosecond)
	return rc.PeriodStart.In(loc).Format(time.DateOnly) + " – " + last.Format(time.DateOnly)
}

// receiptCSVHeader is the export's header row; amounts are decimal in the row's currency and in minor units.
var receiptCSVHeader = []string{"id", "number", "status", "enrollment_id", "period", "offer_id", "title",
	"payer_email", "learner_email", "currency", "amount", "amount_minor", "fee_minor", "paid_minor", "due_minor",
	"period_start", "period_end", "due_on", "grace_until", "issued_at", "paid_at", "decided_at", "decided_by"}

// adminReceiptsCSV is GET /admin/receipts.csv: the filtered list, every page, as CSV.
func (s *Server) adminReceiptsCSV(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	loc := s.schoolLocation(ctx)
	f, _, errs, notice, err := s.adminReceiptFilter(r, loc)
	switch {
	case err != nil:
		s.serverError(w, r, err)
		return
	case len(errs) > 0:
		s.htmlError(w, r, errs)
		return
	}
	f.Limit = billing.MaxList
	var page billing.ReceiptPage
	if notice == "" {
		if page, err = s.billing.Receipts(ctx, f); err != nil {
			s.htmlError(w, r, err)
			return
		}
	}
	names := &contactEmails{s: s, ctx: ctx, cache: map[int64]string{}}
	cw := startCSV(w, "receipts", s.now(), receiptCSVHeader)
	for {
		if err := names.load(receiptContacts(page.Receipts)); err != nil {
			s.log.Error("receipts export", "err", err)
			return
		}
		for _, rc := range page.Receipts {
			due := rc.Due().Amount
			if !rc.Status.Open() {
				due = 0
			}
			_ = cw.Write([]string{itoa(rc.ID), rc.Number, string(rc.Status), itoa(rc.EnrollmentID),
				strconv.Itoa(rc.Period), itoa(rc.OfferID), csvText(rc.Title), csvText(names.of(rc.PayerID)),
				csvText(names.of(rc.LearnerID)), rc.Amount.Currency, rc.Amount.Decimal(),
				strconv.FormatInt(rc.Amount.Amount, 10), strconv.FormatInt(rc.Fee, 10), strconv.FormatInt(rc.Paid, 10),
				strconv.FormatInt(due, 10), rc.PeriodStart.UTC().Format(time.RFC3339),
				rc.PeriodEnd.UTC().Format(time.RFC3339), rc.DueAt.In(loc).Format(time.DateOnly),
				rc.GraceUntil.UTC().Format(time.RFC3339), rc.IssuedAt.UTC().Format(time.RFC3339), rfc3339(rc.PaidAt),
				rfc3339(rc.DecidedAt), csvText(rc.DecidedBy)})
		}
		cw.Flush()
		if cw.Error() != nil || page.NextBeforeID == 0 {
			return
		}
		f.BeforeID = page.NextBeforeID
		if page, err = s.billing.Receipts(ctx, f); err != nil {
			s.log.Error("receipts export", "err", err)
			return
		}
	}
}

// adminReceipt is a receipt's page.
func (s *Server) adminReceipt(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	s.renderReceipt(w, r, id, http.StatusOK, nil)
}

// renderReceipt shows receipt id's page with status; adjust fills in what a failed form needs to show.
func (s *Server) renderReceipt(w http.ResponseWriter, r *http.Request, id int64, status int, adjust func(*admin.ReceiptView)) {
	v, err := s.receiptView(r, id)
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	if adjust != nil {
		adjust(&v)
	}
	s.render(w, r, status, admin.ReceiptPage(v))
}

func (s *Server) receiptView(r *http.Request, id int64) (admin.ReceiptView, error) {
	ctx := r.Context()
	rc, err := s.billing.Receipt(ctx, id)
	if err != nil {
		return admin.ReceiptView{}, err
	}
	pays, err := s.billing.Payments(ctx, id)
	if err != nil {
		return admin.ReceiptView{}, err
	}
	people, err := s.contacts.ContactsByID(ctx, []int64{rc.PayerID, rc.LearnerID})
	if err != nil {
		return admin.ReceiptView{}, err
	}
	person := func(id int64) admin.Person {
		p := admin.Person{ID: id, Email: "contact #" + itoa(id)}
		if c, ok := people[id]; ok {
			p.Email, p.Name = c.Email, c.Name
		}
		return p
	}
	loc := s.schoolLocation(ctx)
	cur := rc.Amount.Currency
	v := admin.ReceiptView{Page: s.adminPage(r, "Receipt "+rc.Number, "receipts"), ID: rc.ID, Number: rc.Number,
		Status: string(rc.Status), Title: rc.Title, EnrollmentID: rc.EnrollmentID, OfferID: rc.OfferID,
		Payer: person(rc.PayerID), Amount: rc.Amount.Format("en"),
		Paid: money.Money{Amount: rc.Paid, Currency: cur}.Format("en"), Currency: cur,
		Period: periodWords(rc, loc), DueOn: rc.DueAt.In(loc).Format(time.DateOnly),
		GraceUntil: rc.GraceUntil.In(loc).Format(timeFormat) + " (" + loc.String() + ")",
		Reminded:   rc.Reminded, Issued: rc.IssuedAt.UTC().Format(timeFormat), PaidAt: timeOrEmpty(rc.PaidAt),
		Note: rc.Note, LinkID: rc.LinkID, PayURL: rc.PayURL, Open: rc.Status.Open(),
		Today: s.now().In(loc).Format(time.DateOnly), PayToken: newFormToken(), Errors: map[string]string{}}
	if rc.LearnerID != rc.PayerID {
		v.Learner = person(rc.LearnerID)
	}
	if rc.Fee > 0 {
		v.Fee = money.Money{Amount: rc.Fee, Currency: cur}.Format("en")
	}
	if rc.Status.Open() {
		v.Due = rc.Due().Format("en")
		v.PayAmount = rc.Due().Decimal()
	}
	if rc.DecidedAt != nil {
		v.Decided = rc.DecidedAt.UTC().Format(timeFormat) + " · " + rc.DecidedBy
	}
	for _, p := range pays {
		v.Payments = append(v.Payments, admin.ReceiptPaymentRow{ID: p.ID, Method: p.Method, OrderID: p.OrderID,
			Amount: p.Amount.Format("en"), PaidOn: p.PaidOn.Format(time.DateOnly), Note: p.Note,
			RecordedBy: p.RecordedBy, Created: p.CreatedAt.UTC().Format(timeFormat)})
	}
	return v, nil
}

// adminReceiptPayment is POST /admin/receipts/{id}/payments: cash (or money received another way) recorded
// against the receipt: amount (decimal, in the receipt's currency), paid_on (a date; empty: today) and a note.
func (s *Server) adminReceiptPayment(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	amount, paidOn, note := strings.TrimSpace(r.PostFormValue("amount")), strings.TrimSpace(r.PostFormValue("paid_on")),
		strings.TrimSpace(r.PostFormValue("note"))
	rc, err := s.billing.Receipt(r.Context(), id)
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	e := check.Errors{}
	p := billing.CashPayment{Amount: money.Money{Currency: rc.Amount.Currency}, Note: note}
	if amount == "" {
		e.Add("amount", "give the amount received")
	} else if a, err := money.ParseDecimal(amount, rc.Amount.Currency); err != nil {
		e.Add("amount", amountReason(err))
	} else {
		p.Amount.Amount = a
	}
	if paidOn != "" {
		if d := parseDate(&paidOn, "paid_on", e); d != nil {
			p.PaidOn = *d
		}
	}
	err = e.Err()
	if err == nil {
		// Once per form token: a second click records nothing more.
		err = s.submitOnce(w, r, "Payment of "+amount+" "+rc.Amount.Currency+" recorded.", func() (string, error) {
			_, err := s.billing.RecordPayment(r.Context(), id, p)
			return receiptURL(id) + "#payments", err
		})
		if err == nil {
			return
		}
	}
	s.adminReceiptOutcome(w, r, id, "payment", "", err)
}

// adminReceiptWaive is POST /admin/receipts/{id}/waive with a reason: what is left of the receipt is forgiven.
func (s *Server) adminReceiptWaive(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	_, err = s.billing.Waive(r.Context(), id, strings.TrimSpace(r.PostFormValue("reason")))
	s.adminReceiptOutcome(w, r, id, "waive", "Receipt waived: nothing more is due on it.", err)
}

// adminReceiptExtendGrace is POST /admin/receipts/{id}/extend-grace with until, a date: the grace lasts to the end
// of that day in the school's time zone.
func (s *Server) adminReceiptExtendGrace(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	until := strings.TrimSpace(r.PostFormValue("until"))
	e := check.Errors{}
	var t time.Time
	if until == "" {
		e.Add("until", "give the last day of the grace")
	} else if d := parseDate(&until, "until", e); d != nil {
		t = time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, s.schoolLocation(r.Context()))
	}
	err = e.Err()
	if err == nil {
		_, err = s.billing.ExtendGrace(r.Context(), id, t)
	}
	s.adminReceiptOutcome(w, r, id, "grace", "Grace extended to the end of "+until+".", err)
}

// adminReceiptOutcome answers a receipt action: back to the receipt's page with done, or with why it could not be
// done (a conflict: the receipt was paid, waived or cancelled meanwhile, or the action was already done); bad input
// shows the page again with the messages next to form's fields.
func (s *Server) adminReceiptOutcome(w http.ResponseWriter, r *http.Request, id int64, form, done string, err error) {
	if e, ok := check.AsErrors(err); ok {
		v, err := s.receiptView(r, id)
		if err != nil {
			s.htmlError(w, r, err)
			return
		}
		if !v.Open {
			// Closed meanwhile (paid, waived, cancelled): its forms are gone, so the page says that rather than a
			// message on a field no longer shown (more than is due, when nothing is).
			s.flash(r, billing.ErrNotOpen.Message)
			http.Redirect(w, r, receiptURL(id), http.StatusSeeOther)
			return
		}
		v.Errors, v.Form = e, form
		v.PayAmount, v.PayOn, v.PayNote = r.PostFormValue("amount"), r.PostFormValue("paid_on"), r.PostFormValue("note")
		v.PayFormToken = r.PostFormValue("form_token")
		v.Reason, v.Until = r.PostFormValue("reason"), r.PostFormValue("until")
		s.render(w, r, http.StatusUnprocessableEntity, admin.ReceiptPage(v))
		return
	}
	if !s.flashOutcome(w, r, done, err) {
		return
	}
	http.Redirect(w, r, receiptURL(id), http.StatusSeeOther)
}

// adminReceiptDocument is GET /admin/receipts/{id}/document (the printable page; ?format=pdf its PDF) and
// /document.pdf (the PDF).
func (s *Server) adminReceiptDocument(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	d, err := s.billing.Document(r.Context(), id)
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	s.writeReceiptDocument(w, r, d, receiptDocPDF(r) || strings.HasSuffix(r.URL.Path, ".pdf"))
}
