package server

import (
	"bytes"
	"log/slog"
	"mime"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/bursar/bursar/internal/billing"
	"github.com/bursar/bursar/internal/crm"
	"github.com/bursar/bursar/internal/money"
	"github.com/bursar/bursar/internal/receiptdoc"
	"github.com/bursar/bursar/internal/settings"
)

// receiptDocument is a paid installment of a learner her father pays for, at a school in Madrid.
func receiptDocument(lang string) billing.Document {
	madrid, _ := time.LoadLocation("Europe/Madrid")
	due := time.Date(2027, 1, 31, 23, 30, 0, 0, time.UTC) // 1 February in Madrid
	return billing.Document{
		School:  settings.School{Name: "Academia <Sol>", ContactEmail: "hola@sol.test", Timezone: "Europe/Madrid"},
		Payer:   crm.Contact{ID: 1, Name: "Андрій Коваленко", Email: "andrii@example.test"},
		Learner: crm.Contact{ID: 2, Name: "Zoë Коваленко", Email: "zoe@example.test"},
		Enrollment: billing.Enrollment{ID: 5, Kind: billing.KindInstallments, Title: "Guitar",
			Schedule: billing.Schedule{First: due, Every: 1, Unit: billing.Month, Periods: 3, Location: madrid}},
		Receipt: billing.Receipt{ID: 9, Number: "R-2027-000123", Title: "Guitar", Period: 1,
			Amount: money.New(4990, "EUR"), Paid: 4990, Status: billing.ReceiptPaid, DueAt: due, PeriodStart: due,
			PeriodEnd: due.AddDate(0, 1, 0), IssuedAt: due.AddDate(0, 0, -7)},
		Payments: []billing.Payment{{Method: billing.MethodOrder, Amount: money.New(4990, "EUR"),
			PaidOn: time.Date(2027, 1, 30, 0, 0, 0, 0, time.UTC)}},
		Language: lang,
	}
}

// TestReceiptDocumentHTML: the page shows the receipt in its language with the PDF's link and the print button,
// escapes what people typed, and is never cached.
func TestReceiptDocumentHTML(t *testing.T) {
	t.Parallel()
	s := &Server{log: slog.New(slog.DiscardHandler)}
	for _, lang := range receiptdoc.Languages {
		t.Run(lang, func(t *testing.T) {
			t.Parallel()
			d := receiptDocument(lang)
			v := receiptdoc.Build(d)
			rec := httptest.NewRecorder()
			s.writeReceiptDocument(rec, httptest.NewRequest(http.MethodGet, "/account/receipts/R-2027-000123?x=1", nil), d, false)
			res := rec.Result()
			if res.StatusCode != http.StatusOK || res.Header.Get("Cache-Control") != "private, no-store" ||
				!strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
				t.Fatalf("%d %v", res.StatusCode, res.Header)
			}
			body := rec.Body.String()
			if strings.Contains(body, "<Sol>") {
				t.Error("the school's name is not escaped")
			}
			doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := doc.Find("html").Attr("lang"); got != lang {
				t.Errorf("lang %q", got)
			}
			for id, want := range map[string]string{
				"receipt-title":    v.L.Receipt + " R-2027-000123",
				"receipt-school":   "Academia <Sol>",
				"receipt-amount":   money.New(4990, "EUR").Format(lang),
				"receipt-left":     money.New(0, "EUR").Format(lang),
				"receipt-payer":    "Андрій Коваленко",
				"receipt-learner":  "Zoë Коваленко",
				"receipt-period":   v.Period,
				"receipt-due":      receiptdoc.Date(lang, time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC), time.UTC),
				"receipt-status":   v.L.Statuses[billing.ReceiptPaid],
				"receipt-payments": v.L.Methods[billing.MethodOrder],
			} {
				if got := doc.Find(`[data-testid="` + id + `"]`).Text(); !strings.Contains(got, want) {
					t.Errorf("%s is %q, want %q in it", id, got, want)
				}
			}
			pdf := doc.Find(`[data-testid="receipt-pdf"]`)
			if href, _ := pdf.Attr("href"); href != "/account/receipts/R-2027-000123?format=pdf&x=1" || pdf.Text() != v.L.DownloadPDF {
				t.Errorf("PDF link %q %q", href, pdf.Text())
			}
			if doc.Find(`button[data-print][hidden]`).Text() != v.L.Print || doc.Find(`script[src="/static/print.js"]`).Length() != 1 {
				t.Error("no print button")
			}
			if doc.Find("h1").Length() != 1 || doc.Find(`th[scope="col"]`).Length() != 3 {
				t.Error("one h1 and a payments table with column headers expected")
			}
		})
	}
}

// TestReceiptDocumentPDF: the PDF is a download named after the receipt's number, never cached.
func TestReceiptDocumentPDF(t *testing.T) {
	t.Parallel()
	s := &Server{log: slog.New(slog.DiscardHandler)}
	d := receiptDocument("ru")
	rec := httptest.NewRecorder()
	s.writeReceiptDocument(rec, httptest.NewRequest(http.MethodGet, "/admin/receipts/9?format=pdf", nil), d, true)
	res := rec.Result()
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/pdf" ||
		res.Header.Get("Cache-Control") != "private, no-store" {
		t.Fatalf("%d %v", res.StatusCode, res.Header)
	}
	disp, params, err := mime.ParseMediaType(res.Header.Get("Content-Disposition"))
	if err != nil || disp != "attachment" || params["filename"] != "R-2027-000123.pdf" {
		t.Errorf("Content-Disposition %q", res.Header.Get("Content-Disposition"))
	}
	want, err := receiptdoc.PDF(d)
	if err != nil || !bytes.Equal(rec.Body.Bytes(), want) || !bytes.HasPrefix(want, []byte("%PDF-")) {
		t.Errorf("the body is not the receipt's PDF (%v)", err)
	}
	if !receiptDocPDF(httptest.NewRequest(http.MethodGet, "/r?format=pdf", nil)) || receiptDocPDF(httptest.NewRequest(http.MethodGet, "/r", nil)) {
		t.Error("receiptDocPDF")
	}
	for in, want := range map[string]string{"R-2027-000123": "R-2027-000123.pdf", "": "receipt.pdf", `a"/b\c`: "abc.pdf"} {
		if got := receiptFilename(in); got != want {
			t.Errorf("receiptFilename(%q) = %q", in, got)
		}
	}
}
