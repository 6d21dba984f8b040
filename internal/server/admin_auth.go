package server

import (
	"errors"
	"net/http"
	"strings"

	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/staff"
	"github.com/bursar/bursar/templates/admin"
	"github.com/bursar/bursar/templates/layout"
)

// adminPage is the shell's view model for the signed-in admin, with the pending flash message.
func (s *Server) adminPage(r *http.Request, title, section string) layout.Admin {
	u := adminFrom(r.Context())
	return layout.Admin{Title: title, Section: section, User: u.Email, IsOwner: u.IsOwner(),
		Flash: s.sessions.PopString(r.Context(), sessionFlash), OpenExceptions: s.openExceptions(r.Context())}
}

// safeNext keeps post-login redirects inside /admin.
func safeNext(next string) string {
	if strings.HasPrefix(next, "/admin") && !strings.HasPrefix(next, "//") && !strings.Contains(next, "\\") {
		return next
	}
	return "/admin"
}

func (s *Server) adminLoginForm(w http.ResponseWriter, r *http.Request) {
	if s.sessions.GetInt64(r.Context(), sessionAdminID) != 0 {
		http.Redirect(w, r, "/admin", http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, admin.LoginPage(admin.Login{Next: r.URL.Query().Get("next")}))
}

func (s *Server) adminLogin(w http.ResponseWriter, r *http.Request) {
	email, pw := r.PostFormValue("email"), r.PostFormValue("password")
	v := admin.Login{Email: email, Next: r.PostFormValue("next")}
	u, err := s.staff.SignIn(r.Context(), email, pw, clientIP(r))
	var locked *staff.LockedError
	switch {
	case errors.As(err, &locked):
		v.Error = "Too many failed sign-ins. For your security, sign-in is locked; try again in " + minutes(locked) + "."
		s.render(w, r, http.StatusTooManyRequests, admin.LoginPage(v))
		return
	case errors.Is(err, staff.ErrInvalidCredentials):
		v.Error = "Wrong e-mail or password."
		s.render(w, r, http.StatusUnauthorized, admin.LoginPage(v))
		return
	case err != nil:
		s.serverError(w, r, err)
		return
	}
	// A new session token on sign-in prevents session fixation.
	if err := s.sessions.RenewToken(r.Context()); err != nil {
		s.serverError(w, r, err)
		return
	}
	s.sessions.Put(r.Context(), sessionAdminID, u.ID)
	ctx := audit.WithActor(r.Context(), audit.Actor{Type: audit.ActorAdmin, ID: u.ID, Label: u.Email})
	s.staff.RecordSignIn(ctx, u)
	http.Redirect(w, r, safeNext(v.Next), http.StatusSeeOther)
}

func minutes(e *staff.LockedError) string {
	if m := e.Minutes(); m > 1 {
		return itoa(int64(m)) + " minutes"
	}
	return "1 minute"
}

func (s *Server) adminLogout(w http.ResponseWriter, r *http.Request) {
	_ = s.sessions.Destroy(r.Context())
	http.Redirect(w, r, "/admin/login", http.StatusSeeOther)
}
