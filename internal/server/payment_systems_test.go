package server

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/bursar/bursar/internal/gateway"
)

// manualForm is the seed 004 screen filled in: every field of a manual payment system.
func manualForm(token string) url.Values {
	return url.Values{
		"type": {"manual"}, "form_token": {token}, "name": {"Bank transfer"},
		"description": {"Pay to our IBAN ES00 0000"}, "image_url": {"https://school.test/bank.png"}, "mode": {"live"},
		"enabled": {"true"}, "fee_percent": {"2,5"}, "fixed_fee": {"1,50"}, "fixed_fee_currency": {"EUR"},
		"account_currency": {"EUR"}, "fallback_currency": {"USD"}, "supported_currencies": {"EUR, USD"},
		"comment_hint": {"Write the last 4 digits of your card"},
	}
}

func (a *testApp) paymentSystemCount() int {
	a.t.Helper()
	var n int
	if err := a.pool.QueryRow(a.ctx(), "SELECT count(*) FROM payment_systems").Scan(&n); err != nil {
		a.t.Fatal(err)
	}
	return n
}

func TestAdminPaymentSystemManual(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	c := a.owner()

	res, doc := a.get(c, "/admin/payment-systems/new")
	if res.StatusCode != http.StatusOK || doc.Find("[data-testid=type-manual]").Length() != 1 || doc.Find("[data-testid=type-stripe]").Length() != 1 {
		t.Fatalf("type picker: status %d, manual link %d", res.StatusCode, doc.Find("[data-testid=type-manual]").Length())
	}
	res, doc = a.get(c, "/admin/payment-systems/new?type=manual")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("new form status %d", res.StatusCode)
	}
	for _, name := range []string{"name", "description", "image_url", "mode", "fee_percent", "fixed_fee", "fixed_fee_currency",
		"account_currency", "fallback_currency", "supported_currencies", "comment_hint"} {
		if doc.Find("[data-testid=payment-system-form] [name="+name+"]").Length() != 1 {
			t.Errorf("manual form lacks field %s", name)
		}
	}
	for _, label := range []string{"Fee %", "Fixed fee", "Currency of the fixed fee", "Account (income) currency",
		"Fallback transaction currency", "Supported currencies", "Comment hint shown to the payer"} {
		if !strings.Contains(doc.Find("label").Text(), label) {
			t.Errorf("manual form lacks label %q", label)
		}
	}
	token, _ := doc.Find("[name=form_token]").Attr("value")
	if token == "" {
		t.Fatal("no form_token")
	}

	res = a.postForm(c, "/admin/payment-systems", manualForm(token))
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/admin/payment-systems/") {
		t.Fatalf("create: status %d location %q", res.StatusCode, loc)
	}
	// A double submit lands on the same system and creates nothing more.
	res = a.postForm(c, "/admin/payment-systems", manualForm(token))
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != loc {
		t.Fatalf("double submit: status %d location %q, want %q", res.StatusCode, res.Header.Get("Location"), loc)
	}
	if n := a.paymentSystemCount(); n != 1 {
		t.Fatalf("%d payment systems after a double submit, want 1", n)
	}

	_, doc = a.get(c, "/admin/payment-systems")
	row := doc.Find("[data-testid=payment-system-row]")
	if row.Length() != 1 || row.Find("[data-testid=payment-system-name]").Text() != "Bank transfer" ||
		!strings.Contains(row.Find("[data-testid=payment-system-type]").Text(), "Manual") ||
		strings.TrimSpace(row.Find("[data-testid=payment-system-mode]").Text()) != "live" ||
		strings.TrimSpace(row.Find("[data-testid=payment-system-status]").Text()) != "enabled" {
		t.Fatalf("list row = %q", row.Text())
	}

	_, doc = a.get(c, loc)
	want := map[string]string{"fee_percent": "2.5", "fixed_fee": "1.50", "fixed_fee_currency": "EUR", "account_currency": "EUR",
		"fallback_currency": "USD", "supported_currencies": "EUR, USD", "name": "Bank transfer", "image_url": "https://school.test/bank.png"}
	for name, v := range want {
		if got, _ := doc.Find("[data-testid=payment-system-form] input[name=" + name + "]").Attr("value"); got != v {
			t.Errorf("edit form %s = %q, want %q", name, got, v)
		}
	}
	if got := doc.Find("textarea[name=comment_hint]").Text(); got != "Write the last 4 digits of your card" {
		t.Errorf("comment_hint = %q", got)
	}
	systems, err := a.srv.paymentSystems.All(a.ctx())
	if err != nil || len(systems) != 1 {
		t.Fatalf("All = %v, %v", systems, err)
	}
	sys := systems[0]
	if f := sys.Fees(); f.PercentBP != 250 || f.Fixed.Amount != 150 || f.Fixed.Currency != "EUR" || sys.Mode != gateway.ModeLive {
		t.Fatalf("stored %+v fees %+v", sys, f)
	}

	// Edit, then disable and enable again.
	edit := manualForm("")
	edit.Set("name", "Bank transfer (EU)")
	edit.Set("fixed_fee", "")
	edit.Set("fixed_fee_currency", "")
	res = a.postForm(c, loc, edit)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("update status %d", res.StatusCode)
	}
	if sys, _ = a.srv.paymentSystems.Get(a.ctx(), sys.ID); sys.Name != "Bank transfer (EU)" || sys.Fees().Fixed.Amount != 0 {
		t.Fatalf("after update: %+v", sys)
	}
	res = a.postForm(c, loc+"/enabled", url.Values{"enabled": {"false"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("disable status %d", res.StatusCode)
	}
	_, doc = a.get(c, "/admin/payment-systems")
	if got := strings.TrimSpace(doc.Find("[data-testid=payment-system-status]").Text()); got != "disabled" {
		t.Fatalf("status after disable = %q", got)
	}
	if res := a.postForm(c, loc+"/enabled", url.Values{"enabled": {"maybe"}}); res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("enabled=maybe: status %d", res.StatusCode)
	}
	if res := a.postForm(c, "/admin/payment-systems/999999/enabled", url.Values{"enabled": {"true"}}); res.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown id: status %d", res.StatusCode)
	}
	if res, _ := a.get(c, "/admin/payment-systems/999999"); res.StatusCode != http.StatusNotFound {
		t.Fatalf("edit unknown id: status %d", res.StatusCode)
	}
}

func TestAdminPaymentSystemBadInput(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	c := a.owner()
	tests := []struct {
		name    string
		field   string // form field changed
		value   string
		errorID string // data-testid of the message
	}{
		{"EmptyName", "name", "", "ps-name-error"},
		{"LongName", "name", strings.Repeat("x", 101), "ps-name-error"},
		{"BadImage", "image_url", "ftp://x", "ps-image_url-error"},
		{"Fee150", "fee_percent", "150", "ps-fee_percent-error"},
		{"FeeText", "fee_percent", "abc", "ps-fee_percent-error"},
		{"FixedFeeText", "fixed_fee", "1,5x", "ps-fixed_fee-error"},
		{"UnknownCurrency", "account_currency", "EUX", "ps-account_currency-error"},
		{"UnknownSupported", "supported_currencies", "EUR, USD, ZZZ", "ps-supported_currencies-error"},
		{"NoSupported", "supported_currencies", "", "ps-supported_currencies-error"},
		{"LongHint", "comment_hint", strings.Repeat("h", 501), "ps-comment_hint-error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := manualForm(newFormToken())
			form.Set(tt.field, tt.value)
			res, doc := a.postFormDoc(c, "/admin/payment-systems", form)
			if res.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422", res.StatusCode)
			}
			if doc.Find("[data-testid="+tt.errorID+"]").Text() == "" {
				t.Fatalf("no message %s; page errors: %q", tt.errorID, doc.Find(".field-error").Text())
			}
			if got, _ := doc.Find("input[name=description], textarea[name=description]").Html(); got != "Pay to our IBAN ES00 0000" {
				t.Errorf("typed description not kept: %q", got)
			}
			if tok, _ := doc.Find("[name=form_token]").Attr("value"); tok != form.Get("form_token") {
				t.Errorf("form token not kept")
			}
		})
	}
	if n := a.paymentSystemCount(); n != 0 {
		t.Fatalf("%d payment systems written by bad input", n)
	}

	// Editing with bad input re-renders too and changes nothing.
	res := a.postForm(c, "/admin/payment-systems", manualForm(newFormToken()))
	loc := res.Header.Get("Location")
	bad := manualForm("")
	bad.Set("fee_percent", "101")
	res, doc := a.postFormDoc(c, loc, bad)
	if res.StatusCode != http.StatusUnprocessableEntity || doc.Find("[data-testid=ps-fee_percent-error]").Text() == "" {
		t.Fatalf("bad edit: status %d", res.StatusCode)
	}
	if v, _ := doc.Find("input[name=fee_percent]").Attr("value"); v != "101" {
		t.Errorf("typed fee not kept: %q", v)
	}
	systems, _ := a.srv.paymentSystems.All(a.ctx())
	if len(systems) != 1 || systems[0].Setting("fee_percent") != "2.5" {
		t.Fatalf("bad edit changed the system: %+v", systems)
	}
	if res, _ := a.get(c, "/admin/payment-systems/new?type=bitcoin"); res.StatusCode != http.StatusOK {
		t.Fatalf("unknown type picker: status %d", res.StatusCode)
	}
}

func TestPaymentSystemCredentialsNeverShown(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	c := a.owner()
	key := a.apiKey()
	const secret = "sk_test_abc123secret"
	const whsec = "whsec_hook987secret"

	var created apiPaymentSystem
	res, raw := a.api(key, "POST", "/api/v1/payment-systems", map[string]any{
		"type": "stripe", "name": "Cards", "mode": "test",
		"credentials": map[string]string{"secret_key": secret, "webhook_secret": whsec},
	}, &created)
	wantStatus(t, res, raw, http.StatusCreated)
	if created.Credentials["secret_key"] != "set" || created.Credentials["webhook_secret"] != "set" {
		t.Fatalf("credentials = %v, want presence flags", created.Credentials)
	}
	id := itoa(created.ID)
	outputs := map[string]string{"POST response": string(raw)}
	_, raw = a.api(key, "GET", "/api/v1/payment-systems/"+id, nil, nil)
	outputs["GET"] = string(raw)
	_, raw = a.api(key, "GET", "/api/v1/payment-systems", nil, nil)
	outputs["GET list"] = string(raw)
	_, raw = a.api(key, "PATCH", "/api/v1/payment-systems/"+id, map[string]any{"name": "Cards EU"}, nil)
	outputs["PATCH"] = string(raw)
	_, doc := a.get(c, "/admin/payment-systems")
	outputs["admin list"], _ = doc.Html()
	_, doc = a.get(c, "/admin/payment-systems/"+id)
	outputs["admin edit"], _ = doc.Html()
	if doc.Find("[data-testid=credential-set-secret_key]").Length() != 1 {
		t.Error("edit page does not say the secret key is set")
	}
	if v, ok := doc.Find("input[name=secret_key]").Attr("value"); ok && v != "" {
		t.Errorf("secret key input has value %q", v)
	}

	// Saving the edit form with empty credentials keeps them.
	form := url.Values{"name": {"Cards EU"}, "mode": {"test"}, "secret_key": {""}, "webhook_secret": {""}, "account_currency": {"EUR"}}
	if res := a.postForm(c, "/admin/payment-systems/"+id, form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit status %d", res.StatusCode)
	}
	creds, err := a.srv.paymentSystems.Credentials(a.ctx(), created.ID)
	if err != nil || creds["secret_key"] != secret || creds["webhook_secret"] != whsec {
		t.Fatalf("credentials after an edit with empty fields = %v, %v", creds, err)
	}
	// A bad credential on the form is named, and its value is not echoed back.
	form.Set("secret_key", "sk_live_wrongmode999")
	res, doc = a.postFormDoc(c, "/admin/payment-systems/"+id, form)
	if res.StatusCode != http.StatusUnprocessableEntity || doc.Find("[data-testid=ps-secret_key-error]").Text() == "" {
		t.Fatalf("live key in test mode: status %d", res.StatusCode)
	}
	outputs["admin edit error"], _ = doc.Html()

	_, doc = a.get(c, "/admin/audit")
	outputs["admin audit"], _ = doc.Html()
	for where, out := range outputs {
		for _, s := range []string{secret, whsec, "wrongmode999"} {
			if strings.Contains(out, s) {
				t.Errorf("%s contains the credential %q", where, s)
			}
		}
	}
	var n int
	if err := a.pool.QueryRow(a.ctx(), `SELECT count(*) FROM audit_log WHERE details::text LIKE '%secret%' AND (details::text LIKE '%abc123%' OR details::text LIKE '%hook987%')`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("audit rows holding credentials: %d, %v", n, err)
	}
	if err := a.pool.QueryRow(a.ctx(), `SELECT count(*) FROM payment_systems WHERE position(convert_to($1, 'UTF8') in coalesce(credentials_sealed, '')) > 0`, secret).Scan(&n); err != nil || n != 0 {
		t.Fatalf("credentials stored in clear: %d, %v", n, err)
	}
	if strings.Contains(a.log.String(), secret) {
		t.Error("server log contains the secret key")
	}
}
