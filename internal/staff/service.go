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
	"github.com/bursar/bursar/internal/db"
	"github.com/bursar/bursar/internal/password"
	"github.com/bursar/bursar/internal/signin"
	"github.com/bursar/bursar/internal/staff/staffq"
)

// Sign-in limits: per e-mail (lockout) and per client address (rate limit), over a sliding window: the sign-in
// gate's (internal/signin).
const (
	EmailMaxFailures = signin.EmailMaxFailures
	IPMaxFailures    = signin.IPMaxFailures
	LockWindow       = signin.Window
)

// Service manages staff and API keys.
type Service struct {
	db    *pgxpool.Pool
	audit *audit.Log
	gate  *signin.Gate
	now   func() time.Time
}

// NewService returns a Service on pool.
func NewService(pool *pgxpool.Pool, log *audit.Log) *Service {
	return &Service{db: pool, audit: log, gate: signin.New(pool, signin.Scopes{Email: "email", IP: "ip"}), now: time.Now}
}

var passwordCheck = password.Check

// OwnerEmailsTx returns the e-mail addresses of the active owners, in tx (the webhooks e-mail them when Bursar
// disables an endpoint).
func (s *Service) OwnerEmailsTx(ctx context.Context, tx db.DBTX) ([]string, error) {
	return staffq.New(tx).OwnerEmails(ctx)
}

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

// SignIn checks an e-mail and password from client address ip through the sign-in gate (internal/signin): too many
// recent failures for the e-mail or the address give a *LockedError and the password is not looked at; a wrong
// password, an unknown e-mail or a disabled user is ErrInvalidCredentials after the same argon2id work.
func (s *Service) SignIn(ctx context.Context, email, pw, ip string) (User, error) {
	email = check.NormalizeEmail(email)
	var u User
	err := s.gate.Check(ctx, s.now(), email, ip, pw, func(ctx context.Context) (string, error) {
		r, err := staffq.New(s.db).UserByEmail(ctx, email)
		if errors.Is(err, pgx.ErrNoRows) || (err == nil && r.DisabledAt != nil) {
			return "", nil
		}
		if err != nil {
			return "", err
		}
		u = userFrom(r)
		return r.PasswordHash, nil
	})
	switch {
	case errors.Is(err, signin.ErrMismatch):
		return User{}, ErrInvalidCredentials
	case err != nil:
		return User{}, err // a *LockedError among them
	}
	return u, nil
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
