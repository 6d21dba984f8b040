// Package scale fills a database with a school's worth of data for measuring: contacts, orders with their payments,
// refunds, grants, timelines, e-mails, payment exceptions and audit entries of realistic shape (statuses, currencies,
// channels and dates spread over two years). Every table is filled by set-based SQL (INSERT … SELECT over
// generate_series), so 1,000,000 orders take about a minute on a 2-core machine. Rows are deterministic for a
// given Size: the same Size gives the same shape.
package scale

import (
	"context"
	"errors"
	"fmt"
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
// of the tables it fills (constraints' indexes stay), inserts, and builds them again (building an index once is
// several times faster than growing it row by row), so other sessions wait for the tables until it commits; any
// failure rolls all of it back. When the connection may, it skips foreign-key checks for the rows it writes (they
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
	if err := timed("build indexes", func() error {
		for _, def := range indexes {
			if _, err := tx.Exec(ctx, def); err != nil {
				return fmt.Errorf("%s: %w", def, err)
			}
		}
		return nil
	}); err != nil {
		return st, fmt.Errorf("scale: build indexes: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return st, err
	}
	if err := timed("vacuum analyze", func() error {
		for _, t := range vacuumed {
			if _, err := conn.Exec(ctx, "VACUUM (ANALYZE) "+t); err != nil {
				return fmt.Errorf("%s: %w", t, err)
			}
		}
		return nil
	}); err != nil {
		return st, fmt.Errorf("scale: vacuum: %w", err)
	}
	st.Duration = time.Since(start)
	return st, nil
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
