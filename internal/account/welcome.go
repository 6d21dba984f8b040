package account

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/account/accountq"
	"github.com/bursar/bursar/internal/crm"
	"github.com/bursar/bursar/internal/password"
)

// WelcomePath is where a welcome link points, followed by the token.
const WelcomePath = "/account/welcome/"

// WelcomeTTL is how long the sign-in link e-mailed after paying without signing in works: days, since the payer
// may read the e-mail later than a reset they asked for.
const WelcomeTTL = 7 * 24 * time.Hour

// EventWelcome is the contact timeline kind of a welcome link used.
const EventWelcome = "account.welcome"

// Welcome is what a live welcome link opens.
type Welcome struct {
	ContactID  int64
	Email      string
	Name       string
	HasAccount bool  // the payer has an account: the link signs them in
	OfferID    int64 // the offer bought, whose registration fields a new account is asked for (0: none)
	fields     map[string]string
}

// WelcomeInput is what a payer without an account types on the first visit.
type WelcomeInput struct {
	Password  string
	Name      string
	Questions []Question
	Answers   map[string]string
}

// WelcomeLinkTx makes a single-use sign-in link, valid for WelcomeTTL, for contact contactID who paid for offerID
// without signing in, inside the caller's transaction (the payment's). Used, it signs an existing account in or
// creates the account with a password and the offer's registration fields.
func (s *Service) WelcomeLinkTx(ctx context.Context, tx pgx.Tx, contactID, offerID int64) (string, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	token := base64.RawURLEncoding.EncodeToString(raw)
	now := s.now()
	p := accountq.WelcomeCreateParams{TokenHash: tokenHash(token), ContactID: contactID, CreatedAt: now,
		ExpiresAt: now.Add(WelcomeTTL)}
	if offerID > 0 {
		p.OfferID = &offerID
	}
	if err := accountq.New(tx).WelcomeCreate(ctx, p); err != nil {
		return "", fmt.Errorf("welcome link: %w", err)
	}
	return strings.TrimSuffix(s.baseURL, "/") + WelcomePath + token, nil
}

// WelcomeLinksTx is WelcomeLinkTx for many contacts (an import's welcome e-mails) in one statement: a link each, in
// contactIDs's order.
func (s *Service) WelcomeLinksTx(ctx context.Context, tx pgx.Tx, contactIDs []int64, offerID int64) ([]string, error) {
	if len(contactIDs) == 0 {
		return nil, nil
	}
	now := s.now()
	p := accountq.WelcomeCreateManyParams{TokenHashes: make([][]byte, len(contactIDs)), ContactIds: contactIDs,
		CreatedAt: now, ExpiresAt: now.Add(WelcomeTTL)}
	if offerID > 0 {
		p.OfferID = &offerID
	}
	links := make([]string, len(contactIDs))
	base := strings.TrimSuffix(s.baseURL, "/") + WelcomePath
	raw := make([]byte, 32)
	for i := range contactIDs {
		if _, err := rand.Read(raw); err != nil {
			return nil, err
		}
		token := base64.RawURLEncoding.EncodeToString(raw)
		p.TokenHashes[i], links[i] = tokenHash(token), base+token
	}
	if err := accountq.New(tx).WelcomeCreateMany(ctx, p); err != nil {
		return nil, fmt.Errorf("%d welcome links: %w", len(contactIDs), err)
	}
	return links, nil
}

// CheckWelcome reads the live welcome link token: ErrResetInvalid when it is unknown, used, expired or of another
// purpose (a password-reset link).
func (s *Service) CheckWelcome(ctx context.Context, token string) (Welcome, error) {
	if token == "" || len(token) > maxToken {
		return Welcome{}, ErrResetInvalid
	}
	r, err := accountq.New(s.db).WelcomeValid(ctx, accountq.WelcomeValidParams{TokenHash: tokenHash(token), Now: s.now()})
	if errors.Is(err, pgx.ErrNoRows) {
		return Welcome{}, ErrResetInvalid
	}
	if err != nil {
		return Welcome{}, err
	}
	c, err := s.contacts.Contact(ctx, r.ContactID)
	if err != nil {
		return Welcome{}, err
	}
	return Welcome{ContactID: c.ID, Email: c.Email, Name: c.Name, HasAccount: r.HasAccount, OfferID: r.OfferID,
		fields: c.CustomFields}, nil
}

// UseWelcome spends the welcome link token and returns the account to sign in. A payer with an account is simply
// signed in; one without gets the account, with in's password, and the name and answers fill in the contact's blank
// name and fields (what the school knows is never overwritten). Nothing is spent when any field is bad; of two
// concurrent uses one wins, the other is ErrResetInvalid. ip is the client's address: everything is recorded under
// the link (ActorWelcomeLink), with the contact and ip in the audit details, not as the student.
func (s *Service) UseWelcome(ctx context.Context, token, ip string, in WelcomeInput) (Account, error) {
	w, err := s.CheckWelcome(ctx, token)
	if err != nil {
		return Account{}, err
	}
	ctx = linkActor(ctx, ActorWelcomeLink)
	var hash string
	var patch crm.Patch
	if !w.HasAccount {
		if patch, err = welcomePatch(w, in); err != nil {
			return Account{}, err
		}
		if hash, err = password.Hash(in.Password); err != nil {
			return Account{}, err
		}
	}
	now := s.now()
	err = pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		q := accountq.New(tx)
		id, err := q.ResetUse(ctx, accountq.ResetUseParams{TokenHash: tokenHash(token), Purpose: PurposeWelcome, Now: &now})
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrResetInvalid
		}
		if err != nil {
			return err
		}
		msg := "Signed in with the link e-mailed after a payment"
		created := false
		if hash != "" {
			n, err := q.AccountCreate(ctx, accountq.AccountCreateParams{ContactID: id, PasswordHash: hash})
			if err != nil {
				return err
			}
			if n == 1 {
				msg, created = "Student account created with the link e-mailed after a payment", true
				if err := s.audit.RecordTx(ctx, tx, "account.create", "contact", id, linkDetails(id, ip,
					map[string]any{"email": w.Email, "source": "welcome_link"})); err != nil {
					return err
				}
			}
		}
		if err := s.audit.RecordTx(ctx, tx, "account.welcome_sign_in", "contact", id, linkDetails(id, ip,
			map[string]any{"created": created})); err != nil {
			return err
		}
		if err := q.AccountTouchSignIn(ctx, accountq.AccountTouchSignInParams{ContactID: id, LastSignInAt: &now}); err != nil {
			return err
		}
		return s.contacts.AddEventTx(ctx, tx, id, EventWelcome, msg)
	})
	if err != nil {
		return Account{}, err
	}
	if patch.Name != nil || patch.CustomFields != nil {
		if _, err := s.contacts.Update(ctx, w.ContactID, patch); err != nil {
			return Account{}, fmt.Errorf("contact %d after welcome: %w", w.ContactID, err)
		}
	}
	return s.Get(ctx, w.ContactID)
}

// welcomePatch checks a first visit's input and returns what it fills in on the contact.
func welcomePatch(w Welcome, in WelcomeInput) (crm.Patch, error) {
	su := SignUp{Email: w.Email, Password: in.Password, Name: in.Name, Questions: in.Questions,
		Answers: in.Answers}.normalize()
	if err := su.Validate(); err != nil {
		return crm.Patch{}, err
	}
	var p crm.Patch
	if strings.TrimSpace(w.Name) == "" {
		p.Name = &su.Name
	}
	c := maps.Clone(w.fields)
	if c == nil {
		c = map[string]string{}
	}
	added := false
	for k, v := range su.Answers {
		if strings.TrimSpace(c[k]) == "" {
			c[k], added = v, true
		}
	}
	if added {
		p.CustomFields = &c
	}
	return p, nil
}
