package crm_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/crm"
	"github.com/bursar/bursar/internal/db/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func newService(t *testing.T) (*crm.Service, *pgxpool.Pool, context.Context) {
	t.Helper()
	pool := dbtest.New(t)
	ctx := audit.WithActor(context.Background(), audit.Actor{Type: audit.ActorAdmin, ID: 1, Label: "owner@school.test"})
	return crm.NewService(pool, audit.New(pool), nil), pool, ctx
}

func mustCreate(t *testing.T, s *crm.Service, ctx context.Context, in crm.Input) crm.Contact {
	t.Helper()
	c, err := s.Create(ctx, in)
	if err != nil {
		t.Fatalf("create %+v: %v", in, err)
	}
	return c
}

func count(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestCreateValidation(t *testing.T) {
	t.Parallel()
	s, pool, ctx := newService(t)
	manyFields := map[string]string{}
	for i := range 31 {
		manyFields[fmt.Sprintf("f%d", i)] = "x"
	}
	tests := []struct {
		name  string
		in    crm.Input
		field string
	}{
		{"EmptyEmail", crm.Input{Email: "  "}, "email"},
		{"MalformedEmail", crm.Input{Email: "ana@"}, "email"},
		{"DisplayName", crm.Input{Email: "Ana <ana@school.test>"}, "email"},
		{"LongName", crm.Input{Email: "a@school.test", Name: strings.Repeat("n", 201)}, "name"},
		{"LongPhone", crm.Input{Email: "a@school.test", Phone: strings.Repeat("1", 41)}, "phone"},
		{"LettersInPhone", crm.Input{Email: "a@school.test", Phone: "call me"}, "phone"},
		{"PhoneWithoutDigits", crm.Input{Email: "a@school.test", Phone: "+()-"}, "phone"},
		{"CustomKeyNotSnake", crm.Input{Email: "a@school.test", CustomFields: map[string]string{"Shoe Size": "42"}}, "custom_fields"},
		{"CustomKeyLong", crm.Input{Email: "a@school.test", CustomFields: map[string]string{strings.Repeat("k", 51): "v"}}, "custom_fields"},
		{"CustomValueLong", crm.Input{Email: "a@school.test", CustomFields: map[string]string{"k": strings.Repeat("v", 1001)}}, "custom_fields"},
		{"TooManyCustom", crm.Input{Email: "a@school.test", CustomFields: manyFields}, "custom_fields"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Create(ctx, tt.in)
			e, ok := check.AsErrors(err)
			if !ok || e[tt.field] == "" {
				t.Fatalf("error %v, want a message on %q", err, tt.field)
			}
		})
	}
	if n := count(t, pool, "SELECT count(*) FROM contacts"); n != 0 {
		t.Fatalf("%d contacts written by invalid input", n)
	}
	c := mustCreate(t, s, ctx, crm.Input{Email: " Ana@School.TEST ", Name: " Ana ", Phone: "+34 (600) 123-456",
		CustomFields: map[string]string{"shoe_size": "42", "level2": ""}})
	if c.Email != "ana@school.test" || c.Name != "Ana" || c.CustomFields["shoe_size"] != "42" {
		t.Fatalf("created %+v", c)
	}
}

func TestDuplicateEmailAnyCase(t *testing.T) {
	t.Parallel()
	s, pool, ctx := newService(t)
	first := mustCreate(t, s, ctx, crm.Input{Email: "ana@school.test"})
	other := mustCreate(t, s, ctx, crm.Input{Email: "bob@school.test"})
	for _, email := range []string{"ana@school.test", "ANA@School.Test"} {
		_, err := s.Create(ctx, crm.Input{Email: email, Name: "Copy"})
		if e, ok := check.AsErrors(err); !ok || e["email"] != "a contact with this e-mail already exists" {
			t.Fatalf("create %s: %v", email, err)
		}
	}
	taken := "Ana@school.test"
	_, err := s.Update(ctx, other.ID, crm.Patch{Email: &taken})
	if e, ok := check.AsErrors(err); !ok || e["email"] == "" {
		t.Fatalf("update to a taken e-mail: %v", err)
	}
	if n := count(t, pool, "SELECT count(*) FROM contacts"); n != 2 {
		t.Fatalf("%d contacts, want 2", n)
	}
	got, err := s.ByEmail(ctx, "ANA@SCHOOL.TEST")
	if err != nil || got.ID != first.ID {
		t.Fatalf("ByEmail: %+v, %v", got, err)
	}
}

func TestSearch(t *testing.T) {
	t.Parallel()
	s, _, ctx := newService(t)
	ana := mustCreate(t, s, ctx, crm.Input{Email: "ana.garcia@school.test", Name: "Ana García", Phone: "+34 600 111 222"})
	bob := mustCreate(t, s, ctx, crm.Input{Email: "bob@example.test", Name: "Robert Smith", Phone: "+1 555 0100"})
	mustCreate(t, s, ctx, crm.Input{Email: "100%_x@example.test", Name: "Percent"})
	tests := []struct {
		name string
		f    crm.Filter
		want []int64
	}{
		{"EmailFragment", crm.Filter{Query: "GARCIA@sch"}, []int64{ana.ID}},
		{"NameFragment", crm.Filter{Query: "robert"}, []int64{bob.ID}},
		{"PhoneFragment", crm.Filter{Query: "555 01"}, []int64{bob.ID}},
		{"Nothing", crm.Filter{Query: "zzz"}, nil},
		{"WildcardsAreLiteral", crm.Filter{Query: "a%b"}, nil},
		{"ExactEmailAnyCase", crm.Filter{Email: "BOB@example.test"}, []int64{bob.ID}},
		{"ExactEmailNoFragment", crm.Filter{Email: "bob@example"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := s.List(ctx, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			for _, c := range p.Contacts {
				got = append(got, c.ID)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestListKeysetPages(t *testing.T) {
	t.Parallel()
	s, _, ctx := newService(t)
	var want []int64
	for i := range 8 {
		c := mustCreate(t, s, ctx, crm.Input{Email: fmt.Sprintf("p%d@school.test", i), Name: "Page person"})
		want = append([]int64{c.ID}, want...) // newest first
	}
	mustCreate(t, s, ctx, crm.Input{Email: "other@school.test", Name: "Someone else"})
	got := allPages(t, s, ctx, crm.Filter{Query: "page person", Limit: 3}, 5)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("pages gave %v, want %v (no overlap, no gap)", got, want)
	}
}

func TestUpdateNotesTimelineDelete(t *testing.T) {
	t.Parallel()
	s, pool, ctx := newService(t)
	c := mustCreate(t, s, ctx, crm.Input{Email: "ana@school.test", Name: "Ana"})
	name := "Ana María"
	cf := map[string]string{"city": "Madrid"}
	u, err := s.Update(ctx, c.ID, crm.Patch{Name: &name, CustomFields: &cf})
	if err != nil {
		t.Fatal(err)
	}
	if u.Name != name || u.Email != c.Email || u.CustomFields["city"] != "Madrid" {
		t.Fatalf("updated %+v", u)
	}
	bad := "x"
	if _, err := s.Update(ctx, c.ID, crm.Patch{Email: &bad, Name: &name}); err == nil {
		t.Fatal("bad e-mail accepted")
	}
	if _, err := s.AddNote(ctx, c.ID, "   "); err == nil {
		t.Fatal("empty note accepted")
	}
	if _, err := s.AddNote(ctx, c.ID+1000, "hello"); !errors.Is(err, check.ErrNotFound) {
		t.Fatalf("note on unknown contact: %v", err)
	}
	for _, b := range []string{"first", "second"} {
		if _, err := s.AddNote(ctx, c.ID, b); err != nil {
			t.Fatal(err)
		}
	}
	notes, err := s.Notes(ctx, c.ID, 0)
	if err != nil || len(notes) != 2 || notes[0].Body != "second" || notes[0].Author != "owner@school.test" {
		t.Fatalf("notes %+v, %v", notes, err)
	}
	events, err := s.Events(ctx, c.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range events {
		kinds = append(kinds, e.Kind)
	}
	if want := "[note.added note.added contact.updated contact.created]"; fmt.Sprint(kinds) != want {
		t.Fatalf("timeline %v, want %s", kinds, want)
	}
	if !strings.Contains(events[2].Message, "name") || !strings.Contains(events[2].Message, "custom fields") {
		t.Fatalf("update event %q does not say what changed", events[2].Message)
	}
	if err := s.Delete(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Contact(ctx, c.ID); !errors.Is(err, check.ErrNotFound) {
		t.Fatalf("deleted contact: %v", err)
	}
	if err := s.Delete(ctx, c.ID); !errors.Is(err, check.ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	if n := count(t, pool, "SELECT (SELECT count(*) FROM contact_notes) + (SELECT count(*) FROM contact_events)"); n != 0 {
		t.Fatalf("%d notes and events left after delete", n)
	}
	if n := count(t, pool, "SELECT count(*) FROM audit_log WHERE entity = 'contact' AND action = 'contact.delete'"); n != 1 {
		t.Fatalf("%d delete audit entries", n)
	}
}

func TestCustomFieldsText(t *testing.T) {
	t.Parallel()
	m, err := crm.ParseCustomFields("city: Madrid\r\n\nurl: https://x.test/a:b\n")
	if err != nil || m["city"] != "Madrid" || m["url"] != "https://x.test/a:b" || len(m) != 2 {
		t.Fatalf("parsed %v, %v", m, err)
	}
	if got := crm.FormatCustomFields(m); got != "city: Madrid\nurl: https://x.test/a:b\n" {
		t.Fatalf("formatted %q", got)
	}
	for _, bad := range []string{"no colon here", "a: 1\na: 2"} {
		if _, err := crm.ParseCustomFields(bad); err == nil {
			t.Fatalf("%q accepted", bad)
		}
	}
}

// TestSearchBeyondTheNewest: a search finds the same contacts, page by page, whether its matches are among the
// newest contacts, all old (beyond the few thousand newest the search looks through one by one before it asks the
// trigram index), or both, and with the exact e-mail filter too.
func TestSearchBeyondTheNewest(t *testing.T) {
	t.Parallel()
	s, pool, ctx := newService(t)
	// 3,000 contacts; "needle" in the 70 oldest and the 5 newest, "oldonly" in 60 of the oldest, "every" in all.
	if _, err := pool.Exec(ctx, `INSERT INTO contacts (email, name)
		SELECT 'c' || g || '@every.test',
		       CASE WHEN g <= 70 OR g > 2995 THEN 'Needle ' ELSE '' END || CASE WHEN g <= 60 THEN 'Oldonly' ELSE 'Person' END
		FROM generate_series(1, 3000) g`); err != nil {
		t.Fatal(err)
	}
	direct := func(fragment, email string) []int64 {
		t.Helper()
		rows, err := pool.Query(ctx, `SELECT id FROM contacts
			WHERE strpos(lower(email) || ' ' || lower(name), lower($1)) > 0 AND ($2 = '' OR lower(email) = lower($2))
			ORDER BY id DESC`, fragment, email)
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		return ids
	}
	for _, tt := range []struct{ q, email string }{{"needle", ""}, {"oldonly", ""}, {"every", ""}, {"c17@", ""},
		{"needle", "c3@every.test"}, {"nothing", ""}} {
		for _, limit := range []int{7, 50} {
			got := allPages(t, s, ctx, crm.Filter{Query: tt.q, Email: tt.email, Limit: limit}, 1000)
			want := direct(tt.q, tt.email)
			if tt.q == "every" && len(want) != 3000 {
				t.Fatalf("fixture: %d contacts match every", len(want))
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("search %q (e-mail %q) by pages of %d: %d contacts %v, want %d %v", tt.q, tt.email, limit,
					len(got), got, len(want), want)
			}
		}
	}
}

// allPages lists the contacts f selects page by page, following the cursor, and fails after maxPages pages.
func allPages(t *testing.T, s *crm.Service, ctx context.Context, f crm.Filter, maxPages int) []int64 {
	t.Helper()
	var got []int64
	for pages := 0; ; pages++ {
		if pages > maxPages {
			t.Fatal("pagination does not end")
		}
		p, err := s.List(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range p.Contacts {
			got = append(got, c.ID)
		}
		if p.NextBeforeID == 0 {
			return got
		}
		f.BeforeID = p.NextBeforeID
	}
}
