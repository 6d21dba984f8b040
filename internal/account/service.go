package account

import (
	"context"
	"errors"
	"fmt"
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

// NewService returns a Service on pool. baseURL is the public address reset links point at. mailer may be nil
// while no e-mail renderer is wired: everything works except RequestReset, which then returns ErrNoMailer for
// every e-mail (known or not, so the answer still reveals nothing) and stores nothing.
func NewService(pool *pgxpool.Pool, al *audit.Log, contacts Contacts, mailer Mailer, baseURL string) *Service {
	return &Service{db: pool, audit: al, contacts: contacts, mailer: mailer, baseURL: baseURL, now: time.Now}
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

// SignIn checks an e-mail and password from client address ip. Too many recent failures for the e-mail or the
// address give a *LockedError before the password is even checked.
func (s *Service) SignIn(ctx context.Context, email, pw, ip string) (Account, error) {
	email = check.NormalizeEmail(email)
	q := accountq.New(s.db)
	now := s.now()
	keys := []struct {
		scope, key string
		max        int64
	}{{ScopeEmail, email, EmailMaxFailures}, {ScopeIP, ip, IPMaxFailures}}
	for _, k := range keys {
		if err := s.checkLock(ctx, q, k.scope, k.key, k.max, now); err != nil {
			return Account{}, err
		}
	}
	a, err := s.verify(ctx, q, email, pw)
	ok := err == nil
	for _, k := range keys {
		if aerr := q.LoginAttemptAdd(ctx, accountq.LoginAttemptAddParams{Scope: k.scope, Key: k.key, Succeeded: ok, At: now}); aerr != nil {
			return Account{}, aerr
		}
	}
	if ok {
		if err := q.AccountTouchSignIn(ctx, accountq.AccountTouchSignInParams{ContactID: a.ContactID, LastSignInAt: &now}); err != nil {
			return Account{}, err
		}
		a.LastSignInAt = &now
	}
	return a, err
}

func (s *Service) checkLock(ctx context.Context, q *accountq.Queries, scope, key string, limit int64, now time.Time) error {
	n, err := q.LoginFailuresSince(ctx, accountq.LoginFailuresSinceParams{Scope: scope, Key: key,
		Since: now.Add(-LockWindow), Resets: scope == ScopeEmail})
	if err != nil || n < limit {
		return err
	}
	last, err := q.LoginLastFailure(ctx, accountq.LoginLastFailureParams{Scope: scope, Key: key})
	if err != nil {
		return err
	}
	return &LockedError{RetryAfter: max(last.Add(LockWindow).Sub(now), time.Minute)}
}

var dummyHash, _ = password.Hash("bursar-dummy-password")

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
		_, _ = password.Verify(dummyHash, pw)
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
