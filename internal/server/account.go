package server

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/bursar/bursar/internal/account"
	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/i18n"
	"github.com/bursar/bursar/internal/offer"
	"github.com/bursar/bursar/templates/public"
)

// sessionStudentID is the signed-in student's contact id. Admins use sessionAdminID: neither grants the other.
const sessionStudentID = "student_contact_id"

// pageLang is the language asked for with ?lang= or a form's lang field, when Bursar has it; else fallback.
func pageLang(r *http.Request, fallback string) string {
	if l := r.FormValue("lang"); slices.Contains(i18n.Languages, l) {
		return l
	}
	if slices.Contains(i18n.Languages, fallback) {
		return fallback
	}
	return "en"
}

// safeStudentNext keeps redirects after sign-in on Bursar's own student pages.
func safeStudentNext(next string) string {
	if (strings.HasPrefix(next, "/account") || strings.HasPrefix(next, "/o/")) &&
		!strings.HasPrefix(next, "//") && !strings.ContainsAny(next, "\\\r\n") {
		return next
	}
	return "/account"
}

// student returns the signed-in student; ok is false when there is none (or the account is gone).
func (s *Server) student(r *http.Request) (a account.Account, ok bool, err error) {
	id := s.sessions.GetInt64(r.Context(), sessionStudentID)
	if id == 0 {
		return account.Account{}, false, nil
	}
	a, err = s.accounts.Get(r.Context(), id)
	if errors.Is(err, check.ErrNotFound) || (err == nil &&
		s.sessions.GetInt64(r.Context(), sessionStudentEpoch) != a.PasswordChangedAt.UnixNano()) {
		s.signOutStudent(r)
		return account.Account{}, false, nil
	}
	return a, err == nil, err
}

// signOutStudent forgets the session's student: the account is gone, or its password changed since this session
// signed in.
func (s *Server) signOutStudent(r *http.Request) {
	s.sessions.Remove(r.Context(), sessionStudentID)
	s.sessions.Remove(r.Context(), sessionStudentEpoch)
	s.sessions.Remove(r.Context(), sessionStudentEmail)
}

// sessionStudentEmail holds the student's e-mail as it was at sign-in, for the checkout (payer).
const sessionStudentEmail = "student_email"

// payer is the signed-in student of a checkout post, with one read: the account's password date, checked as
// student checks it, and the e-mail the session kept from sign-in, which serves only as the audit actor's label
// and on a form shown again. The order reads the contact's current e-mail in its own transaction for everything
// it writes or sends (order.OpenManual, OpenGateway). A session from before the e-mail was kept reads the account
// as student does.
func (s *Server) payer(r *http.Request) (a account.Account, ok bool, err error) {
	ctx := r.Context()
	id, email := s.sessions.GetInt64(ctx, sessionStudentID), s.sessions.GetString(ctx, sessionStudentEmail)
	if id == 0 || email == "" {
		return s.student(r)
	}
	changed, err := s.accounts.PasswordChangedAt(ctx, id)
	if errors.Is(err, check.ErrNotFound) || (err == nil && s.sessions.GetInt64(ctx, sessionStudentEpoch) != changed.UnixNano()) {
		s.signOutStudent(r)
		return account.Account{}, false, nil
	}
	if err != nil {
		return account.Account{}, false, err
	}
	return account.Account{ContactID: id, Email: email, PasswordChangedAt: changed}, true, nil
}

// sessionStudentEpoch holds the account's PasswordChangedAt (Unix nanoseconds) the session signed in under.
const sessionStudentEpoch = "student_epoch"

// studentActor makes the student the audit actor (the audit log knows admins, API keys, the CLI and the system:
// a student's own changes are the system's, labelled with the student).
func studentActor(ctx context.Context, email string) context.Context {
	return audit.WithActor(ctx, audit.Actor{Type: audit.ActorSystem, Label: "student " + email})
}

// signInStudent starts a student session on a fresh token.
func (s *Server) signInStudent(r *http.Request, contactID int64) error {
	a, err := s.accounts.Get(r.Context(), contactID)
	if err != nil {
		return err
	}
	if err := s.sessions.RenewToken(r.Context()); err != nil {
		return err
	}
	s.sessions.Put(r.Context(), sessionStudentID, contactID)
	s.sessions.Put(r.Context(), sessionStudentEpoch, a.PasswordChangedAt.UnixNano())
	s.sessions.Put(r.Context(), sessionStudentEmail, a.Email)
	return nil
}

// allowPost applies the per-address limit of form; over it, it answers 429 and returns false.
func (s *Server) allowPost(w http.ResponseWriter, r *http.Request, form, lang string) bool {
	ok, err := s.rateLimiter.Allow(r.Context(), form, clientIP(r), s.postLimits[form])
	if err != nil {
		s.serverError(w, r, err)
		return false
	}
	if !ok {
		w.Header().Set("Retry-After", "600")
		s.render(w, r, http.StatusTooManyRequests, public.MessagePage(public.Message{Lang: lang,
			Title: i18n.T(lang, i18n.TooManyTitle), Body: i18n.T(lang, i18n.TooManyBody), TestID: "too-many"}))
	}
	return ok
}

// fieldMessages translates the service's field errors for a public form; unknown messages stay as they are.
func fieldMessages(lang string, e check.Errors) map[string]string {
	out := make(map[string]string, len(e))
	for f, msg := range e {
		out[f] = fieldMessage(lang, f, msg)
	}
	return out
}

func fieldMessage(lang, field, msg string) string {
	switch {
	case msg == account.MsgAccountExists:
		return i18n.T(lang, i18n.ErrAccountExists)
	case msg == "is required":
		return i18n.T(lang, i18n.ErrRequired)
	case field == "password":
		return i18n.T(lang, i18n.ErrPasswordShort)
	case strings.HasPrefix(msg, "must be at most"):
		return i18n.T(lang, i18n.ErrTooLong)
	case strings.Contains(msg, "e-mail"):
		return i18n.T(lang, i18n.ErrEmail)
	case strings.Contains(msg, "phone"):
		return i18n.T(lang, i18n.ErrPhone)
	case strings.Contains(msg, "choices"):
		return i18n.T(lang, i18n.ErrChoice)
	}
	return msg
}

// loginURL is the sign-in page that returns to next.
func loginURL(lang, next, email string) string {
	v := url.Values{"lang": {lang}, "next": {next}}
	if email != "" {
		v.Set("email", email)
	}
	return "/account/login?" + v.Encode()
}

// signUpView is the sign-up form, for the offer p when it is not nil.
func signUpView(lang, next string, p *offer.Page) public.SignUp {
	v := public.SignUp{Lang: lang, Next: next, FormToken: newFormToken(), LoginURL: loginURL(lang, next, "")}
	if p != nil {
		v.Offer = p.Slug
		v.Intro = i18n.F(lang, i18n.SignUpIntro, p.Title)
		for _, f := range p.RegistrationFields {
			v.Questions = append(v.Questions, public.Question{Name: account.AnswerField(f.Key), Label: f.Label,
				Type: f.Type, Required: f.Required, Options: f.Options})
		}
	}
	return v
}

// signUpOffer is the published offer a sign-up comes from, nil when none.
func (s *Server) signUpOffer(r *http.Request) (*offer.Page, error) {
	slug := r.FormValue("offer")
	if slug == "" {
		return nil, nil
	}
	p, err := s.published.PublishedPage(r.Context(), slug)
	if err != nil {
		return nil, err
	}
	return &p, nil
}

func (s *Server) accountSignupForm(w http.ResponseWriter, r *http.Request) {
	next := safeStudentNext(r.FormValue("next"))
	if _, ok, _ := s.student(r); ok {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	p, err := s.signUpOffer(r)
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	lang := "en"
	if p != nil {
		lang = p.Language
	}
	s.render(w, r, http.StatusOK, public.SignUpPage(signUpView(pageLang(r, lang), next, p)))
}

func (s *Server) accountSignup(w http.ResponseWriter, r *http.Request) {
	p, err := s.signUpOffer(r)
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	lang := pageLang(r, "en")
	if !s.allowPost(w, r, "signup", lang) {
		return
	}
	in := account.SignUp{Lang: lang, Email: r.PostFormValue("email"), Password: r.PostFormValue("password"),
		Name: r.PostFormValue("name"), Answers: map[string]string{}}
	v := signUpView(lang, safeStudentNext(r.PostFormValue("next")), p)
	v.Email, v.Name, v.FormToken = in.Email, in.Name, r.PostFormValue("form_token")
	if p != nil {
		for i, f := range p.RegistrationFields {
			in.Questions = append(in.Questions, account.Question{Key: f.Key, Label: f.Label, Type: f.Type, Required: f.Required, Options: f.Options})
			in.Answers[f.Key] = r.PostFormValue(account.AnswerField(f.Key))
			v.Questions[i].Value = in.Answers[f.Key]
		}
	}
	err = s.submitOnce(w, r, "", func() (string, error) {
		a, err := s.accounts.SignUp(studentActor(r.Context(), check.NormalizeEmail(in.Email)), in)
		if err != nil {
			return "", err
		}
		return v.Next, s.signInStudent(r, a.ContactID)
	})
	if errors.Is(err, account.ErrCheckEmail) {
		// The e-mail is a contact's without an account: only its inbox can claim it.
		s.render(w, r, http.StatusOK, public.ResetRequestPage(public.ResetRequest{Lang: lang, Claim: true}))
		return
	}
	if e, ok := check.AsErrors(err); ok {
		v.Errors = fieldMessages(lang, e)
		v.EmailExists = e["email"] == account.MsgAccountExists
		v.LoginURL = loginURL(lang, v.Next, check.NormalizeEmail(in.Email))
		s.render(w, r, http.StatusUnprocessableEntity, public.SignUpPage(v))
		return
	}
	if err != nil {
		s.htmlError(w, r, err)
	}
}

func (s *Server) loginView(r *http.Request, lang, next string) public.Login {
	v := public.Login{Lang: lang, Next: next, Email: r.FormValue("email"),
		SignUpURL: "/account/signup?" + url.Values{"lang": {lang}, "next": {next}}.Encode(),
		ResetURL:  "/account/reset?lang=" + lang}
	if path, ok := strings.CutPrefix(next, "/o/"); ok {
		slug, rest, _ := strings.Cut(path, "/")
		if p, err := s.published.PublishedPage(r.Context(), slug); err == nil {
			v.Intro = i18n.F(lang, i18n.SignInIntro, p.Title)
			if rest == "enroll" {
				v.Intro = i18n.F(lang, i18n.EnrollSignInIntro, p.Title)
			}
			v.SignUpURL = next // the checkout page is the offer's sign-up page
		}
	}
	return v
}

func (s *Server) accountLoginForm(w http.ResponseWriter, r *http.Request) {
	next := safeStudentNext(r.FormValue("next"))
	if _, ok, _ := s.student(r); ok {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	v := s.loginView(r, pageLang(r, "en"), next)
	v.Flash = s.sessions.PopString(r.Context(), sessionFlash)
	s.render(w, r, http.StatusOK, public.LoginPage(v))
}

func (s *Server) accountLogin(w http.ResponseWriter, r *http.Request) {
	lang := pageLang(r, "en")
	if !s.allowPost(w, r, "login", lang) {
		return
	}
	v := s.loginView(r, lang, safeStudentNext(r.PostFormValue("next")))
	a, err := s.accounts.SignIn(r.Context(), r.PostFormValue("email"), r.PostFormValue("password"), clientIP(r))
	var locked *account.LockedError
	switch {
	case errors.As(err, &locked):
		v.Error = i18n.F(lang, i18n.LockedOut, locked.Minutes())
		s.render(w, r, http.StatusTooManyRequests, public.LoginPage(v))
		return
	case errors.Is(err, account.ErrInvalidCredentials):
		v.Error = i18n.T(lang, i18n.WrongCredentials)
		s.render(w, r, http.StatusUnauthorized, public.LoginPage(v))
		return
	case err != nil:
		s.serverError(w, r, err)
		return
	}
	if err := s.signInStudent(r, a.ContactID); err != nil {
		s.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, v.Next, http.StatusSeeOther)
}

// accountLogout ends the student's session only: an admin signed in in the same browser stays signed in.
func (s *Server) accountLogout(w http.ResponseWriter, r *http.Request) {
	lang := pageLang(r, "en")
	s.signOutStudent(r)
	if err := s.sessions.RenewToken(r.Context()); err != nil {
		s.serverError(w, r, err)
		return
	}
	s.flash(r, i18n.T(lang, i18n.SignedOut))
	http.Redirect(w, r, "/account/login?lang="+lang, http.StatusSeeOther)
}

func (s *Server) accountResetForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, public.ResetRequestPage(public.ResetRequest{Lang: pageLang(r, "en")}))
}

// accountResetRequest answers the same whether or not the e-mail has an account.
func (s *Server) accountResetRequest(w http.ResponseWriter, r *http.Request) {
	lang := pageLang(r, "en")
	if !s.allowPost(w, r, "reset", lang) {
		return
	}
	v := public.ResetRequest{Lang: lang, Email: r.PostFormValue("email")}
	// Anyone can type a student's e-mail here: the request is the visitor's, not the student's.
	ctx := audit.WithActor(r.Context(), audit.Actor{Type: audit.ActorSystem, Label: "visitor " + clientIP(r)})
	err := s.accounts.RequestReset(ctx, v.Email, lang)
	if e, ok := check.AsErrors(err); ok {
		v.Error = fieldMessage(lang, "email", e["email"])
		s.render(w, r, http.StatusUnprocessableEntity, public.ResetRequestPage(v))
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	v.Sent = true
	s.render(w, r, http.StatusOK, public.ResetRequestPage(v))
}

func (s *Server) accountResetTokenForm(w http.ResponseWriter, r *http.Request) {
	token := chiURLParam(r, "token")
	v := public.ResetToken{Lang: pageLang(r, "en"), Action: account.ResetPath + url.PathEscape(token)}
	err := s.accounts.CheckReset(r.Context(), token)
	if errors.Is(err, account.ErrResetInvalid) {
		v.Invalid = true
		s.render(w, r, http.StatusGone, public.ResetTokenPage(v))
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	w.Header().Set("Referrer-Policy", "no-referrer") // keep the token out of other sites' logs
	s.render(w, r, http.StatusOK, public.ResetTokenPage(v))
}

func (s *Server) accountResetToken(w http.ResponseWriter, r *http.Request) {
	lang := pageLang(r, "en")
	if !s.allowPost(w, r, "reset", lang) {
		return
	}
	token := chiURLParam(r, "token")
	v := public.ResetToken{Lang: lang, Action: account.ResetPath + url.PathEscape(token)}
	a, err := s.accounts.ResetPassword(r.Context(), token, r.PostFormValue("password"), clientIP(r))
	if e, ok := check.AsErrors(err); ok {
		v.Error = fieldMessage(lang, "password", e["password"])
		s.render(w, r, http.StatusUnprocessableEntity, public.ResetTokenPage(v))
		return
	}
	if errors.Is(err, account.ErrResetInvalid) {
		v.Invalid = true
		s.render(w, r, http.StatusGone, public.ResetTokenPage(v))
		return
	}
	if err == nil {
		err = s.signInStudent(r, a.ContactID)
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.flash(r, i18n.T(lang, i18n.PasswordChanged))
	http.Redirect(w, r, "/account?lang="+lang, http.StatusSeeOther)
}

// requireStudent returns the signed-in student, or redirects to sign-in and returns ok false.
func (s *Server) requireStudent(w http.ResponseWriter, r *http.Request) (account.Account, bool) {
	a, ok, err := s.student(r)
	if err != nil {
		s.serverError(w, r, err)
		return a, false
	}
	if !ok {
		http.Redirect(w, r, loginURL(pageLang(r, "en"), r.URL.RequestURI(), ""), http.StatusSeeOther)
		return a, false
	}
	w.Header().Set("Cache-Control", "no-store")
	return a, true
}
