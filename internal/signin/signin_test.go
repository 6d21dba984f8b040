package signin

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/bursar/bursar/internal/db/dbtest"
	"github.com/bursar/bursar/internal/password"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

var testScopes = Scopes{Email: "test_email", IP: "test_ip"}

// counting wraps a gate's verify and records the hashes it was run on.
type counting struct {
	mu     sync.Mutex
	hashes []string
}

func (c *counting) install(g *Gate) {
	verify := g.verify
	g.verify = func(hash, pw string) (bool, error) {
		c.mu.Lock()
		c.hashes = append(c.hashes, hash)
		c.mu.Unlock()
		return verify(hash, pw)
	}
}

func (c *counting) runs() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.hashes...)
}

// lookup is a hash function that gives hash and counts its calls.
func lookup(hash string, calls *atomic.Int64) func(context.Context) (string, error) {
	return func(context.Context) (string, error) {
		calls.Add(1)
		return hash, nil
	}
}

func countRows(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestCheck: one argon2id check per attempt that passes the limits: against the stored hash, or against
// password.DummyHash when the e-mail has no password, so an unknown e-mail costs what a known one does.
func TestCheck(t *testing.T) {
	t.Parallel()
	pool := dbtest.New(t)
	hash, err := password.Hash("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	lookupErr := errors.New("lookup failed")
	tests := []struct {
		name       string
		hash       string
		lookupErr  error
		pw         string
		want       error
		wantVerify string // the hash verified, "" for none
	}{
		{"OK", hash, nil, "correct horse", nil, hash},
		{"WrongPassword", hash, nil, "wrong horse", ErrMismatch, hash},
		{"NoPassword", "", nil, "correct horse", ErrMismatch, password.DummyHash},
		{"MalformedHash", "$2a$10$bcrypt", nil, "correct horse", password.ErrMalformed, "$2a$10$bcrypt"},
		{"LookupError", "", lookupErr, "correct horse", lookupErr, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := New(pool, testScopes)
			var c counting
			c.install(g)
			email := "ana-" + tt.name + "@school.test"
			err := g.Check(context.Background(), time.Now(), email, "192.0.2.1", tt.pw, func(context.Context) (string, error) {
				return tt.hash, tt.lookupErr
			})
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			runs := c.runs()
			switch {
			case tt.wantVerify == "" && len(runs) != 0:
				t.Fatalf("verify ran %d times, want none", len(runs))
			case tt.wantVerify != "" && (len(runs) != 1 || runs[0] != tt.wantVerify):
				t.Fatalf("verify ran on %q, want once on %q", runs, tt.wantVerify)
			}
			failures := countRows(t, pool, "SELECT count(*) FROM login_attempts WHERE scope = $1 AND key = $2 AND NOT succeeded", testScopes.Email, email)
			if want := map[bool]int{true: 0, false: 1}[tt.want == nil]; failures != want {
				t.Fatalf("%d failures recorded for the e-mail, want %d", failures, want)
			}
		})
	}
}

// TestLockout: at the e-mail's limit neither the look-up nor argon2id runs; the window's end, a success or Reset
// lift it; scopes keep admins' and students' attempts apart.
func TestLockout(t *testing.T) {
	t.Parallel()
	pool := dbtest.New(t)
	ctx := context.Background()
	hash, err := password.Hash("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	g := New(pool, testScopes)
	var c counting
	c.install(g)
	var calls atomic.Int64
	now := time.Now()
	const email = "ana@school.test"
	for i := range EmailMaxFailures {
		if err := g.Check(ctx, now, email, "192.0.2.1", "wrong", lookup(hash, &calls)); !errors.Is(err, ErrMismatch) {
			t.Fatalf("failure %d: %v", i+1, err)
		}
	}
	calls.Store(0)
	verified := len(c.runs())
	var le *LockedError
	if err := g.Check(ctx, now, email, "192.0.2.2", "correct horse", lookup(hash, &calls)); !errors.As(err, &le) {
		t.Fatalf("right password while locked: err = %v, want *LockedError", err)
	}
	if le.RetryAfter < time.Minute || le.RetryAfter > Window {
		t.Fatalf("RetryAfter = %v", le.RetryAfter)
	}
	if calls.Load() != 0 || len(c.runs()) != verified {
		t.Fatalf("while locked: %d look-ups, %d argon2id runs; want none", calls.Load(), len(c.runs())-verified)
	}

	if err := New(pool, Scopes{Email: "other_email", IP: "other_ip"}).Check(ctx, now, email, "192.0.2.2", "correct horse",
		lookup(hash, &calls)); err != nil {
		t.Fatalf("another scope is not locked: %v", err)
	}
	if err := g.Check(ctx, now.Add(Window+time.Second), email, "192.0.2.2", "correct horse", lookup(hash, &calls)); err != nil {
		t.Fatalf("after the window: %v", err)
	}

	t.Run("Reset", func(t *testing.T) {
		const email = "bo@school.test"
		for range EmailMaxFailures {
			_ = g.Check(ctx, now, email, "192.0.2.3", "wrong", lookup(hash, &calls))
		}
		if err := g.Check(ctx, now, email, "192.0.2.3", "correct horse", lookup(hash, &calls)); !errors.As(err, &le) {
			t.Fatalf("err = %v, want locked", err)
		}
		if err := g.Reset(ctx, email, now.Add(time.Second)); err != nil {
			t.Fatal(err)
		}
		if err := g.Check(ctx, now.Add(2*time.Second), email, "192.0.2.3", "correct horse", lookup(hash, &calls)); err != nil {
			t.Fatalf("after Reset: %v", err)
		}
	})
	// An address's failures at any e-mail count, and a success in between does not reset them.
	t.Run("PerIP", func(t *testing.T) {
		const ip = "203.0.113.7"
		for i := range IPMaxFailures - 1 {
			_ = g.Check(ctx, now, "guess"+strconv.Itoa(i)+"@school.test", ip, "wrong", lookup("", &calls))
			if i == IPMaxFailures/2 {
				if err := g.Check(ctx, now, "cy@school.test", ip, "correct horse", lookup(hash, &calls)); err != nil {
					t.Fatalf("own sign-in: %v", err)
				}
			}
		}
		_ = g.Check(ctx, now, "last@school.test", ip, "wrong", lookup("", &calls))
		if err := g.Check(ctx, now, "cy@school.test", ip, "correct horse", lookup(hash, &calls)); !errors.As(err, &le) {
			t.Fatalf("err = %v, want the address locked despite the success in between", err)
		}
	})
}

// TestCheckParallel: wrong passwords for one e-mail sent all at once through two gates with their own pools (two
// processes) are counted before any is checked: exactly EmailMaxFailures are checked, the rest locked.
func TestCheckParallel(t *testing.T) {
	t.Parallel()
	pool := dbtest.New(t)
	second, err := pgxpool.New(context.Background(), pool.Config().ConnString())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(second.Close)
	hash, err := password.Hash("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	gates := []*Gate{New(pool, testScopes), New(second, testScopes)}
	const guesses = 24
	var (
		wg                       sync.WaitGroup
		start                    = make(chan struct{})
		mismatch, locked, others atomic.Int64
	)
	for i := range guesses {
		wg.Go(func() {
			<-start
			err := gates[i%2].Check(context.Background(), time.Now(), "ana@school.test", "192.0.2.1", "wrong horse",
				func(context.Context) (string, error) { return hash, nil })
			var le *LockedError
			switch {
			case errors.Is(err, ErrMismatch):
				mismatch.Add(1)
			case errors.As(err, &le):
				locked.Add(1)
			default:
				others.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	if mismatch.Load() != EmailMaxFailures || locked.Load() != guesses-EmailMaxFailures || others.Load() != 0 {
		t.Fatalf("%d guesses at once: %d checked, %d locked, %d other; want %d checked and the rest locked",
			guesses, mismatch.Load(), locked.Load(), others.Load(), EmailMaxFailures)
	}
}
