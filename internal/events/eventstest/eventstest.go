// Package eventstest is a recording events.Emitter for tests: it writes each EmitTx call's events into a table
// inside the caller's transaction, so a test reads back exactly the events of the transactions that committed
// (a rolled-back one leaves none), with the call each came in.
package eventstest

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/bursar/bursar/internal/events"
)

// Recorder records the events emitted in committed transactions.
type Recorder struct{ pool *pgxpool.Pool }

// Emitted is one recorded event with the EmitTx call it came in (calls are numbered in the order they were made).
type Emitted struct {
	Call int64
	events.Event
}

// New makes the recording table in pool's database (a scratch test database) and returns the Recorder.
func New(t testing.TB, pool *pgxpool.Pool) *Recorder {
	t.Helper()
	if _, err := pool.Exec(context.Background(), `CREATE TABLE IF NOT EXISTS eventstest_emitted (
		seq bigserial PRIMARY KEY, call bigint NOT NULL, type text NOT NULL, object_id bigint NOT NULL);
		CREATE SEQUENCE IF NOT EXISTS eventstest_call;`); err != nil {
		t.Fatal(err)
	}
	return &Recorder{pool: pool}
}

// EmitTx writes evs in tx, as one call.
func (r *Recorder) EmitTx(ctx context.Context, tx pgx.Tx, evs ...events.Event) error {
	if len(evs) == 0 {
		return nil
	}
	types := make([]string, len(evs))
	ids := make([]int64, len(evs))
	for i, e := range evs {
		if _, ok := events.KindOf(e.Type); !ok {
			return fmt.Errorf("eventstest: unknown event type %q", e.Type)
		}
		types[i], ids[i] = string(e.Type), e.ID
	}
	_, err := tx.Exec(ctx, `INSERT INTO eventstest_emitted (call, type, object_id)
		SELECT c.call, t, id
		FROM (SELECT nextval('eventstest_call') AS call) c, unnest($1::text[], $2::bigint[]) AS u(t, id)`, types, ids)
	return err
}

// Emitted reads the events of the committed transactions, in emission order, and forgets them (Reset).
func (r *Recorder) Emitted(t testing.TB) []Emitted {
	t.Helper()
	rows, err := r.pool.Query(context.Background(),
		`DELETE FROM eventstest_emitted RETURNING seq, call, type, object_id`)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		seq int64
		e   Emitted
	}
	var got []row
	for rows.Next() {
		var x row
		var typ string
		if err := rows.Scan(&x.seq, &x.e.Call, &typ, &x.e.ID); err != nil {
			t.Fatal(err)
		}
		x.e.Type = events.Type(typ)
		got = append(got, x)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(got, func(a, b row) int { return cmp.Compare(a.seq, b.seq) }) // RETURNING has no order
	out := make([]Emitted, len(got))
	for i, x := range got {
		out[i] = x.e
	}
	return out
}

// Events is Emitted without the calls.
func (r *Recorder) Events(t testing.TB) []events.Event {
	t.Helper()
	em := r.Emitted(t)
	out := make([]events.Event, len(em))
	for i, e := range em {
		out[i] = e.Event
	}
	return out
}

// Calls is how many EmitTx calls the events of es came in.
func Calls(es []Emitted) int {
	seen := map[int64]bool{}
	for _, e := range es {
		seen[e.Call] = true
	}
	return len(seen)
}

// Check fails t unless the events of the transactions committed since the last read are want, in order, and came
// in calls EmitTx calls; it forgets them.
func (r *Recorder) Check(t testing.TB, calls int, want ...events.Event) {
	t.Helper()
	got := r.Emitted(t)
	evs := make([]events.Event, len(got))
	for i, e := range got {
		evs[i] = e.Event
	}
	if !slices.Equal(evs, want) || Calls(got) != calls {
		t.Errorf("emitted %v in %d call(s), want %v in %d", evs, Calls(got), want, calls)
	}
}
