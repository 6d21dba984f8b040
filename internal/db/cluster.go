package db

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Cluster is a private PostgreSQL server that Bursar runs itself, with its data in Dir.
type Cluster struct {
	Dir  string // data directory
	Port int
	bin  string
	cred *syscall.Credential // set when running as root: the server runs as an unprivileged user
	uid  int
	gid  int
	// started is set when this process started the server, and so must stop it.
	started bool
}

// ErrNoPostgres says no PostgreSQL server binaries were found.
var ErrNoPostgres = errors.New("no PostgreSQL found: install it (e.g. apt-get install postgresql) or set DATABASE_URL")

// findBinDir looks for initdb and pg_ctl on PATH, then under /usr/lib/postgresql/*/bin (newest first).
func findBinDir() (string, error) {
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		dir := filepath.Dir(p)
		if _, err := os.Stat(filepath.Join(dir, "initdb")); err == nil {
			return dir, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) > versionOf(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	return "", ErrNoPostgres
}

func versionOf(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

// NewCluster prepares a cluster in dir (absolute or relative); it does not start it.
func NewCluster(dir string) (*Cluster, error) {
	bin, err := findBinDir()
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	c := &Cluster{Dir: abs, bin: bin, uid: -1, gid: -1}
	if os.Geteuid() == 0 {
		// PostgreSQL refuses to run as root: run it as the postgres user, or nobody.
		var u *user.User
		for _, name := range []string{"postgres", "nobody"} {
			if u, err = user.Lookup(name); err == nil {
				break
			}
		}
		if u == nil {
			return nil, errors.New("running as root and no unprivileged user (postgres or nobody) exists to run PostgreSQL")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		c.uid, c.gid = uid, gid
		c.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	return c, nil
}

func (c *Cluster) pgData() string   { return filepath.Join(c.Dir, "pgdata") }
func (c *Cluster) sockDir() string  { return filepath.Join(c.Dir, "run") }
func (c *Cluster) logFile() string  { return filepath.Join(c.Dir, "postgres.log") }
func (c *Cluster) portFile() string { return filepath.Join(c.Dir, "port") }

func (c *Cluster) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, filepath.Join(c.bin, name), args...)
	cmd.Env = append(os.Environ(), "LC_ALL=C.UTF-8", "LANG=C.UTF-8")
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	return cmd
}

func (c *Cluster) run(ctx context.Context, name string, args ...string) error {
	cmd := c.command(ctx, name, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(out.String())
		if i := strings.LastIndex(msg, "\n"); i >= 0 {
			msg = msg[i+1:]
		}
		return fmt.Errorf("%s: %w: %s", name, err, msg)
	}
	return nil
}

// chown gives path to the unprivileged user when running as root.
func (c *Cluster) chown(paths ...string) error {
	if c.cred == nil {
		return nil
	}
	for _, p := range paths {
		if err := os.Chown(p, c.uid, c.gid); err != nil {
			return err
		}
	}
	return nil
}

// Start initialises the cluster on first use and starts it, listening on 127.0.0.1 and a socket in Dir/run.
// The port is kept in Dir/port so the same cluster is found again across runs.
func (c *Cluster) Start(ctx context.Context) error {
	if err := os.MkdirAll(c.sockDir(), 0o755); err != nil {
		return err
	}
	if err := c.chown(c.Dir, c.sockDir()); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(c.pgData(), "PG_VERSION")); err != nil {
		if err := os.MkdirAll(c.pgData(), 0o700); err != nil {
			return err
		}
		if err := c.chown(c.pgData()); err != nil {
			return err
		}
		if err := c.run(ctx, "initdb", "-D", c.pgData(), "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--no-sync"); err != nil {
			return err
		}
	}
	if b, err := os.ReadFile(c.portFile()); err == nil {
		c.Port, _ = strconv.Atoi(strings.TrimSpace(string(b)))
	}
	if c.running(ctx) {
		if c.Port == 0 {
			return fmt.Errorf("PostgreSQL in %s is running but %s is missing: stop it with pg_ctl", c.pgData(), c.portFile())
		}
		return nil
	}
	if c.Port == 0 || !portFree(c.Port) {
		p, err := freePort()
		if err != nil {
			return err
		}
		c.Port = p
	}
	logf, err := os.OpenFile(c.logFile(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	_ = logf.Close()
	if err := c.chown(c.logFile()); err != nil {
		return err
	}
	opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=off -c max_connections=200", c.Port, c.sockDir())
	if err := c.run(ctx, "pg_ctl", "-D", c.pgData(), "-l", c.logFile(), "-o", opts, "-w", "-t", "60", "start"); err != nil {
		return fmt.Errorf("start private PostgreSQL (log in %s): %w", c.logFile(), err)
	}
	c.started = true
	return os.WriteFile(c.portFile(), []byte(strconv.Itoa(c.Port)+"\n"), 0o644)
}

func (c *Cluster) running(ctx context.Context) bool {
	return c.run(ctx, "pg_ctl", "-D", c.pgData(), "status") == nil
}

// Stop shuts the cluster down (fast mode) when this process started it.
func (c *Cluster) Stop() error {
	if !c.started {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return c.run(ctx, "pg_ctl", "-D", c.pgData(), "-m", "fast", "-w", "stop")
}

// URL is the connection string of database name on this cluster.
func (c *Cluster) URL(name string) string {
	u := url.URL{Scheme: "postgres", User: url.User("postgres"), Host: fmt.Sprintf("127.0.0.1:%d", c.Port), Path: "/" + name}
	u.RawQuery = "sslmode=disable"
	return u.String()
}

// EnsureDatabase creates database name when it does not exist yet.
func (c *Cluster) EnsureDatabase(ctx context.Context, name string) error {
	pool, err := Open(ctx, c.URL("postgres"))
	if err != nil {
		return err
	}
	defer pool.Close()
	var exists bool
	if err := pool.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return err
	}
	if exists {
		return nil
	}
	_, err = pool.Exec(ctx, "CREATE DATABASE "+quoteIdent(name))
	return err
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func portFree(p int) bool {
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
	if err != nil {
		return false
	}
	_ = l.Close()
	return true
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
