package account

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/bursar/bursar/internal/account/accountq"
	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/crm"
	"github.com/bursar/bursar/internal/password"
)

// Service manages students' accounts.
type Service struct {
	db       *pgxpool.Pool
	audit    *audit.Log
	contacts Contacts
	mailer   Mailer
	baseURL  string
	now      func() time.Time
}

// NewService returns a Service on pool. baseURL is the public address reset links point at. contacts and mailer
// are required: a missing one is an error naming it (without a mailer no reset or welcome link could be sent).
func NewService(pool *pgxpool.Pool, al *audit.Log, contacts Contacts, mailer Mailer, baseURL string) (*Service, error) {
	for _, dep := range []struct {
		name string
		v    any
	}{{"pool", pool}, {"audit log", al}, {"contacts", contacts}, {"mailer", mailer}} {
		if isNil(dep.v) {
			return nil, fmt.Errorf("account: %s is required", dep.name)
		}
	}
	return &Service{db: pool, audit: al, contacts: contacts, mailer: mailer, baseURL: baseURL, now: time.Now}, nil
}

// isNil reports whether v is nil or an interface holding a nil pointer.
func isNil(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	return rv.Kind() == reflect.Pointer && rv.IsNil()
}

var errAccountExists = check.Field("email", MsgAccountExists)

// SignUp creates an account. A new e-mail makes a contact with the name and the answers as custom fields; an
// existing contact without an account (one an admin created, say) gets the account, and only its blank name and
// fields are filled in, so a sign-up never overwrites what the school knows; an e-mail that has an account already
// is the field error MsgAccountExists on "email". Nothing is written when any field is bad.
func (s *Service) SignUp(ctx context.Context, in SignUp) (Account, error) {
	in = in.normalize()
	if err := in.Validate(); err != nil {
		return Account{}, err
	}
	hash, err := password.Hash(in.Password)
	if err != nil {
		return Account{}, err
	}
	c, err := s.contacts.ByEmail(ctx, in.Email)
	switch {
	case errors.Is(err, check.ErrNotFound):
		return s.signUpNew(ctx, in, hash)
	case err != nil:
		return Account{}, err
	}
	return s.signUpExisting(ctx, c, in, hash)
}

func (s *Service) signUpNew(ctx context.Context, in SignUp, hash string) (Account, error) {
	var a Account
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		c, err := s.contacts.CreateTx(ctx, tx, crm.Input{Email: in.Email, Name: in.Name, CustomFields: in.Answers})
		if e, ok := check.AsErrors(err); ok && e["email"] != "" {
			// Someone took the e-mail between the look-up and now: a concurrent sign-up.
			return errAccountExists
		}
		if err != nil {
			return err
		}
		a = Account{ContactID: c.ID, Email: c.Email, Name: c.Name}
		return s.createTx(ctx, tx, a, hash)
	})
	return a, err
}

// signUpExisting handles a sign-up with the e-mail of a contact the school already has. Knowing an e-mail proves
// nothing, so no account is made here: the contact's own inbox gets a single-use link that sets the password and
// creates the account (ErrCheckEmail). Otherwise anyone could claim a payer's orders and courses.
func (s *Service) signUpExisting(ctx context.Context, c crm.Contact, in SignUp, _ string) (Account, error) {
	if _, err := accountq.New(s.db).AccountGet(ctx, c.ID); err == nil {
		return Account{}, errAccountExists
	} else if !errors.Is(err, pgx.ErrNoRows) {
		return Account{}, err
	}
	if err := s.sendLink(ctx, c, in.Lang); err != nil {
		return Account{}, err
	}
	return Account{}, ErrCheckEmail
}

// createTx adds the account row, the timeline event and the audit entry; a concurrent sign-up loses here.
func (s *Service) createTx(ctx context.Context, tx pgx.Tx, a Account, hash string) error {
	n, err := accountq.New(tx).AccountCreate(ctx, accountq.AccountCreateParams{ContactID: a.ContactID, PasswordHash: hash})
	if err != nil {
		return err
	}
	if n == 0 {
		return errAccountExists
	}
	if err := s.contacts.AddEventTx(ctx, tx, a.ContactID, EventCreated, "Student account created"); err != nil {
		return err
	}
	return s.audit.RecordTx(ctx, tx, "account.create", "contact", a.ContactID, map[string]any{"email": a.Email})
}

// Get returns the account of contact id, or an error wrapping check.ErrNotFound when it has none.
func (s *Service) Get(ctx context.Context, contactID int64) (Account, error) {
	r, err := accountq.New(s.db).AccountGet(ctx, contactID)
	if errors.Is(err, pgx.ErrNoRows) {
		return Account{}, fmt.Errorf("account of contact %d: %w", contactID, check.ErrNotFound)
	}
	if err != nil {
		return Account{}, err
	}
	c, err := s.contacts.Contact(ctx, contactID)
	if err != nil {
		return Account{}, err
	}
	return Account{ContactID: c.ID, Email: c.Email, Name: c.Name, CreatedAt: r.CreatedAt, LastSignInAt: r.LastSignInAt,
		PasswordChangedAt: r.PasswordChangedAt}, nil
}

// SignIn checks an e-mail and password from client address ip. The attempt is counted as a failure before the
// password is checked (see beginAttempt), so parallel guesses, in one process or many, cannot all be checked: too
// many recent failures for the e-mail or the address give a *LockedError and the password is not looked at.
func (s *Service) SignIn(ctx context.Context, email, pw, ip string) (Account, error) {
	email = check.NormalizeEmail(email)
	now := s.now()
	ids, err := s.beginAttempt(ctx, []attemptLimit{{ScopeEmail, email, EmailMaxFailures}, {ScopeIP, ip, IPMaxFailures}}, now)
	if err != nil {
		return Account{}, err
	}
	q := accountq.New(s.db)
	a, err := s.verify(ctx, q, email, pw)
	if err != nil {
		return Account{}, err
	}
	// A right password must not stay counted as a failure, even if the client has gone meanwhile.
	if err := q.LoginAttemptsSucceed(context.WithoutCancel(ctx), ids); err != nil {
		return Account{}, err
	}
	if err := q.AccountTouchSignIn(ctx, accountq.AccountTouchSignInParams{ContactID: a.ContactID, LastSignInAt: &now}); err != nil {
		return Account{}, err
	}
	a.LastSignInAt = &now
	return a, nil
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
		q := accountq.New(tx)
		for _, l := range limits {
			if err := q.LoginAttemptLock(ctx, accountq.LoginAttemptLockParams{Scope: l.scope, Key: l.key}); err != nil {
				return err
			}
		}
		for _, l := range limits {
			if err := checkLock(ctx, q, l, now); err != nil {
				return err
			}
		}
		for _, l := range limits {
			id, err := q.LoginAttemptBegin(ctx, accountq.LoginAttemptBeginParams{Scope: l.scope, Key: l.key, At: now})
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	return ids, err
}

// checkLock returns a *LockedError when l's key has reached its limit.
func checkLock(ctx context.Context, q *accountq.Queries, l attemptLimit, now time.Time) error {
	n, err := q.LoginFailuresSince(ctx, accountq.LoginFailuresSinceParams{Scope: l.scope, Key: l.key,
		Since: now.Add(-LockWindow), Resets: l.scope == ScopeEmail})
	if err != nil || n < l.max {
		return err
	}
	last, err := q.LoginLastFailure(ctx, accountq.LoginLastFailureParams{Scope: l.scope, Key: l.key})
	if err != nil {
		return err
	}
	return &LockedError{RetryAfter: max(last.Add(LockWindow).Sub(now), time.Minute)}
}

func (s *Service) verify(ctx context.Context, q *accountq.Queries, email, pw string) (Account, error) {
	c, err := s.contacts.ByEmail(ctx, email)
	if err != nil && !errors.Is(err, check.ErrNotFound) {
		return Account{}, err
	}
	hash := ""
	if err == nil {
		r, err := q.AccountGet(ctx, c.ID)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return Account{}, err
		}
		hash = r.PasswordHash
		if err == nil {
			c.CreatedAt = r.CreatedAt
		}
	}
	if hash == "" {
		// Spend the same time as a real check so response times do not reveal which e-mails have accounts.
		_, _ = password.Verify(password.DummyHash, pw)
		return Account{}, ErrInvalidCredentials
	}
	ok, err := password.Verify(hash, pw)
	if err != nil {
		return Account{}, err
	}
	if !ok {
		return Account{}, ErrInvalidCredentials
	}
	return Account{ContactID: c.ID, Email: c.Email, Name: c.Name, CreatedAt: c.CreatedAt}, nil
}
