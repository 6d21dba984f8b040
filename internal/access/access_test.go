package access_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/bursar/bursar/internal/access"
	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/crm"
	"github.com/bursar/bursar/internal/db/dbtest"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/offer"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

type fixture struct {
	t        *testing.T
	ctx      context.Context
	pool     *pgxpool.Pool
	contacts *crm.Service
	access   *access.Service
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	pool := dbtest.New(t)
	al := audit.New(pool)
	contacts := crm.NewService(pool, al, nil)
	grants, err := access.NewService(pool, al, contacts, newCatalog(t, pool, al), nil)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, pool: pool, contacts: contacts, access: grants,
		ctx: audit.WithActor(context.Background(), audit.Actor{Type: audit.ActorAdmin, ID: 1, Label: "owner@school.test"})}
}

func (f *fixture) contact(email string) crm.Contact {
	f.t.Helper()
	c, err := f.contacts.Create(f.ctx, crm.Input{Email: email})
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

func (f *fixture) product(name string) int64 {
	f.t.Helper()
	var id int64
	if err := f.pool.QueryRow(f.ctx, "INSERT INTO products (name, kind) VALUES ($1, 'course') RETURNING id", name).Scan(&id); err != nil {
		f.t.Fatal(err)
	}
	return id
}

func (f *fixture) grant(n access.NewGrant) access.Grant {
	f.t.Helper()
	g, created, err := f.access.Grant(f.ctx, n)
	if err != nil || !created {
		f.t.Fatalf("grant %+v: created %v, %v", n, created, err)
	}
	return g
}

func (f *fixture) count(sql string, args ...any) int {
	f.t.Helper()
	var n int
	if err := f.pool.QueryRow(f.ctx, sql, args...).Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n
}

func (f *fixture) kinds(contactID int64) string {
	f.t.Helper()
	events, err := f.contacts.Events(f.ctx, contactID, 0)
	if err != nil {
		f.t.Fatal(err)
	}
	var ks []string
	for _, e := range events {
		ks = append(ks, e.Kind)
	}
	return strings.Join(ks, " ")
}

func TestGrantValidation(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.contact("ana@school.test")
	p := f.product("Spanish A1")
	past := time.Now().Add(-time.Hour)
	future := time.Now().Add(time.Hour)
	tests := []struct {
		name  string
		n     access.NewGrant
		field string
	}{
		{"NoContact", access.NewGrant{ProductID: p, Source: access.SourceManual}, "contact_id"},
		{"NoProduct", access.NewGrant{ContactID: c.ID, Source: access.SourceManual}, "product_id"},
		{"UnknownContact", access.NewGrant{ContactID: c.ID + 999, ProductID: p, Source: access.SourceManual}, "contact_id"},
		{"UnknownProduct", access.NewGrant{ContactID: c.ID, ProductID: p + 999, Source: access.SourceManual}, "product_id"},
		{"BadSource", access.NewGrant{ContactID: c.ID, ProductID: p, Source: "gift"}, "source"},
		{"NegativeDays", access.NewGrant{ContactID: c.ID, ProductID: p, Source: access.SourceManual, Days: -1}, "days"},
		{"AbsurdDays", access.NewGrant{ContactID: c.ID, ProductID: p, Source: access.SourceManual, Days: 100000}, "days"},
		{"DaysAndEnd", access.NewGrant{ContactID: c.ID, ProductID: p, Source: access.SourceManual, Days: 3, EndsAt: &future}, "days"},
		{"EndInPast", access.NewGrant{ContactID: c.ID, ProductID: p, Source: access.SourceManual, EndsAt: &past}, "ends_at"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := f.access.Grant(f.ctx, tt.n)
			if e, ok := check.AsErrors(err); !ok || e[tt.field] == "" {
				t.Fatalf("error %v, want a message on %q", err, tt.field)
			}
		})
	}
	if n := f.count("SELECT count(*) FROM access_grants"); n != 0 {
		t.Fatalf("%d grants written by invalid input", n)
	}
}

func TestGrantRevokeTransferKeepsHistory(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ana, bob := f.contact("ana@school.test"), f.contact("bob@school.test")
	p := f.product("Spanish A1")
	g := f.grant(access.NewGrant{ContactID: ana.ID, ProductID: p, Source: access.SourceManual, SourceRef: "owner@school.test", Days: 30})
	if g.EndsAt == nil || g.EndsAt.Sub(time.Now().AddDate(0, 0, 30)).Abs() > time.Minute || !g.ActiveAt(time.Now()) {
		t.Fatalf("30-day grant %+v", g)
	}
	moved, err := f.access.Transfer(f.ctx, g.ID, bob.ID)
	if err != nil {
		t.Fatal(err)
	}
	if moved.ContactID != bob.ID || moved.ProductID != p || moved.Source != access.SourceTransfer ||
		moved.TransferredFrom != g.ID || moved.EndsAt == nil || !moved.EndsAt.Equal(*g.EndsAt) {
		t.Fatalf("transferred grant %+v, from %+v", moved, g)
	}
	old, err := f.access.Get(f.ctx, g.ID)
	if err != nil || old.RevokedAt == nil || old.RevokeReason != "transferred to bob@school.test" {
		t.Fatalf("old grant %+v, %v", old, err)
	}
	if act, _ := f.access.Active(f.ctx, ana.ID); len(act) != 0 {
		t.Fatalf("ana still has %+v", act)
	}
	if all, _ := f.access.ForContact(f.ctx, ana.ID); len(all) != 1 {
		t.Fatalf("ana's history %+v", all)
	}
	if act, _ := f.access.Active(f.ctx, bob.ID); len(act) != 1 || act[0].ID != moved.ID {
		t.Fatalf("bob's active grants %+v", act)
	}
	if got, want := f.kinds(ana.ID), "access.transferred_out access.granted contact.created"; got != want {
		t.Fatalf("ana's timeline %q, want %q", got, want)
	}
	if got, want := f.kinds(bob.ID), "access.transferred_in contact.created"; got != want {
		t.Fatalf("bob's timeline %q, want %q", got, want)
	}
	r, err := f.access.Revoke(f.ctx, moved.ID, "refunded")
	if err != nil || r.RevokedAt == nil || r.RevokeReason != "refunded" {
		t.Fatalf("revoke %+v, %v", r, err)
	}
	if n := f.count("SELECT count(*) FROM audit_log WHERE entity = 'access_grant'"); n != 4 { // grant, grant, transfer, revoke
		t.Fatalf("%d audit entries, want 4", n)
	}
	// Deleting the contact a grant was moved from keeps the target's grant.
	if err := f.contacts.Delete(f.ctx, ana.ID); err != nil {
		t.Fatal(err)
	}
	if all, _ := f.access.ForContact(f.ctx, bob.ID); len(all) != 1 || all[0].TransferredFrom != 0 {
		t.Fatalf("bob's grants after ana's deletion %+v", all)
	}
}

func TestRevokeTwiceChangesNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.contact("ana@school.test")
	g := f.grant(access.NewGrant{ContactID: c.ID, ProductID: f.product("Course"), Source: access.SourceAPI})
	first, err := f.access.Revoke(f.ctx, g.ID, "first")
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.access.Revoke(f.ctx, g.ID, "second")
	if !errors.Is(err, access.ErrRevoked) || !errors.Is(err, check.ErrConflict) {
		t.Fatalf("second revoke: %v", err)
	}
	other := f.contact("bob@school.test")
	if _, err := f.access.Transfer(f.ctx, g.ID, other.ID); !errors.Is(err, access.ErrRevoked) {
		t.Fatalf("transfer of a revoked grant: %v", err)
	}
	after, _ := f.access.Get(f.ctx, g.ID)
	if after.RevokeReason != "first" || !after.RevokedAt.Equal(*first.RevokedAt) {
		t.Fatalf("grant changed by a failed revoke: %+v", after)
	}
	if n := f.count("SELECT count(*) FROM access_grants"); n != 1 {
		t.Fatalf("%d grants", n)
	}
	if got := f.kinds(c.ID); got != "access.revoked access.granted contact.created" {
		t.Fatalf("timeline %q", got)
	}
	if _, err := f.access.Revoke(f.ctx, g.ID+100, ""); !errors.Is(err, check.ErrNotFound) {
		t.Fatalf("unknown grant: %v", err)
	}
}

func TestConcurrentRevokeOneWins(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.contact("ana@school.test")
	g := f.grant(access.NewGrant{ContactID: c.ID, ProductID: f.product("Course"), Source: access.SourceManual})
	var (
		wg   sync.WaitGroup
		errs = make([]error, 2)
	)
	for i := range errs {
		wg.Go(func() { _, errs[i] = f.access.Revoke(f.ctx, g.ID, fmt.Sprint("reason ", i)) })
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, access.ErrRevoked):
			t.Fatalf("unexpected error %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d revokes succeeded (%v), want exactly 1", ok, errs)
	}
	if n := f.count("SELECT count(*) FROM contact_events WHERE kind = 'access.revoked'"); n != 1 {
		t.Fatalf("%d revoke events", n)
	}
}

func TestTransferBadTargets(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.contact("ana@school.test")
	g := f.grant(access.NewGrant{ContactID: c.ID, ProductID: f.product("Course"), Source: access.SourceManual})
	for name, to := range map[string]int64{"SameContact": c.ID, "UnknownContact": c.ID + 500} {
		t.Run(name, func(t *testing.T) {
			_, err := f.access.Transfer(f.ctx, g.ID, to)
			if e, ok := check.AsErrors(err); !ok || e["to_contact_id"] == "" {
				t.Fatalf("error %v, want a message on to_contact_id", err)
			}
		})
	}
	if after, _ := f.access.Get(f.ctx, g.ID); after.RevokedAt != nil {
		t.Fatal("failed transfer revoked the grant")
	}
}

func TestGrantExtendsActiveGrant(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.contact("ana@school.test")
	p := f.product("Course")
	g := f.grant(access.NewGrant{ContactID: c.ID, ProductID: p, Source: access.SourceOrder, SourceRef: "order 1", Days: 10})
	shorter, created, err := f.access.Grant(f.ctx, access.NewGrant{ContactID: c.ID, ProductID: p, Source: access.SourceManual, Days: 5})
	if err != nil || created || shorter.ID != g.ID || !shorter.EndsAt.Equal(*g.EndsAt) {
		t.Fatalf("shorter grant: %+v created=%v %v", shorter, created, err)
	}
	longer, created, err := f.access.Grant(f.ctx, access.NewGrant{ContactID: c.ID, ProductID: p, Source: access.SourceManual, Days: 40})
	if err != nil || created || longer.ID != g.ID || !longer.EndsAt.After(g.EndsAt.AddDate(0, 0, 29)) {
		t.Fatalf("longer grant: %+v created=%v %v", longer, created, err)
	}
	forever, _, err := f.access.Grant(f.ctx, access.NewGrant{ContactID: c.ID, ProductID: p, Source: access.SourceManual})
	if err != nil || forever.ID != g.ID || forever.EndsAt != nil {
		t.Fatalf("forever grant: %+v %v", forever, err)
	}
	if n := f.count("SELECT count(*) FROM access_grants"); n != 1 {
		t.Fatalf("%d grants, want the one extended", n)
	}
	if got := f.kinds(c.ID); got != "access.extended access.extended access.granted contact.created" {
		t.Fatalf("timeline %q", got)
	}
	// Two concurrent grants to a contact without access make one grant, not two.
	other := f.product("Other")
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			if _, _, err := f.access.Grant(f.ctx, access.NewGrant{ContactID: c.ID, ProductID: other, Source: access.SourceAPI, Days: 3}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := f.count("SELECT count(*) FROM access_grants WHERE product_id = $1", other); n != 1 {
		t.Fatalf("%d grants after concurrent grants, want 1", n)
	}
}

// newCatalog is the offer service on pool, with the payment systems reporting payers.
func newCatalog(t *testing.T, pool *pgxpool.Pool, al *audit.Log) *offer.Service {
	t.Helper()
	s, err := offer.NewService(pool, al, gateway.NewService(pool, al, make([]byte, 32)))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// A grant in a transaction that began before another grant of the same product to the same contact committed
// extends that grant: the new grant starts at its transaction's start (now()), after the waiting transaction's
// now(), so "active" must be judged at the time the lock is held, not at the transaction's start. (Two webhooks
// completing two orders of one contact at once made two grants.)
func TestGrantTxAfterConcurrentGrant(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.contact("ana@school.test")
	p := f.product("Course")
	early, err := f.pool.Begin(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer early.Rollback(f.ctx)                                  //nolint:errcheck
	if _, err := early.Exec(f.ctx, "SELECT now()"); err != nil { // the transaction starts here
		t.Fatal(err)
	}
	first := f.grant(access.NewGrant{ContactID: c.ID, ProductID: p, Source: access.SourceOrder, SourceRef: "B-1", Days: 10})
	g, created, err := f.access.GrantTx(f.ctx, early, access.NewGrant{ContactID: c.ID, ProductID: p,
		Source: access.SourceOrder, SourceRef: "B-2", Days: 20})
	if err != nil {
		t.Fatal(err)
	}
	if err := early.Commit(f.ctx); err != nil {
		t.Fatal(err)
	}
	if created || g.ID != first.ID {
		t.Fatalf("grant in the earlier transaction: %+v created=%v; want grant %d extended", g, created, first.ID)
	}
	if n := f.count("SELECT count(*) FROM access_grants WHERE product_id = $1", p); n != 1 {
		t.Fatalf("%d grants, want 1", n)
	}
}
