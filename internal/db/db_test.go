package db_test

import (
	"context"
	"io/fs"
	"testing"
	"time"

	"github.com/bursar/bursar/internal/db"
	"github.com/bursar/bursar/internal/db/dbtest"
	"github.com/bursar/bursar/migrations"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// TestTimesInUTC: timestamps scan as UTC whatever the process's local zone.
func TestTimesInUTC(t *testing.T) {
	pool, err := db.Open(context.Background(), dbtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var at time.Time
	if err := pool.QueryRow(context.Background(), "SELECT '2026-01-02 03:04:05+02'::timestamptz").Scan(&at); err != nil {
		t.Fatal(err)
	}
	if at.Location() != time.UTC || at.Hour() != 1 {
		t.Fatalf("got %v in %v", at, at.Location())
	}
}

// TestMigrateTwice: migrating a migrated database is a no-op, and the schema is then current.
func TestMigrateTwice(t *testing.T) {
	pool := dbtest.New(t)
	if err := db.Migrate(context.Background(), pool, discard()); err != nil {
		t.Fatal(err)
	}
	if err := db.SchemaCurrent(context.Background(), pool); err != nil {
		t.Fatal(err)
	}
}

// TestMigrateCurrent: the one-query check Migrate starts with finds a migrated database current, and one missing a
// goose or a River migration, or with a goose migration marked not applied, behind, so Migrate runs the migrators.
func TestMigrateCurrent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.New(t)
	if ok, err := db.Current(ctx, pool); !ok || err != nil {
		t.Fatalf("migrated database: current = %v, %v; want true", ok, err)
	}
	tests := []struct{ name, sql string }{
		{"GooseMissing", "DELETE FROM goose_db_version WHERE version_id = (SELECT max(version_id) FROM goose_db_version)"},
		{"GooseNotApplied", "INSERT INTO goose_db_version (version_id, is_applied) VALUES (1, false)"},
		{"RiverMissing", "DELETE FROM river_migration WHERE version = (SELECT max(version) FROM river_migration)"},
		{"NoTables", "DROP TABLE goose_db_version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pool := dbtest.New(t)
			if _, err := pool.Exec(ctx, tt.sql); err != nil {
				t.Fatal(err)
			}
			if ok, _ := db.Current(ctx, pool); ok {
				t.Fatal("current = true, want false")
			}
		})
	}
}

// TestStatus: the migrations' states as goose reports them, on a migrated database, with a migration rolled back
// (its newest row not applied), and on a database never migrated.
func TestStatus(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.New(t)
	st, err := db.Status(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	if len(st) == 0 || st[0].Version != 1 || st[0].File != "00001_core.sql" {
		t.Fatalf("first migration: %+v", st)
	}
	last := st[len(st)-1]
	for _, m := range st {
		if m.AppliedAt.IsZero() {
			t.Fatalf("migrated database: %+v pending", m)
		}
	}
	if _, err := pool.Exec(ctx, "INSERT INTO goose_db_version (version_id, is_applied) VALUES ($1, false)", last.Version); err != nil {
		t.Fatal(err)
	}
	if st, err = db.Status(ctx, pool); err != nil || !st[len(st)-1].AppliedAt.IsZero() || st[0].AppliedAt.IsZero() {
		t.Fatalf("after rolling %d back: %+v, %v", last.Version, st, err)
	}
	if _, err := pool.Exec(ctx, "DROP TABLE goose_db_version"); err != nil {
		t.Fatal(err)
	}
	if st, err = db.Status(ctx, pool); err != nil || len(st) != len(migrationsOf(t)) || !st[0].AppliedAt.IsZero() {
		t.Fatalf("never migrated: %+v, %v", st, err)
	}
}

func migrationsOf(t *testing.T) []string {
	t.Helper()
	names, err := fs.Glob(migrations.FS, "*.sql")
	if err != nil {
		t.Fatal(err)
	}
	return names
}
