package server

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/bursar/bursar/internal/money"
	"github.com/bursar/bursar/internal/offer"
)

// TestOfferPageBilling: the public page of a tuition or an installment plan says exactly what is billed and when,
// in the offer's language, with dates from the school's time zone and today's date, and its button leads to the
// enrollment form instead of the one-payment checkout.
func TestOfferPageBilling(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	a.srv.now = func() time.Time { return now }
	ps, _ := strconv.ParseInt(a.paymentSystem("Bank transfer"), 10, 64)
	eur := func(amount int64, lang string) string { return money.New(amount, "EUR").Format(lang) }
	tests := []struct {
		name, lang string
		edit       func(*offer.Input)
		want       string
	}{
		{"TuitionEnglish", "en", func(in *offer.Input) {
			in.Kind, in.BillingDay, in.BillingPeriods, in.EnrollmentFee = offer.Tuition, 5, 10, 2000
		}, "€49.00 per month, on the 5th of each month, for 10 months (enrollment fee €20.00, paid with the first month)"},
		{"TuitionEnglishUntilCancelled", "en", func(in *offer.Input) {
			in.Kind, in.BillingDay = offer.Tuition, 31
		}, "€49.00 per month, on the 31st of each month, or the month’s last day if it is shorter, until you cancel"},
		{"TuitionSpanish", "es", func(in *offer.Input) { in.Kind = offer.Tuition },
			eur(4900, "es") + " al mes, el mismo día del mes en que te inscribes, hasta que canceles"},
		{"TuitionRussianWeekly", "ru", func(in *offer.Input) {
			in.Kind, in.BillingEvery, in.BillingUnit, in.BillingPeriods, in.EnrollmentFee = offer.Tuition, 2, offer.UnitWeek, 3, 1000
		}, eur(4900, "ru") + " каждые 2 нед., на 6 недель (вступительный взнос " + eur(1000, "ru") + " — вместе с первой неделей)"},
		{"InstallmentsEnglish", "en", func(in *offer.Input) {
			in.Kind, in.Amount, in.Installments = offer.Installments, 30000, 3
		}, "€300.00 in 3 payments: €100.00 today, then €100.00 on 3 January 2027 and 3 February 2027"},
		{"InstallmentsUkrainian", "uk", func(in *offer.Input) {
			in.Kind, in.Amount, in.Installments = offer.Installments, 10000, 3
		}, eur(10000, "uk") + " — 3 платежі: " + eur(3334, "uk") + " сьогодні, потім " + eur(3333, "uk") +
			" — 3 січня 2027 р. і 3 лютого 2027 р."},
		{"InstallmentsFrenchOnThe1st", "fr", func(in *offer.Input) {
			in.Kind, in.Amount, in.Installments, in.BillingDay = offer.Installments, 10001, 4, 1
		}, eur(10001, "fr") + " en 4 versements\u202f: " + eur(2501, "fr") + " aujourd’hui, puis " + eur(2500, "fr") +
			" le 1er janvier 2027, 1er février 2027 et 1er mars 2027"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			slug := "enrolled-" + strconv.Itoa(i)
			a.offer(func(in *offer.Input) {
				in.Slug, in.Language, in.PaymentSystemIDs = slug, tt.lang, []int64{ps}
				tt.edit(in)
			})
			res, doc := a.get(a.client(), "/o/"+slug)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status %d", res.StatusCode)
			}
			if got := doc.Find("[data-testid=offer-terms]").Text(); got != tt.want {
				t.Errorf("terms\n got %q\nwant %q", got, tt.want)
			}
			enroll := doc.Find("[data-testid=enroll-link]")
			if enroll.Length() != 1 || enroll.AttrOr("href", "") != "/o/"+slug+"/enroll" {
				t.Errorf("enroll link %d %q", enroll.Length(), enroll.AttrOr("href", ""))
			}
			if doc.Find("[data-testid=pay-link]").Length() != 0 || doc.Find("html").AttrOr("lang", "") != tt.lang {
				h, _ := doc.Html()
				t.Errorf("page:\n%s", h)
			}
		})
	}
	if _, doc := a.get(a.client(), "/o/enrolled-0"); doc.Find("[data-testid=enroll-link]").Text() != "Enroll" {
		t.Errorf("English label %q", doc.Find("[data-testid=enroll-link]").Text())
	}
	if _, doc := a.get(a.client(), "/o/enrolled-2"); doc.Find("[data-testid=enroll-link]").Text() != "Inscribirme" {
		t.Errorf("Spanish label %q", doc.Find("[data-testid=enroll-link]").Text())
	}

	t.Run("SchoolTimeZoneAndToday", func(t *testing.T) {
		// 12:00 UTC on 3 December is already 4 December in Auckland; the page is never cached, so a later day's
		// view shows later dates.
		sc, err := a.srv.settings.Get(a.ctx())
		if err != nil {
			t.Fatal(err)
		}
		sc.Timezone = "Pacific/Auckland"
		if _, err := a.srv.settings.Update(a.ctx(), sc); err != nil {
			t.Fatal(err)
		}
		a.syncPages()
		want := func(dates string) string {
			return "€300.00 in 3 payments: €100.00 today, then €100.00 on " + dates
		}
		if _, doc := a.get(a.client(), "/o/enrolled-4"); doc.Find("[data-testid=offer-terms]").Text() != want("4 January 2027 and 4 February 2027") {
			t.Errorf("in Auckland: %q", doc.Find("[data-testid=offer-terms]").Text())
		}
		now = now.Add(24 * time.Hour)
		if _, doc := a.get(a.client(), "/o/enrolled-4"); doc.Find("[data-testid=offer-terms]").Text() != want("5 January 2027 and 5 February 2027") {
			t.Errorf("a day later: %q", doc.Find("[data-testid=offer-terms]").Text())
		}
	})

	t.Run("NoPaymentSystems", func(t *testing.T) {
		a.offer(func(in *offer.Input) { in.Slug, in.Kind = "no-systems", offer.Tuition })
		_, doc := a.get(a.client(), "/o/no-systems")
		if doc.Find("[data-testid=enroll-link]").Length() != 0 || doc.Find("[data-testid=no-payment-systems]").Length() != 1 {
			h, _ := doc.Html()
			t.Fatalf("page:\n%s", h)
		}
	})
}
