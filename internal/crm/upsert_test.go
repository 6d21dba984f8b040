package crm_test

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/crm"
	"github.com/bursar/bursar/internal/events"
)

// TestUpsertTx: a new e-mail makes a contact with name and phone; a known one (any letter case) gets the name and
// phone that differ, never an empty cell's blank, and one given nothing new is left alone, with no timeline line.
func TestUpsertTx(t *testing.T) {
	t.Parallel()
	s, pool, ctx := newService(t)
	kept := mustCreate(t, s, ctx, crm.Input{Email: "kept@example.com", Name: "Kept", Phone: "+34 1"})
	tests := []struct {
		name      string
		in        crm.Input
		want      crm.Outcome
		wantName  string
		wantPhone string
	}{
		{"Created", crm.Input{Email: " New@Example.com ", Name: "New", Phone: "+34 600"}, crm.Created, "New", "+34 600"},
		{"Updated", crm.Input{Email: "KEPT@example.com", Phone: "+34 2"}, crm.Updated, "Kept", "+34 2"},
		{"Unchanged", crm.Input{Email: "kept@example.com", Name: "Kept"}, crm.Unchanged, "Kept", "+34 2"},
	}
	for _, tt := range tests { // in order: each case sees the last one's contact
		var c crm.Contact
		var got crm.Outcome
		before := count(t, pool, `SELECT count(*) FROM contact_events`)
		err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			var err error
			c, got, err = s.UpsertTx(ctx, tx, tt.in, "import #1", &events.Batch{})
			return err
		})
		if err != nil || got != tt.want || c.Name != tt.wantName || c.Phone != tt.wantPhone {
			t.Fatalf("%s: %+v %v, %v", tt.name, c, got, err)
		}
		lines := count(t, pool, `SELECT count(*) FROM contact_events`) - before
		if (got == crm.Unchanged) != (lines == 0) {
			t.Fatalf("%s: %d timeline lines", tt.name, lines)
		}
	}
	if n := count(t, pool, `SELECT count(*) FROM contacts WHERE id = $1`, kept.ID); n != 1 {
		t.Fatal("the known contact is gone")
	}
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		_, _, err := s.UpsertTx(ctx, tx, crm.Input{Email: "not-an-email"}, "import #1", &events.Batch{})
		return err
	})
	if e, ok := check.AsErrors(err); !ok || e["email"] == "" {
		t.Fatalf("bad e-mail: %v", err)
	}
}

// TestUpsertManyTx: a batch creates the new e-mails' contacts and updates the known ones (any letter case) with
// UpsertTx's rules, one contact per e-mail given several times (the last name and phone given win), each outcome on
// its e-mail's first input, and a timeline line and audit entry per contact created or changed only.
func TestUpsertManyTx(t *testing.T) {
	t.Parallel()
	s, pool, ctx := newService(t)
	kept := mustCreate(t, s, ctx, crm.Input{Email: "kept@example.com", Name: "Kept", Phone: "+34 1"})
	same := mustCreate(t, s, ctx, crm.Input{Email: "same@example.com", Name: "Same"})
	lines0 := count(t, pool, `SELECT count(*) FROM contact_events`)
	entries := count(t, pool, `SELECT count(*) FROM audit_log WHERE entity = 'contact'`)
	var (
		cs  []crm.Contact
		out []crm.Outcome
		evs events.Batch
	)
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		var err error
		cs, out, err = s.UpsertManyTx(ctx, tx, []crm.Input{
			{Email: " New@Example.com ", Name: "New"},    // created
			{Email: "KEPT@example.com", Phone: "+34 2"},  // updated: the phone only
			{Email: "same@example.com", Name: "Same"},    // unchanged
			{Email: "new@example.com", Phone: "+34 600"}, // the first e-mail again: its phone
			{Email: "kept@example.com", Name: ""},        // an empty cell erases nothing
		}, "import #1", &evs)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []crm.Outcome{crm.Created, crm.Updated, crm.Unchanged, crm.Unchanged, crm.Unchanged}
	for i := range want {
		if out[i] != want[i] {
			t.Fatalf("outcomes %v, want %v", out, want)
		}
	}
	if got, want := evs.Events(), []events.Event{{Type: events.ContactCreated, ID: cs[0].ID},
		{Type: events.ContactUpdated, ID: cs[1].ID}}; !slices.Equal(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	if c := cs[0]; c.ID != cs[3].ID || c.Email != "new@example.com" || c.Name != "New" || c.Phone != "+34 600" {
		t.Fatalf("created %+v (and %+v)", c, cs[3])
	}
	if c := cs[1]; c.ID != kept.ID || c.ID != cs[4].ID || c.Name != "Kept" || c.Phone != "+34 2" {
		t.Fatalf("updated %+v", c)
	}
	if c := cs[2]; c.ID != same.ID || c.Name != "Same" {
		t.Fatalf("unchanged %+v", c)
	}
	if n := count(t, pool, `SELECT count(*) FROM contact_events`) - lines0; n != 2 {
		t.Fatalf("%d timeline lines, want 2", n)
	}
	if n := count(t, pool, `SELECT count(*) FROM audit_log WHERE entity = 'contact'`) - entries; n != 2 {
		t.Fatalf("%d audit entries, want 2", n)
	}
	if n := count(t, pool, `SELECT count(*) FROM contacts`); n != 3 {
		t.Fatalf("%d contacts, want 3", n)
	}
	// A bad input refuses the batch, naming it; nothing is written.
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		_, _, err := s.UpsertManyTx(ctx, tx, []crm.Input{{Email: "fine@example.com"}, {Email: "not-an-email"}}, "import #2", new(events.Batch))
		return err
	})
	if e, ok := check.AsErrors(err); !ok || e["email"] == "" || !strings.Contains(err.Error(), "[1]") {
		t.Fatalf("bad e-mail: %v", err)
	}
	if n := count(t, pool, `SELECT count(*) FROM contacts`); n != 3 {
		t.Fatalf("%d contacts after a refused batch", n)
	}
}

// TestUpsertManyTxConcurrent: two batches creating the same new e-mails at once end with one contact each.
func TestUpsertManyTxConcurrent(t *testing.T) {
	t.Parallel()
	s, pool, ctx := newService(t)
	ins := []crm.Input{{Email: "a@example.com", Name: "A"}, {Email: "b@example.com"}, {Email: "c@example.com"}}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Go(func() {
			errs[i] = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
				cs, _, err := s.UpsertManyTx(ctx, tx, ins, "import", new(events.Batch))
				if err == nil && len(cs) != len(ins) {
					t.Errorf("%d contacts returned", len(cs))
				}
				return err
			})
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if n := count(t, pool, `SELECT count(*) FROM contacts`); n != 3 {
		t.Fatalf("%d contacts, want 3", n)
	}
}
