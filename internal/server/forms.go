package server

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/idempotency"
	"github.com/bursar/bursar/internal/order"
)

// newFormToken is the one-time token a create form carries in its "form_token" field.
func newFormToken() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// submitOnce runs create at most once per form token, so a double-submitted form makes one record: the second
// submission is redirected to where the first led. create returns that URL; submitOnce redirects there (303) and
// sets flash. When create fails the token is freed for the corrected form and the error is returned for the
// caller to show.
func (s *Server) submitOnce(w http.ResponseWriter, r *http.Request, flash string, create func() (string, error)) error {
	token := formToken(r)
	if token == "" {
		url, err := create()
		if err != nil {
			return err
		}
		s.flash(r, flash)
		http.Redirect(w, r, url, http.StatusSeeOther)
		return nil
	}
	ctx := r.Context()
	prev, err := s.idem.ClaimForm(ctx, token)
	if errors.Is(err, idempotency.ErrFormInFlight) {
		http.Error(w, formInFlight, http.StatusConflict)
		return nil
	}
	if err != nil {
		return err
	}
	if prev != "" {
		http.Redirect(w, r, prev, http.StatusSeeOther)
		return nil
	}
	url, err := create()
	if err != nil {
		_ = s.idem.ReleaseForm(context.WithoutCancel(ctx), token)
		return err
	}
	if err := s.idem.FinishForm(context.WithoutCancel(ctx), token, url); err != nil {
		s.log.Error("finish form token", "err", err)
	}
	s.flash(r, flash)
	http.Redirect(w, r, url, http.StatusSeeOther)
	return nil
}

// claimInOrder is the double-submit guard of a checkout form, whose record (the order) is made in one transaction
// of the order module: the form's token is claimed inside it (order.NewManual.Claim, NewGateway.Claim), so a failed
// order leaves the token free for the corrected form and a second click waits for the first's transaction, then
// finds the token taken (answered by formTaken). result is where the submission leads, "" when it is known only
// after the transaction (then finished with idempotency.QueueFinishForm). Nil without a usable token.
func (s *Server) claimInOrder(r *http.Request, result func(order.Order) string) order.Claim {
	token := formToken(r)
	if token == "" {
		return nil
	}
	return func(ctx context.Context, tx pgx.Tx, o order.Order) error {
		return s.idem.ClaimFormTx(ctx, tx, token, result(o))
	}
}

// releaseForm frees the form's token after its order committed and what followed failed, for the form sent again.
func (s *Server) releaseForm(r *http.Request) {
	if token := formToken(r); token != "" {
		if err := s.idem.ReleaseForm(context.WithoutCancel(r.Context()), token); err != nil {
			s.log.Error("release form token", "err", err)
		}
	}
}

// formToken is the form's one-time token, "" when it has none fit to be one.
func formToken(r *http.Request) string {
	if t := r.PostFormValue("form_token"); len(t) <= 64 {
		return t
	}
	return ""
}

// formTaken answers a submission whose token an earlier one claimed (err from claimInOrder's hook): a redirect to
// where the earlier one led, or 409 while it is still in flight. It reports whether err was that.
func formTaken(w http.ResponseWriter, r *http.Request, err error) bool {
	var done *idempotency.FormDone
	if !errors.As(err, &done) {
		return false
	}
	if done.URL == "" {
		http.Error(w, formInFlight, http.StatusConflict)
		return true
	}
	http.Redirect(w, r, done.URL, http.StatusSeeOther)
	return true
}

// formInFlight is the answer to a second submission of a form whose first is still running.
const formInFlight = "This form is already being submitted. Wait a moment and reload the page."

const (
	sessionAdminID = "admin_user_id"
	sessionFlash   = "flash"
)

// flash keeps a one-time message for the next page.
func (s *Server) flash(r *http.Request, msg string) {
	if msg != "" {
		s.sessions.Put(r.Context(), sessionFlash, msg)
	}
}
