package account

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/crm"
)

// secondProcess is another Service on f's database with its own connection pool, as a second Bursar process
// behind a load balancer would have: the database is all they share.
func (f fixture) secondProcess(t *testing.T) *Service {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), f.pool.Config().ConnString())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	al := audit.New(pool)
	svc, err := NewService(pool, al, crm.NewService(pool, al, nil), f.mailer, "https://school.test")
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// signInAll runs one sign-in per entry of emails at the same moment, alternating between the services, and counts
// the answers: wrong password, locked out, signed in.
func signInAll(t *testing.T, ctx context.Context, svcs []*Service, emails []string, pw, ip string) (wrong, locked, ok int) {
	t.Helper()
	var (
		mu    sync.Mutex
		wg    sync.WaitGroup
		start = make(chan struct{})
		errs  []error
	)
	for i, email := range emails {
		wg.Go(func() {
			<-start
			_, err := svcs[i%len(svcs)].SignIn(ctx, email, pw, ip)
			mu.Lock()
			defer mu.Unlock()
			var le *LockedError
			switch {
			case err == nil:
				ok++
			case errors.Is(err, ErrInvalidCredentials):
				wrong++
			case errors.As(err, &le):
				locked++
			default:
				errs = append(errs, err)
			}
		})
	}
	close(start)
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("unexpected errors: %v", errs)
	}
	return wrong, locked, ok
}

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

// TestSignInLockoutParallel: wrong passwords for one e-mail sent all at once to two processes are counted before
// any is checked, so exactly EmailMaxFailures are checked and the rest are refused, whatever the timing.
func TestSignInLockoutParallel(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.signUp(t, "ana@school.test")
	svcs := []*Service{f.svc, f.secondProcess(t)}

	// Under the limit, right passwords at the same moment all sign in, and leave nothing counted against the e-mail.
	if wrong, locked, ok := signInAll(t, f.ctx, svcs, repeat("ana@school.test", 3), "correct horse", "192.0.2.1"); ok != 3 {
		t.Fatalf("right passwords: %d signed in, %d wrong, %d locked; want 3 signed in", ok, wrong, locked)
	}
	if n := f.count(t, "SELECT count(*) FROM login_attempts WHERE NOT succeeded"); n != 0 {
		t.Fatalf("%d failures recorded for right passwords", n)
	}

	const guesses = 24
	wrong, locked, ok := signInAll(t, f.ctx, svcs, repeat("ana@school.test", guesses), "wrong horse", "192.0.2.1")
	if wrong != EmailMaxFailures || locked != guesses-EmailMaxFailures || ok != 0 {
		t.Fatalf("%d guesses at once: %d checked, %d locked, %d signed in; want %d checked and the rest locked",
			guesses, wrong, locked, ok, EmailMaxFailures)
	}
	var le *LockedError
	if _, err := svcs[1].SignIn(f.ctx, "ana@school.test", "correct horse", "192.0.2.2"); !errors.As(err, &le) {
		t.Fatalf("right password while locked: err = %v, want *LockedError", err)
	}
}

// TestSignInAddressLimitParallel: guesses at many e-mails from one address, sent all at once to two processes,
// stop at IPMaxFailures.
func TestSignInAddressLimitParallel(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	svcs := []*Service{f.svc, f.secondProcess(t)}
	emails := make([]string, IPMaxFailures+6)
	for i := range emails {
		emails[i] = "guess" + itoa(i) + "@school.test"
	}
	wrong, locked, _ := signInAll(t, f.ctx, svcs, emails, "wrong horse", "198.51.100.9")
	if wrong != IPMaxFailures || locked != len(emails)-IPMaxFailures {
		t.Fatalf("%d guesses from one address: %d checked, %d locked; want %d checked", len(emails), wrong, locked, IPMaxFailures)
	}
}
