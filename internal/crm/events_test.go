package crm_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/crm"
	"github.com/bursar/bursar/internal/db/dbtest"
	"github.com/bursar/bursar/internal/events"
	"github.com/bursar/bursar/internal/events/eventstest"
)

// TestContactEvents: every way a contact is made emits contact.created once, every change contact.updated once,
// in the transaction that makes it; a refused or unchanged write and a rolled-back transaction emit nothing; an
// import's upserts add theirs to the caller's batch instead.
func TestContactEvents(t *testing.T) {
	pool := dbtest.New(t)
	rec := eventstest.New(t, pool)
	s := crm.NewService(pool, audit.New(pool), rec)
	ctx := audit.WithActor(context.Background(), audit.Actor{Type: audit.ActorAdmin, ID: 1, Label: "owner@school.test"})
	created := func(id int64) events.Event { return events.Event{Type: events.ContactCreated, ID: id} }
	updated := func(id int64) events.Event { return events.Event{Type: events.ContactUpdated, ID: id} }
	tx := func(f func(tx pgx.Tx) error) error { return pgx.BeginFunc(ctx, pool, f) }

	ana := mustCreate(t, s, ctx, crm.Input{Email: "ana@example.com", Name: "Ana"})
	rec.Check(t, 1, created(ana.ID))
	if _, err := s.Create(ctx, crm.Input{Email: "ANA@example.com"}); err == nil {
		t.Fatal("a taken e-mail was accepted")
	}
	rec.Check(t, 0)

	name := "Ana María"
	if _, err := s.Update(ctx, ana.ID, crm.Patch{Name: &name}); err != nil {
		t.Fatal(err)
	}
	rec.Check(t, 1, updated(ana.ID))
	if _, err := s.Update(ctx, ana.ID, crm.Patch{Name: &name}); err != nil { // nothing changes
		t.Fatal(err)
	}
	bad := "not-an-email"
	if _, err := s.Update(ctx, ana.ID, crm.Patch{Email: &bad}); err == nil {
		t.Fatal("a bad e-mail was accepted")
	}
	rec.Check(t, 0)

	// A payer found by e-mail is not created again; a new one is; a placeholder is; naming a nameless one updates.
	var payer, again, ph crm.Contact
	if err := tx(func(tx pgx.Tx) error {
		var err error
		if payer, _, err = s.PayerTx(ctx, tx, "bob@example.com"); err != nil {
			return err
		}
		if again, _, err = s.PayerTx(ctx, tx, "ana@example.com"); err != nil {
			return err
		}
		ph, err = s.PlaceholderTx(ctx, tx, "payers.school.test", "no e-mail")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if again.ID != ana.ID {
		t.Fatalf("payer ana is %d, want %d", again.ID, ana.ID)
	}
	rec.Check(t, 2, created(payer.ID), created(ph.ID))
	if err := tx(func(tx pgx.Tx) error {
		if _, err := s.NameIfEmptyTx(ctx, tx, payer.ID, "Bob"); err != nil {
			return err
		}
		_, err := s.NameIfEmptyTx(ctx, tx, payer.ID, "Robert") // has a name now: no change
		return err
	}); err != nil {
		t.Fatal(err)
	}
	rec.Check(t, 1, updated(payer.ID))

	// A rolled-back transaction leaves no event.
	boom := errors.New("boom")
	if err := tx(func(tx pgx.Tx) error {
		if _, err := s.CreateTx(ctx, tx, crm.Input{Email: "carla@example.com"}); err != nil {
			return err
		}
		return boom
	}); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	rec.Check(t, 0)

	// UpsertTx adds to the caller's batch and emits nothing itself.
	var batch events.Batch
	var dan, ana2, bob2 crm.Contact
	if err := tx(func(tx pgx.Tx) error {
		var err error
		if dan, _, err = s.UpsertTx(ctx, tx, crm.Input{Email: "dan@example.com"}, "import #1", &batch); err != nil {
			return err
		}
		if ana2, _, err = s.UpsertTx(ctx, tx, crm.Input{Email: "ana@example.com", Phone: "+34 600 000 000"}, "import #1", &batch); err != nil {
			return err
		}
		if bob2, _, err = s.UpsertTx(ctx, tx, crm.Input{Email: "bob@example.com", Name: "Bob"}, "import #1", &batch); err != nil {
			return err
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	rec.Check(t, 0)
	want := []events.Event{created(dan.ID), updated(ana2.ID)}
	if got := batch.Events(); len(got) != 2 || got[0] != want[0] || got[1] != want[1] || bob2.ID != payer.ID {
		t.Errorf("upserts added %v, want %v", got, want)
	}
}
