// Package dbtest gives tests real PostgreSQL databases: TEST_DATABASE_URL when set, else a private cluster started
// for the test binary. Each test gets a fresh database cloned from a migrated template and dropped at cleanup.
package dbtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/bursar/bursar/internal/db"
	"github.com/bursar/bursar/migrations"
)

var (
	adminURL string // a database on the server where test databases are created
	setupErr error

	tmplOnce sync.Once
	tmplName string
	tmplErr  error
)

// Main is TestMain for packages that use New: it starts a private cluster when TEST_DATABASE_URL is unset and
// stops it after the tests.
func Main(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		adminURL = u
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "bursar-testpg-")
	if err != nil {
		setupErr = err
		return m.Run()
	}
	defer os.RemoveAll(dir)
	_ = os.Chmod(dir, 0o755)
	c, err := db.NewCluster(dir)
	if err == nil {
		err = c.Start(context.Background())
	}
	if err != nil {
		setupErr = fmt.Errorf("private PostgreSQL for tests: %w", err)
		return m.Run()
	}
	defer c.Stop() //nolint:errcheck
	adminURL = c.URL("postgres")
	return m.Run()
}

// URL returns the connection string of a fresh, migrated database that is dropped when t ends.
func URL(t testing.TB) string {
	t.Helper()
	if adminURL == "" && setupErr == nil {
		t.Fatal("dbtest: call dbtest.Main(m) from the package's TestMain")
	}
	if setupErr != nil {
		if errors.Is(setupErr, db.ErrNoPostgres) && os.Getenv("CI") == "" {
			t.Skipf("dbtest: %v", setupErr)
		}
		t.Fatal(setupErr)
	}
	ctx := context.Background()
	tmplOnce.Do(func() { tmplName, tmplErr = template(ctx) })
	if tmplErr != nil {
		t.Fatalf("dbtest: template database: %v", tmplErr)
	}
	admin, err := db.Open(ctx, adminURL)
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	defer admin.Close()
	name := "bursar_test_" + randHex(8)
	if _, err := admin.Exec(ctx, fmt.Sprintf(`CREATE DATABASE %q TEMPLATE %q`, name, tmplName)); err != nil {
		t.Fatalf("dbtest: create database: %v", err)
	}
	t.Cleanup(func() {
		admin, err := db.Open(context.Background(), adminURL)
		if err != nil {
			t.Logf("dbtest: drop %s: %v", name, err)
			return
		}
		defer admin.Close()
		if _, err := admin.Exec(context.Background(), fmt.Sprintf(`DROP DATABASE IF EXISTS %q WITH (FORCE)`, name)); err != nil {
			t.Logf("dbtest: drop %s: %v", name, err)
		}
	})
	return withDatabase(adminURL, name)
}

// New returns a pool on a fresh, migrated database; the pool is closed and the database dropped when t ends.
func New(t testing.TB) *pgxpool.Pool {
	t.Helper()
	u := URL(t)
	pool, err := db.Open(context.Background(), u)
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	t.Cleanup(pool.Close) // registered after the drop, so it runs first
	return pool
}

// template returns the name of a database with every migration applied, creating it once per schema version.
// Test binaries of several packages may race to create it: an advisory lock serialises them.
func template(ctx context.Context) (string, error) {
	sum, err := schemaHash()
	if err != nil {
		return "", err
	}
	name := "bursar_tmpl_" + sum
	admin, err := db.Open(ctx, adminURL)
	if err != nil {
		return "", err
	}
	defer admin.Close()
	conn, err := admin.Acquire(ctx)
	if err != nil {
		return "", err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock(7251002)"); err != nil {
		return "", err
	}
	defer conn.Exec(context.Background(), "SELECT pg_advisory_unlock(7251002)") //nolint:errcheck
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1 AND datistemplate)`, name).Scan(&exists); err != nil {
		return "", err
	}
	if exists {
		return name, nil
	}
	if _, err := conn.Exec(ctx, fmt.Sprintf(`DROP DATABASE IF EXISTS %q WITH (FORCE)`, name)); err != nil {
		return "", err
	}
	if _, err := conn.Exec(ctx, fmt.Sprintf(`CREATE DATABASE %q`, name)); err != nil {
		return "", err
	}
	pool, err := db.Open(ctx, withDatabase(adminURL, name))
	if err != nil {
		return "", err
	}
	err = db.Migrate(ctx, pool, slog.New(slog.NewTextHandler(io.Discard, nil)))
	pool.Close()
	if err != nil {
		return "", err
	}
	if _, err := conn.Exec(ctx, fmt.Sprintf(`ALTER DATABASE %q WITH IS_TEMPLATE true`, name)); err != nil {
		return "", err
	}
	return name, nil
}

// schemaHash identifies the schema by the migration files' contents.
func schemaHash() (string, error) {
	h := sha256.New()
	err := fs.WalkDir(migrations.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(migrations.FS, path)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%s\x00", path, b)
		return nil
	})
	// River's own migrations come with its module version.
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if strings.HasPrefix(d.Path, "github.com/riverqueue/river") {
				fmt.Fprintf(h, "%s@%s\x00", d.Path, d.Version)
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:16], err
}

func withDatabase(raw, name string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	u.Path = "/" + name
	return u.String()
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
