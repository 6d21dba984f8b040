package scale

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"time"

	"github.com/bursar/bursar/internal/db"
)

// Version names the fixture's shape: change it whenever Fill makes different rows (a new table to fill, another
// mix), so that kept databases are filled again. A new migration alone does not: Ensure applies it to them.
const Version = "2"

// Kept says which kept database Ensure looks after.
type Kept struct {
	AdminURL string        // a database on the server (postgres), where the kept one is created and dropped
	Name     string        // the kept database's name, e.g. bursar_bench_scale
	Size     Size          // what it holds
	MaxAge   time.Duration // filled again when older (its dates end at the time it was filled); 0: never
	Log      *slog.Logger  // told when it fills; nil: silent
}

// Ensure returns the URL of k.Name holding k.Size's fixture, migrated. It keeps the database between runs: a
// marker table (scale_fixture) records the fixture's Version, its size and when it was filled, and the database is
// dropped and filled again only when one of them differs or it is older than k.MaxAge; otherwise pending migrations
// are applied to it.
func Ensure(ctx context.Context, k Kept) (string, error) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil)) // for the migrations' lines
	log := k.Log
	if log == nil {
		log = quiet
	}
	s, err := k.Size.withDefaults()
	if err != nil {
		return "", err
	}
	want := Version
	target, err := withDatabase(k.AdminURL, k.Name)
	if err != nil {
		return "", err
	}
	ok, why := current(ctx, target, want, s, k.MaxAge)
	if ok {
		// Migrations added since it was filled are applied to the rows as they are, as they would be to a school's.
		pool, err := db.Open(ctx, target)
		if err != nil {
			return "", err
		}
		defer pool.Close()
		return target, db.Migrate(ctx, pool, quiet)
	}
	log.Info("filling the kept database", "database", k.Name, "orders", s.Orders, "why", why)
	admin, err := db.Open(ctx, k.AdminURL)
	if err != nil {
		return "", err
	}
	defer admin.Close()
	quoted := `"` + k.Name + `"`
	if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+quoted+" WITH (FORCE)"); err != nil {
		return "", err
	}
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+quoted); err != nil {
		return "", err
	}
	pool, err := db.Open(ctx, target)
	if err != nil {
		return "", err
	}
	defer pool.Close()
	if err := db.Migrate(ctx, pool, quiet); err != nil {
		return "", err
	}
	st, err := Fill(ctx, pool, s)
	if err != nil {
		return "", err
	}
	log.Info("kept database filled", "database", k.Name, "seconds", st.Duration.Seconds())
	for _, step := range st.Steps {
		log.Debug("fill step", "step", step.Name, "seconds", step.Duration.Seconds())
	}
	if _, err := pool.Exec(ctx, `CREATE TABLE scale_fixture (version text NOT NULL, orders integer NOT NULL,
		contacts integer NOT NULL, filled_at timestamptz NOT NULL, fill_seconds double precision NOT NULL)`); err != nil {
		return "", err
	}
	_, err = pool.Exec(ctx, `INSERT INTO scale_fixture VALUES ($1, $2, $3, $4, $5)`, want, s.Orders, s.Contacts, s.Now,
		st.Duration.Seconds())
	return target, err
}

// current says whether the database at target holds the fixture wanted, or why not.
func current(ctx context.Context, target, want string, s Size, maxAge time.Duration) (bool, string) {
	pool, err := db.Open(ctx, target)
	if err != nil {
		return false, "not there"
	}
	defer pool.Close()
	var (
		version          string
		orders, contacts int
		filled           time.Time
	)
	if err := pool.QueryRow(ctx, `SELECT version, orders, contacts, filled_at FROM scale_fixture`).Scan(&version,
		&orders, &contacts, &filled); err != nil {
		return false, "no fixture marker"
	}
	switch {
	case version != want:
		return false, "another fixture or schema version"
	case orders != s.Orders || contacts != s.Contacts:
		return false, "another size"
	case maxAge > 0 && time.Since(filled) > maxAge:
		return false, fmt.Sprintf("filled %s ago", time.Since(filled).Round(time.Hour))
	}
	return true, ""
}

func withDatabase(raw, name string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("scale: admin URL: %w", err)
	}
	u.Path = "/" + name
	return u.String(), nil
}
