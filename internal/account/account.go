// Package account is students' accounts: a password for a contact, sign-in, password resets, and what the
// cabinet shows.
package account

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/crm"
	"github.com/bursar/bursar/internal/db"
	"github.com/bursar/bursar/internal/signin"
)

// Mailer sends account e-mails inside the caller's transaction (internal/mailer implements it).
type Mailer interface {
	// PasswordResetTx sends link (valid until it expires, single-use) to the contact's e-mail in lang.
	PasswordResetTx(ctx context.Context, tx pgx.Tx, to, lang, link string) error
}

// Contacts is the part of the CRM an account needs (internal/crm).
type Contacts interface {
	CreateTx(ctx context.Context, tx pgx.Tx, in crm.Input) (crm.Contact, error)
	ByEmail(ctx context.Context, email string) (crm.Contact, error)
	Contact(ctx context.Context, id int64) (crm.Contact, error)
	Update(ctx context.Context, id int64, p crm.Patch) (crm.Contact, error)
	AddEventTx(ctx context.Context, tx db.DBTX, contactID int64, kind, message string) error
}

// Sign-in limits: per e-mail (lockout) and per client address, over a sliding window, as for admins: the sign-in
// gate's (internal/signin).
const (
	EmailMaxFailures = signin.EmailMaxFailures
	IPMaxFailures    = signin.IPMaxFailures
	LockWindow       = signin.Window
)

// Login attempt scopes in the sign-in gate's login_attempts table; admins use "email" and "ip".
const (
	ScopeEmail = "student_email"
	ScopeIP    = "student_ip"
)

// ResetTTL is how long a password reset link works.
const ResetTTL = time.Hour

// MaxName bounds a student's name, as the CRM does.
const MaxName = crm.MaxName

// Timeline events written to the contact's timeline.
const (
	EventCreated       = "account.created"
	EventPasswordReset = "account.password_reset"
)

// MsgAccountExists is the sign-up error on "email" when the e-mail has an account already; the form links to
// sign-in next to it.
const MsgAccountExists = "an account with this e-mail exists — sign in"

// Errors.
var (
	ErrInvalidCredentials = errors.New("account: wrong e-mail or password")
	// ErrResetInvalid says a reset link is unknown, used already or expired; the page says all three the same way.
	ErrResetInvalid = errors.New("account: the reset link is invalid, used or expired")
	// ErrCheckEmail says the e-mail belongs to a contact without an account: a link to create it was sent there.
	ErrCheckEmail = errors.New("account: a link to finish creating the account was sent to the e-mail")
)

// LockedError says sign-in is refused for a while after too many failures: the sign-in gate's own.
type LockedError = signin.LockedError

// Account is a contact who can sign in.
type Account struct {
	ContactID    int64
	Email        string
	Name         string
	CreatedAt    time.Time
	LastSignInAt *time.Time
	// PasswordChangedAt is when the password was last set: a session signed in under an earlier value is signed
	// out (a password reset ends every other session).
	PasswordChangedAt time.Time
}

// Question is one registration field asked at sign-up (an offer's registration field, see internal/offer).
type Question struct {
	Key      string
	Label    string
	Type     string // text, email, phone, textarea, select
	Required bool
	Options  []string // select only
}

// SignUp is what a student types to create an account.
type SignUp struct {
	Lang      string // of the e-mail sent when the e-mail belongs to a contact without an account
	Email     string
	Password  string
	Name      string
	Questions []Question        // the offer's registration fields, when signing up from checkout
	Answers   map[string]string // by Question.Key
}

// AnswerField is the form field (and error key) of the answer to the question key.
func AnswerField(key string) string { return "field_" + key }
