// Package receiptdoc makes the printable receipt of an enrollment's period or part (billing.Document): the localized
// view both the HTML page (templates/public) and the PDF show, and the PDF itself.
package receiptdoc

import (
	"fmt"
	"strings"
	"time"

	"github.com/bursar/bursar/internal/billing"
	"github.com/bursar/bursar/internal/crm"
	"github.com/bursar/bursar/internal/money"
)

// View is a receipt in words: every value formatted for its language (money per locale, dates in the school's time
// zone). The HTML page and the PDF show the same View.
type View struct {
	Lang   string // en, es, fr, ru or uk
	L      Labels
	Title  string // "Receipt R-2027-000123"
	School School
	Number string
	// Status is the receipt's status in words; StatusCode the billing.ReceiptStatus it says.
	Status     string
	StatusCode billing.ReceiptStatus
	Issued     string
	Payer      Person
	Learner    *Person // nil when the payer is the learner
	Course     string  // what is paid: the enrollment's title
	Billing    string  // tuition or installments, in words
	Schedule   string
	// PeriodLabel is "Period" (tuition: Period says its dates) or "Part" (installments: "2 of 3").
	PeriodLabel string
	Period      string
	Due         string
	Amount      string
	Fee         string // empty when the receipt carries no enrollment fee
	Paid        string
	Left        string
	Payments    []PaymentLine
}

// School is the issuer shown at the top of a receipt.
type School struct {
	Name, Email, Phone, Website string
}

// Person is the payer or the learner.
type Person struct {
	Name, Email, Phone string
}

// PaymentLine is one payment of the receipt.
type PaymentLine struct {
	Date, Method, Amount string
}

// Row is a label and its value, in the order a receipt lists them.
type Row struct {
	Label, Value string
	Key          string // a stable name for tests and data-testid: "number", "amount", …
}

// Build writes d in d.Language (English when Bursar has no texts in it), with dates in the school's time zone (UTC
// when it has none or an unknown one).
func Build(d billing.Document) View {
	lang, w := wordsFor(strings.ToLower(strings.TrimSpace(d.Language)))
	loc := Location(d.School.Timezone)
	r, e := d.Receipt, d.Enrollment
	cur := r.Amount.Currency
	v := View{
		Lang:       lang,
		L:          w.Labels,
		Title:      strings.TrimSpace(w.Receipt + " " + r.Number),
		School:     School{Name: d.School.Name, Email: d.School.ContactEmail, Phone: d.School.Phone, Website: d.School.WebsiteURL},
		Number:     r.Number,
		StatusCode: r.Status,
		Status:     w.Statuses[r.Status],
		Payer:      person(d.Payer),
		Course:     r.Title,
		Schedule:   w.schedule(lang, e),
		Due:        Date(lang, r.DueAt, loc),
		Amount:     r.Amount.Format(lang),
		Paid:       money.New(r.Paid, cur).Format(lang),
		Left:       r.Due().Format(lang),
	}
	if v.Status == "" {
		v.Status = string(r.Status)
	}
	if !r.IssuedAt.IsZero() {
		v.Issued = Date(lang, r.IssuedAt, loc)
	}
	if d.Learner.ID != 0 && d.Learner.ID != d.Payer.ID {
		p := person(d.Learner)
		v.Learner = &p
	}
	if v.Course == "" {
		v.Course = e.Title
	}
	if e.Kind == billing.KindInstallments {
		v.Billing, v.PeriodLabel = w.Installments, w.Part
		v.Period = fmt.Sprintf(w.Of, r.Period+1, e.Schedule.Periods)
		if e.Schedule.Periods == 0 {
			v.Period = fmt.Sprint(r.Period + 1)
		}
	} else {
		v.Billing, v.PeriodLabel = w.Tuition, w.Period
		v.Period = periodDates(lang, r.PeriodStart, r.PeriodEnd, loc)
	}
	if r.Fee != 0 {
		v.Fee = money.New(r.Fee, cur).Format(lang)
	}
	for _, p := range d.Payments {
		m := w.Methods[p.Method]
		if m == "" {
			m = p.Method
		}
		// PaidOn is a date (the school's day, read from a date column at midnight UTC): its own calendar day.
		v.Payments = append(v.Payments, PaymentLine{Date: Date(lang, p.PaidOn, time.UTC), Method: m,
			Amount: p.Amount.Format(lang)})
	}
	return v
}

// Details are the receipt's labelled values, in the order both documents list them.
func (v View) Details() []Row {
	rows := []Row{
		{v.L.Number, v.Number, "number"},
		{v.L.Status, v.Status, "status"},
	}
	if v.Issued != "" {
		rows = append(rows, Row{v.L.Issued, v.Issued, "issued"})
	}
	rows = append(rows, Row{v.L.Payer, join(v.Payer.Name, v.Payer.Email), "payer"})
	if v.Learner != nil {
		rows = append(rows, Row{v.L.Learner, join(v.Learner.Name, v.Learner.Email), "learner"})
	}
	rows = append(rows,
		Row{v.L.Enrollment, v.Course, "course"},
		Row{v.L.Billing, v.Billing, "billing"},
		Row{v.L.Schedule, v.Schedule, "schedule"},
		Row{v.PeriodLabel, v.Period, "period"},
		Row{v.L.Due, v.Due, "due"},
		Row{v.L.Amount, v.Amount, "amount"},
	)
	if v.Fee != "" {
		rows = append(rows, Row{v.L.Fee, v.Fee, "fee"})
	}
	return append(rows, Row{v.L.Paid, v.Paid, "paid"}, Row{v.L.Left, v.Left, "left"})
}

// Contacts are the school's contact lines, labelled, the empty ones left out.
func (v View) Contacts() []Row {
	var rows []Row
	for _, r := range []Row{{v.L.Email, v.School.Email, "email"}, {v.L.Phone, v.School.Phone, "phone"},
		{v.L.Website, v.School.Website, "website"}} {
		if r.Value != "" {
			rows = append(rows, r)
		}
	}
	return rows
}

// person is a contact as a receipt names them; a placeholder e-mail (made up when a gateway gave none) is left out.
func person(c crm.Contact) Person {
	p := Person{Name: c.Name, Email: c.Email, Phone: c.Phone}
	if c.Placeholder {
		p.Email = ""
	}
	return p
}

func join(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, " · ")
}

// periodDates is a period [start, end) as the days it covers: end is the next period's start, so the last day is
// the one before it.
func periodDates(lang string, start, end time.Time, loc *time.Location) string {
	if start.IsZero() {
		return ""
	}
	from := Date(lang, start, loc)
	if end.IsZero() || !end.After(start) {
		return from
	}
	to := Date(lang, end.Add(-time.Nanosecond), loc)
	if to == from {
		return from
	}
	return from + " – " + to
}

// Location is the school's time zone, UTC when it has none or an unknown one.
func Location(zone string) *time.Location {
	if zone == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return time.UTC
	}
	return loc
}
