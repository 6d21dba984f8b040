package access_test

import (
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/access"
)

// TestPauseResumeEnd: a paused grant gives no access (ActiveAt, Active) and is kept; resumed, the same grant gives
// access again; ended, it lasts until the end given. Each change is on the contact's timeline.
func TestPauseResumeEnd(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ana := f.contact("ana@school.test")
	g := f.grant(access.NewGrant{ContactID: ana.ID, ProductID: f.product("Spanish A1"), Source: access.SourceEnrollment,
		SourceRef: "enrollment:1"})
	tx := func(fn func(pgx.Tx) error) {
		t.Helper()
		if err := pgx.BeginFunc(f.ctx, f.pool, fn); err != nil {
			t.Fatal(err)
		}
	}
	tx(func(tx pgx.Tx) error {
		return f.access.PauseTx(f.ctx, tx, []int64{g.ID}, "overdue receipt R-2027-000001")
	})
	got, err := f.access.Get(f.ctx, g.ID)
	if err != nil || got.PausedAt == nil || got.PauseReason != "overdue receipt R-2027-000001" || got.ActiveAt(time.Now()) {
		t.Fatalf("paused grant = %+v, %v", got, err)
	}
	if act, _ := f.access.Active(f.ctx, ana.ID); len(act) != 0 {
		t.Fatalf("active while paused: %+v", act)
	}
	tx(func(tx pgx.Tx) error { return f.access.ResumeTx(f.ctx, tx, []int64{g.ID}) })
	if act, _ := f.access.Active(f.ctx, ana.ID); len(act) != 1 || act[0].ID != g.ID {
		t.Fatalf("active after resuming: %+v", act)
	}
	end := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
	tx(func(tx pgx.Tx) error { return f.access.EndTx(f.ctx, tx, []int64{g.ID}, end) })
	if got, _ := f.access.Get(f.ctx, g.ID); got.EndsAt == nil || !got.EndsAt.Equal(end) || !got.ActiveAt(time.Now()) ||
		got.ActiveAt(end) {
		t.Fatalf("ended grant = %+v", got)
	}
	if k := f.kinds(ana.ID); !strings.HasPrefix(k, "access.ended access.resumed access.paused access.granted") {
		t.Fatalf("timeline = %s", k)
	}
}
