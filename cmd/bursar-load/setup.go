package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/bursar/bursar/internal/db"
	"github.com/bursar/bursar/internal/load"
)

// rig is everything a run set up, so tearDown can undo exactly that.
type rig struct {
	o       options
	tmp     string
	cluster *db.Cluster   // the private cluster, when -db was empty
	admin   *pgxpool.Pool // on the server, for CREATE and DROP DATABASE
	dbName  string        // the database this run created, "" until it exists
	pool    *pgxpool.Pool // on that database: bulk setup and checks
	serve   *child
	base    string // http://127.0.0.1:port of the serve child
	key     string // the API key
	school  school
	bare    *bareServer
}

// setUp prepares a run; on error, the rig holds what was done so far, for tearDown.
func setUp(ctx context.Context, o options, getenv func(string) string, stdout io.Writer) (*rig, error) {
	r := &rig{o: o}
	var err error
	if r.tmp, err = os.MkdirTemp("", "bursar-load-"); err != nil {
		return r, err
	}
	_ = os.Chmod(r.tmp, 0o755) // the private cluster may run as another user (root runs it as postgres)
	serverURL := o.dbURL
	if serverURL == "" {
		fmt.Fprintln(stdout, "starting a private PostgreSQL cluster (no -db, no TEST_DATABASE_URL)")
		if r.cluster, err = db.NewCluster(filepath.Join(r.tmp, "pg")); err != nil {
			return r, err
		}
		if err := r.cluster.Start(ctx); err != nil {
			return r, err
		}
		serverURL = r.cluster.URL("postgres")
	}
	if err := checkDatabaseURL(serverURL); err != nil {
		return r, err
	}
	if r.admin, err = db.Open(ctx, serverURL); err != nil {
		return r, err
	}
	name := o.dbPrefix + "_" + randomHex(6)
	if _, err := r.admin.Exec(ctx, `CREATE DATABASE "`+name+`"`); err != nil {
		return r, fmt.Errorf("create database %s: %w", name, err)
	}
	r.dbName = name
	dbURL, err := withDatabase(serverURL, name)
	if err != nil {
		return r, err
	}
	fmt.Fprintf(stdout, "database %s created (dropped at the end)\n", name)

	bin := o.bin
	if bin == "" {
		bin = filepath.Join(r.tmp, "bursar")
		fmt.Fprintln(stdout, "building ./cmd/bursar")
		out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/bursar/bursar/cmd/bursar").CombinedOutput()
		if err != nil {
			return r, fmt.Errorf("go build ./cmd/bursar: %w\n%s", err, out)
		}
	}
	addr, err := freeLoopbackAddr()
	if err != nil {
		return r, err
	}
	r.base = "http://" + addr
	env := []string{
		"PATH=" + getenv("PATH"),
		"HOME=" + r.tmp,
		"DATABASE_URL=" + dbURL,
		"BURSAR_ADDR=" + addr,
		"BURSAR_BASE_URL=" + r.base,
		"BURSAR_SECRET_KEY=" + randomHex(32),
		"BURSAR_DATA_DIR=" + filepath.Join(r.tmp, "data"),
		// Nothing the run does calls Stripe; should anything try, it meets a closed loopback port.
		"BURSAR_STRIPE_API_URL=http://127.0.0.1:9",
	}
	env = append(env, o.runtimeEnv()...)
	if _, err := command(ctx, bin, env, "migrate", "up"); err != nil {
		return r, err
	}
	out, err := command(ctx, bin, env, "apikey", "create", "--name", "bursar-load")
	if err != nil {
		return r, err
	}
	if f := strings.Fields(out); len(f) > 0 {
		r.key = f[len(f)-1]
	}
	if r.key == "" {
		return r, errors.New("bursar apikey create printed no key")
	}
	if r.serve, err = startChild(ctx, "serve", bin, env, filepath.Join(r.logDir(), "serve.log"), r.base+"/readyz", "serve"); err != nil {
		return r, err
	}
	fmt.Fprintf(stdout, "bursar serve (pid %d) on %s\n", r.serve.pid(), r.base)
	if r.school, err = setUpSchool(ctx, r.base, r.key); err != nil {
		return r, err
	}
	if r.pool, err = db.Open(ctx, dbURL); err != nil {
		return r, err
	}
	return r, nil
}

// tearDown stops the children this run started (by their pids), drops the database it created and stops the
// private cluster, reporting what it could not undo.
func (r *rig) tearDown(stdout io.Writer) {
	if r.bare != nil {
		r.bare.stop()
	}
	if r.serve != nil {
		r.serve.stop()
		if r.serve.failed() {
			fmt.Fprintf(stdout, "bursar serve exited with an error; the end of its log:\n%s", tail(r.serve.log, 30))
		}
	}
	if r.pool != nil {
		r.pool.Close()
	}
	if r.admin != nil {
		if r.dbName != "" {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			if _, err := r.admin.Exec(ctx, `DROP DATABASE IF EXISTS "`+r.dbName+`" WITH (FORCE)`); err != nil {
				fmt.Fprintf(stdout, "drop database %s: %v\n", r.dbName, err)
			} else {
				fmt.Fprintf(stdout, "database %s dropped\n", r.dbName)
			}
			cancel()
		}
		r.admin.Close()
	}
	if r.cluster != nil {
		if err := r.cluster.Stop(); err != nil {
			fmt.Fprintf(stdout, "stop the private cluster: %v\n", err)
		}
	}
	if r.tmp != "" {
		_ = os.RemoveAll(r.tmp)
	}
}

// logDir is where the children's logs go: -logs, or the temporary directory removed at the end.
func (r *rig) logDir() string {
	if r.o.logs != "" {
		return r.o.logs
	}
	return r.tmp
}

// runtimeEnv is the Go runtime's environment for both servers.
func (o options) runtimeEnv() []string {
	env := o.serverEnv
	if o.gctrace {
		env = append(env, "GODEBUG=gctrace=1")
	}
	return env
}

// checkDatabaseURL refuses a PostgreSQL server that is not on this machine: a Unix socket or a loopback host.
func checkDatabaseURL(raw string) error {
	cfg, err := pgconn.ParseConfig(raw)
	if err != nil {
		return fmt.Errorf("database URL: %w", err)
	}
	hosts := []string{cfg.Host}
	for _, f := range cfg.Fallbacks {
		hosts = append(hosts, f.Host)
	}
	for _, h := range hosts {
		if !strings.HasPrefix(h, "/") && !load.LoopbackHost(h) {
			return fmt.Errorf("database host %q refused: %w", h, load.ErrNotLoopback)
		}
	}
	return nil
}

// withDatabase is raw (a postgres:// URL) naming database name instead.
func withDatabase(raw, name string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", fmt.Errorf("database URL: want postgres://… (got %q)", raw)
	}
	u.Path = "/" + name
	return u.String(), nil
}

// command runs bin with args and env, returning its standard output; a failure carries its output.
func command(ctx context.Context, bin string, env []string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("bursar %s: %w\n%s%s", strings.Join(args, " "), err, out, stderr.String())
	}
	return string(out), nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func tail(path string, lines int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error() + "\n"
	}
	all := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(all[max(0, len(all)-lines):], "\n") + "\n"
}
