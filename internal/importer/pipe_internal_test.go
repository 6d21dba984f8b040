package importer

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/db/dbtest"
)

// TestPipe: only sqlc ":exec" statements are held back; they run in order before the next statement that reads,
// and one that fails makes that statement fail, so the transaction commits nothing after it.
func TestPipe(t *testing.T) {
	t.Parallel()
	tests := []struct {
		sql  string
		want bool
	}{
		{"-- name: EventAdd :exec\nINSERT INTO x VALUES (1)", true},
		{"-- name: GrantLockPair :exec\n-- a comment\nSELECT 1", true},
		{"-- name: OrderMarkPaid :execrows\nUPDATE x SET y = 1", false},
		{"-- name: ContactGet :one\nSELECT 1", false},
		{"INSERT INTO x VALUES (1)", false},
	}
	for _, tt := range tests {
		if got := deferrable(tt.sql); got != tt.want {
			t.Errorf("deferrable(%q) = %v", tt.sql, got)
		}
	}

	pool := dbtest.New(t)
	ctx := context.Background()
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		p := &pipe{tx: tx}
		for _, v := range []string{"1", "2"} {
			if _, err := p.Exec(ctx, "-- name: Set :exec\nSELECT set_config('bursar.test', $1::text, true)", v); err != nil {
				t.Fatal(err)
			}
		}
		if len(p.pending) != 2 {
			t.Fatalf("%d statements queued, want 2", len(p.pending))
		}
		var got string
		if err := p.QueryRow(ctx, "SELECT current_setting('bursar.test')").Scan(&got); err != nil || got != "2" {
			t.Fatalf("read after the queue: %q, %v", got, err)
		}
		if _, err := p.Exec(ctx, "-- name: Bad :exec\nSELECT 1/0"); err != nil {
			t.Fatal(err)
		}
		var one int
		if err := p.QueryRow(ctx, "SELECT 1").Scan(&one); err == nil {
			t.Fatal("a failed queued statement went unnoticed")
		}
		return nil
	})
	if err == nil {
		t.Fatal("the transaction committed after a failed statement")
	}
}
