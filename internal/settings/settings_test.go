package settings_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/db/dbtest"
	"github.com/bursar/bursar/internal/settings"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func newService(t *testing.T) (*settings.Service, *pgxpool.Pool, context.Context) {
	t.Helper()
	pool := dbtest.New(t)
	ctx := audit.WithActor(context.Background(), audit.Actor{Type: audit.ActorAdmin, ID: 1, Label: "owner@school.test"})
	return settings.NewService(pool, audit.New(pool)), pool, ctx
}

func valid() settings.School {
	return settings.School{Name: "Escuela Sol", ContactEmail: "Hola@Sol.test", Phone: "+34 600 123 456",
		WebsiteURL: "https://sol.test", Language: "es", Timezone: "Europe/Madrid", PlaceholderDomain: "sol.invalid"}
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	s, _, ctx := newService(t)
	got, err := s.Get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := settings.School{Name: "My school", Language: "en", Timezone: "UTC", PlaceholderDomain: "placeholder.invalid"}
	if got != want {
		t.Fatalf("defaults %+v, want %+v", got, want)
	}
}

func TestUpdateAndGet(t *testing.T) {
	t.Parallel()
	s, pool, ctx := newService(t)
	saved, err := s.Update(ctx, valid())
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "Escuela Sol" || got.ContactEmail != "hola@sol.test" || got.Timezone != "Europe/Madrid" ||
		got.Language != "es" || got.PlaceholderDomain != "sol.invalid" || got.UpdatedAt.IsZero() {
		t.Fatalf("got %+v", got)
	}
	if got.Location().String() != "Europe/Madrid" || saved.Name != got.Name {
		t.Fatalf("location %s, saved %+v", got.Location(), saved)
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'settings.update'
		AND details->'name'->>'to' = 'Escuela Sol'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("audit rows %d, %v", n, err)
	}

	// Blank defaults-bearing fields keep working values.
	in := valid()
	in.Language, in.Timezone, in.PlaceholderDomain = "", " ", ""
	got, err = s.Update(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if got.Language != "en" || got.Timezone != "UTC" || got.PlaceholderDomain != "placeholder.invalid" {
		t.Fatalf("blank fields not defaulted: %+v", got)
	}
}

func TestUpdateValidation(t *testing.T) {
	t.Parallel()
	s, _, ctx := newService(t)
	if _, err := s.Update(ctx, valid()); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		edit  func(*settings.School)
		field string
	}{
		{"EmptyName", func(v *settings.School) { v.Name = "  " }, "name"},
		{"LongName", func(v *settings.School) { v.Name = strings.Repeat("n", 101) }, "name"},
		{"BadEmail", func(v *settings.School) { v.ContactEmail = "hola@" }, "contact_email"},
		{"BadPhone", func(v *settings.School) { v.Phone = "call me" }, "phone"},
		{"LongPhone", func(v *settings.School) { v.Phone = strings.Repeat("1", 51) }, "phone"},
		{"BadURL", func(v *settings.School) { v.WebsiteURL = "javascript:alert(1)" }, "website_url"},
		{"UnknownLanguage", func(v *settings.School) { v.Language = "de" }, "language"},
		{"UnknownTimezone", func(v *settings.School) { v.Timezone = "Mars/Olympus" }, "timezone"},
		{"LocalTimezone", func(v *settings.School) { v.Timezone = "Local" }, "timezone"},
		{"PathTimezone", func(v *settings.School) { v.Timezone = "../../etc/passwd" }, "timezone"},
		{"BadDomain", func(v *settings.School) { v.PlaceholderDomain = "no spaces.test" }, "placeholder_domain"},
		{"DomainWithoutDot", func(v *settings.School) { v.PlaceholderDomain = "localhost" }, "placeholder_domain"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := valid()
			in.Name = "Changed " + tt.name
			tt.edit(&in)
			_, err := s.Update(ctx, in)
			e, ok := check.AsErrors(err)
			if !ok || e[tt.field] == "" {
				t.Fatalf("err %v, want a message on %s", err, tt.field)
			}
			got, err := s.Get(ctx)
			if err != nil || got.Name != "Escuela Sol" {
				t.Fatalf("half-written: %+v, %v", got, err)
			}
		})
	}
}
