// Package signin is the gate every password sign-in passes, admins' (internal/staff) and students'
// (internal/account) alike. It owns login_attempts: recent failures per e-mail (a lockout) and per client address (a
// rate limit), kept in PostgreSQL so every Bursar process shares them, and counted before the password is checked,
// so parallel guesses cannot all be checked. Each attempt that passes runs exactly one argon2id check, whether or
// not the e-mail has a password, so response times do not tell which e-mails do.
package signin

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/bursar/bursar/internal/password"
	"github.com/bursar/bursar/internal/signin/signinq"
)

// The limits, over a sliding window: failures per e-mail (a lockout; a success or a password reset starts the
// count again) and per client address (failures at any e-mail; a success does not reset it).
const (
	EmailMaxFailures = 5
	IPMaxFailures    = 30
	Window           = 15 * time.Minute
)

// keep is how long attempts are kept: far longer than Window, so pruning never changes a count.
const keep = 24 * time.Hour

// ErrMismatch says the password is wrong, or the e-mail has no password that may sign in. Each service reports it
// as its own wrong-credentials error.
var ErrMismatch = errors.New("signin: wrong e-mail or password")

// LockedError says a limit is reached: sign-in is refused, and the password not looked at, for RetryAfter.
type LockedError struct {
	RetryAfter time.Duration
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("too many failed sign-ins: try again in %d minutes", e.Minutes())
}

// Minutes is the wait rounded up to whole minutes, at least 1.
func (e *LockedError) Minutes() int {
	return max(1, int((e.RetryAfter+time.Minute-1)/time.Minute))
}

// Scopes name one kind of user's keys in login_attempts, so admins' and students' attempts never count together:
// staff uses "email" and "ip", account "student_email" and "student_ip".
type Scopes struct {
	Email string
	IP    string
}

// Gate checks passwords under the limits, for the users whose attempts are recorded under its scopes.
type Gate struct {
	db     *pgxpool.Pool
	scopes Scopes
	verify func(hash, pw string) (bool, error) // password.Verify; a test counts its runs
}

// New returns the Gate for scopes on pool.
func New(pool *pgxpool.Pool, scopes Scopes) *Gate {
	return &Gate{db: pool, scopes: scopes, verify: password.Verify}
}

// limit is one sign-in limit: at most max failures for key in scope within Window; with resets, only those after
// the key's last success count.
type limit struct {
	scope, key string
	max        int64
	resets     bool
}

// Check checks password pw of a sign-in with email (normalized by the caller) from client address ip at now. The
// attempt is first recorded as a failure for the e-mail and for the address (see begin); at either limit it is a
// *LockedError and neither hash nor the password is looked at. Otherwise hash gives the stored password hash of the
// e-mail's user, "" when there is none or the user may not sign in (then a check against password.DummyHash spends
// the same time); a right password flips the attempt to succeeded and Check returns nil, a wrong one ErrMismatch.
func (g *Gate) Check(ctx context.Context, now time.Time, email, ip, pw string, hash func(context.Context) (string, error)) error {
	ids, err := g.begin(ctx, []limit{
		{scope: g.scopes.Email, key: email, max: EmailMaxFailures, resets: true},
		{scope: g.scopes.IP, key: ip, max: IPMaxFailures},
	}, now)
	if err != nil {
		return err
	}
	h, err := hash(ctx)
	if err != nil {
		return err
	}
	if err := g.match(h, pw); err != nil {
		return err
	}
	q := signinq.New(g.db)
	// A right password must not stay counted as a failure, even if the client has gone meanwhile.
	if err := q.LoginAttemptsSucceed(context.WithoutCancel(ctx), ids); err != nil {
		return err
	}
	_, _ = q.LoginAttemptsPrune(ctx, now.Add(-keep))
	return nil
}

// match reports whether pw matches hash: nil, ErrMismatch, or the error of a malformed hash.
func (g *Gate) match(hash, pw string) error {
	if hash == "" {
		_, _ = g.verify(password.DummyHash, pw)
		return ErrMismatch
	}
	ok, err := g.verify(hash, pw)
	if err != nil {
		return err
	}
	if !ok {
		return ErrMismatch
	}
	return nil
}

// Reset records a success for email at now without a sign-in: its failures before now no longer count. A password
// reset proves the e-mail, so it lifts a lockout the forgotten password caused.
func (g *Gate) Reset(ctx context.Context, email string, now time.Time) error {
	return signinq.New(g.db).LoginAttemptSucceeded(ctx, signinq.LoginAttemptSucceededParams{Scope: g.scopes.Email, Key: email, At: now})
}

// begin records a sign-in attempt as a failure for each of limits before its password is checked, and returns the
// rows to mark succeeded if it was right. In one transaction, under an advisory lock per scope and key (so
// concurrent attempts in every process queue here, always in the order of limits), it counts each key's recent
// failures, attempts still being checked included; at any limit it records nothing and returns a *LockedError.
// The password hash is checked after the commit, so the locks are held for milliseconds, not an argon2id run.
func (g *Gate) begin(ctx context.Context, limits []limit, now time.Time) ([]int64, error) {
	ids := make([]int64, 0, len(limits))
	err := pgx.BeginFunc(ctx, g.db, func(tx pgx.Tx) error {
		q := signinq.New(tx)
		for _, l := range limits {
			if err := q.LoginAttemptLock(ctx, signinq.LoginAttemptLockParams{Scope: l.scope, Key: l.key}); err != nil {
				return err
			}
		}
		for _, l := range limits {
			if err := checkLimit(ctx, q, l, now); err != nil {
				return err
			}
		}
		for _, l := range limits {
			id, err := q.LoginAttemptBegin(ctx, signinq.LoginAttemptBeginParams{Scope: l.scope, Key: l.key, At: now})
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	return ids, err
}

// checkLimit returns a *LockedError when l's key has reached its limit.
func checkLimit(ctx context.Context, q *signinq.Queries, l limit, now time.Time) error {
	n, err := q.LoginFailuresSince(ctx, signinq.LoginFailuresSinceParams{Scope: l.scope, Key: l.key,
		Since: now.Add(-Window), Resets: l.resets})
	if err != nil || n < l.max {
		return err
	}
	last, err := q.LoginLastFailure(ctx, signinq.LoginLastFailureParams{Scope: l.scope, Key: l.key})
	if err != nil {
		return err
	}
	return &LockedError{RetryAfter: max(last.Add(Window).Sub(now), time.Minute)}
}
