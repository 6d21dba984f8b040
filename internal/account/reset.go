package account

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/account/accountq"
	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/crm"
	"github.com/bursar/bursar/internal/password"
)

// ResetPath is where a reset link points, followed by the token.
const ResetPath = "/account/reset/"

// maxToken bounds what is accepted as a token before hashing it.
const maxToken = 100

func tokenHash(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// RequestReset e-mails a single-use link, valid for ResetTTL, to email in lang when it has an account. An e-mail
// without an account is not an error: the caller answers the same either way, so the form reveals nothing.
func (s *Service) RequestReset(ctx context.Context, email, lang string) error {
	email = check.NormalizeEmail(email)
	e := check.Errors{}
	e.Email("email", email, true)
	if err := e.Err(); err != nil {
		return err
	}
	c, err := s.contacts.ByEmail(ctx, email)
	if errors.Is(err, check.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	// A contact without an account gets the link too: using it creates the account (the e-mail is proven).
	return s.sendLink(ctx, c, lang)
}

// sendLink e-mails contact c a single-use link, valid for ResetTTL, that sets a password (creating the account
// when c has none). Placeholder contacts have no inbox and get nothing.
func (s *Service) sendLink(ctx context.Context, c crm.Contact, lang string) error {
	if c.Placeholder {
		return nil
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return err
	}
	token := base64.RawURLEncoding.EncodeToString(raw)
	now := s.now()
	return pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		q := accountq.New(tx)
		if err := q.ResetPrune(ctx, now.Add(-24*ResetTTL)); err != nil {
			return err
		}
		if err := q.ResetCreate(ctx, accountq.ResetCreateParams{TokenHash: tokenHash(token), ContactID: c.ID,
			CreatedAt: now, ExpiresAt: now.Add(ResetTTL)}); err != nil {
			return err
		}
		link := strings.TrimSuffix(s.baseURL, "/") + ResetPath + token
		if err := s.mailer.PasswordResetTx(ctx, tx, c.Email, lang, link); err != nil {
			return fmt.Errorf("send reset link: %w", err)
		}
		return s.audit.RecordTx(ctx, tx, "account.reset_request", "contact", c.ID, nil)
	})
}

// CheckReset tells whether token is a live reset link: ErrResetInvalid when it is unknown, used, expired or of
// another purpose (a welcome link).
func (s *Service) CheckReset(ctx context.Context, token string) error {
	if token == "" || len(token) > maxToken {
		return ErrResetInvalid
	}
	_, err := accountq.New(s.db).ResetValid(ctx, accountq.ResetValidParams{TokenHash: tokenHash(token), Now: s.now()})
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrResetInvalid
	}
	return err
}

// ResetPassword spends token and sets the account's password to pw, for a client at address ip. The token is spent
// by a conditional update, so of two concurrent uses one wins; the account's other live links are spent too, and a
// lockout of its e-mail is lifted. The audit log and the timeline record it under the link (ActorResetLink), with
// the contact and ip in the details, not as the student.
func (s *Service) ResetPassword(ctx context.Context, token, pw, ip string) (Account, error) {
	if msg := password.Check(pw); msg != "" {
		return Account{}, check.Field("password", msg)
	}
	if err := s.CheckReset(ctx, token); err != nil {
		return Account{}, err
	}
	hash, err := password.Hash(pw)
	if err != nil {
		return Account{}, err
	}
	now := s.now()
	ctx = linkActor(ctx, ActorResetLink)
	var id int64
	err = pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		q := accountq.New(tx)
		var err error
		id, err = q.ResetUse(ctx, accountq.ResetUseParams{TokenHash: tokenHash(token), Purpose: PurposeReset, Now: &now})
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrResetInvalid
		}
		if err != nil {
			return err
		}
		created, err := q.AccountSetPassword(ctx, accountq.AccountSetPasswordParams{ContactID: id, PasswordHash: hash})
		if err != nil {
			return err
		}
		if created {
			if err := s.contacts.AddEventTx(ctx, tx, id, EventCreated, "Student account created with a link sent to the contact's e-mail"); err != nil {
				return err
			}
		}
		if err := q.ResetUseAllFor(ctx, accountq.ResetUseAllForParams{ContactID: id, Now: &now}); err != nil {
			return err
		}
		if err := s.contacts.AddEventTx(ctx, tx, id, EventPasswordReset, "Password changed with a reset link"); err != nil {
			return err
		}
		return s.audit.RecordTx(ctx, tx, "account.password_reset", "contact", id, linkDetails(id, ip, nil))
	})
	if err != nil {
		return Account{}, err
	}
	a, err := s.Get(ctx, id)
	if err != nil {
		return Account{}, err
	}
	// A successful reset proves the e-mail: lift a lockout the forgotten password caused.
	return a, s.gate.Reset(ctx, a.Email, now)
}
