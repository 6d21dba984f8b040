package staff

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/password"
	"github.com/bursar/bursar/internal/staff/staffq"
)

// Sign-in limits: per e-mail (lockout) and per client address (rate limit), over a sliding window.
const (
	EmailMaxFailures = 5
	IPMaxFailures    = 30
	LockWindow       = 15 * time.Minute
)

// Service manages staff and API keys.
type Service struct {
	db    *pgxpool.Pool
	audit *audit.Log
	now   func() time.Time
}

// NewService returns a Service on pool.
func NewService(pool *pgxpool.Pool, log *audit.Log) *Service {
	return &Service{db: pool, audit: log, now: time.Now}
}

var passwordCheck = password.Check

func userFrom(r staffq.AdminUser) User {
	return User{ID: r.ID, Email: r.Email, Name: r.Name, Role: r.Role, DisabledAt: r.DisabledAt, CreatedAt: r.CreatedAt}
}

// CreateUser adds an admin user; a taken e-mail is a field error.
func (s *Service) CreateUser(ctx context.Context, n NewUser) (User, error) {
	n.Email = check.NormalizeEmail(n.Email)
	n.Name = strings.TrimSpace(n.Name)
	if err := n.Validate(); err != nil {
		return User{}, err
	}
	hash, err := password.Hash(n.Password)
	if err != nil {
		return User{}, err
	}
	var u User
	err = pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		r, err := staffq.New(tx).UserCreate(ctx, staffq.UserCreateParams{Email: n.Email, Name: n.Name, Role: n.Role, PasswordHash: hash})
		if isUnique(err) {
			return check.Field("email", "an admin user with this e-mail already exists")
		}
		if err != nil {
			return err
		}
		u = userFrom(r)
		return s.audit.RecordTx(ctx, tx, "admin_user.create", "admin_user", u.ID, map[string]any{"email": u.Email, "role": u.Role})
	})
	return u, err
}

// User returns the admin user id.
func (s *Service) User(ctx context.Context, id int64) (User, error) {
	r, err := staffq.New(s.db).UserByID(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return User{}, ErrNotFound
	}
	if err != nil {
		return User{}, err
	}
	return userFrom(r), nil
}

// Users lists admin users.
func (s *Service) Users(ctx context.Context) ([]User, error) {
	rows, err := staffq.New(s.db).UserList(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]User, len(rows))
	for i, r := range rows {
		out[i] = userFrom(r)
	}
	return out, nil
}

// SetRole changes a user's role, refusing to demote the last active owner.
func (s *Service) SetRole(ctx context.Context, id int64, role string) error {
	if role != RoleOwner && role != RoleManager {
		return check.Field("role", "must be owner or manager")
	}
	return s.changeOwnerSafely(ctx, id, func(q *staffq.Queries) (int64, error) {
		return q.UserSetRole(ctx, staffq.UserSetRoleParams{ID: id, Role: role})
	}, "admin_user.set_role", map[string]any{"role": role})
}

// SetDisabled disables or re-enables a user, refusing to disable the last active owner.
func (s *Service) SetDisabled(ctx context.Context, id int64, disabled bool) error {
	return s.changeOwnerSafely(ctx, id, func(q *staffq.Queries) (int64, error) {
		return q.UserSetDisabled(ctx, staffq.UserSetDisabledParams{ID: id, Disabled: disabled})
	}, "admin_user.set_disabled", map[string]any{"disabled": disabled})
}

func (s *Service) changeOwnerSafely(ctx context.Context, id int64, change func(*staffq.Queries) (int64, error), action string, details map[string]any) error {
	return pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		// Serialise owner changes so two owners demoting each other cannot leave none.
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(7251003)"); err != nil {
			return err
		}
		q := staffq.New(tx)
		n, err := change(q)
		if err != nil {
			return err
		}
		if n == 0 {
			return ErrNotFound
		}
		owners, err := q.UserCountActiveOwners(ctx)
		if err != nil {
			return err
		}
		if owners == 0 {
			return ErrLastOwner
		}
		return s.audit.RecordTx(ctx, tx, action, "admin_user", id, details)
	})
}

// SignIn checks an e-mail and password from client address ip. The attempt is counted as a failure before the
// password is checked (see beginAttempt), so parallel guesses, in one process or many, cannot all be checked: too
// many recent failures for the e-mail or the address give a *LockedError and the password is not looked at.
func (s *Service) SignIn(ctx context.Context, email, pw, ip string) (User, error) {
	email = check.NormalizeEmail(email)
	now := s.now()
	ids, err := s.beginAttempt(ctx, []attemptLimit{{"email", email, EmailMaxFailures}, {"ip", ip, IPMaxFailures}}, now)
	if err != nil {
		return User{}, err
	}
	q := staffq.New(s.db)
	u, err := s.verify(ctx, q, email, pw)
	if err != nil {
		return User{}, err
	}
	// A right password must not stay counted as a failure, even if the client has gone meanwhile.
	if err := q.LoginAttemptsSucceed(context.WithoutCancel(ctx), ids); err != nil {
		return User{}, err
	}
	_, _ = q.LoginAttemptsPrune(ctx, now.Add(-24*time.Hour))
	return u, nil
}

// attemptLimit is one sign-in limit: the failures allowed for key in scope within LockWindow.
type attemptLimit struct {
	scope, key string
	max        int64
}

// beginAttempt records a sign-in attempt as a failure for each of limits before its password is checked, and
// returns the rows to mark succeeded if it was right. In one transaction, under an advisory lock per scope and key
// (so concurrent attempts in every process queue here, always in the order of limits), it counts each key's recent
// failures, attempts still being checked included; at any limit it records nothing and returns a *LockedError.
// The password hash is checked after the commit, so the locks are held for milliseconds, not an argon2id run.
func (s *Service) beginAttempt(ctx context.Context, limits []attemptLimit, now time.Time) ([]int64, error) {
	ids := make([]int64, 0, len(limits))
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		q := staffq.New(tx)
		for _, l := range limits {
			if err := q.LoginAttemptLock(ctx, staffq.LoginAttemptLockParams{Scope: l.scope, Key: l.key}); err != nil {
				return err
			}
		}
		for _, l := range limits {
			n, err := q.LoginFailuresSince(ctx, staffq.LoginFailuresSinceParams{Scope: l.scope, Key: l.key,
				Since: now.Add(-LockWindow), Resets: l.scope == "email"})
			if err != nil {
				return err
			}
			if n < l.max {
				continue
			}
			last, err := q.LoginLastFailure(ctx, staffq.LoginLastFailureParams{Scope: l.scope, Key: l.key})
			if err != nil {
				return err
			}
			return &LockedError{RetryAfter: max(last.Add(LockWindow).Sub(now), time.Minute)}
		}
		for _, l := range limits {
			id, err := q.LoginAttemptBegin(ctx, staffq.LoginAttemptBeginParams{Scope: l.scope, Key: l.key, At: now})
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	return ids, err
}

func (s *Service) verify(ctx context.Context, q *staffq.Queries, email, pw string) (User, error) {
	r, err := q.UserByEmail(ctx, email)
	if errors.Is(err, pgx.ErrNoRows) {
		// Spend the same time as a real check so response times do not reveal which e-mails exist.
		_, _ = password.Verify(password.DummyHash, pw)
		return User{}, ErrInvalidCredentials
	}
	if err != nil {
		return User{}, err
	}
	ok, err := password.Verify(r.PasswordHash, pw)
	if err != nil {
		return User{}, err
	}
	if !ok || r.DisabledAt != nil {
		return User{}, ErrInvalidCredentials
	}
	return userFrom(r), nil
}

func isUnique(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// RecordSignIn writes a sign-in to the audit log; a failure to write it is logged by the caller's request log only.
func (s *Service) RecordSignIn(ctx context.Context, u User) {
	_ = pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		return s.audit.RecordTx(ctx, tx, "admin_user.sign_in", "admin_user", u.ID, nil)
	})
}
