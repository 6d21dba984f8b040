package server

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/bursar/bursar/internal/money"
	"github.com/bursar/bursar/internal/staff"
)

func schoolForm() url.Values {
	return url.Values{"name": {"Escuela Sol"}, "contact_email": {"hola@sol.test"}, "phone": {"+34 600 123 456"},
		"website_url": {"https://sol.test"}, "language": {"es"}, "timezone": {"Europe/Madrid"},
		"placeholder_domain": {"sol.invalid"}}
}

func TestSettingsOwnerEditsSchoolAndRates(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	c := a.owner()

	res, doc := a.get(c, "/admin/settings")
	if res.StatusCode != http.StatusOK || doc.Find(`[data-testid="school-form"] #name`).AttrOr("value", "") != "My school" {
		t.Fatalf("settings page: %d, name %q", res.StatusCode, doc.Find("#name").AttrOr("value", ""))
	}
	if doc.Find(`[data-testid="rates-empty"]`).Length() != 1 {
		t.Fatal("no empty-rates row")
	}

	res = a.postForm(c, "/admin/settings", schoolForm())
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save school: %d", res.StatusCode)
	}
	_, doc = a.get(c, "/admin/settings")
	if got := doc.Find("#name").AttrOr("value", ""); got != "Escuela Sol" {
		t.Fatalf("name %q after save", got)
	}
	if got := doc.Find(`#language option[selected]`).AttrOr("value", ""); got != "es" {
		t.Fatalf("language %q", got)
	}
	if got := doc.Find("#timezone").AttrOr("value", ""); got != "Europe/Madrid" {
		t.Fatalf("timezone %q", got)
	}
	if !strings.Contains(doc.Find(".flash").Text(), "Settings saved") {
		t.Fatal("no flash")
	}

	token := doc.Find(`[data-testid="rate-form"] input[name="form_token"]`).AttrOr("value", "")
	rate := url.Values{"base": {"eur"}, "quote": {"UAH"}, "rate": {"41,25"}, "form_token": {token}}
	for range 2 { // a double submit saves once
		if res := a.postForm(c, "/admin/settings/rates", rate); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("save rate: %d", res.StatusCode)
		}
	}
	_, doc = a.get(c, "/admin/settings")
	rows := doc.Find(`[data-testid="rate-row"]`)
	if rows.Length() != 1 || strings.Join(strings.Fields(rows.Find(`[data-testid="rate-text"]`).Text()), " ") != "1 EUR = 41.25 UAH" {
		t.Fatalf("rates: %d rows, %q", rows.Length(), rows.Text())
	}
	if !strings.Contains(rows.Text(), testOwnerEmail) {
		t.Fatalf("rate row lacks who saved it: %q", rows.Text())
	}
	got, err := a.srv.rates.Convert(a.ctx(), money.New(4990, "EUR"), "UAH")
	if err != nil || got != money.New(205838, "UAH") {
		t.Fatalf("convert with saved rate: %v, %v", got, err)
	}

	// Saving the pair again updates it.
	rate.Set("rate", "42.1")
	rate.Set("form_token", doc.Find(`[data-testid="rate-form"] input[name="form_token"]`).AttrOr("value", ""))
	if res := a.postForm(c, "/admin/settings/rates", rate); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("update rate: %d", res.StatusCode)
	}
	_, doc = a.get(c, "/admin/settings")
	rows = doc.Find(`[data-testid="rate-row"]`)
	if rows.Length() != 1 || !strings.Contains(rows.Text(), "42.1") {
		t.Fatalf("after update: %q", rows.Text())
	}

	action := doc.Find(`[data-testid="rate-delete-form"]`).AttrOr("action", "")
	if res := a.postForm(c, action, nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete %s: %d", action, res.StatusCode)
	}
	_, doc = a.get(c, "/admin/settings")
	if doc.Find(`[data-testid="rate-row"]`).Length() != 0 {
		t.Fatal("rate not deleted")
	}
	if res := a.postForm(c, action, nil); res.StatusCode != http.StatusNotFound {
		t.Fatalf("delete again: %d, want 404", res.StatusCode)
	}
}

func TestSettingsBadInput(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	c := a.owner()
	school := func(field, value string) url.Values {
		v := schoolForm()
		v.Set(field, value)
		return v
	}
	rate := func(base, quote, r string) url.Values {
		return url.Values{"base": {base}, "quote": {quote}, "rate": {r}}
	}
	tests := []struct {
		name  string
		path  string
		form  url.Values
		field string
	}{
		{"EmptyName", "/admin/settings", school("name", " "), "name"},
		{"LongName", "/admin/settings", school("name", strings.Repeat("n", 101)), "name"},
		{"BadEmail", "/admin/settings", school("contact_email", "hola@"), "contact_email"},
		{"BadURL", "/admin/settings", school("website_url", "sol.test"), "website_url"},
		{"UnknownLanguage", "/admin/settings", school("language", "de"), "language"},
		{"UnknownTimezone", "/admin/settings", school("timezone", "Europe/Atlantis"), "timezone"},
		{"BadDomain", "/admin/settings", school("placeholder_domain", "x"), "placeholder_domain"},
		{"ZeroRate", "/admin/settings/rates", rate("EUR", "UAH", "0"), "rate"},
		{"MalformedRate", "/admin/settings/rates", rate("EUR", "UAH", "41.2.5"), "rate"},
		{"TooManyDecimals", "/admin/settings/rates", rate("EUR", "UAH", "0.00000000001"), "rate"},
		{"HugeRate", "/admin/settings/rates", rate("EUR", "UAH", "2000000000"), "rate"},
		{"UnknownBase", "/admin/settings/rates", rate("ZZZ", "UAH", "41.25"), "base"},
		{"SameCurrencies", "/admin/settings/rates", rate("UAH", "UAH", "1"), "quote"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, doc := a.postFormDoc(c, tt.path, tt.form)
			if res.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422", res.StatusCode)
			}
			if doc.Find(`[data-testid="`+tt.field+`-error"]`).Text() == "" {
				t.Fatalf("no message on %s:\n%s", tt.field, doc.Find("main").Text())
			}
			if in := doc.Find("input#" + tt.field); in.Length() == 1 && in.AttrOr("value", "") != tt.form.Get(tt.field) {
				t.Fatalf("typed value not kept: %q", in.AttrOr("value", ""))
			}
		})
	}
	_, doc := a.get(c, "/admin/settings")
	if doc.Find("#name").AttrOr("value", "") != "My school" || doc.Find(`[data-testid="rate-row"]`).Length() != 0 {
		t.Fatal("bad input changed something")
	}
	if res := a.postForm(c, "/admin/settings/rates/abc/delete", nil); res.StatusCode != http.StatusNotFound && res.StatusCode != http.StatusBadRequest {
		t.Fatalf("delete malformed id: %d", res.StatusCode)
	}
}

func TestSettingsManagerReadOnly(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	o := a.owner()
	if res := a.postForm(o, "/admin/settings/rates", url.Values{"base": {"EUR"}, "quote": {"USD"}, "rate": {"1.08"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("owner saves rate: %d", res.StatusCode)
	}
	a.createAdmin("manager@school.test", staff.RoleManager)
	m := a.signIn("manager@school.test")

	res, doc := a.get(m, "/admin/settings")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("manager reads settings: %d", res.StatusCode)
	}
	if doc.Find(`[data-testid="settings-readonly"]`).Length() != 1 || doc.Find(`[data-testid="school-name"]`).Text() != "My school" {
		t.Fatal("manager does not see the read-only settings")
	}
	if doc.Find(`[data-testid="school-form"], [data-testid="rate-form"], [data-testid="rate-delete-form"]`).Length() != 0 {
		t.Fatal("manager sees edit forms")
	}
	if doc.Find(`[data-testid="rate-row"]`).Length() != 1 {
		t.Fatal("manager does not see the rates")
	}
	var id string
	if err := a.pool.QueryRow(a.ctx(), `SELECT id::text FROM exchange_rates`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		path string
		form url.Values
	}{
		{"School", "/admin/settings", schoolForm()},
		{"Rate", "/admin/settings/rates", url.Values{"base": {"EUR"}, "quote": {"UAH"}, "rate": {"41.25"}}},
		{"Delete", "/admin/settings/rates/" + id + "/delete", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if res := a.postForm(m, tt.path, tt.form); res.StatusCode != http.StatusForbidden {
				t.Fatalf("manager POST %s: %d, want 403", tt.path, res.StatusCode)
			}
		})
	}
	var n int
	var name string
	if err := a.pool.QueryRow(a.ctx(), `SELECT count(*) FROM exchange_rates`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("rates %d, %v", n, err)
	}
	if err := a.pool.QueryRow(a.ctx(), `SELECT count(*)::text FROM settings WHERE key = 'school'`).Scan(&name); err != nil || name != "0" {
		t.Fatalf("settings written by a manager: %s, %v", name, err)
	}
}
