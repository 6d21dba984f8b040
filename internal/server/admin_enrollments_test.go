package server

import (
	"encoding/csv"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/bursar/bursar/internal/billing"
	"github.com/bursar/bursar/internal/crm"
	"github.com/bursar/bursar/internal/money"
	"github.com/bursar/bursar/internal/offer"
)

// billingFixture is a school with a monthly tuition (49.00 EUR a month, a 10.00 EUR enrollment fee, paid by bank
// transfer), a parent and the child the parent enrolls in it.
type billingFixture struct {
	orderFixture
	tuition int64 // the tuition offer
	parent  crm.Contact
}

func newBillingFixture(t *testing.T, a *testApp) billingFixture {
	t.Helper()
	f := billingFixture{orderFixture: newOrderFixture(t, a)}
	var err error
	if f.parent, err = a.srv.contacts.Create(a.ctx(), crm.Input{Email: "parent@example.com", Name: "Marta Ruiz"}); err != nil {
		t.Fatal(err)
	}
	f.tuition = tuitionOffer(t, a, f.manual.ID)
	return f
}

// enroll enrolls the parent's child in the tuition through the API and returns the pending enrollment's id and
// its first receipt's.
func (f billingFixture) enroll(t *testing.T, a *testApp, key, childEmail string) (int64, int64) {
	t.Helper()
	var got struct {
		ID       int64 `json:"id"`
		Receipts []struct {
			ID int64 `json:"id"`
		} `json:"receipts"`
	}
	res, raw := a.api(key, "POST", "/api/v1/enrollments", map[string]any{"offer_id": f.tuition, "payer_id": f.parent.ID,
		"learner": map[string]any{"email": childEmail, "name": "Leo Ruiz"}, "payment_system_id": f.manual.ID}, &got)
	wantStatus(t, res, raw, http.StatusCreated)
	if len(got.Receipts) != 1 {
		t.Fatalf("enrolled with %d receipts: %s", len(got.Receipts), raw)
	}
	return got.ID, got.Receipts[0].ID
}

func (f billingFixture) enrollment(t *testing.T, a *testApp, id int64) billing.Enrollment {
	t.Helper()
	en, err := a.srv.billing.Get(a.ctx(), id)
	if err != nil {
		t.Fatal(err)
	}
	return en
}

func (f billingFixture) receipt(t *testing.T, a *testApp, id int64) billing.Receipt {
	t.Helper()
	rc, err := a.srv.billing.Receipt(a.ctx(), id)
	if err != nil {
		t.Fatal(err)
	}
	return rc
}

func TestAdminEnrollmentsAndReceipts(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	c := a.owner()
	f := newBillingFixture(t, a)
	enID, firstID := f.enroll(t, a, a.apiKey(), "child@example.com")
	en := f.enrollment(t, a, enID)
	learner := en.LearnerID
	where := "/admin/enrollments/" + itoa(enID)

	t.Run("ListFiltersAndCSV", func(t *testing.T) {
		_, doc := a.get(c, "/admin/enrollments?status=pending&email=child@example.com&offer_id="+itoa(f.tuition))
		row := doc.Find("[data-testid=enrollment-row]")
		if row.Length() != 1 || row.AttrOr("data-id", "") != itoa(enID) ||
			row.Find("[data-testid=enrollment-payer]").AttrOr("href", "") != "/admin/contacts/"+itoa(f.parent.ID) ||
			row.Find("[data-testid=enrollment-learner]").AttrOr("href", "") != "/admin/contacts/"+itoa(learner) ||
			!strings.Contains(row.Text(), "49.00") || !strings.Contains(row.Text(), "per month") {
			t.Errorf("filtered list: %d rows: %q", row.Length(), strings.Join(strings.Fields(row.Text()), " "))
		}
		for _, q := range []string{"status=active", "overdue=1", "email=parent@example.com&status=cancelled"} {
			if _, doc := a.get(c, "/admin/enrollments?"+q); doc.Find("[data-testid=enrollment-row]").Length() != 0 {
				t.Errorf("?%s lists the pending enrollment", q)
			}
		}
		_, doc = a.get(c, "/admin/enrollments?email=nobody@example.com")
		if doc.Find("[data-testid=enrollments-notice]").Length() != 1 {
			t.Error("no notice for an unknown e-mail")
		}
		res, doc := a.get(c, "/admin/enrollments?status=sleeping")
		if res.StatusCode != http.StatusUnprocessableEntity || doc.Find("#status-error").Text() == "" {
			t.Errorf("bad status: %d %q", res.StatusCode, doc.Find("#status-error").Text())
		}
		rows := readCSV(t, c, a.ts.URL+"/admin/enrollments.csv?status=pending")
		if len(rows) != 2 || rows[0][0] != "id" || rows[1][0] != itoa(enID) || rows[1][6] != "child@example.com" ||
			rows[1][7] != "parent@example.com" || rows[1][10] != "4900" {
			t.Errorf("csv = %v", rows)
		}
	})

	t.Run("Page", func(t *testing.T) {
		_, doc := a.get(c, where)
		d := doc.Find("[data-testid=enrollment-details]")
		if d.Find("[data-testid=enrollment-payer]").AttrOr("href", "") != "/admin/contacts/"+itoa(f.parent.ID) ||
			d.Find("[data-testid=enrollment-learner]").AttrOr("href", "") != "/admin/contacts/"+itoa(learner) ||
			!strings.Contains(doc.Find("[data-testid=enrollment-schedule]").Text(), "Every month") {
			t.Errorf("details: %q", strings.Join(strings.Fields(d.Text()), " "))
		}
		if doc.Find("[data-testid=enrollment-receipts] [data-testid=receipt-row]").Length() != 1 ||
			doc.Find("[data-testid=enrollment-timeline] [data-kind='"+billing.EventEnrolled+"']").Length() != 1 {
			t.Error("the page lacks the first receipt or the enrolled event")
		}
		// Payer ≠ learner: each card lists the enrollment and links the other person.
		_, doc = a.get(c, "/admin/contacts/"+itoa(f.parent.ID))
		if doc.Find("[data-testid=contact-enrollments] [data-testid=enrollment-learner]").AttrOr("href", "") != "/admin/contacts/"+itoa(learner) {
			t.Error("the payer's card does not link the learner")
		}
		_, doc = a.get(c, "/admin/contacts/"+itoa(learner))
		if doc.Find("[data-testid=contact-enrollments] [data-testid=enrollment-payer]").AttrOr("href", "") != "/admin/contacts/"+itoa(f.parent.ID) {
			t.Error("the learner's card does not link the payer")
		}
		if res, _ := a.get(c, "/admin/enrollments/999999"); res.StatusCode != http.StatusNotFound {
			t.Errorf("unknown enrollment: %d", res.StatusCode)
		}
	})

	first := "/admin/receipts/" + itoa(firstID)
	t.Run("RecordPayment", func(t *testing.T) {
		rc := f.receipt(t, a, firstID)
		_, doc := a.get(c, first)
		if doc.Find("[data-testid=receipt-link]").AttrOr("href", "") != "/admin/payment-links/"+itoa(rc.LinkID) ||
			doc.Find("[data-testid=receipt-payer]").AttrOr("href", "") != "/admin/contacts/"+itoa(f.parent.ID) {
			t.Error("the receipt's page lacks its payment link or payer")
		}
		tests := []struct {
			name  string
			form  url.Values
			field string
		}{
			{"NoAmount", url.Values{"paid_on": {"2026-01-02"}}, "pay-amount"},
			{"BadAmount", url.Values{"amount": {"12,3x"}}, "pay-amount"},
			{"MoreThanDue", url.Values{"amount": {"1000.00"}}, "pay-amount"},
			{"BadDate", url.Values{"amount": {"10.00"}, "paid_on": {"yesterday"}}, "pay-on"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				res, doc := a.postFormDoc(c, first+"/payments", tt.form)
				if res.StatusCode != http.StatusUnprocessableEntity || doc.Find("#"+tt.field+"-error").Text() == "" {
					t.Errorf("status %d, message on %s %q", res.StatusCode, tt.field, doc.Find("#"+tt.field+"-error").Text())
				}
			})
		}
		if n := a.count("SELECT count(*) FROM receipt_payments"); n != 0 {
			t.Fatalf("%d payments after bad input", n)
		}
		part := rc.Amount.Amount - 2000
		_, doc = a.get(c, first)
		tok := doc.Find("[data-testid=receipt-payment-form] input[name=form_token]").AttrOr("value", "")
		if tok == "" {
			t.Fatal("the payment form has no form token")
		}
		// The same form sent twice (a double click) records one payment.
		for range 2 {
			if res := a.postForm(c, first+"/payments", url.Values{"form_token": {tok}, "amount": {"20.00"}, "note": {"cash at the desk"}}); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("part payment: %d", res.StatusCode)
			}
		}
		if got := f.receipt(t, a, firstID); got.Status != billing.ReceiptPartiallyPaid || got.Paid != 2000 {
			t.Fatalf("after 20.00: %s, paid %d", got.Status, got.Paid)
		}
		rest := money.Money{Amount: part, Currency: rc.Amount.Currency}.Decimal()
		if res := a.postForm(c, first+"/payments", url.Values{"amount": {rest}, "paid_on": {"2026-01-05"}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("payment of the rest: %d", res.StatusCode)
		}
		if got := f.receipt(t, a, firstID); got.Status != billing.ReceiptPaid {
			t.Fatalf("after paying the rest: %s", got.Status)
		}
		if st := f.enrollment(t, a, enID).Status; st != billing.EnrollmentActive {
			t.Errorf("enrollment %s after its first receipt was paid", st)
		}
		_, doc = a.get(c, first)
		if doc.Find("[data-testid=receipt-payment][data-method=cash]").Length() != 2 || doc.Find("[data-testid=receipt-payment-form]").Length() != 0 {
			t.Error("the paid receipt does not list two cash payments, or still offers the form")
		}
		// A second click (the receipt paid meanwhile) is harmless: the page says why.
		if res := a.postForm(c, first+"/payments", url.Values{"amount": {"1.00"}}); res.StatusCode != http.StatusSeeOther {
			t.Errorf("payment on a paid receipt: %d", res.StatusCode)
		}
		_, doc = a.get(c, first)
		if doc.Find("[data-testid=flash]").Text() == "" || a.count("SELECT count(*) FROM receipt_payments") != 2 {
			t.Errorf("payment on a paid receipt: flash %q", doc.Find("[data-testid=flash]").Text())
		}
	})

	t.Run("Document", func(t *testing.T) {
		res, err := c.Get(a.ts.URL + first + "/document")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
			t.Errorf("document: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
		}
		number := f.receipt(t, a, firstID).Number
		for _, path := range []string{first + "/document.pdf", first + "/document?format=pdf"} {
			res, err := c.Get(a.ts.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/pdf" ||
				!strings.Contains(res.Header.Get("Content-Disposition"), number+".pdf") || !strings.HasPrefix(string(b), "%PDF") {
				t.Errorf("%s: %d %s %q", path, res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Content-Disposition"))
			}
		}
		if res, _ := a.get(a.client(), first+"/document.pdf"); res.StatusCode == http.StatusOK {
			t.Error("a visitor gets the receipt's PDF")
		}
	})

	// The next receipt, issued now; waived; another, whose grace is extended.
	var second, third int64
	t.Run("IssueNextAndWaive", func(t *testing.T) {
		_, doc := a.get(c, where)
		tok := doc.Find("[data-testid=enrollment-issue-next]").Closest("form").Find("input[name=form_token]").AttrOr("value", "")
		res := a.postForm(c, where+"/issue-next", url.Values{"form_token": {tok}})
		if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/admin/receipts/") {
			t.Fatalf("issue next: %d to %q", res.StatusCode, res.Header.Get("Location"))
		}
		// A second click of the same form issues nothing more.
		if again := a.postForm(c, where+"/issue-next", url.Values{"form_token": {tok}}); again.Header.Get("Location") != res.Header.Get("Location") {
			t.Errorf("second click went to %q", again.Header.Get("Location"))
		}
		page, err := a.srv.billing.Receipts(a.ctx(), billing.ReceiptFilter{EnrollmentID: enID})
		if err != nil || len(page.Receipts) != 2 {
			t.Fatalf("%d receipts after issuing the next, %v", len(page.Receipts), err)
		}
		second = page.Receipts[0].ID
		if page.Receipts[0].Status != billing.ReceiptIssued || page.Receipts[0].Period != 1 {
			t.Fatalf("the next receipt: %s, period %d", page.Receipts[0].Status, page.Receipts[0].Period)
		}
		path := "/admin/receipts/" + itoa(second)
		if res := a.postForm(c, path+"/waive", url.Values{"reason": {"scholarship"}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("waive: %d", res.StatusCode)
		}
		if st := f.receipt(t, a, second).Status; st != billing.ReceiptWaived {
			t.Fatalf("waived receipt is %s", st)
		}
		a.postForm(c, path+"/waive", url.Values{"reason": {"again"}})
		_, doc = a.get(c, path)
		if doc.Find("[data-testid=flash]").Text() == "" || doc.Find("[data-testid=receipt-waive-form]").Length() != 0 {
			t.Errorf("second waive: flash %q", doc.Find("[data-testid=flash]").Text())
		}
	})

	t.Run("ExtendGrace", func(t *testing.T) {
		a.postForm(c, where+"/issue-next", nil)
		page, err := a.srv.billing.Receipts(a.ctx(), billing.ReceiptFilter{EnrollmentID: enID, Status: billing.ReceiptIssued})
		if err != nil || len(page.Receipts) != 1 {
			t.Fatalf("%d issued receipts, %v", len(page.Receipts), err)
		}
		third = page.Receipts[0].ID
		path := "/admin/receipts/" + itoa(third)
		for _, bad := range []string{"", "soon", "2020-01-01"} {
			res, doc := a.postFormDoc(c, path+"/extend-grace", url.Values{"until": {bad}})
			if res.StatusCode != http.StatusUnprocessableEntity || doc.Find("#grace-until-error").Text() == "" {
				t.Errorf("until %q: %d %q", bad, res.StatusCode, doc.Find("#grace-until-error").Text())
			}
		}
		before := f.receipt(t, a, third).GraceUntil
		until := before.AddDate(0, 0, 20).Format("2006-01-02")
		if res := a.postForm(c, path+"/extend-grace", url.Values{"until": {until}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("extend grace: %d", res.StatusCode)
		}
		if after := f.receipt(t, a, third).GraceUntil; !after.After(before.AddDate(0, 0, 19)) {
			t.Errorf("grace %v → %v; want past %s", before, after, until)
		}
	})

	t.Run("ReceiptsListAndCSV", func(t *testing.T) {
		_, doc := a.get(c, "/admin/receipts?status=paid&email=parent@example.com&offer_id="+itoa(f.tuition))
		if rows := doc.Find("[data-testid=receipt-row]"); rows.Length() != 1 || rows.AttrOr("data-id", "") != itoa(firstID) {
			t.Errorf("paid receipts: %d rows", rows.Length())
		}
		_, doc = a.get(c, "/admin/receipts?enrollment_id="+itoa(enID))
		if n := doc.Find("[data-testid=receipt-row]").Length(); n != 3 {
			t.Errorf("the enrollment's receipts: %d rows", n)
		}
		if _, doc := a.get(c, "/admin/receipts?overdue=1"); doc.Find("[data-testid=receipt-row]").Length() != 0 {
			t.Error("overdue lists receipts not yet due")
		}
		if _, doc := a.get(c, "/admin/receipts?due_to=2000-01-01"); doc.Find("[data-testid=receipt-row]").Length() != 0 {
			t.Error("due_to in 2000 lists receipts")
		}
		res, doc := a.get(c, "/admin/receipts?due_from=tomorrow")
		if res.StatusCode != http.StatusUnprocessableEntity || doc.Find("#due_from-error").Text() == "" {
			t.Errorf("bad due_from: %d", res.StatusCode)
		}
		rows := readCSV(t, c, a.ts.URL+"/admin/receipts.csv?status=waived")
		if len(rows) != 2 || rows[1][0] != itoa(second) || rows[1][2] != "waived" || rows[1][7] != "parent@example.com" {
			t.Errorf("csv = %v", rows)
		}
	})

	t.Run("PauseResumeCancel", func(t *testing.T) {
		if res := a.postForm(c, where+"/pause", url.Values{"reason": {"summer break"}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("pause: %d", res.StatusCode)
		}
		if st := f.enrollment(t, a, enID).Status; st != billing.EnrollmentPaused {
			t.Fatalf("after pause: %s", st)
		}
		// A second click is harmless: the page says why nothing happened.
		if res := a.postForm(c, where+"/pause", url.Values{"reason": {"again"}}); res.StatusCode != http.StatusSeeOther {
			t.Errorf("second pause: %d", res.StatusCode)
		}
		if res := a.postForm(c, where+"/resume", nil); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("resume: %d", res.StatusCode)
		}
		if st := f.enrollment(t, a, enID).Status; st != billing.EnrollmentActive {
			t.Fatalf("after resume: %s", st)
		}
		res, doc := a.postFormDoc(c, where+"/cancel", url.Values{"reason": {"moved away"}})
		if res.StatusCode != http.StatusUnprocessableEntity || doc.Find("#cancel-confirm-error").Text() == "" {
			t.Errorf("cancel without confirming: %d", res.StatusCode)
		}
		if st := f.enrollment(t, a, enID).Status; st != billing.EnrollmentActive {
			t.Fatalf("cancelled without confirming: %s", st)
		}
		if res := a.postForm(c, where+"/cancel", url.Values{"reason": {"moved away"}, "confirm": {"yes"}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("cancel: %d", res.StatusCode)
		}
		got := f.enrollment(t, a, enID)
		if got.Status != billing.EnrollmentCancelled || got.EndReason != "moved away" {
			t.Fatalf("after cancel: %s %q", got.Status, got.EndReason)
		}
		if st := f.receipt(t, a, third).Status; st != billing.ReceiptCancelled {
			t.Errorf("the open receipt is %s after the cancel", st)
		}
		if res := a.postForm(c, where+"/cancel", url.Values{"reason": {"again"}, "confirm": {"yes"}}); res.StatusCode != http.StatusSeeOther {
			t.Errorf("second cancel: %d", res.StatusCode)
		}
		_, doc = a.get(c, where)
		if doc.Find("[data-testid=flash]").Text() == "" || doc.Find("[data-testid=enrollment-cancel]").Length() != 0 ||
			doc.Find("[data-testid=enrollment-issue-next]").Length() != 0 {
			t.Errorf("after a second cancel: flash %q", doc.Find("[data-testid=flash]").Text())
		}
	})
}

// tuitionOffer is a published monthly tuition of 49.00 EUR for 12 months with a 10.00 EUR enrollment fee, paid
// through system.
func tuitionOffer(t *testing.T, a *testApp, system int64) int64 {
	t.Helper()
	o := a.offer(func(in *offer.Input) {
		in.Title, in.Slug, in.Kind, in.PaymentSystemIDs = "Spanish monthly", "spanish-monthly", offer.Tuition, []int64{system}
		in.BillingEvery, in.BillingUnit, in.BillingPeriods, in.EnrollmentFee = 1, offer.UnitMonth, 12, 1000
		in.GraceDays, in.RemindDays = 7, 3
	})
	return o.ID
}

// readCSV downloads path with c and reads it as CSV.
func readCSV(t *testing.T, c *http.Client, u string) [][]string {
	t.Helper()
	res, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("%s: %d %s", u, res.StatusCode, res.Header.Get("Content-Type"))
	}
	rows, err := csv.NewReader(res.Body).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}
