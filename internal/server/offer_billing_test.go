package server

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/bursar/bursar/internal/offer"
)

// TestOfferBillingForm: the admin form stores a tuition's schedule, fee, grace and reminders and shows them back;
// bad settings are field errors next to their fields, nothing written; the form carries the kind-switching script.
func TestOfferBillingForm(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	c := a.owner()
	prod := a.offer(func(in *offer.Input) { in.Slug = "base" }).ProductIDs[0]
	base := url.Values{"title": {"Academy, monthly"}, "price": {"49,00"}, "currency": {"EUR"}, "kind": {"tuition"},
		"product_ids": {itoa(prod)}, "language": {"en"}, "manual_confirm_days": {"30"}, "billing_every": {"1"},
		"billing_unit": {"month"}, "billing_day": {"5"}, "billing_periods": {"10"}, "enrollment_fee": {"20,00"},
		"grace_days": {"10"}, "remind_days": {"2"}, "unlock_by_part": {"1"}, "installments": {"4"}}
	form := func(edit func(url.Values)) url.Values {
		v := url.Values{}
		for k, vals := range base {
			v[k] = vals
		}
		edit(v)
		return v
	}

	t.Run("NewFormShowsKindsAndDefaults", func(t *testing.T) {
		_, doc := a.get(c, "/admin/offers/new")
		for _, kind := range []string{"tuition", "installments"} {
			if doc.Find(`#kind option[value=`+kind+`]`).Length() != 1 {
				t.Errorf("no %s kind", kind)
			}
		}
		if got := doc.Find(`#kind option[value=tuition]`).Text(); got != "Tuition (billed per period, by receipts)" {
			t.Errorf("tuition label %q", got)
		}
		if doc.Find("#billing_every").AttrOr("value", "") != "1" || doc.Find("#grace_days").AttrOr("value", "") != "7" ||
			doc.Find("#remind_days").AttrOr("value", "") != "3" || doc.Find("#billing_unit option[selected]").AttrOr("value", "") != "month" ||
			doc.Find(`script[src="/static/offer-kind.js"]`).Length() != 1 || doc.Find(`[data-kinds~=tuition]`).Length() == 0 {
			h, _ := doc.Find("[data-testid=offer-billing]").Html()
			t.Fatalf("billing fieldset:\n%s", h)
		}
		if res, _ := a.get(c, "/static/offer-kind.js"); res.StatusCode != http.StatusOK {
			t.Fatalf("script: %d", res.StatusCode)
		}
	})

	t.Run("BadSettings", func(t *testing.T) {
		offers := a.count("SELECT count(*) FROM offers")
		tests := []struct{ name, field, value string }{
			{"Every", "billing_every", "0"},
			{"Unit", "billing_unit", "day"},
			{"Day", "billing_day", "32"},
			{"Periods", "billing_periods", "1201"},
			{"Fee", "enrollment_fee", "lots"},
			{"Grace", "grace_days", "366"},
			{"Remind", "remind_days", "x"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				res, doc := a.postFormDoc(c, "/admin/offers", form(func(v url.Values) { v.Set(tt.field, tt.value) }))
				if res.StatusCode != http.StatusUnprocessableEntity || doc.Find("[data-testid="+tt.field+"-error]").Length() != 1 {
					t.Fatalf("status %d, errors %q", res.StatusCode, doc.Find(".field-error").Text())
				}
				if got := doc.Find("#"+tt.field).AttrOr("value", doc.Find("#"+tt.field+" option[selected]").AttrOr("value", "")); got != tt.value && tt.field != "billing_unit" {
					t.Errorf("%s shown back as %q", tt.field, got)
				}
			})
		}
		t.Run("DayNotMonthly", func(t *testing.T) {
			res, doc := a.postFormDoc(c, "/admin/offers", form(func(v url.Values) { v.Set("billing_unit", "week") }))
			if res.StatusCode != http.StatusUnprocessableEntity ||
				!strings.Contains(doc.Find("[data-testid=billing_day-error]").Text(), "only a monthly schedule") {
				t.Fatalf("status %d, errors %q", res.StatusCode, doc.Find(".field-error").Text())
			}
		})
		if n := a.count("SELECT count(*) FROM offers"); n != offers {
			t.Fatalf("bad settings made %d offers", n-offers)
		}
	})

	t.Run("RoundTrip", func(t *testing.T) {
		v := form(func(v url.Values) { v.Set("form_token", a.formToken(c, "/admin/offers/new")) })
		res := a.postForm(c, "/admin/offers", v)
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("create: %d", res.StatusCode)
		}
		offerURL := res.Header.Get("Location")
		var every, day, periods, grace, remind, parts int
		var unit string
		var fee int64
		var unlock bool
		if err := a.pool.QueryRow(a.ctx(), `SELECT billing_every, billing_unit, billing_day, billing_periods,
			enrollment_fee, grace_days, remind_days, unlock_by_part, coalesce(installments, 0) FROM offers
			WHERE kind = 'tuition'`).Scan(&every, &unit, &day, &periods, &fee, &grace, &remind, &unlock, &parts); err != nil {
			t.Fatal(err)
		}
		// unlock_by_part and installments belong to installments: dropped.
		if every != 1 || unit != "month" || day != 5 || periods != 10 || fee != 2000 || grace != 10 || remind != 2 || unlock || parts != 0 {
			t.Fatalf("stored %d %s %d %d %d %d %d %v %d", every, unit, day, periods, fee, grace, remind, unlock, parts)
		}
		_, doc := a.get(c, offerURL)
		for id, want := range map[string]string{"billing_every": "1", "billing_day": "5", "billing_periods": "10",
			"enrollment_fee": "20.00", "grace_days": "10", "remind_days": "2"} {
			if got := doc.Find("#"+id).AttrOr("value", ""); got != want {
				t.Errorf("%s shown as %q, want %q", id, got, want)
			}
		}
		if doc.Find("#kind option[selected]").AttrOr("value", "") != "tuition" {
			t.Error("kind not shown back")
		}

		// Edited into installments in 3 weekly parts that unlock products one by one, and published.
		edit := form(func(v url.Values) {
			v.Set("kind", "installments")
			v.Set("installments", "3")
			v.Set("billing_unit", "week")
			v.Set("billing_day", "")
		})
		if res := a.postForm(c, offerURL, edit); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("edit: %d", res.StatusCode)
		}
		if res := a.postForm(c, offerURL+"/status", url.Values{"status": {"published"}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("publish: %d", res.StatusCode)
		}
		if n := a.count(`SELECT count(*) FROM offers WHERE kind = 'installments' AND installments = 3 AND billing_unit = 'week'
			AND billing_periods = 0 AND enrollment_fee = 0 AND unlock_by_part AND status = 'published'`); n != 1 {
			t.Fatal("installments edit not stored")
		}
		_, doc = a.get(c, offerURL)
		if _, checked := doc.Find("input[name=unlock_by_part]").Attr("checked"); !checked {
			t.Error("unlock by part not shown back")
		}
	})
}

// TestOfferBillingAPI: the API reads and writes the billing settings in snake_case and refuses bad ones with a 422
// problem naming each field.
func TestOfferBillingAPI(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	key := a.apiKey()
	prod := a.offer(func(in *offer.Input) { in.Slug = "base" }).ProductIDs[0]
	body := map[string]any{"title": "Academy", "amount": 4900, "currency": "EUR", "product_ids": []int64{prod},
		"kind": "tuition", "status": "published", "billing_every": 1, "billing_unit": "month", "billing_day": 5,
		"billing_periods": 10, "enrollment_fee": 2000, "grace_days": 10, "remind_days": 2}
	var got apiOfferJSON
	res, raw := a.api(key, "POST", "/api/v1/offers", body, &got)
	wantStatus(t, res, raw, http.StatusCreated)
	if got.Kind != "tuition" || got.BillingEvery != 1 || got.BillingUnit != "month" || got.BillingDay != 5 ||
		got.BillingPeriods != 10 || got.EnrollmentFee != 2000 || got.GraceDays != 10 || got.RemindDays != 2 ||
		got.UnlockByPart || got.Status != "published" {
		t.Fatalf("created %s", raw)
	}
	for _, k := range []string{`"billing_every":1`, `"billing_unit":"month"`, `"billing_day":5`, `"billing_periods":10`,
		`"enrollment_fee":2000`, `"grace_days":10`, `"remind_days":2`, `"unlock_by_part":false`} {
		if !strings.Contains(string(raw), k) {
			t.Errorf("no %s in %s", k, raw)
		}
	}
	res, raw = a.api(key, "PATCH", "/api/v1/offers/"+itoa(got.ID), map[string]any{"kind": "installments",
		"installments": 3, "unlock_by_part": true, "billing_day": 0}, &got)
	wantStatus(t, res, raw, http.StatusOK)
	if got.Kind != "installments" || got.BillingPeriods != 0 || got.EnrollmentFee != 0 || !got.UnlockByPart {
		t.Fatalf("patched %s", raw)
	}

	var p apiProblem
	bad := map[string]any{"kind": "tuition", "billing_every": 0, "billing_unit": "week", "billing_day": 5,
		"billing_periods": -1, "enrollment_fee": -1, "grace_days": 366, "remind_days": 61}
	res, raw = a.api(key, "PATCH", "/api/v1/offers/"+itoa(got.ID), bad, &p)
	wantStatus(t, res, raw, http.StatusUnprocessableEntity)
	if res.Header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("content type %q", res.Header.Get("Content-Type"))
	}
	for _, k := range []string{"billing_every", "billing_day", "billing_periods", "enrollment_fee", "grace_days", "remind_days"} {
		if p.Errors[k] == "" {
			t.Errorf("no %s error in %s", k, raw)
		}
	}
	res, raw = a.api(key, "PATCH", "/api/v1/offers/"+itoa(got.ID), map[string]any{"billing_unit": "day"}, &p)
	wantStatus(t, res, raw, http.StatusUnprocessableEntity)
	if p.Errors["billing_unit"] == "" {
		t.Errorf("no billing_unit error in %s", raw)
	}
}
