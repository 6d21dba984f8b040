package crm_test

import (
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
