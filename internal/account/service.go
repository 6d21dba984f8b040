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
	"github.com/bursar/bursar/internal/signin"
)

// Service manages students' accounts.
type Service struct {
	db       *pgxpool.Pool
	audit    *audit.Log
	contacts Contacts
	mailer   Mailer
	baseURL  string
	gate     *signin.Gate
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
	return &Service{db: pool, audit: al, contacts: contacts, mailer: mailer, baseURL: baseURL,
		gate: signin.New(pool, signin.Scopes{Email: ScopeEmail, IP: ScopeIP}), now: time.Now}, nil
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

// PasswordChangedAt is when contactID's password was last set (Account.PasswordChangedAt), read from the account
// alone: a signed-in request that needs no more than to know the session still holds checks it with one read.
// No account is an error wrapping check.ErrNotFound.
func (s *Service) PasswordChangedAt(ctx context.Context, contactID int64) (time.Time, error) {
	r, err := accountq.New(s.db).AccountGet(ctx, contactID)
	if errors.Is(err, pgx.ErrNoRows) {
		return time.Time{}, fmt.Errorf("account of contact %d: %w", contactID, check.ErrNotFound)
	}
	if err != nil {
		return time.Time{}, err
	}
	return r.PasswordChangedAt, nil
}

// SignIn checks an e-mail and password from client address ip through the sign-in gate (internal/signin): too many
// recent failures for the e-mail or the address give a *LockedError and the password is not looked at; a wrong
// password, or an e-mail without an account, is ErrInvalidCredentials after the same argon2id work.
func (s *Service) SignIn(ctx context.Context, email, pw, ip string) (Account, error) {
	email = check.NormalizeEmail(email)
	now := s.now()
	q := accountq.New(s.db)
	var a Account
	err := s.gate.Check(ctx, now, email, ip, pw, func(ctx context.Context) (string, error) {
		var hash string
		var err error
		a, hash, err = s.credentials(ctx, q, email)
		return hash, err
	})
	if err != nil {
		return Account{}, signInError(err)
	}
	if err := q.AccountTouchSignIn(ctx, accountq.AccountTouchSignInParams{ContactID: a.ContactID, LastSignInAt: &now}); err != nil {
		return Account{}, err
	}
	a.LastSignInAt = &now
	return a, nil
}

// credentials returns the account of email and its password hash, or "" for an e-mail without an account.
func (s *Service) credentials(ctx context.Context, q *accountq.Queries, email string) (Account, string, error) {
	c, err := s.contacts.ByEmail(ctx, email)
	if errors.Is(err, check.ErrNotFound) {
		return Account{}, "", nil
	}
	if err != nil {
		return Account{}, "", err
	}
	r, err := q.AccountGet(ctx, c.ID)
	if errors.Is(err, pgx.ErrNoRows) {
		return Account{}, "", nil
	}
	if err != nil {
		return Account{}, "", err
	}
	return Account{ContactID: c.ID, Email: c.Email, Name: c.Name, CreatedAt: r.CreatedAt}, r.PasswordHash, nil
}

// signInError is the sign-in gate's answer in account's terms.
func signInError(err error) error {
	if errors.Is(err, signin.ErrMismatch) {
		return ErrInvalidCredentials
	}
	return err // a *LockedError among them
}
