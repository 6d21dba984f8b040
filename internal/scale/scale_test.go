package scale_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/bursar/bursar/internal/db"
	"github.com/bursar/bursar/internal/db/dbtest"
	"github.com/bursar/bursar/internal/scale"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func one[T any](t *testing.T, pool *pgxpool.Pool, query string, args ...any) T {
	t.Helper()
	var v T
	if err := pool.QueryRow(context.Background(), query, args...).Scan(&v); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return v
}

func indexes(t *testing.T, pool *pgxpool.Pool) []string {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT indexname || ' ' || indexdef FROM pg_indexes
		WHERE schemaname = 'public' ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// TestFill: the fixture has the shape it promises, references only rows that exist (its foreign keys may go
// unchecked while it fills), leaves every index as it found it, and a second fill adds to the first.
func TestFill(t *testing.T) {
	t.Parallel()
	pool := dbtest.New(t)
	ctx := context.Background()
	before := indexes(t, pool)
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	st, err := scale.Fill(ctx, pool, scale.Size{Orders: 2000, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if st.Rows["orders"] != 2000 || st.Rows["contacts"] != 400 {
		t.Errorf("rows %v, want 2000 orders and 400 contacts", st.Rows)
	}
	if after := indexes(t, pool); !slices.Equal(after, before) {
		t.Errorf("indexes after the fill differ:\n%v\nwant\n%v", after, before)
	}

	for _, status := range []string{"completed", "refunded", "rejected", "expired", "open"} {
		if n := one[int64](t, pool, `SELECT count(*) FROM orders WHERE status = $1`, status); n == 0 {
			t.Errorf("no %s orders", status)
		}
	}
	if n := one[int64](t, pool, `SELECT count(DISTINCT currency) FROM orders`); n < 3 {
		t.Errorf("%d currencies, want several", n)
	}
	if n := one[int64](t, pool, `SELECT count(DISTINCT channel) FROM orders`); n != 3 {
		t.Errorf("%d channels, want 3", n)
	}
	oldest, newest := one[time.Time](t, pool, `SELECT min(created_at) FROM orders`), one[time.Time](t, pool, `SELECT max(created_at) FROM orders`)
	if oldest.Before(now.Add(-scale.Span-time.Hour)) || oldest.After(now.Add(-scale.Span+30*24*time.Hour)) || newest.After(now) ||
		newest.Before(now.AddDate(0, 0, -1)) {
		t.Errorf("orders from %s to %s, want the two years before %s", oldest, newest, now)
	}
	checks := []struct{ name, query string }{
		{"orders without their contact", `SELECT count(*) FROM orders o WHERE NOT EXISTS (SELECT 1 FROM contacts c WHERE c.id = o.contact_id)`},
		{"orders without their offer", `SELECT count(*) FROM orders o WHERE NOT EXISTS (SELECT 1 FROM offers f WHERE f.id = o.offer_id)`},
		{"orders without a payment", `SELECT count(*) FROM orders o WHERE NOT EXISTS (SELECT 1 FROM payments p WHERE p.order_id = o.id)`},
		{"payments without their order", `SELECT count(*) FROM payments p WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.id = p.order_id)`},
		{"completed orders without a settled payment", `SELECT count(*) FROM orders o WHERE o.status IN ('completed', 'refunded')
			AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.order_id = o.id AND p.status IN ('succeeded', 'refunded', 'partially_refunded'))`},
		{"refunded payments without a refund", `SELECT count(*) FROM payments p WHERE p.status IN ('refunded', 'partially_refunded')
			AND NOT EXISTS (SELECT 1 FROM refunds r WHERE r.payment_id = p.id)`},
		{"refunds of other payments", `SELECT count(*) FROM refunds r JOIN payments p ON p.id = r.payment_id
			WHERE p.status NOT IN ('refunded', 'partially_refunded') OR r.amount > p.amount`},
		{"granted orders without their grant", `SELECT count(*) FROM orders o WHERE o.status IN ('completed', 'refunded')
			AND NOT EXISTS (SELECT 1 FROM order_grants og JOIN access_grants g ON g.id = og.grant_id
			                WHERE og.order_id = o.id AND g.contact_id = o.contact_id)`},
		{"refunded orders with access left", `SELECT count(*) FROM orders o JOIN order_grants og ON og.order_id = o.id
			JOIN access_grants g ON g.id = og.grant_id WHERE o.status = 'refunded' AND g.revoked_at IS NULL`},
		{"two open orders of a contact for one offer", `SELECT count(*) FROM (SELECT 1 FROM orders WHERE status = 'open'
			GROUP BY contact_id, offer_id HAVING count(*) > 1) d`},
		{"orders without their timeline", `SELECT count(*) FROM orders o WHERE NOT EXISTS (SELECT 1 FROM order_events e WHERE e.order_id = o.id)`},
		{"e-mails of no order", `SELECT count(*) FROM outbound_emails m WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.id = m.related_id)`},
		{"paid links without their completed order", `SELECT count(*) FROM payment_links l WHERE l.status = 'paid'
			AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.id = l.order_id AND o.status IN ('completed', 'refunded')
			                AND o.contact_id = l.contact_id AND o.offer_id = l.offer_id)`},
	}
	for _, c := range checks {
		if n := one[int64](t, pool, c.query); n != 0 {
			t.Errorf("%s: %d", c.name, n)
		}
	}
	if n, orders := one[int64](t, pool, `SELECT count(*) FROM payment_links`), one[int64](t, pool, `SELECT count(*) FROM orders`); n != orders/20 {
		t.Errorf("%d payment links for %d orders, want one in 20", n, orders)
	}
	if n := one[int64](t, pool, `SELECT count(DISTINCT status) FROM payment_links`); n < 4 {
		t.Errorf("payment links in %d statuses, want several", n)
	}
	refunded := one[float64](t, pool, `SELECT count(*)::float8 / (SELECT count(*) FROM orders) FROM refunds`)
	if refunded < 0.03 || refunded > 0.09 {
		t.Errorf("%.1f%% of orders refunded, want about 5%%", refunded*100)
	}

	// A second fill continues the ids; new rows go through the identity columns as before.
	if _, err := scale.Fill(ctx, pool, scale.Size{Orders: 100, Now: now}); err != nil {
		t.Fatal(err)
	}
	if n := one[int64](t, pool, `SELECT count(*) FROM orders`); n != 2100 {
		t.Errorf("%d orders after the second fill, want 2100", n)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO contacts (email) VALUES ('after@example.com')`); err != nil {
		t.Errorf("a contact after the fill: %v", err)
	}
}

// TestEnsureKeeps: a kept database is filled once and found again; another size fills it again.
func TestEnsureKeeps(t *testing.T) {
	t.Parallel()
	adminURL := dbtest.URL(t)
	ctx := context.Background()
	name := fmt.Sprintf("bursar_scale_keep_%d", time.Now().UnixNano())
	t.Cleanup(func() {
		if admin, err := db.Open(context.Background(), adminURL); err == nil {
			_, _ = admin.Exec(context.Background(), `DROP DATABASE IF EXISTS "`+name+`" WITH (FORCE)`)
			admin.Close()
		}
	})
	filledAt := func(u string) (time.Time, int64) {
		t.Helper()
		pool, err := db.Open(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		defer pool.Close()
		return one[time.Time](t, pool, `SELECT filled_at FROM scale_fixture`), one[int64](t, pool, `SELECT count(*) FROM orders`)
	}
	k := scale.Kept{AdminURL: adminURL, Name: name, Size: scale.Size{Orders: 50}, MaxAge: time.Hour}
	u, err := scale.Ensure(ctx, k)
	if err != nil {
		t.Fatal(err)
	}
	first, n := filledAt(u)
	if n != 50 {
		t.Fatalf("%d orders, want 50", n)
	}
	if u, err = scale.Ensure(ctx, k); err != nil {
		t.Fatal(err)
	}
	if again, n := filledAt(u); !again.Equal(first) || n != 50 {
		t.Errorf("filled again (%s, %d orders), want it kept (%s)", again, n, first)
	}
	k.Size.Orders = 60
	if u, err = scale.Ensure(ctx, k); err != nil {
		t.Fatal(err)
	}
	if _, n := filledAt(u); n != 60 {
		t.Errorf("%d orders after a size change, want 60", n)
	}
}
