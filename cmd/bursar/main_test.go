package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/bursar/bursar/internal/db"
	"github.com/bursar/bursar/internal/db/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// cli runs the program with DATABASE_URL pointing at a fresh database.
type cli struct {
	t   *testing.T
	env map[string]string
}

func newCLI(t *testing.T) *cli {
	return &cli{t: t, env: map[string]string{
		"DATABASE_URL":      dbtest.URL(t),
		"BURSAR_SECRET_KEY": strings.Repeat("ab", 32),
		"BURSAR_DATA_DIR":   t.TempDir(),
		"BURSAR_LOG_LEVEL":  "error",
	}}
}

func (c *cli) run(args ...string) (string, error) {
	var out, errb bytes.Buffer
	err := run(context.Background(), args, func(k string) string { return c.env[k] }, &out, &errb)
	return out.String(), err
}

func TestCLIBadInput(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	tests := []struct {
		args []string
		want string
	}{
		{nil, "no command given"},
		{[]string{"fly"}, `unknown command "fly"`},
		{[]string{"migrate"}, "usage: bursar migrate up|status"},
		{[]string{"admin", "create", "--email", "not-an-email", "--password", "long enough pw"}, "email: is not a valid e-mail address"},
		{[]string{"admin", "create", "--email", "a@b.test", "--password", "short"}, "password: must be at least 8 characters"},
		{[]string{"admin", "create", "--email", "a@b.test", "--password", "long enough pw", "--role", "king"}, "role: must be owner or manager"},
		{[]string{"admin", "create", "--bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"apikey", "create"}, "--name is required"},
	}
	for _, tt := range tests {
		_, err := c.run(tt.args...)
		var ue usageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("bursar %v: err %v, want usage error containing %q", tt.args, err, tt.want)
		}
	}
	c.env["BURSAR_JOB_RESCUE_AFTER"] = "0s"
	if _, err := c.run("serve"); err == nil || !strings.Contains(err.Error(), "BURSAR_JOB_RESCUE_AFTER") {
		t.Errorf("zero rescue window: %v", err)
	}
	delete(c.env, "BURSAR_JOB_RESCUE_AFTER")
	c.env["BURSAR_SECRET_KEY"] = "too-short"
	if _, err := c.run("migrate", "status"); err == nil || !strings.Contains(err.Error(), "BURSAR_SECRET_KEY") {
		t.Errorf("bad secret key: %v", err)
	}
}

func TestCLIAdminAndAPIKey(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	out, err := c.run("admin", "create", "--email", "Owner@School.test", "--password", "long enough pw")
	if err != nil || !strings.Contains(out, "owner@school.test (owner) created") {
		t.Fatalf("admin create: %q %v", out, err)
	}
	if _, err := c.run("admin", "create", "--email", "owner@school.TEST", "--password", "long enough pw"); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("duplicate admin: %v", err)
	}
	out, err = c.run("apikey", "create", "--name", "LMS")
	if err != nil {
		t.Fatal(err)
	}
	// Only the key, so scripts can capture it.
	if !strings.HasPrefix(out, "bsr_") || strings.Count(out, "\n") != 1 || strings.Contains(out, " ") {
		t.Fatalf("apikey create printed %q", out)
	}
	out, err = c.run("migrate", "status")
	if err != nil || strings.Contains(out, "pending") || !strings.Contains(out, "00001_core.sql") {
		t.Fatalf("migrate status: %q %v", out, err)
	}
}

func TestCLIDemoIdempotent(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	first, err := c.run("demo")
	if err != nil {
		t.Fatal(err)
	}
	second, err := c.run("demo")
	if err != nil {
		t.Fatalf("second demo: %v", err)
	}
	if first != second || !strings.Contains(first, "admin@demo.bursar.test") || !strings.Contains(first, "Password: demo-") {
		t.Fatalf("demo printed %q then %q", first, second)
	}
	pool, err := db.Open(context.Background(), c.env["DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	for table, want := range map[string]int{"admin_users": 1, "products": 3, "offers": 3, "payment_systems": 1, "contacts": 3, "exchange_rates": 1} {
		var n int
		if err := pool.QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != want {
			t.Errorf("%s: %d rows after two demo runs, want %d", table, n, want)
		}
	}
	var published int
	_ = pool.QueryRow(context.Background(), "SELECT count(*) FROM offers WHERE status = 'published'").Scan(&published)
	if published != 3 {
		t.Errorf("published demo offers: %d", published)
	}
}

// TestServe starts the real server on a loopback port, checks it is ready, and stops it with the context.
func TestServe(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	c.env["BURSAR_ADDR"] = "127.0.0.1:0"
	// Shorter than River's 1m JobTimeout, which River would refuse unless jobs.New lowers it too (the chaos harness
	// runs serve with this).
	c.env["BURSAR_JOB_RESCUE_AFTER"] = "15s"
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve"}, func(k string) string { return c.env[k] }, pw, io.Discard)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("serve printed nothing: %v (%v)", err, <-done)
	}
	go io.Copy(io.Discard, pr) //nolint:errcheck
	addr := strings.Fields(strings.TrimPrefix(line, "Bursar is serving on "))[0]
	res, err := http.Get("http://" + addr + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("readyz: %d", res.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve returned %v after shutdown", err)
	}
}
