package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/db/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

var testKey = bytes.Repeat([]byte{7}, 32)

func newService(t *testing.T) *Service {
	t.Helper()
	pool := dbtest.New(t)
	return NewService(pool, audit.New(pool), testKey)
}

func manualInput() Input {
	return Input{Type: TypeManual, Name: "Bank transfer", Enabled: true, Settings: map[string]any{
		"fee_percent": "2,5", "fixed_fee": json.RawMessage(`30`), "fixed_fee_currency": "eur",
		"account_currency": "EUR", "fallback_currency": "USD", "supported_currencies": []any{"EUR", "usd"},
		"comment_hint": "Last 4 digits of your card",
	}}
}

func stripeInput(key string) Input {
	return Input{Type: TypeStripe, Name: "Cards", Mode: ModeTest, Enabled: true,
		Credentials: map[string]string{"secret_key": key}}
}

func fieldsOf(err error) []string {
	errs, ok := check.AsErrors(err)
	if !ok {
		return nil
	}
	keys := slices.Collect(maps.Keys(errs))
	sort.Strings(keys)
	return keys
}

func TestCreateValidation(t *testing.T) {
	t.Parallel()
	s := newService(t)
	with := func(in Input, f func(*Input)) Input {
		in.Settings = maps.Clone(in.Settings)
		in.Credentials = maps.Clone(in.Credentials)
		f(&in)
		return in
	}
	manual := manualInput()
	stripe := stripeInput("sk_test_abc123")
	tests := []struct {
		name string
		in   Input
		want []string // fields with messages; nil means valid
	}{
		{"ManualOK", manual, nil},
		{"StripeOK", stripe, nil},
		{"PayPalOK", Input{Type: TypePayPal, Name: "PayPal", Settings: map[string]any{"client_id": "AbC"},
			Credentials: map[string]string{"client_secret": "xyz"}}, nil},
		{"RedsysOK", Input{Type: TypeRedsys, Name: "Redsys", Settings: map[string]any{"merchant_code": "999008881",
			"terminal": "1"}, Credentials: map[string]string{"merchant_key": "sq7HjrUOBfKmC576ILgskD5srU870gJ7"}}, nil},
		{"WayForPayOK", Input{Type: TypeWayForPay, Name: "WFP", Settings: map[string]any{
			"merchant_account": "test_merch_n1", "merchant_domain": "www.market.ua"},
			Credentials: map[string]string{"secret_key": "flk3409refn54t54t*FNJRET"}}, nil},
		{"FondyOK", Input{Type: TypeFondy, Name: "Fondy", Settings: map[string]any{"merchant_id": "1396424"},
			Credentials: map[string]string{"secret_key": "test"}}, nil},
		{"UnknownType", Input{Type: "bitcoin", Name: "X"}, []string{"type"}},
		{"EmptyName", with(manual, func(in *Input) { in.Name = " " }), []string{"name"}},
		{"LongName", with(manual, func(in *Input) { in.Name = strings.Repeat("n", 101) }), []string{"name"}},
		{"LongDescription", with(manual, func(in *Input) { in.Description = strings.Repeat("d", 2001) }), []string{"description"}},
		{"BadImage", with(manual, func(in *Input) { in.ImageURL = "javascript:alert(1)" }), []string{"image_url"}},
		{"BadMode", with(manual, func(in *Input) { in.Mode = "prod" }), []string{"mode"}},
		{"FeeOver100", with(manual, func(in *Input) { in.Settings["fee_percent"] = json.RawMessage(`150`) }), []string{"settings.fee_percent"}},
		{"FeeThreeDecimals", with(manual, func(in *Input) { in.Settings["fee_percent"] = "2.555" }), []string{"settings.fee_percent"}},
		{"FeeNegative", with(manual, func(in *Input) { in.Settings["fee_percent"] = "-1" }), []string{"settings.fee_percent"}},
		{"FixedFeeNegative", with(manual, func(in *Input) { in.Settings["fixed_fee"] = json.RawMessage(`-5`) }), []string{"settings.fixed_fee"}},
		{"FixedFeeFraction", with(manual, func(in *Input) { in.Settings["fixed_fee"] = json.RawMessage(`1.5`) }), []string{"settings.fixed_fee"}},
		{"FixedFeeWithoutCurrency", with(manual, func(in *Input) { delete(in.Settings, "fixed_fee_currency") }), []string{"settings.fixed_fee_currency"}},
		{"DecimalFixedFeeTooPrecise", with(manual, func(in *Input) { in.Settings["fixed_fee"] = DecimalAmount("0,305") }), []string{"settings.fixed_fee"}},
		{"UnknownCurrency", with(manual, func(in *Input) { in.Settings["account_currency"] = "XXX" }), []string{"settings.account_currency"}},
		{"UnknownSupportedCurrency", with(manual, func(in *Input) { in.Settings["supported_currencies"] = "EUR, ABC" }), []string{"settings.supported_currencies"}},
		{"NoSupportedCurrencies", with(manual, func(in *Input) {
			in.Settings["supported_currencies"] = []any{}
			delete(in.Settings, "account_currency")
			delete(in.Settings, "fallback_currency")
		}), []string{"settings.supported_currencies"}},
		{"AccountCurrencyNotSupported", with(manual, func(in *Input) { in.Settings["account_currency"] = "GBP" }), []string{"settings.account_currency"}},
		{"LongCommentHint", with(manual, func(in *Input) { in.Settings["comment_hint"] = strings.Repeat("h", 501) }), []string{"settings.comment_hint"}},
		{"UnknownSetting", with(manual, func(in *Input) { in.Settings["colour"] = "red" }), []string{"settings.colour"}},
		{"CredentialAsSetting", with(stripe, func(in *Input) { in.Settings = map[string]any{"secret_key": "sk_test_x"} }), []string{"settings.secret_key"}},
		{"SettingAsCredential", Input{Type: TypeFondy, Name: "F", Settings: map[string]any{"merchant_id": "1"},
			Credentials: map[string]string{"secret_key": "k", "merchant_id": "1"}}, []string{"credentials.merchant_id"}},
		{"ManualHasNoCredentials", with(manual, func(in *Input) { in.Credentials = map[string]string{"secret_key": "x"} }), []string{"credentials.secret_key"}},
		{"StripeMissingKey", with(stripe, func(in *Input) { in.Credentials = nil }), []string{"credentials.secret_key"}},
		{"StripeMalformedKey", stripeInput("pk_test_abc"), []string{"credentials.secret_key"}},
		{"StripeLiveKeyInTest", stripeInput("sk_live_abc"), []string{"credentials.secret_key"}},
		{"StripeBadWebhookSecret", with(stripe, func(in *Input) { in.Credentials["webhook_secret"] = "abc" }), []string{"credentials.webhook_secret"}},
		{"PayPalMissing", Input{Type: TypePayPal, Name: "P"}, []string{"credentials.client_secret", "settings.client_id"}},
		{"RedsysBad", Input{Type: TypeRedsys, Name: "R", Settings: map[string]any{"merchant_code": "12a", "terminal": "1"},
			Credentials: map[string]string{"merchant_key": "short"}}, []string{"credentials.merchant_key", "settings.merchant_code"}},
		{"WayForPayBadDomain", Input{Type: TypeWayForPay, Name: "W", Settings: map[string]any{
			"merchant_account": "m", "merchant_domain": "not a domain"}, Credentials: map[string]string{"secret_key": "s"}},
			[]string{"settings.merchant_domain"}},
		{"FondyBadID", Input{Type: TypeFondy, Name: "F", Settings: map[string]any{"merchant_id": "abc"},
			Credentials: map[string]string{"secret_key": "s"}}, []string{"settings.merchant_id"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sys, err := s.Create(context.Background(), tt.in)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Create: %v", err)
				}
				if sys.ID == 0 || sys.Type != tt.in.Type {
					t.Fatalf("Create = %+v", sys)
				}
				return
			}
			if got := fieldsOf(err); !slices.Equal(got, tt.want) {
				t.Fatalf("Create error fields = %v (%v), want %v", got, err, tt.want)
			}
		})
	}
}

func TestCreateNormalizesSettings(t *testing.T) {
	t.Parallel()
	s := newService(t)
	ctx := context.Background()
	sys, err := s.Create(ctx, manualInput())
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	got, err := s.Get(ctx, sys.ID)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if got.Setting("fee_percent") != "2.5" || got.Fees().PercentBP != 250 {
		t.Errorf("fee_percent = %q (%d bp), want 2.5 (250)", got.Setting("fee_percent"), got.Fees().PercentBP)
	}
	if f := got.Fees().Fixed; f.Amount != 30 || f.Currency != "EUR" {
		t.Errorf("fixed fee = %+v, want 30 EUR", f)
	}
	if c := got.SupportedCurrencies(); !slices.Equal(c, []string{"EUR", "USD"}) {
		t.Errorf("supported = %v", c)
	}
	if !got.Supports("USD") || got.Supports("GBP") {
		t.Errorf("Supports wrong for %v", got.SupportedCurrencies())
	}
	if got.Setting("comment_hint") != "Last 4 digits of your card" || got.Mode != ModeTest || !got.Enabled {
		t.Errorf("got %+v", got)
	}
	in := manualInput()
	in.Settings["fixed_fee"] = DecimalAmount("1,50")
	sys2, err := s.Create(ctx, in)
	if err != nil {
		t.Fatalf("Create with decimal fee: %v", err)
	}
	if f := sys2.Fees().Fixed; f.Amount != 150 {
		t.Errorf("decimal fixed fee 1,50 = %d minor units, want 150", f.Amount)
	}
}

func TestCredentialsSealedAtRest(t *testing.T) {
	t.Parallel()
	pool := dbtest.New(t)
	s := NewService(pool, audit.New(pool), testKey)
	ctx := context.Background()
	const key = "sk_test_abc123secret"
	a, err := s.Create(ctx, stripeInput(key))
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	b, err := s.Create(ctx, stripeInput("sk_test_other"))
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if !slices.Equal(a.CredentialNames, []string{"secret_key"}) {
		t.Errorf("CredentialNames = %v", a.CredentialNames)
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM payment_systems
		WHERE position(convert_to($1, 'UTF8') in credentials_sealed) > 0 OR settings::text LIKE '%'||$1||'%'`,
		key).Scan(&n); err != nil || n != 0 {
		t.Fatalf("rows holding the key in clear = %d, %v", n, err)
	}
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE details::text LIKE '%'||$1||'%'`, key).Scan(&n); err != nil || n != 0 {
		t.Fatalf("audit rows holding the key = %d, %v", n, err)
	}
	creds, err := s.Credentials(ctx, a.ID)
	if err != nil || creds["secret_key"] != key {
		t.Fatalf("Credentials = %v, %v", creds, err)
	}
	// A blob copied into another row does not open there.
	if _, err := pool.Exec(ctx, `UPDATE payment_systems SET credentials_sealed =
		(SELECT credentials_sealed FROM payment_systems WHERE id = $1) WHERE id = $2`, a.ID, b.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Credentials(ctx, b.ID); err == nil {
		t.Fatal("credentials swapped between rows opened")
	}
	// Another key cannot open them.
	other := NewService(pool, audit.New(pool), bytes.Repeat([]byte{8}, 32))
	if _, err := other.Credentials(ctx, a.ID); err == nil {
		t.Fatal("credentials opened with another key")
	}
	if _, err := s.Credentials(ctx, 999999); !errors.Is(err, check.ErrNotFound) {
		t.Fatalf("Credentials(unknown) = %v", err)
	}
}

func TestUpdate(t *testing.T) {
	t.Parallel()
	s := newService(t)
	ctx := context.Background()
	sys, err := s.Create(ctx, Input{Type: TypeStripe, Name: "Cards", Enabled: true, Credentials: map[string]string{
		"secret_key": "sk_test_old", "webhook_secret": "whsec_1"}})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	name := "Cards (EU)"
	got, err := s.Update(ctx, sys.ID, Patch{Name: &name, Credentials: map[string]string{"secret_key": "", "webhook_secret": " "},
		Settings: map[string]any{"account_currency": "eur"}})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	creds, err := s.Credentials(ctx, sys.ID)
	if err != nil || creds["secret_key"] != "sk_test_old" || creds["webhook_secret"] != "whsec_1" {
		t.Fatalf("empty credentials did not keep the stored ones: %v, %v", creds, err)
	}
	if got.Name != name || got.Setting("account_currency") != "EUR" {
		t.Fatalf("Update = %+v", got)
	}

	live := ModeLive
	if _, err := s.Update(ctx, sys.ID, Patch{Mode: &live}); !slices.Equal(fieldsOf(err), []string{"credentials.secret_key"}) {
		t.Fatalf("live mode with a test key: %v", err)
	}
	if _, err := s.Update(ctx, sys.ID, Patch{Mode: &live, Credentials: map[string]string{"secret_key": "sk_live_new"}}); err != nil {
		t.Fatalf("live mode with a live key: %v", err)
	}
	if creds, _ := s.Credentials(ctx, sys.ID); creds["secret_key"] != "sk_live_new" || creds["webhook_secret"] != "whsec_1" {
		t.Fatalf("credentials after change = %v", creds)
	}
	// Removing a setting with an empty value; a failed update writes nothing.
	bad := ""
	if _, err := s.Update(ctx, sys.ID, Patch{Name: &bad, Settings: map[string]any{"account_currency": ""}}); !slices.Equal(fieldsOf(err), []string{"name"}) {
		t.Fatalf("empty name: %v", err)
	}
	if got, _ := s.Get(ctx, sys.ID); got.Name != name || got.Setting("account_currency") != "EUR" {
		t.Fatalf("failed update changed the system: %+v", got)
	}
	got, err = s.Update(ctx, sys.ID, Patch{Settings: map[string]any{"account_currency": nil}})
	if err != nil || got.Setting("account_currency") != "" {
		t.Fatalf("removing a setting: %+v, %v", got.Settings, err)
	}
	if _, err := s.Update(ctx, 999999, Patch{Name: &name}); !errors.Is(err, check.ErrNotFound) {
		t.Fatalf("Update(unknown) = %v", err)
	}
}

func TestSetEnabled(t *testing.T) {
	t.Parallel()
	s := newService(t)
	ctx := context.Background()
	sys, err := s.Create(ctx, manualInput())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []bool{false, false, true} {
		if err := s.SetEnabled(ctx, sys.ID, want); err != nil {
			t.Fatalf("SetEnabled(%v): %v", want, err)
		}
		if got, _ := s.Get(ctx, sys.ID); got.Enabled != want {
			t.Fatalf("Enabled = %v, want %v", got.Enabled, want)
		}
	}
	if err := s.SetEnabled(ctx, 999999, true); !errors.Is(err, check.ErrNotFound) {
		t.Fatalf("SetEnabled(unknown) = %v", err)
	}
}

func TestSystemsOrder(t *testing.T) {
	t.Parallel()
	s := newService(t)
	ctx := context.Background()
	var ids []int64
	for range 3 {
		sys, err := s.Create(ctx, manualInput())
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, sys.ID)
	}
	if err := s.SetEnabled(ctx, ids[1], false); err != nil {
		t.Fatal(err)
	}
	got, err := s.Systems(ctx, []int64{ids[2], 999999, ids[0], ids[1]})
	if err != nil {
		t.Fatalf("Systems: %v", err)
	}
	var gotIDs []int64
	for _, g := range got {
		gotIDs = append(gotIDs, g.ID)
	}
	if want := []int64{ids[2], ids[0], ids[1]}; !slices.Equal(gotIDs, want) {
		t.Fatalf("Systems ids = %v, want %v", gotIDs, want)
	}
	if got[2].Enabled {
		t.Fatal("disabled system reported enabled")
	}
	if empty, err := s.Systems(ctx, nil); err != nil || len(empty) != 0 {
		t.Fatalf("Systems(nil) = %v, %v", empty, err)
	}
}

func TestCapabilities(t *testing.T) {
	t.Parallel()
	tests := []struct {
		typ  string
		pwa  bool
		refs bool
	}{
		{TypeManual, false, false}, {TypeRedsys, false, true}, {TypeStripe, true, true},
		{TypePayPal, true, true}, {TypeWayForPay, true, true}, {TypeFondy, true, true},
	}
	for _, tt := range tests {
		sys := System{Type: tt.typ}
		if sys.Can(PayWithoutAuthorization) != tt.pwa || sys.Can(APIRefunds) != tt.refs {
			t.Errorf("%s: pay without authorization %v, refunds %v", tt.typ, sys.Can(PayWithoutAuthorization), sys.Can(APIRefunds))
		}
	}
	if !TypeCan(TypeStripe, Recurring) || TypeCan(TypeManual, Recurring) {
		t.Error("recurring capability wrong")
	}
}
