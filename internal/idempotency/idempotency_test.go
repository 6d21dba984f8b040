package idempotency_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/bursar/bursar/internal/db/dbtest"
	"github.com/bursar/bursar/internal/idempotency"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// Expired form tokens are forgotten by every 100th finished form, not by each: the 99 before it cost one statement
// less, and the table still holds about a day of tokens.
func TestFormTokensPruned(t *testing.T) {
	t.Parallel()
	pool := dbtest.New(t)
	ctx := context.Background()
	s := idempotency.New(pool)
	if _, err := pool.Exec(ctx, "INSERT INTO form_tokens (token, result_url, created_at) VALUES ('old', '/x', now() - interval '2 days')"); err != nil {
		t.Fatal(err)
	}
	expired := func() (n int) {
		if err := pool.QueryRow(ctx, "SELECT count(*) FROM form_tokens WHERE token = 'old'").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for i := 1; i <= 100; i++ {
		token := fmt.Sprintf("t%d", i)
		if _, err := s.ClaimForm(ctx, token); err != nil {
			t.Fatal(err)
		}
		if err := s.FinishForm(ctx, token, "/done"); err != nil {
			t.Fatal(err)
		}
		if want := 1 - i/100; expired() != want {
			t.Fatalf("after %d finished forms: %d expired tokens, want %d", i, expired(), want)
		}
	}
	var live int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM form_tokens").Scan(&live); err != nil || live != 100 {
		t.Fatalf("%d tokens kept, want the 100 of today (%v)", live, err)
	}
}
