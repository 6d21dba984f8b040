package db_test

import (
	"context"
	"testing"
	"time"

	"github.com/bursar/bursar/internal/db"
	"github.com/bursar/bursar/internal/db/dbtest"
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
