package server

import "net/http"

func (s *Server) accountSignupForm(w http.ResponseWriter, r *http.Request) { s.notImplemented(w, r) }

func (s *Server) accountSignup(w http.ResponseWriter, r *http.Request) { s.notImplemented(w, r) }

func (s *Server) accountLoginForm(w http.ResponseWriter, r *http.Request) { s.notImplemented(w, r) }

func (s *Server) accountLogin(w http.ResponseWriter, r *http.Request) { s.notImplemented(w, r) }

func (s *Server) accountLogout(w http.ResponseWriter, r *http.Request) { s.notImplemented(w, r) }

func (s *Server) accountResetForm(w http.ResponseWriter, r *http.Request) { s.notImplemented(w, r) }

func (s *Server) accountResetRequest(w http.ResponseWriter, r *http.Request) { s.notImplemented(w, r) }

func (s *Server) accountResetTokenForm(w http.ResponseWriter, r *http.Request) {
	s.notImplemented(w, r)
}

func (s *Server) accountResetToken(w http.ResponseWriter, r *http.Request) { s.notImplemented(w, r) }

func (s *Server) accountCabinet(w http.ResponseWriter, r *http.Request) { s.notImplemented(w, r) }

func (s *Server) accountOrder(w http.ResponseWriter, r *http.Request) { s.notImplemented(w, r) }
