package server

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/bursar/bursar/internal/staff"
)

// keyBy makes an API key with scopes as admin user by (0: the CLI) would.
func (a *testApp) keyBy(by int64, scopes ...string) string {
	a.t.Helper()
	_, key, err := a.srv.staff.CreateAPIKey(a.ctx(), staff.NewAPIKey{Name: "keyed", Scopes: scopes, CreatedBy: by})
	if err != nil {
		a.t.Fatal(err)
	}
	return key
}

// decodeInto decodes a JSON answer.
func decodeInto(t *testing.T, raw []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
}

// wantFieldErrors checks a 422 problem naming exactly fields.
func wantFieldErrors(t *testing.T, res *http.Response, raw []byte, fields ...string) {
	t.Helper()
	wantStatus(t, res, raw, http.StatusUnprocessableEntity)
	if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type %q; body %s", ct, raw)
	}
	var p Problem
	decodeInto(t, raw, &p)
	for _, f := range fields {
		if p.Errors[f] == "" {
			t.Errorf("no error on %s: %s", f, raw)
		}
	}
	if len(p.Errors) != len(fields) {
		t.Errorf("errors %v, want exactly %v", p.Errors, fields)
	}
}

func TestAPISettings(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	key := a.apiKey(staff.Scope("settings", staff.LevelWrite)) // made with the CLI: acts as an owner

	var got settingsJSON
	res, raw := a.api(key, "GET", "/api/v1/settings", nil, &got)
	wantStatus(t, res, raw, http.StatusOK)
	if got.Name != "My school" || got.Language != "en" || got.Timezone != "UTC" || got.UpdatedAt != nil {
		t.Fatalf("defaults = %s", raw)
	}

	res, raw = a.api(key, "PATCH", "/api/v1/settings", map[string]any{"name": "Escuela Sol", "language": "es",
		"timezone": "Europe/Madrid", "contact_email": "hola@sol.test"}, &got)
	wantStatus(t, res, raw, http.StatusOK)
	if got.Name != "Escuela Sol" || got.Language != "es" || got.Timezone != "Europe/Madrid" || got.ContactEmail != "hola@sol.test" ||
		got.PlaceholderDomain != "placeholder.invalid" || got.UpdatedAt == nil {
		t.Fatalf("patched = %s", raw)
	}
	sc, err := a.srv.settings.Get(a.ctx())
	if err != nil || sc.Name != "Escuela Sol" || sc.Timezone != "Europe/Madrid" {
		t.Fatalf("stored %+v, %v", sc, err)
	}
	if n := countRows(t, a, `SELECT count(*) FROM audit_log WHERE action = 'settings.update' AND actor_type = 'api'`); n != 1 {
		t.Errorf("%d settings.update entries by the API, want 1", n)
	}

	t.Run("FieldErrors", func(t *testing.T) {
		res, raw := a.api(key, "PATCH", "/api/v1/settings", map[string]any{"name": "Other", "language": "de",
			"contact_email": "not an address", "timezone": "Mars/Olympus"}, nil)
		wantFieldErrors(t, res, raw, "language", "contact_email", "timezone")
		if sc, _ := a.srv.settings.Get(a.ctx()); sc.Name != "Escuela Sol" {
			t.Errorf("a refused PATCH changed the name to %q", sc.Name)
		}
		res, raw = a.api(key, "PATCH", "/api/v1/settings", map[string]any{"colour": "red"}, nil)
		wantFieldErrors(t, res, raw, "colour")
	})

	t.Run("Scopes", func(t *testing.T) {
		read := a.apiKey(staff.Scope("settings", staff.LevelRead))
		res, raw := a.api(read, "GET", "/api/v1/settings", nil, nil)
		wantStatus(t, res, raw, http.StatusOK)
		res, raw = a.api(read, "PATCH", "/api/v1/settings", map[string]any{"name": "Hacked"}, nil)
		wantStatus(t, res, raw, http.StatusForbidden)
		if d := problemDetail(t, raw); d != "This API key lacks the scope settings:write (its scopes: settings:read)." {
			t.Errorf("detail %q", d)
		}
		other := a.apiKey(staff.Scope("orders", staff.LevelWrite))
		res, raw = a.api(other, "GET", "/api/v1/settings", nil, nil)
		wantStatus(t, res, raw, http.StatusForbidden)
	})

	t.Run("OwnerKeys", func(t *testing.T) {
		first := a.createAdmin("first@school.test", staff.RoleOwner)
		second := a.createAdmin("second@school.test", staff.RoleOwner)
		a.createAdmin("keeper@school.test", staff.RoleOwner) // the owner left when the others go
		byOwner := a.keyBy(first.ID, staff.ScopeFull)
		bySecond := a.keyBy(second.ID, staff.Scope("settings", staff.LevelWrite))
		res, raw := a.api(byOwner, "PATCH", "/api/v1/settings", map[string]any{"phone": "+34 600 000 000"}, nil)
		wantStatus(t, res, raw, http.StatusOK)

		// The second owner is demoted: their key keeps reading, but no longer changes settings or rates.
		if err := a.srv.staff.SetRole(a.ctx(), second.ID, staff.RoleManager); err != nil {
			t.Fatal(err)
		}
		res, raw = a.api(bySecond, "GET", "/api/v1/settings", nil, nil)
		wantStatus(t, res, raw, http.StatusOK)
		res, raw = a.api(bySecond, "PATCH", "/api/v1/settings", map[string]any{"phone": "+1 555 0100"}, nil)
		wantStatus(t, res, raw, http.StatusForbidden)
		res, raw = a.api(bySecond, "POST", "/api/v1/exchange-rates", map[string]any{"base": "EUR", "quote": "USD", "rate": "1.1"}, nil)
		wantStatus(t, res, raw, http.StatusForbidden)
		if sc, _ := a.srv.settings.Get(a.ctx()); sc.Phone != "+34 600 000 000" {
			t.Errorf("phone %q after a demoted owner's key tried to change it", sc.Phone)
		}

		// A disabled owner's key loses the owner's rights too.
		if err := a.srv.staff.SetDisabled(a.ctx(), first.ID, true); err != nil {
			t.Fatal(err)
		}
		res, raw = a.api(byOwner, "PATCH", "/api/v1/settings", map[string]any{"phone": "+1 555 0100"}, nil)
		wantStatus(t, res, raw, http.StatusForbidden)
	})
}

func TestAPIExchangeRates(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	key := a.apiKey()

	var eur rateJSON
	res, raw := a.api(key, "POST", "/api/v1/exchange-rates", map[string]any{"base": "eur", "quote": "UAH", "rate": "41,250"},
		&eur, "Idempotency-Key", "rate-1")
	wantStatus(t, res, raw, http.StatusCreated)
	if eur.Base != "EUR" || eur.Quote != "UAH" || eur.Rate != "41.25" || eur.UpdatedBy != "test" || eur.ID == 0 {
		t.Fatalf("created %s", raw)
	}
	if loc := res.Header.Get("Location"); loc != "/api/v1/exchange-rates/"+itoa(eur.ID) {
		t.Errorf("Location %q", loc)
	}

	t.Run("IdempotencyKey", func(t *testing.T) {
		var again rateJSON
		res, raw := a.api(key, "POST", "/api/v1/exchange-rates", map[string]any{"base": "eur", "quote": "UAH", "rate": "41,250"},
			&again, "Idempotency-Key", "rate-1")
		wantStatus(t, res, raw, http.StatusCreated)
		if res.Header.Get("Idempotent-Replayed") != "true" || again != eur {
			t.Errorf("replay %s (replayed %q)", raw, res.Header.Get("Idempotent-Replayed"))
		}
		res, raw = a.api(key, "POST", "/api/v1/exchange-rates", map[string]any{"base": "EUR", "quote": "UAH", "rate": "99"},
			nil, "Idempotency-Key", "rate-1")
		wantStatus(t, res, raw, http.StatusUnprocessableEntity)
		if n := countRows(t, a, `SELECT count(*) FROM audit_log WHERE entity = 'exchange_rate'`); n != 1 {
			t.Errorf("%d exchange rate changes audited, want 1", n)
		}
	})

	// POST to a pair that has a rate updates it: 200, the same id.
	var upd rateJSON
	res, raw = a.api(key, "POST", "/api/v1/exchange-rates", map[string]any{"base": "EUR", "quote": "UAH", "rate": "42"}, &upd)
	wantStatus(t, res, raw, http.StatusOK)
	if upd.ID != eur.ID || upd.Rate != "42" {
		t.Fatalf("updated %s", raw)
	}

	// PUT names the pair in the path: 201 the first time, 200 after.
	var usd rateJSON
	res, raw = a.api(key, "PUT", "/api/v1/exchange-rates/usd/UAH", map[string]any{"rate": "40.5"}, &usd)
	wantStatus(t, res, raw, http.StatusCreated)
	res, raw = a.api(key, "PUT", "/api/v1/exchange-rates/USD/UAH", map[string]any{"rate": "40.75"}, &usd)
	wantStatus(t, res, raw, http.StatusOK)
	if usd.Base != "USD" || usd.Rate != "40.75" {
		t.Fatalf("put %s", raw)
	}

	var list List[rateJSON]
	res, raw = a.api(key, "GET", "/api/v1/exchange-rates", nil, &list)
	wantStatus(t, res, raw, http.StatusOK)
	if len(list.Data) != 2 || list.Data[0].Base != "EUR" || list.Data[1].Base != "USD" {
		t.Fatalf("list %s", raw)
	}
	var one rateJSON
	res, raw = a.api(key, "GET", "/api/v1/exchange-rates/"+itoa(usd.ID), nil, &one)
	wantStatus(t, res, raw, http.StatusOK)
	if one != usd {
		t.Errorf("get %s, want %+v", raw, usd)
	}

	t.Run("FieldErrors", func(t *testing.T) {
		res, raw := a.api(key, "POST", "/api/v1/exchange-rates", map[string]any{"base": "EURO", "quote": "ZZZ", "rate": "-1"}, nil)
		wantFieldErrors(t, res, raw, "base", "quote", "rate")
		res, raw = a.api(key, "PUT", "/api/v1/exchange-rates/EUR/EUR", map[string]any{"rate": "1"}, nil)
		wantFieldErrors(t, res, raw, "quote")
		res, raw = a.api(key, "PUT", "/api/v1/exchange-rates/EUR/GBP", map[string]any{"rate": 0.86}, nil)
		wantFieldErrors(t, res, raw, "rate")
		if n := countRows(t, a, `SELECT count(*) FROM exchange_rates`); n != 2 {
			t.Errorf("%d rates after refused requests, want 2", n)
		}
	})

	t.Run("Scopes", func(t *testing.T) {
		read := a.apiKey(staff.Scope("settings", staff.LevelRead))
		res, raw := a.api(read, "GET", "/api/v1/exchange-rates", nil, nil)
		wantStatus(t, res, raw, http.StatusOK)
		res, raw = a.api(read, "PUT", "/api/v1/exchange-rates/EUR/GBP", map[string]any{"rate": "0.86"}, nil)
		wantStatus(t, res, raw, http.StatusForbidden)
		res, raw = a.api(read, "DELETE", "/api/v1/exchange-rates/"+itoa(usd.ID), nil, nil)
		wantStatus(t, res, raw, http.StatusForbidden)
		res, raw = a.api(a.apiKey(staff.Scope("audit", staff.LevelRead)), "GET", "/api/v1/exchange-rates", nil, nil)
		wantStatus(t, res, raw, http.StatusForbidden)
	})

	res, raw = a.api(key, "DELETE", "/api/v1/exchange-rates/"+itoa(usd.ID), nil, nil)
	wantStatus(t, res, raw, http.StatusNoContent)
	res, raw = a.api(key, "GET", "/api/v1/exchange-rates/"+itoa(usd.ID), nil, nil)
	wantStatus(t, res, raw, http.StatusNotFound)
	res, raw = a.api(key, "DELETE", "/api/v1/exchange-rates/"+itoa(usd.ID), nil, nil)
	wantStatus(t, res, raw, http.StatusNotFound)
	if n := countRows(t, a, `SELECT count(*) FROM audit_log WHERE action = 'exchange_rate.delete' AND actor_type = 'api'`); n != 1 {
		t.Errorf("%d deletions audited, want 1", n)
	}
}
