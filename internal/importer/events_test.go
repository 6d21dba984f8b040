package importer_test

import (
	"slices"
	"testing"
	"time"

	"github.com/bursar/bursar/internal/crm"
	"github.com/bursar/bursar/internal/events"
	"github.com/bursar/bursar/internal/events/eventstest"
	"github.com/bursar/bursar/internal/importer"
)

// TestImportEvents: a batch's contacts created or updated and its grants emit in one EmitTx at the end of the
// batch's transaction, each once; importing the same file again emits nothing.
func TestImportEvents(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 0)
	s := f.app.Services
	rec := eventstest.New(t, f.pool)
	imp, err := importer.NewService(f.pool, s.Audit, importer.Config{Now: func() time.Time { return f.now }, Workers: 1},
		importer.Deps{Contacts: s.Contacts, Access: s.Access, Products: s.Offers, School: s.Settings, Welcome: s.Accounts,
			Mailer: s.Mailer, Events: rec})
	if err != nil {
		t.Fatal(err)
	}
	old, err := s.Contacts.Create(f.ctx, crm.Input{Email: "old@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := imp.CommitFile(f.ctx, "sales.csv", f.file(), importer.Options{}); err != nil {
		t.Fatal(err)
	}
	nina, err := s.Contacts.ByEmail(f.ctx, "new.student@example.com")
	if err != nil {
		t.Fatal(err)
	}
	grant := func(c int64, product int64) events.Event {
		t.Helper()
		gs, err := s.Access.ForContact(f.ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range gs {
			if g.ProductID == product {
				return events.Event{Type: events.AccessGranted, ID: g.ID}
			}
		}
		t.Fatalf("no grant of %d to %d", product, c)
		return events.Event{}
	}
	// A batch is set-based: its contacts' events first (created, then updated), then its grants' (made, then extended).
	want := []events.Event{{Type: events.ContactCreated, ID: nina.ID}, {Type: events.ContactUpdated, ID: old.ID},
		grant(nina.ID, f.guitar.ID), grant(old.ID, f.guitar.ID), grant(nina.ID, f.theory.ID)}
	got := rec.Emitted(t)
	evs := make([]events.Event, len(got))
	for i, e := range got {
		evs[i] = e.Event
	}
	if !slices.Equal(evs, want) || eventstest.Calls(got) != 1 {
		t.Errorf("import emitted %v in %d call(s), want %v in one", evs, eventstest.Calls(got), want)
	}
	if _, err := imp.CommitFile(f.ctx, "sales (copy).csv", f.file(), importer.Options{}); err != nil {
		t.Fatal(err)
	}
	rec.Check(t, 0)
}
