package access_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/access"
	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/crm"
	"github.com/bursar/bursar/internal/db/dbtest"
	"github.com/bursar/bursar/internal/events"
	"github.com/bursar/bursar/internal/events/eventstest"
)

// TestAccessEvents: a new grant and an extended one emit access.granted, a grant that changes nothing emits
// nothing, a revocation access.revoked, a transfer only access.transferred with the target's grant; a refused
// change and a rolled-back transaction emit nothing; GrantBatchTx adds to the caller's batch instead.
func TestAccessEvents(t *testing.T) {
	pool := dbtest.New(t)
	rec := eventstest.New(t, pool)
	al := audit.New(pool)
	contacts := crm.NewService(pool, al, nil)
	svc, err := access.NewService(pool, al, contacts, newCatalog(t, pool, al), rec)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, pool: pool, contacts: contacts, access: svc,
		ctx: audit.WithActor(context.Background(), audit.Actor{Type: audit.ActorAdmin, ID: 1, Label: "owner@school.test"})}
	ev := func(typ events.Type, id int64) events.Event { return events.Event{Type: typ, ID: id} }
	ana, bob := f.contact("ana@school.test"), f.contact("bob@school.test")
	p := f.product("Spanish A1")
	rec.Emitted(t) // the contacts' own (none: crm has no recorder) — start clean

	g := f.grant(access.NewGrant{ContactID: ana.ID, ProductID: p, Source: access.SourceManual, Days: 30})
	rec.Check(t, 1, ev(events.AccessGranted, g.ID))
	ext, created, err := svc.Grant(f.ctx, access.NewGrant{ContactID: ana.ID, ProductID: p, Source: access.SourceManual, Days: 60})
	if err != nil || created || ext.ID != g.ID {
		t.Fatalf("extend: %+v, created %v, %v", ext, created, err)
	}
	rec.Check(t, 1, ev(events.AccessGranted, g.ID))
	if _, _, err := svc.Grant(f.ctx, access.NewGrant{ContactID: ana.ID, ProductID: p, Source: access.SourceManual, Days: 1}); err != nil {
		t.Fatal(err) // lasts longer already: nothing changes
	}
	if _, _, err := svc.Grant(f.ctx, access.NewGrant{ContactID: ana.ID, Source: access.SourceManual}); err == nil {
		t.Fatal("a grant without a product was accepted")
	}
	rec.Check(t, 0)

	moved, err := svc.Transfer(f.ctx, g.ID, bob.ID)
	if err != nil {
		t.Fatal(err)
	}
	rec.Check(t, 1, ev(events.AccessTransferred, moved.ID))
	if _, err := svc.Transfer(f.ctx, g.ID, bob.ID); err == nil {
		t.Fatal("a revoked grant was transferred")
	}
	rec.Check(t, 0)

	if _, err := svc.Revoke(f.ctx, moved.ID, "refund"); err != nil {
		t.Fatal(err)
	}
	rec.Check(t, 1, ev(events.AccessRevoked, moved.ID))
	if _, err := svc.Revoke(f.ctx, moved.ID, "again"); !errors.Is(err, access.ErrRevoked) {
		t.Fatalf("revoke twice: %v", err)
	}
	rec.Check(t, 0)

	boom := errors.New("boom")
	if err := pgx.BeginFunc(f.ctx, pool, func(tx pgx.Tx) error {
		if _, _, err := svc.GrantTx(f.ctx, tx, access.NewGrant{ContactID: bob.ID, ProductID: p, Source: access.SourceManual}); err != nil {
			return err
		}
		return boom
	}); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	rec.Check(t, 0)

	// A batch: two grants (one new, one extending it) in the caller's batch, none emitted by access itself.
	var batch events.Batch
	end := time.Now().Add(90 * 24 * time.Hour)
	var first access.Grant
	if err := pgx.BeginFunc(f.ctx, pool, func(tx pgx.Tx) error {
		var err error
		if first, _, err = svc.GrantBatchTx(f.ctx, tx, access.NewGrant{ContactID: bob.ID, ProductID: p,
			Source: access.SourceImport, Days: 30}, &batch); err != nil {
			return err
		}
		_, _, err = svc.GrantBatchTx(f.ctx, tx, access.NewGrant{ContactID: bob.ID, ProductID: p,
			Source: access.SourceImport, EndsAt: &end}, &batch)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	rec.Check(t, 0)
	if got := batch.Events(); len(got) != 2 || got[0] != ev(events.AccessGranted, first.ID) || got[1] != got[0] {
		t.Errorf("batch %v, want access.granted of %d twice", got, first.ID)
	}
}
