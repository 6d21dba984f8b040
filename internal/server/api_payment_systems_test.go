package server

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

func TestAPIPaymentSystemsCRUD(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	key := a.apiKey()

	var ps apiPaymentSystem
	res, raw := a.api(key, "POST", "/api/v1/payment-systems", `{"type":"manual","name":"Cash","description":"At the front desk",
		"settings":{"fee_percent":2.5,"fixed_fee":30,"fixed_fee_currency":"EUR","account_currency":"EUR",
		"fallback_currency":"EUR","supported_currencies":["EUR","usd"],"comment_hint":"Receipt number"}}`, &ps)
	wantStatus(t, res, raw, http.StatusCreated)
	if ps.ID == 0 || ps.Type != "manual" || ps.Mode != "test" || !ps.Enabled || ps.Description != "At the front desk" {
		t.Fatalf("created %+v", ps)
	}
	if res.Header.Get("Location") != "/api/v1/payment-systems/"+itoa(ps.ID) {
		t.Errorf("Location = %q", res.Header.Get("Location"))
	}
	var shape map[string]json.RawMessage
	_ = json.Unmarshal(raw, &shape)
	for _, k := range []string{"id", "type", "name", "description", "image_url", "mode", "enabled", "settings", "credentials"} {
		if _, ok := shape[k]; !ok {
			t.Errorf("response lacks %q: %s", k, raw)
		}
	}
	var settings map[string]any
	_ = json.Unmarshal(shape["settings"], &settings)
	if settings["fee_percent"] != "2.5" || settings["fixed_fee"] != float64(30) || settings["comment_hint"] != "Receipt number" {
		t.Fatalf("settings = %v", settings)
	}
	if cur, _ := settings["supported_currencies"].([]any); len(cur) != 2 || cur[1] != "USD" {
		t.Fatalf("supported_currencies = %v", settings["supported_currencies"])
	}
	if string(shape["credentials"]) != "{}" {
		t.Errorf("manual credentials = %s", shape["credentials"])
	}

	var got apiPaymentSystem
	res, raw = a.api(key, "GET", "/api/v1/payment-systems/"+itoa(ps.ID), nil, &got)
	wantStatus(t, res, raw, http.StatusOK)
	if got.Name != "Cash" || got.Settings["account_currency"] != "EUR" {
		t.Fatalf("GET = %+v", got)
	}

	// PATCH is partial: settings merge, null removes one.
	got = apiPaymentSystem{}
	res, raw = a.api(key, "PATCH", "/api/v1/payment-systems/"+itoa(ps.ID),
		`{"enabled":false,"name":"Cash desk","settings":{"comment_hint":"Ticket number","fixed_fee":null}}`, &got)
	wantStatus(t, res, raw, http.StatusOK)
	if got.Enabled || got.Name != "Cash desk" || got.Settings["comment_hint"] != "Ticket number" ||
		got.Settings["fee_percent"] != "2.5" || got.Settings["fixed_fee"] != nil || got.Description != "At the front desk" {
		t.Fatalf("PATCH = %+v", got)
	}
	res, raw = a.api(key, "PATCH", "/api/v1/payment-systems/"+itoa(ps.ID), `{"type":"stripe"}`, nil)
	wantStatus(t, res, raw, http.StatusUnprocessableEntity)
	if !strings.Contains(string(raw), `"type"`) {
		t.Errorf("type change error = %s", raw)
	}
	res, raw = a.api(key, "PATCH", "/api/v1/payment-systems/"+itoa(ps.ID), `{"settings":{"fee_percent":"101"}}`, nil)
	wantStatus(t, res, raw, http.StatusUnprocessableEntity)
	res, raw = a.api(key, "PATCH", "/api/v1/payment-systems/999999", `{"name":"x"}`, nil)
	wantStatus(t, res, raw, http.StatusNotFound)
	res, raw = a.api(key, "GET", "/api/v1/payment-systems/999999", nil, nil)
	wantStatus(t, res, raw, http.StatusNotFound)

	// Stripe: credentials are merged and reported as set.
	var st apiPaymentSystem
	res, raw = a.api(key, "POST", "/api/v1/payment-systems", map[string]any{"type": "stripe", "name": "Cards",
		"credentials": map[string]string{"secret_key": "sk_test_1"}}, &st)
	wantStatus(t, res, raw, http.StatusCreated)
	if len(st.Credentials) != 1 || st.Credentials["secret_key"] != "set" || !st.Capabilities["pay_without_authorization"] {
		t.Fatalf("stripe = %+v", st)
	}
	stID := st.ID
	st = apiPaymentSystem{}
	res, raw = a.api(key, "PATCH", "/api/v1/payment-systems/"+itoa(stID), `{"credentials":{"webhook_secret":"whsec_x"}}`, &st)
	wantStatus(t, res, raw, http.StatusOK)
	if st.Credentials["secret_key"] != "set" || st.Credentials["webhook_secret"] != "set" {
		t.Fatalf("credentials after merge = %v", st.Credentials)
	}

	// Cursor pagination.
	var page List[apiPaymentSystem]
	res, raw = a.api(key, "GET", "/api/v1/payment-systems?limit=1", nil, &page)
	wantStatus(t, res, raw, http.StatusOK)
	if len(page.Data) != 1 || page.Data[0].ID != ps.ID || page.NextCursor == "" {
		t.Fatalf("page 1 = %s", raw)
	}
	cursor := page.NextCursor
	page = List[apiPaymentSystem]{}
	res, raw = a.api(key, "GET", "/api/v1/payment-systems?limit=1&cursor="+cursor, nil, &page)
	wantStatus(t, res, raw, http.StatusOK)
	if len(page.Data) != 1 || page.Data[0].ID != stID || page.NextCursor != "" {
		t.Fatalf("page 2 = %s", raw)
	}
	res, raw = a.api(key, "GET", "/api/v1/payment-systems?cursor=junk", nil, nil)
	wantStatus(t, res, raw, http.StatusUnprocessableEntity)
	res, raw = a.api("", "GET", "/api/v1/payment-systems", nil, nil)
	wantStatus(t, res, raw, http.StatusUnauthorized)
}

func TestAPIPaymentSystemsBadInput(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	key := a.apiKey()
	tests := []struct {
		name  string
		body  string
		field string
	}{
		{"UnknownType", `{"type":"bitcoin","name":"X"}`, "type"},
		{"EmptyName", `{"type":"manual","name":"","settings":{"supported_currencies":["EUR"]}}`, "name"},
		{"UnknownCurrency", `{"type":"manual","name":"X","settings":{"supported_currencies":["EUR"],"account_currency":"EUX"}}`, "settings.account_currency"},
		{"Fee150", `{"type":"manual","name":"X","settings":{"supported_currencies":["EUR"],"fee_percent":150}}`, "settings.fee_percent"},
		{"FeeString150", `{"type":"manual","name":"X","settings":{"supported_currencies":["EUR"],"fee_percent":"150"}}`, "settings.fee_percent"},
		{"FixedFeeDecimal", `{"type":"manual","name":"X","settings":{"supported_currencies":["EUR"],"fixed_fee":1.5,"fixed_fee_currency":"EUR"}}`, "settings.fixed_fee"},
		{"MissingSecretKey", `{"type":"stripe","name":"Cards"}`, "credentials.secret_key"},
		{"LiveKeyInTest", `{"type":"stripe","name":"Cards","mode":"test","credentials":{"secret_key":"sk_live_1"}}`, "credentials.secret_key"},
		{"UnknownSettingKey", `{"type":"manual","name":"X","settings":{"supported_currencies":["EUR"],"colour":"red"}}`, "settings.colour"},
		{"SecretAsSetting", `{"type":"stripe","name":"X","settings":{"secret_key":"sk_test_1"}}`, "settings.secret_key"},
		{"BadMode", `{"type":"manual","name":"X","mode":"prod","settings":{"supported_currencies":["EUR"]}}`, "mode"},
		{"UnknownField", `{"type":"manual","name":"X","colour":"red"}`, "colour"},
		{"NameNotString", `{"type":"manual","name":5}`, "name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p Problem
			res, raw := a.api(key, "POST", "/api/v1/payment-systems", tt.body, &p)
			wantStatus(t, res, raw, http.StatusUnprocessableEntity)
			if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("Content-Type = %q", ct)
			}
			if p.Errors[tt.field] == "" {
				t.Fatalf("errors = %v, want a message for %s", p.Errors, tt.field)
			}
		})
	}
	if n := a.paymentSystemCount(); n != 0 {
		t.Fatalf("%d payment systems written by bad input", n)
	}
}
