package access_test

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/access"
	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/events"
)

// grantMany runs GrantManyTx in a transaction of its own.
func (f *fixture) grantMany(ns []access.NewGrant) ([]access.Grant, []bool, error) {
	var (
		gs      []access.Grant
		created []bool
	)
	err := pgx.BeginFunc(f.ctx, f.pool, func(tx pgx.Tx) error {
		var err error
		var evs events.Batch
		gs, created, err = f.access.GrantManyTx(f.ctx, tx, ns, &evs)
		if err == nil {
			// access.granted once per grant made or extended, each naming one of the batch's grants.
			for _, e := range evs.Events() {
				if e.Type != events.AccessGranted || !slices.ContainsFunc(gs, func(g access.Grant) bool { return g.ID == e.ID }) {
					return fmt.Errorf("event %+v names no grant of the batch", e)
				}
			}
		}
		return err
	})
	return gs, created, err
}

// TestGrantManyTx: a batch keeps GrantTx's rules per contact and product — a pair in force is extended (never
// shortened, never granted twice), a new pair gets one grant starting at its StartsAt, a pair asked twice gets one
// grant to the later end — with one timeline line and audit entry per grant made or extended.
func TestGrantManyTx(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ana, bea := f.contact("ana@school.test"), f.contact("bea@school.test")
	course, other := f.product("Course"), f.product("Other")
	now := time.Now()
	ten, forty := now.AddDate(0, 0, 10), now.AddDate(0, 0, 40)
	had := f.grant(access.NewGrant{ContactID: ana.ID, ProductID: course, Source: access.SourceOrder, EndsAt: &ten})
	kept := f.grant(access.NewGrant{ContactID: bea.ID, ProductID: course, Source: access.SourceOrder, EndsAt: &forty})
	started := now.AddDate(0, -2, 0).Truncate(time.Second)
	events := f.count(`SELECT count(*) FROM contact_events`)
	entries := f.count(`SELECT count(*) FROM audit_log WHERE entity = 'access_grant'`)
	gs, created, err := f.grantMany([]access.NewGrant{
		{ContactID: ana.ID, ProductID: course, Source: access.SourceImport, SourceRef: "i1", EndsAt: &forty}, // extends
		{ContactID: bea.ID, ProductID: course, Source: access.SourceImport, SourceRef: "i2", EndsAt: &ten},   // kept
		{ContactID: ana.ID, ProductID: other, Source: access.SourceImport, SourceRef: "i3", StartsAt: &started, // new
			EndsAt: &ten},
		{ContactID: ana.ID, ProductID: other, Source: access.SourceImport, SourceRef: "i4", EndsAt: &forty}, // the same pair, later
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []bool{false, false, true, false}; len(created) != 4 || created[0] != want[0] || created[1] != want[1] ||
		created[2] != want[2] || created[3] != want[3] {
		t.Fatalf("created %v, want %v", created, want)
	}
	if gs[0].ID != had.ID || !gs[0].EndsAt.Equal(forty.UTC().Truncate(time.Microsecond)) {
		t.Fatalf("extended grant %+v", gs[0])
	}
	if gs[1].ID != kept.ID || !gs[1].EndsAt.Equal(*kept.EndsAt) {
		t.Fatalf("a shorter request changed the grant: %+v", gs[1])
	}
	g := gs[2]
	if gs[3].ID != g.ID || g.Source != access.SourceImport || g.SourceRef != "i3" || !g.StartsAt.Equal(started) ||
		!g.EndsAt.Equal(forty.UTC().Truncate(time.Microsecond)) {
		t.Fatalf("new grant %+v (and %+v)", g, gs[3])
	}
	if n := f.count(`SELECT count(*) FROM access_grants WHERE contact_id = $1 AND product_id = $2`, ana.ID, other); n != 1 {
		t.Fatalf("%d grants of the pair asked twice", n)
	}
	active, err := f.access.Active(f.ctx, ana.ID)
	if err != nil || len(active) != 2 {
		t.Fatalf("active grants %+v, %v", active, err)
	}
	if n := f.count(`SELECT count(*) FROM contact_events`) - events; n != 2 {
		t.Fatalf("%d timeline lines, want 2 (one extension, one grant)", n)
	}
	if n := f.count(`SELECT count(*) FROM audit_log WHERE entity = 'access_grant'`) - entries; n != 2 {
		t.Fatalf("%d audit entries, want 2", n)
	}
	if got := f.kinds(ana.ID); got != "access.extended access.granted access.granted contact.created" {
		t.Fatalf("timeline %q", got)
	}

	// A bad request refuses the batch, naming it; nothing is written.
	future := now.Add(time.Hour)
	before := f.count(`SELECT count(*) FROM access_grants`)
	_, _, err = f.grantMany([]access.NewGrant{
		{ContactID: bea.ID, ProductID: other, Source: access.SourceImport},
		{ContactID: bea.ID, ProductID: course, Source: access.SourceImport, StartsAt: &future},
	})
	if e, ok := check.AsErrors(err); !ok || e["starts_at"] == "" {
		t.Fatalf("a start in the future: %v", err)
	}
	_, _, err = f.grantMany([]access.NewGrant{{ContactID: bea.ID + 999, ProductID: other, Source: access.SourceImport}})
	if e, ok := check.AsErrors(err); !ok || e["contact_id"] == "" {
		t.Fatalf("an unknown contact: %v", err)
	}
	if n := f.count(`SELECT count(*) FROM access_grants`); n != before {
		t.Fatalf("refused batches wrote %d grants", n-before)
	}
	if gs, created, err := f.grantMany(nil); err != nil || gs != nil || created != nil {
		t.Fatalf("an empty batch: %v %v %v", gs, created, err)
	}
}

// TestGrantManyTxConcurrent: two batches sharing pairs, in opposite orders, at once, and a one-row GrantTx of the
// same pair, end with one grant per pair (the pairs' locks), without a deadlock.
func TestGrantManyTxConcurrent(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var ns []access.NewGrant
	for _, email := range []string{"a@school.test", "b@school.test", "c@school.test"} {
		c := f.contact(email)
		for _, p := range []int64{f.product("P " + email), f.product("Q " + email)} {
			ns = append(ns, access.NewGrant{ContactID: c.ID, ProductID: p, Source: access.SourceImport})
		}
	}
	reversed := make([]access.NewGrant, len(ns))
	for i, n := range ns {
		reversed[len(ns)-1-i] = n
	}
	var wg sync.WaitGroup
	errs := make([]error, 3)
	wg.Go(func() { _, _, errs[0] = f.grantMany(ns) })
	wg.Go(func() { _, _, errs[1] = f.grantMany(reversed) })
	wg.Go(func() { _, _, errs[2] = f.access.Grant(f.ctx, ns[2]) })
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if n := f.count(`SELECT count(*) FROM access_grants`); n != len(ns) {
		t.Fatalf("%d grants, want %d (one per pair)", n, len(ns))
	}
}

// TestGrantStartsAt: GrantTx starts a new grant at a past StartsAt; a grant in force keeps its start when extended.
func TestGrantStartsAt(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.contact("ana@school.test")
	p := f.product("Course")
	started := time.Now().AddDate(0, -1, 0).Truncate(time.Second)
	g := f.grant(access.NewGrant{ContactID: c.ID, ProductID: p, Source: access.SourceImport, StartsAt: &started, Days: 30})
	if !g.StartsAt.Equal(started) || !g.ActiveAt(time.Now()) {
		t.Fatalf("grant %+v", g)
	}
	earlier := started.AddDate(0, -1, 0)
	again, created, err := f.access.Grant(f.ctx, access.NewGrant{ContactID: c.ID, ProductID: p, Source: access.SourceImport,
		StartsAt: &earlier, Days: 60})
	if err != nil || created || again.ID != g.ID || !again.StartsAt.Equal(started) {
		t.Fatalf("extended %+v created=%v %v", again, created, err)
	}
}
