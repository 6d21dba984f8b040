// Package account is students' accounts: a password for a contact, sign-in, password resets, and what the
// cabinet shows.
package account

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// Mailer sends account e-mails inside the caller's transaction (internal/mailer implements it).
type Mailer interface {
	// PasswordResetTx sends link (valid until it expires, single-use) to the contact's e-mail in lang.
	PasswordResetTx(ctx context.Context, tx pgx.Tx, to, lang, link string) error
}
