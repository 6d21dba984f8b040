package server

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/billing"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/i18n"
	"github.com/bursar/bursar/internal/offer"
)

// enrollFixture is a published monthly tuition, "Piano — monthly tuition" (120.00 EUR a month, one product), with
// a required registration field, paid by bank transfer and any other systems given.
type enrollFixture struct {
	offer offer.Offer
	bank  gateway.System
	path  string // the enrollment form
}

func newEnrollFixture(t testing.TB, a *testApp, edit func(*offer.Input), more ...gateway.System) enrollFixture {
	t.Helper()
	bank, err := a.srv.paymentSystems.Create(a.ctx(), gateway.Input{Type: gateway.TypeManual, Name: "Bank transfer",
		Enabled: true, Description: "IBAN ES91 2100 0418 4502 0005 1332",
		Settings: map[string]any{"supported_currencies": []any{"EUR"}}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := a.srv.offers.CreateProduct(a.ctx(), offer.ProductInput{Name: "Piano lessons", Kind: offer.KindCourse,
		ExternalURL: "https://lms.example.org/piano"})
	if err != nil {
		t.Fatal(err)
	}
	in := offer.NewInput()
	in.Title, in.Slug, in.Kind, in.Status = "Piano — monthly tuition", "piano-monthly", offer.Tuition, offer.StatusPublished
	in.Amount, in.Currency, in.ProductIDs, in.PaymentSystemIDs = 12000, "EUR", []int64{p.ID}, []int64{bank.ID}
	for _, s := range more {
		in.PaymentSystemIDs = append(in.PaymentSystemIDs, s.ID)
	}
	in.RegistrationFields = []offer.RegistrationField{
		{Key: "age", Label: "Learner’s age", Type: "text", Required: true},
		{Key: "level", Label: "Level", Type: "select", Options: []string{"Beginner", "Intermediate"}},
	}
	if edit != nil {
		edit(&in)
	}
	of, err := a.srv.offers.Create(a.ctx(), in)
	if err != nil {
		t.Fatal(err)
	}
	return enrollFixture{offer: of, bank: bank, path: "/o/" + of.Slug + "/enroll"}
}

// form is a complete enrollment by bank transfer with the token of a fresh form c opened, edited by the pairs
// given (an empty value deletes the field).
func (f enrollFixture) form(a *testApp, c *http.Client, pairs ...string) url.Values {
	a.t.Helper()
	v := url.Values{"form_token": {a.formToken(c, f.path)}, "field_age": {"11"}, "field_level": {"Beginner"},
		"payment_system": {itoa(f.bank.ID)}}
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] == "" {
			v.Del(pairs[i])
		} else {
			v.Set(pairs[i], pairs[i+1])
		}
	}
	return v
}

func (a *testApp) contactID(email string) int64 {
	a.t.Helper()
	c, err := a.srv.contacts.ByEmail(a.ctx(), email)
	if err != nil {
		a.t.Fatalf("contact %s: %v", email, err)
	}
	return c.ID
}

// onlyEnrollment is the one enrollment in the database.
func (a *testApp) onlyEnrollment() billing.Enrollment {
	a.t.Helper()
	page, err := a.srv.billing.Enrollments(a.ctx(), billing.Filter{})
	if err != nil {
		a.t.Fatal(err)
	}
	if len(page.Enrollments) != 1 {
		a.t.Fatalf("%d enrollments, want 1", len(page.Enrollments))
	}
	return page.Enrollments[0]
}

func TestEnrollVisitorSignsUpFirst(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	f := newEnrollFixture(t, a, nil)
	c := a.client()

	res, doc := a.get(c, f.path)
	if res.StatusCode != http.StatusOK || doc.Find("[data-testid=signup-form]").Length() != 1 {
		t.Fatalf("visitor: %d, want the sign-up form", res.StatusCode)
	}
	if next := doc.Find("input[name=next]").AttrOr("value", ""); next != f.path {
		t.Errorf("the sign-up comes back to %q, want %q", next, f.path)
	}
	if intro := doc.Find("[data-testid=signup-intro]").Text(); !strings.Contains(intro, "enroll in “Piano — monthly tuition”") {
		t.Errorf("intro %q", intro)
	}
	if doc.Find("#field_age").Length() != 0 {
		t.Error("the sign-up asks the registration fields the enrollment form asks")
	}
	_, login := a.get(c, doc.Find("[data-testid=login-link]").AttrOr("href", ""))
	if intro := login.Find("main p").First().Text(); !strings.Contains(intro, "Sign in to enroll") {
		t.Errorf("the sign-in page says %q", intro)
	}

	res = a.postForm(c, "/account/signup", url.Values{"email": {"marta@example.com"}, "password": {testPassword},
		"name": {"Marta"}, "next": {f.path}, "lang": {"en"}, "form_token": {doc.Find("input[name=form_token]").AttrOr("value", "")}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != f.path {
		t.Fatalf("sign up: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	res, doc = a.get(c, f.path)
	if res.StatusCode != http.StatusOK || doc.Find("[data-testid=enroll-form]").Length() != 1 {
		t.Fatalf("signed in: %d, want the enrollment form", res.StatusCode)
	}
	for _, sel := range []string{"#field_age[required]", "#field_level", "#for_other", "#learner_name", "#learner_email",
		"input[name=payment_system][value=\"" + itoa(f.bank.ID) + "\"][checked]"} {
		if doc.Find(sel).Length() != 1 {
			t.Errorf("the form lacks %s", sel)
		}
	}
	if terms := doc.Find("[data-testid=enroll-terms]").Text(); !strings.Contains(terms, "€120.00 per month") {
		t.Errorf("terms %q do not say what is billed", terms)
	}
	if got := doc.Find("[data-testid=enroll-payer]").Text(); !strings.Contains(got, "marta@example.com") {
		t.Errorf("the form does not say where receipts go: %q", got)
	}

	// A one-time offer has no enrollment form.
	a.offer(func(in *offer.Input) { in.Slug = "one-time" })
	if res, _ := a.get(c, "/o/one-time/enroll"); res.StatusCode != http.StatusNotFound {
		t.Errorf("one-time offer: %d, want 404", res.StatusCode)
	}
}

func TestEnrollFormErrors(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	f := newEnrollFixture(t, a, nil)
	c := a.student("marta@example.com")

	tests := []struct {
		name   string
		pairs  []string
		fields []string // with an error
	}{
		{"RequiredFieldMissing", []string{"field_age", ""}, []string{"field_age"}},
		{"ForeignPaymentMethod", []string{"payment_system", "999999"}, []string{"payment_system"}},
		{"LearnerWithoutEmail", []string{"for_other", "1", "learner_name", "Leo"}, []string{"learner_email"}},
		{"LearnerBadEmail", []string{"for_other", "1", "learner_name", "Leo", "learner_email", "leo@"}, []string{"learner_email"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, doc := a.postFormDoc(c, f.path, f.form(a, c, tt.pairs...))
			if res.StatusCode != http.StatusUnprocessableEntity || doc.Find("[data-testid=form-errors]").Length() != 1 {
				t.Fatalf("status %d, want 422 with the errors", res.StatusCode)
			}
			for _, field := range tt.fields {
				msg := doc.Find("#" + field + "-error").Text()
				if msg == "" {
					t.Errorf("no error on %s", field)
				}
				input := doc.Find("#" + field)
				if field == "payment_system" {
					input = doc.Find("input[name=payment_system]").First()
				}
				if !strings.Contains(input.AttrOr("aria-describedby", ""), field+"-error") || input.AttrOr("aria-invalid", "") != "true" {
					t.Errorf("%s's error is not tied to it", field)
				}
			}
			// What was typed is there again.
			if v := doc.Find("#learner_name").AttrOr("value", ""); v != valueOf(tt.pairs, "learner_name") {
				t.Errorf("learner name %q", v)
			}
			if _, ticked := doc.Find("#for_other").Attr("checked"); ticked != (valueOf(tt.pairs, "for_other") != "") {
				t.Errorf("the box is ticked: %v", ticked)
			}
			if v := doc.Find("#field_level option[selected]").AttrOr("value", ""); v != "Beginner" {
				t.Errorf("level %q", v)
			}
			if n := a.count("SELECT count(*) FROM enrollments") + a.count("SELECT count(*) FROM receipts"); n != 0 {
				t.Fatalf("%d rows written by a refused form", n)
			}
		})
	}

	// The same form, corrected, goes through with its token.
	v := f.form(a, c, "field_age", "")
	if res := a.postForm(c, f.path, v); res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("first: %d", res.StatusCode)
	}
	v.Set("field_age", "12")
	if res := a.postForm(c, f.path, v); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/pay/") {
		t.Fatalf("corrected: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
}

// valueOf is the value after key in pairs, "" when none.
func valueOf(pairs []string, key string) string {
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i] == key {
			return pairs[i+1]
		}
	}
	return ""
}

func TestEnrollDoubleSubmit(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	f := newEnrollFixture(t, a, nil)
	c := a.student("marta@example.com")
	v := f.form(a, c)
	first := a.postForm(c, f.path, v)
	second := a.postForm(c, f.path, v)
	loc := first.Header.Get("Location")
	if first.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/pay/") {
		t.Fatalf("first: %d to %q", first.StatusCode, loc)
	}
	if second.StatusCode != http.StatusSeeOther || second.Header.Get("Location") != loc {
		t.Errorf("second: %d to %q, want %q", second.StatusCode, second.Header.Get("Location"), loc)
	}
	if n := a.count("SELECT count(*) FROM enrollments"); n != 1 {
		t.Errorf("%d enrollments, want 1", n)
	}
	if n := a.count("SELECT count(*) FROM receipts"); n != 1 {
		t.Errorf("%d receipts, want 1", n)
	}
}

// TestEnrollSelfEmail: the box ticked with the payer's own e-mail (written differently) is an enrollment for
// oneself.
func TestEnrollSelfEmail(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	f := newEnrollFixture(t, a, nil)
	c := a.student("marta@example.com")
	res := a.postForm(c, f.path, f.form(a, c, "for_other", "1", "learner_name", "Marta", "learner_email", " Marta@Example.COM "))
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("status %d", res.StatusCode)
	}
	e := a.onlyEnrollment()
	if payer := a.contactID("marta@example.com"); e.PayerID != payer || e.LearnerID != payer {
		t.Errorf("payer %d learner %d, want both %d", e.PayerID, e.LearnerID, payer)
	}
	if n := a.count("SELECT count(*) FROM contacts"); n != 1 {
		t.Errorf("%d contacts, want the payer alone", n)
	}
	if e.Answers["age"] != "11" || e.Answers["level"] != "Beginner" {
		t.Errorf("answers %v", e.Answers)
	}
}

// TestEnrollForSomeoneElse is payer ≠ learner end to end over HTTP: the parent enrolls the child and lands on the
// first receipt's payment link; once it is paid the child's cabinet shows the course and the enrollment, the
// parent's the receipt with its documents, which a third contact cannot open.
func TestEnrollForSomeoneElse(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	f := newEnrollFixture(t, a, nil)
	parent := a.student("marta@example.com")
	res := a.postForm(parent, f.path, f.form(a, parent, "for_other", "1", "learner_name", "Leo García",
		"learner_email", "leo@example.com"))
	pay := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(pay, "/pay/") {
		t.Fatalf("enroll: %d to %q", res.StatusCode, pay)
	}
	e := a.onlyEnrollment()
	payerID, learnerID := a.contactID("marta@example.com"), a.contactID("leo@example.com")
	if e.PayerID != payerID || e.LearnerID != learnerID || e.Status != billing.EnrollmentPending {
		t.Fatalf("enrollment %+v, want pending, paid by %d for %d", e, payerID, learnerID)
	}
	res, doc := a.get(a.client(), pay)
	if res.StatusCode != http.StatusOK || doc.Find("[data-testid=pay-now]").Length() == 0 {
		t.Fatalf("the link page: %d without a Pay button", res.StatusCode)
	}

	receipts, err := a.srv.billing.ForPayer(a.ctx(), payerID)
	if err != nil || len(receipts) != 1 {
		t.Fatalf("payer's receipts %v (%v)", receipts, err)
	}
	rc := receipts[0]
	_, doc = a.get(parent, "/account")
	if got := doc.Find("[data-testid=receipt] [data-testid=receipt-pay]").AttrOr("href", ""); got != pay {
		t.Errorf("the open receipt's Pay goes to %q, want %q", got, pay)
	}
	if doc.Find("[data-testid=receipt-pdf]").Length() != 0 {
		t.Error("an unpaid receipt offers its PDF")
	}
	if got := doc.Find("[data-testid=enrollment-status]").Text(); got != "Awaiting the first payment" {
		t.Errorf("parent's enrollment status %q", got)
	}

	if _, err := a.srv.billing.RecordPayment(a.ctx(), rc.ID, billing.CashPayment{Amount: rc.Due()}); err != nil {
		t.Fatal(err)
	}

	// The parent's cabinet: the paid receipt, for Leo, with its documents.
	_, doc = a.get(parent, "/account")
	card := doc.Find("[data-testid=receipt]")
	if card.Length() != 1 || card.AttrOr("data-status", "") != "paid" || card.Find("[data-testid=receipt-learner]").Text() != "Leo García" ||
		card.Find("[data-testid=receipt-pay]").Length() != 0 {
		t.Fatalf("the parent's receipts: %q", card.Text())
	}
	if doc.Find("[data-testid=products]").Length() != 0 {
		t.Error("the parent got the child's access")
	}
	if got := doc.Find("[data-testid=enrollment-for]").Text(); got != "for Leo García" {
		t.Errorf("parent's enrollment says %q", got)
	}
	pdf := card.Find("[data-testid=receipt-pdf]").AttrOr("href", "")
	html := card.Find("[data-testid=receipt-doc]").AttrOr("href", "")
	if pdf == "" || html == "" {
		t.Fatal("the paid receipt has no documents")
	}
	for _, tt := range []struct {
		path, contentType string
	}{{pdf, "application/pdf"}, {html, "text/html"}} {
		res, err := parent.Get(a.ts.URL + tt.path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), tt.contentType) {
			t.Errorf("GET %s: %d %s", tt.path, res.StatusCode, res.Header.Get("Content-Type"))
		}
	}

	// A third contact is told the receipt does not exist; a visitor is asked to sign in.
	other := a.student("someone@example.com")
	for _, p := range []string{html, pdf, "/account/receipts/R-0000-000000"} {
		if res, _ := a.get(other, p); res.StatusCode != http.StatusNotFound {
			t.Errorf("a third contact GET %s: %d, want 404", p, res.StatusCode)
		}
	}
	if res, _ := a.get(a.client(), pdf); res.StatusCode != http.StatusSeeOther {
		t.Errorf("a visitor GET %s: %d, want the sign-in", pdf, res.StatusCode)
	}

	// The paid receipt goes to the parent (the first is paid on the page it leads to, not e-mailed), the welcome
	// to the child, and nothing else to either.
	mails := func(to string) []string {
		rows, err := a.pool.Query(a.ctx(), `SELECT dedup_key FROM outbound_emails WHERE to_address = $1 ORDER BY id`, to)
		if err != nil {
			t.Fatal(err)
		}
		keys, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		return keys
	}
	rid := "receipt:" + itoa(rc.ID)
	if got := mails("marta@example.com"); !slices.Equal(got, []string{rid + ":paid"}) {
		t.Errorf("e-mails to the parent: %q", got)
	}
	if got := mails("leo@example.com"); !slices.Equal(got, []string{"enrollment:" + itoa(e.ID) + ":welcome"}) {
		t.Errorf("e-mails to the child: %q", got)
	}

	// The child signs in (a password set through the welcome link) and finds the course, paid by the parent.
	child := a.client()
	link := a.enrollWelcomeLink("leo@example.com")
	res = a.postForm(child, link, url.Values{"password": {testPassword}, "name": {"Leo García"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("welcome: %d", res.StatusCode)
	}
	_, doc = a.get(child, "/account")
	if got := doc.Find("[data-testid=product-name]").Text(); got != "Piano lessons" {
		t.Errorf("the child's courses: %q", got)
	}
	if got := doc.Find("[data-testid=enrollment-paid-by]").Text(); got != "paid by Ana" {
		t.Errorf("the child's enrollment says %q", got)
	}
	if got := doc.Find("[data-testid=enrollment-status]").Text(); got != "Active" {
		t.Errorf("the child's enrollment status %q", got)
	}
	if doc.Find("[data-testid=receipts]").Length() != 0 {
		t.Error("the child is shown receipts they do not pay")
	}
	if res, _ := a.get(child, html); res.StatusCode != http.StatusOK {
		t.Errorf("the learner GET %s: %d", html, res.StatusCode)
	}
}

// enrollWelcomeLink is the sign-in link of the welcome e-mail sent to the learner email, from the secrets the
// outbox keeps apart until the e-mail is delivered.
func (a *testApp) enrollWelcomeLink(email string) string {
	a.t.Helper()
	rows, err := a.pool.Query(a.ctx(), `SELECT secrets FROM outbound_emails WHERE to_address = $1`, email)
	if err != nil {
		a.t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var secrets []string
		if err := rows.Scan(&secrets); err != nil {
			a.t.Fatal(err)
		}
		if link := welcomeLinkRE.FindString(strings.Join(secrets, " ")); link != "" {
			return link
		}
	}
	a.t.Fatalf("no e-mail to %s with a sign-in link", email)
	return ""
}

// TestEnrollLanguages shows the form in each language an offer can have.
func TestEnrollLanguages(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	c := a.student("marta@example.com")
	for _, lang := range i18n.Languages {
		t.Run(lang, func(t *testing.T) {
			f := newEnrollFixture(t, a, func(in *offer.Input) { in.Language, in.Slug = lang, "piano-"+lang })
			_, doc := a.get(c, f.path)
			if doc.Find("html").AttrOr("lang", "") != lang ||
				doc.Find("[data-testid=enroll-submit]").Text() != i18n.T(lang, i18n.EnrollSubmit) ||
				strings.TrimSpace(doc.Find("label[for=for_other]").Text()) != i18n.T(lang, i18n.EnrollForOther) {
				t.Errorf("lang %q, submit %q", doc.Find("html").AttrOr("lang", ""), doc.Find("[data-testid=enroll-submit]").Text())
			}
		})
	}
}

// TestCabinetSuspended: a receipt unpaid past its grace suspends the enrollment; the learner's cabinet shows the
// course as paused (no way in) and says which receipt is overdue, with its Pay button; paying it resumes the same
// course. The receipt's dates are moved into the past (the server's billing runs on the real clock).
func TestCabinetSuspended(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	f := newEnrollFixture(t, a, nil)
	c := a.student("marta@example.com")
	if res := a.postForm(c, f.path, f.form(a, c)); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("enroll: %d", res.StatusCode)
	}
	e := a.onlyEnrollment()
	first, err := a.srv.billing.ForPayer(a.ctx(), e.PayerID)
	if err != nil || len(first) != 1 {
		t.Fatalf("receipts %v (%v)", first, err)
	}
	if _, err := a.srv.billing.RecordPayment(a.ctx(), first[0].ID, billing.CashPayment{Amount: first[0].Due()}); err != nil {
		t.Fatal(err)
	}
	second, err := a.srv.billing.IssueNext(a.ctx(), e.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.pool.Exec(a.ctx(), `UPDATE receipts SET due_at = now() - interval '10 days',
		grace_until = now() - interval '1 day' WHERE id = $1`, second.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := a.srv.billing.Remind(a.ctx()); err != nil {
		t.Fatal(err)
	}
	if got, _ := a.srv.billing.Get(a.ctx(), e.ID); got.Status != billing.EnrollmentSuspended {
		t.Fatalf("enrollment %s after its grace, want suspended", got.Status)
	}

	_, doc := a.get(c, "/account")
	product := doc.Find("[data-testid=product]")
	if product.Length() != 1 || product.Find("[data-testid=product-paused]").Text() != "Access paused" ||
		product.Find("[data-testid=product-open]").Length() != 0 {
		t.Errorf("the paused course is shown as %q", product.Text())
	}
	want := "Access paused: receipt " + second.Number + " is overdue."
	if got := doc.Find("[data-testid=enrollment-notice]").Text(); got != want {
		t.Errorf("notice %q, want %q", got, want)
	}
	if got := doc.Find("[data-testid=enrollment-status]").Text(); got != "Suspended" {
		t.Errorf("status %q", got)
	}
	overdue := doc.Find(`[data-testid=receipt][data-status=overdue]`)
	if overdue.Find("[data-testid=receipt-number]").Text() != second.Number || overdue.Find("[data-testid=receipt-pay]").Length() != 1 {
		t.Errorf("the overdue receipt: %q", overdue.Text())
	}

	rc, err := a.srv.billing.Receipt(a.ctx(), second.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.srv.billing.RecordPayment(a.ctx(), rc.ID, billing.CashPayment{Amount: rc.Due()}); err != nil {
		t.Fatal(err)
	}
	_, doc = a.get(c, "/account")
	if doc.Find("[data-testid=product-paused]").Length() != 0 || doc.Find("[data-testid=product-open]").Length() != 1 ||
		doc.Find("[data-testid=enrollment-notice]").Length() != 0 {
		t.Errorf("after paying, the cabinet shows %q", doc.Find("[data-testid=products]").Text())
	}
}
