// Package scale fills a database with a school's worth of data for measuring: contacts, orders with their payments,
// refunds, grants, timelines, e-mails, payment exceptions and audit entries of realistic shape (statuses, currencies,
// channels and dates spread over two years). Every table is filled by set-based SQL (INSERT … SELECT over
// generate_series), so 1,000,000 orders take about a minute on a 2-core machine. Rows are deterministic for a
// given Size: the same Size gives the same shape.
package scale

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Size says how much to make. Zero fields take defaults derived from Orders.
type Size struct {
	Orders   int       // orders (required, > 0)
	Contacts int       // default Orders/5, at least 1
	Offers   int       // default 20
	Products int       // default 10
	Now      time.Time // the end of the two years the dates fall in; default time.Now()
}

// Span is how far back the fixture's dates go from Size.Now.
const Span = 2 * 365 * 24 * time.Hour

func (s Size) withDefaults() (Size, error) {
	if s.Orders <= 0 {
		return s, errors.New("scale: Orders must be greater than zero")
	}
	if s.Contacts <= 0 {
		s.Contacts = max(s.Orders/5, 1)
	}
	if s.Offers <= 0 {
		s.Offers = 20
	}
	if s.Products <= 0 {
		s.Products = 10
	}
	if s.Now.IsZero() {
		s.Now = time.Now()
	}
	s.Now = s.Now.UTC().Truncate(time.Second)
	return s, nil
}

// Stats is what Fill made.
type Stats struct {
	Rows     map[string]int64 // table → rows inserted
	Steps    []StepTime       // each step's time, in order
	Duration time.Duration
}

// StepTime is how long one step of the fill took.
type StepTime struct {
	Name     string
	Duration time.Duration
}

// Fill adds the data of s to the database behind pool, next to whatever is there (ids continue after the largest).
// It is meant for a database kept for measuring, not a school's: in one transaction it drops the secondary indexes
// of the tables it fills (constraints' indexes stay) and inserts, so other sessions wait for the tables until it
// commits and a failure there rolls all of it back; then it builds the indexes again on several connections at once
// (building an index once is several times faster than growing it row by row). When the connection may, it skips foreign-key checks for the rows it writes (they
// reference each other correctly by construction). It vacuums and analyzes the tables at the end so the planner sees
// them as they are and index-only scans work.
func Fill(ctx context.Context, pool *pgxpool.Pool, s Size) (Stats, error) {
	start := time.Now()
	s, err := s.withDefaults()
	if err != nil {
		return Stats{}, err
	}
	pc, err := pool.Acquire(ctx)
	if err != nil {
		return Stats{}, err
	}
	// The connection's session settings and temporary tables are not for the pool: it is closed at the end.
	conn := pc.Hijack()
	defer conn.Close(context.WithoutCancel(ctx)) //nolint:errcheck
	sets := []string{"SET synchronous_commit = off", "SET maintenance_work_mem = '512MB'", "SET work_mem = '64MB'"}
	for _, set := range sets {
		if _, err := conn.Exec(ctx, set); err != nil {
			return Stats{}, err
		}
	}
	// Foreign keys are checked by triggers; a superuser's session can leave them off. Anyone else gets the checks.
	_, _ = conn.Exec(ctx, "SET session_replication_role = replica")

	st := Stats{Rows: map[string]int64{}}
	timed := func(name string, f func() error) error {
		t0 := time.Now()
		err := f()
		st.Steps = append(st.Steps, StepTime{Name: name, Duration: time.Since(t0)})
		return err
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		return st, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck
	var indexes []string
	if err := timed("drop indexes", func() error {
		indexes, err = dropIndexes(ctx, tx, vacuumed)
		return err
	}); err != nil {
		return st, fmt.Errorf("scale: drop indexes: %w", err)
	}
	params := pgx.NamedArgs{
		"orders": s.Orders, "contacts": s.Contacts, "offers": s.Offers, "products": s.Products,
		"now": s.Now, "span_s": int64(Span / time.Second),
	}
	for _, step := range steps {
		if err := timed(step.name, func() error {
			tag, err := tx.Exec(ctx, step.sql, params)
			if step.table != "" {
				st.Rows[step.table] += tag.RowsAffected()
			}
			return err
		}); err != nil {
			return st, fmt.Errorf("scale: %s: %w", step.name, err)
		}
	}
	// The rows are committed without their secondary indexes: the indexes are built, and the tables vacuumed, by
	// several connections at once, which the inserting transaction's uncommitted rows would not allow. A failure from
	// here leaves a database with rows and some indexes missing: Ensure fills it again (its marker is written last),
	// and `bursar scale` says so.
	if err := tx.Commit(ctx); err != nil {
		return st, err
	}
	if err := timed("build indexes", func() error {
		return parallel(ctx, pool, largestFirst(ctx, conn, indexes), func(c *pgx.Conn, def string) error {
			if _, err := c.Exec(ctx, def); err != nil {
				return fmt.Errorf("%s: %w", def, err)
			}
			return nil
		})
	}); err != nil {
		return st, fmt.Errorf("scale: build indexes (the rows are in, some indexes may be missing): %w", err)
	}
	if err := timed("vacuum analyze", func() error {
		return parallel(ctx, pool, largestFirst(ctx, conn, vacuumed), func(c *pgx.Conn, t string) error {
			if _, err := c.Exec(ctx, "VACUUM (ANALYZE) "+t); err != nil {
				return fmt.Errorf("%s: %w", t, err)
			}
			return nil
		})
	}); err != nil {
		return st, fmt.Errorf("scale: vacuum: %w", err)
	}
	st.Duration = time.Since(start)
	return st, nil
}

// buildConns is how many connections build the indexes and vacuum the tables at once: index builds are mostly
// sorting, so a few at a time keep the server's cores busy where one build (even with its parallel workers) leaves
// them waiting on its single-threaded parts. Measured on 2 cores (docs/PERFORMANCE.md).
const buildConns = 3

// parallel runs do for each item on buildConns connections of pool, each set up for maintenance work, taking the
// items in order; it returns the first error, after the running items end.
func parallel(ctx context.Context, pool *pgxpool.Pool, items []string, do func(*pgx.Conn, string) error) error {
	work := make(chan string)
	errs := make(chan error, buildConns)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for range buildConns {
		go func() {
			err := func() error {
				pc, err := pool.Acquire(ctx)
				if err != nil {
					return err
				}
				// Session settings for maintenance only: the connection is closed instead of going back to the pool.
				c := pc.Hijack()
				defer c.Close(context.WithoutCancel(ctx)) //nolint:errcheck
				for _, set := range []string{"SET maintenance_work_mem = '256MB'", "SET max_parallel_maintenance_workers = 0"} {
					if _, err := c.Exec(ctx, set); err != nil {
						return err
					}
				}
				for item := range work {
					if err := do(c, item); err != nil {
						return err
					}
				}
				return nil
			}()
			if err != nil {
				cancel()
			}
			for range work { // what is left, once the feeder stops: nobody waits on this worker
			}
			errs <- err
		}()
	}
feed:
	for _, item := range items {
		select {
		case work <- item:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	var first error
	for range buildConns {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	if first == nil {
		first = ctx.Err()
	}
	return first
}

// largestFirst orders index definitions or table names by the size of the table each is on, largest first, so
// that the longest builds start first and the connections finish together.
func largestFirst(ctx context.Context, conn *pgx.Conn, items []string) []string {
	size := map[string]int64{}
	for _, it := range items {
		table := it
		if _, after, ok := strings.Cut(it, " ON "); ok { // CREATE INDEX name ON public.table USING …
			table, _, _ = strings.Cut(strings.TrimSpace(after), " ")
		}
		var n int64
		_ = conn.QueryRow(ctx, "SELECT coalesce(pg_relation_size(to_regclass($1)), 0)", table).Scan(&n)
		size[it] = n
	}
	out := slices.Clone(items)
	slices.SortStableFunc(out, func(a, b string) int { return cmp.Compare(size[b], size[a]) })
	return out
}

// dropIndexes drops the indexes of tables that back no constraint and returns their definitions.
func dropIndexes(ctx context.Context, tx pgx.Tx, tables []string) ([]string, error) {
	rows, err := tx.Query(ctx, `SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
		FROM pg_index i
		WHERE i.indrelid = ANY(SELECT to_regclass(t)::oid FROM unnest($1::text[]) t)
		  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
		ORDER BY 1`, tables)
	if err != nil {
		return nil, err
	}
	var names, defs []string
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			return nil, err
		}
		names, defs = append(names, name), append(defs, def)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, name := range names {
		if _, err := tx.Exec(ctx, "DROP INDEX "+name); err != nil {
			return nil, err
		}
	}
	return defs, nil
}
