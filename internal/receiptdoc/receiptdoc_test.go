package receiptdoc

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/bursar/bursar/internal/billing"
	"github.com/bursar/bursar/internal/crm"
	"github.com/bursar/bursar/internal/money"
	"github.com/bursar/bursar/internal/settings"
)

// sample is a tuition receipt of March 2027 for a learner her mother pays for, part paid in cash and through the
// link, at a school in Kyiv.
func sample(lang string) billing.Document {
	kyiv, err := time.LoadLocation("Europe/Kyiv")
	if err != nil {
		panic(err)
	}
	start := time.Date(2027, 3, 1, 0, 0, 0, 0, kyiv)
	return billing.Document{
		School: settings.School{Name: "École Sol", ContactEmail: "hola@sol.test", Phone: "+34 600 000 000",
			WebsiteURL: "https://sol.test", Timezone: "Europe/Kyiv"},
		Payer:   crm.Contact{ID: 7, Name: "Оксана Шевченко", Email: "oksana@example.test"},
		Learner: crm.Contact{ID: 8, Name: "Łucja Müller-Ñúñez", Email: "lucja@example.test"},
		Enrollment: billing.Enrollment{ID: 3, Kind: billing.KindTuition, Title: "Piano",
			Schedule: billing.Schedule{First: start, Every: 1, Unit: billing.Month, Periods: 12, Location: kyiv}},
		Receipt: billing.Receipt{ID: 11, Number: "R-2027-000123", Title: "Piano — grade 2", Period: 2,
			Amount: money.New(1234550, "UAH"), Fee: 50000, Paid: 100000, Status: billing.ReceiptPartiallyPaid,
			PeriodStart: start, PeriodEnd: start.AddDate(0, 1, 0), DueAt: start,
			IssuedAt:  time.Date(2027, 2, 22, 23, 30, 0, 0, time.UTC), // 23 February in Kyiv
			UpdatedAt: time.Date(2027, 3, 2, 9, 0, 0, 0, time.UTC)},
		Payments: []billing.Payment{
			{Method: billing.MethodCash, Amount: money.New(60000, "UAH"), PaidOn: time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)},
			{Method: billing.MethodOrder, Amount: money.New(40000, "UAH"), PaidOn: time.Date(2027, 3, 2, 0, 0, 0, 0, time.UTC)},
		},
		Language: lang,
	}
}

func TestPDFEveryLanguage(t *testing.T) {
	t.Parallel()
	for _, lang := range Languages {
		t.Run(lang, func(t *testing.T) {
			t.Parallel()
			d := sample(lang)
			b, err := PDF(d)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(b, []byte("%PDF-")) || !bytes.Contains(b[len(b)-16:], []byte("%%EOF")) {
				t.Fatalf("not a PDF: %q…", b[:min(len(b), 16)])
			}
			if n := bytes.Count(b, []byte("/Type /Page\n")) + bytes.Count(b, []byte("/Type /Page ")); n < 1 {
				t.Errorf("%d pages", n)
			}
			again, err := PDF(d)
			if err != nil || !bytes.Equal(b, again) {
				t.Errorf("the same receipt gave other bytes (%v)", err)
			}

			raw, err := render(d, false)
			if err != nil {
				t.Fatal(err)
			}
			text := pdfText(t, raw)
			v := Build(d)
			w := catalog[lang]
			for _, want := range []string{"R-2027-000123", w.Receipt, "Оксана Шевченко", "Łucja Müller-Ñúñez", "Piano — grade 2",
				money.New(1234550, "UAH").Format(lang), money.New(50000, "UAH").Format(lang),
				money.New(1134550, "UAH").Format(lang), money.New(60000, "UAH").Format(lang),
				w.Methods[billing.MethodCash], w.Statuses[billing.ReceiptPartiallyPaid], v.Period, v.Issued,
				"hola@sol.test", "École Sol"} {
				if !strings.Contains(text, want) {
					t.Errorf("the PDF lacks %q:\n%s", want, text)
				}
			}
		})
	}
}

func TestBuild(t *testing.T) {
	t.Parallel()
	v := Build(sample("uk"))
	for got, want := range map[string]string{
		v.Title:    "Квитанція R-2027-000123",
		v.Issued:   "23 лютого 2027 р.", // 22 February 23:30 UTC is the 23rd in Kyiv
		v.Period:   "1 березня 2027 р. – 31 березня 2027 р.",
		v.Due:      "1 березня 2027 р.",
		v.Schedule: "щомісяця, 12 періодів",
		v.Amount:   "12\u202f345,50\u00a0₴",
		v.Left:     "11\u202f345,50\u00a0₴",
		v.Fee:      "500,00\u00a0₴",
		v.Status:   "Сплачено частково",
	} {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
	if v.Learner == nil || v.Payments[0].Date != "1 березня 2027 р." || v.Payments[1].Method != "Платіжне посилання" {
		t.Errorf("learner %+v, payments %+v", v.Learner, v.Payments)
	}

	d := sample("fr-CA")
	d.Learner = d.Payer
	d.Payer.Placeholder = true
	d.Enrollment.Kind = billing.KindInstallments
	d.Enrollment.Schedule.Periods = 3
	d.Enrollment.Schedule.Every = 2
	d.Receipt.Fee = 0
	v = Build(d)
	if v.Lang != "fr" || v.Learner != nil || v.Payer.Email != "" || v.Period != "3 sur 3" || v.Fee != "" ||
		v.Schedule != "3 échéances, tous les 2 mois" || v.Issued != "23 février 2027" {
		t.Errorf("installments in fr: %+v", v)
	}
	if got := Build(sample("xx")).Lang; got != "en" {
		t.Errorf("an unknown language is %q", got)
	}
}

func TestPlural(t *testing.T) {
	t.Parallel()
	f := [3]string{"%d one", "%d few", "%d many"}
	tests := []struct {
		lang string
		n    int
		want string
	}{
		{"ru", 1, "1 one"}, {"ru", 2, "2 few"}, {"ru", 5, "5 many"}, {"ru", 11, "11 many"}, {"ru", 12, "12 many"},
		{"ru", 21, "21 one"}, {"uk", 24, "24 few"}, {"uk", 111, "111 many"}, {"en", 1, "1 one"}, {"en", 2, "2 many"},
		{"fr", 0, "0 one"}, {"es", 0, "0 many"},
	}
	for _, tt := range tests {
		if got := plural(tt.lang, tt.n, f); got != tt.want {
			t.Errorf("plural(%s, %d) = %q, want %q", tt.lang, tt.n, got, tt.want)
		}
	}
}

func TestCatalogComplete(t *testing.T) {
	t.Parallel()
	for _, lang := range Languages {
		w, ok := catalog[lang]
		if !ok || w.date == nil || w.months[11] == "" || w.periods[2] == "" || w.parts[2] == "" {
			t.Fatalf("%s lacks texts", lang)
		}
		for _, s := range []string{w.Receipt, w.Number, w.Issued, w.Status, w.Payer, w.Learner, w.Enrollment,
			w.Billing, w.Schedule, w.Period, w.Part, w.Due, w.Amount, w.Fee, w.Paid, w.Left, w.Payments, w.Date,
			w.Method, w.NoPayments, w.Email, w.Phone, w.Website, w.Contact, w.Print, w.DownloadPDF, w.Tuition,
			w.Installments, w.UntilCancelled, w.Of} {
			if s == "" {
				t.Errorf("%s lacks a label: %+v", lang, w.Labels)
			}
		}
		for _, st := range billing.ReceiptStatuses {
			if w.Statuses[st] == "" {
				t.Errorf("%s lacks status %s", lang, st)
			}
		}
		for _, u := range []billing.Unit{billing.Week, billing.Month, billing.Year} {
			if w.every[u] == "" || w.everyN[u][0] == "" || w.everyN[u][1] == "" || w.everyN[u][2] == "" {
				t.Errorf("%s lacks unit %s", lang, u)
			}
		}
		if w.Methods[billing.MethodCash] == "" || w.Methods[billing.MethodOrder] == "" {
			t.Errorf("%s lacks methods", lang)
		}
	}
}

// pdfText is the text an uncompressed fpdf document shows: each string it draws ("Td (…) Tj", UTF-16BE with the
// PDF's escapes), one a line.
func pdfText(t *testing.T, b []byte) string {
	t.Helper()
	var out []string
	for {
		i := bytes.Index(b, []byte(" Td ("))
		if i < 0 {
			break
		}
		b = b[i+len(" Td ("):]
		var s []byte
		j := 0
		for ; j < len(b) && b[j] != ')'; j++ {
			if b[j] == '\\' && j+1 < len(b) {
				j++
				switch b[j] {
				case 'r':
					s = append(s, '\r')
				case 'n':
					s = append(s, '\n')
				default:
					s = append(s, b[j])
				}
				continue
			}
			s = append(s, b[j])
		}
		b = b[j:]
		if len(s)%2 != 0 {
			t.Fatalf("odd UTF-16 string %q", s)
		}
		u := make([]uint16, len(s)/2)
		for k := range u {
			u[k] = binary.BigEndian.Uint16(s[2*k:])
		}
		out = append(out, string(utf16.Decode(u)))
	}
	if len(out) == 0 {
		t.Fatal("no text in the PDF")
	}
	return strings.Join(out, "\n")
}
