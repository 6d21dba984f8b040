// Package db opens Bursar's PostgreSQL pool, applies the schema (goose migrations and River's tables) and runs a
// private PostgreSQL cluster when no DATABASE_URL is given.
package db

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/bursar/bursar/migrations"
)

// DBTX is what stores need: satisfied by *pgxpool.Pool, *pgx.Conn and pgx.Tx.
type DBTX interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Open connects to url and checks the connection; each of configure may then change the pool's configuration (a
// test's query tracer, say).
func Open(ctx context.Context, url string, configure ...func(*pgxpool.Config)) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse DATABASE_URL: %w", err)
	}
	cfg.MaxConnIdleTime = time.Minute
	// Bursar's statements are short: JIT compilation, which PostgreSQL starts on the planner's estimated cost alone,
	// took 700 ms to compile the 20 ms Transactions totals statement whenever its estimates (index range scans driven
	// by a CTE, whose row count the planner guesses) passed jit_above_cost (docs/PERFORMANCE.md). A jit setting in the
	// URL wins.
	if _, ok := cfg.ConnConfig.RuntimeParams["jit"]; !ok {
		cfg.ConnConfig.RuntimeParams["jit"] = "off"
	}
	// Times come back in UTC whatever the server's TZ, so the API and the pages show the same instant the same way.
	cfg.AfterConnect = func(_ context.Context, conn *pgx.Conn) error {
		conn.TypeMap().RegisterType(&pgtype.Type{Name: "timestamptz", OID: pgtype.TimestamptzOID, Codec: &pgtype.TimestamptzCodec{ScanLocation: time.UTC}})
		return nil
	}
	for _, c := range configure {
		c(cfg)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.Ping(pctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	return pool, nil
}

func gooseProvider(pool *pgxpool.Pool) (*goose.Provider, *sql.DB, error) {
	sqldb := stdlib.OpenDBFromPool(pool)
	p, err := goose.NewProvider(goose.DialectPostgres, sqldb, migrations.FS)
	if err != nil {
		_ = sqldb.Close()
		return nil, nil, err
	}
	return p, sqldb, nil
}

// Migrate applies River's migrations and then every pending goose migration. It is safe to run from several
// processes at once: goose takes a session lock and River's migrator runs in one transaction under an advisory lock.
// A database already current, as at every start but the first after an upgrade, costs one query (see current):
// only a database behind takes the lock and runs the migrators, whose own look reads information_schema and costs
// 10–50 ms on a new connection, more than the rest of `bursar serve`'s start (issue 12).
func Migrate(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger) error {
	if ok, err := current(ctx, pool); err == nil && ok {
		return nil
	}
	// Serialise concurrent migrators (several replicas starting together).
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock(7251001)"); err != nil {
		return fmt.Errorf("migration lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(7251001)") //nolint:errcheck

	rm, err := rivermigrate.New(riverpgxv5.New(pool), nil)
	if err != nil {
		return err
	}
	if _, err := rm.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("river migrations: %w", err)
	}
	p, sqldb, err := gooseProvider(pool)
	if err != nil {
		return err
	}
	defer sqldb.Close()
	res, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	for _, r := range res {
		log.Info("migration applied", "version", r.Source.Version, "file", r.Source.Path, "duration_ms", r.Duration.Milliseconds())
	}
	return nil
}

// current reports, with one query, whether exactly the embedded goose migrations and River's migrations are
// applied. Anything else (a migration missing or unknown, a goose row marked not applied, a table not there yet: an
// error) is for the migrators to look at properly, so a false answer only costs the slow path.
func current(ctx context.Context, pool *pgxpool.Pool) (bool, error) {
	wantGoose, err := gooseVersions()
	if err != nil {
		return false, err
	}
	rm, err := rivermigrate.New(riverpgxv5.New(pool), nil)
	if err != nil {
		return false, err
	}
	var wantRiver []int64
	for _, m := range rm.AllVersions() {
		wantRiver = append(wantRiver, int64(m.Version))
	}
	var gooseApplied, riverApplied []int64
	var allApplied bool
	err = pool.QueryRow(ctx, `SELECT
		(SELECT coalesce(array_agg(DISTINCT version_id ORDER BY version_id), '{}') FROM goose_db_version WHERE version_id > 0),
		(SELECT coalesce(bool_and(is_applied), true) FROM goose_db_version),
		(SELECT coalesce(array_agg(version ORDER BY version), '{}') FROM river_migration WHERE line = 'main')`).
		Scan(&gooseApplied, &allApplied, &riverApplied)
	if err != nil {
		return false, err
	}
	return allApplied && slices.Equal(gooseApplied, wantGoose) && slices.Equal(riverApplied, wantRiver), nil
}

// gooseVersions are the versions of the embedded migrations, ascending.
func gooseVersions() ([]int64, error) {
	names, err := fs.Glob(migrations.FS, "*.sql")
	if err != nil {
		return nil, err
	}
	out := make([]int64, 0, len(names))
	for _, n := range names {
		v, err := goose.NumericComponent(n)
		if err != nil {
			return nil, fmt.Errorf("migration %s: %w", n, err)
		}
		out = append(out, v)
	}
	slices.Sort(out)
	return out, nil
}

// MigrationStatus is one migration and whether it is applied.
type MigrationStatus struct {
	Version   int64
	File      string
	AppliedAt time.Time // zero when pending
}

// Status lists every embedded migration with its state. It reads goose's table with one query on the pool, as
// goose's own status does (a version is applied when its newest row says so), without building goose's provider
// and a database/sql handle over the pool (a third of `bursar migrate status`'s time, issue 12). A database never
// migrated (no goose table) has every migration pending.
func Status(ctx context.Context, pool *pgxpool.Pool) ([]MigrationStatus, error) {
	names, err := fs.Glob(migrations.FS, "*.sql")
	if err != nil {
		return nil, err
	}
	rows, err := pool.Query(ctx, `SELECT DISTINCT ON (version_id) version_id, is_applied, tstamp
		FROM goose_db_version ORDER BY version_id, id DESC`)
	applied := map[int64]time.Time{}
	if err == nil {
		for rows.Next() {
			var (
				v  int64
				ok bool
				at time.Time
			)
			if err := rows.Scan(&v, &ok, &at); err != nil {
				return nil, err
			}
			if ok {
				applied[v] = at
			}
		}
		err = rows.Err()
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42P01" { // undefined_table: never migrated
		err = nil
	}
	if err != nil {
		return nil, err
	}
	out := make([]MigrationStatus, 0, len(names))
	for _, n := range names {
		v, err := goose.NumericComponent(n)
		if err != nil {
			return nil, fmt.Errorf("migration %s: %w", n, err)
		}
		out = append(out, MigrationStatus{Version: v, File: n, AppliedAt: applied[v]})
	}
	slices.SortFunc(out, func(a, b MigrationStatus) int { return cmp.Compare(a.Version, b.Version) })
	return out, nil
}

// SchemaCurrent reports whether every embedded migration is applied.
func SchemaCurrent(ctx context.Context, pool *pgxpool.Pool) error {
	p, sqldb, err := gooseProvider(pool)
	if err != nil {
		return err
	}
	defer sqldb.Close()
	has, err := p.HasPending(ctx)
	if err != nil {
		return err
	}
	if has {
		return errors.New("schema has pending migrations")
	}
	return nil
}
