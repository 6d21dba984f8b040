package server

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"

	"github.com/bursar/bursar/internal/idempotency"
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
	token := r.PostFormValue("form_token")
	if token == "" || len(token) > 64 {
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
		http.Error(w, "This form is already being submitted. Wait a moment and reload the page.", http.StatusConflict)
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
