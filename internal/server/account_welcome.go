package server

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/bursar/bursar/internal/account"
	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/offer"
	"github.com/bursar/bursar/templates/public"
)

// welcomeView is the first-visit page of the welcome link token: in the bought offer's language, with its
// registration fields for a payer without an account.
func (s *Server) welcomeView(r *http.Request, token string) (public.Welcome, offer.Offer, error) {
	v := public.Welcome{Lang: pageLang(r, "en"), Action: account.WelcomePath + url.PathEscape(token)}
	w, err := s.accounts.CheckWelcome(r.Context(), token)
	if errors.Is(err, account.ErrResetInvalid) {
		v.Invalid, v.LoginURL = true, loginURL(v.Lang, "/account", "")
		return v, offer.Offer{}, nil
	}
	if err != nil {
		return v, offer.Offer{}, err
	}
	v.Email, v.HasAccount, v.Name = w.Email, w.HasAccount, w.Name
	var of offer.Offer
	if w.OfferID > 0 {
		if of, err = s.offers.Offer(r.Context(), w.OfferID); err != nil && !errors.Is(err, check.ErrNotFound) {
			return v, of, err
		}
		if r.URL.Query().Get("lang") == "" && r.PostFormValue("lang") == "" && of.Language != "" {
			v.Lang = of.Language
		}
	}
	if offer.Enrolled(of.Kind) {
		// The enrollment form asked them, of the payer, who may be someone else: the learner is not asked again.
		of.RegistrationFields = nil
	}
	if !w.HasAccount {
		for _, f := range of.RegistrationFields {
			v.Questions = append(v.Questions, public.Question{Name: account.AnswerField(f.Key), Label: f.Label,
				Type: f.Type, Required: f.Required, Options: f.Options})
		}
	}
	v.LoginURL = loginURL(v.Lang, "/account", w.Email)
	return v, of, nil
}

// accountWelcomeForm is GET /account/welcome/{token}: the sign-in link e-mailed after paying without signing in.
// It never spends the link (mail scanners follow links): a new payer gets the password and registration form, an
// existing account a button that signs in; a used or expired link says so (410).
func (s *Server) accountWelcomeForm(w http.ResponseWriter, r *http.Request) {
	v, _, err := s.welcomeView(r, chiURLParam(r, "token"))
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	w.Header().Set("Referrer-Policy", "no-referrer") // keep the token out of other sites' logs
	w.Header().Set("Cache-Control", "no-store")
	status := http.StatusOK
	if v.Invalid {
		status = http.StatusGone
	}
	s.render(w, r, status, public.WelcomePage(v))
}

// accountWelcome is POST /account/welcome/{token}: spends the link, creates the account (a password and the
// registration fields) or signs the existing one in, and opens the cabinet.
func (s *Server) accountWelcome(w http.ResponseWriter, r *http.Request) {
	lang := pageLang(r, "en")
	if !s.allowPost(w, r, "welcome", lang) {
		return
	}
	token := chiURLParam(r, "token")
	v, of, err := s.welcomeView(r, token)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if v.Invalid {
		s.render(w, r, http.StatusGone, public.WelcomePage(v))
		return
	}
	in := account.WelcomeInput{Password: r.PostFormValue("password"), Name: r.PostFormValue("name"),
		Answers: map[string]string{}}
	for _, f := range of.RegistrationFields {
		in.Questions = append(in.Questions, account.Question{Key: f.Key, Label: f.Label, Type: f.Type,
			Required: f.Required, Options: f.Options})
		in.Answers[f.Key] = r.PostFormValue(account.AnswerField(f.Key))
	}
	a, err := s.accounts.UseWelcome(r.Context(), token, clientIP(r), in)
	if e, ok := check.AsErrors(err); ok {
		v.Errors = fieldMessages(v.Lang, e)
		v.Name = in.Name
		for i := range v.Questions {
			v.Questions[i].Value = r.PostFormValue(v.Questions[i].Name)
		}
		s.render(w, r, http.StatusUnprocessableEntity, public.WelcomePage(v))
		return
	}
	if errors.Is(err, account.ErrResetInvalid) {
		v.Invalid = true
		s.render(w, r, http.StatusGone, public.WelcomePage(v))
		return
	}
	if err == nil {
		err = s.signInStudent(r, a.ContactID)
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, "/account?lang="+url.QueryEscape(v.Lang), http.StatusSeeOther)
}
