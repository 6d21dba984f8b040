package server

import "net/http"

func (s *Server) adminPaymentSystems(w http.ResponseWriter, r *http.Request) { s.notImplemented(w, r) }

func (s *Server) adminPaymentSystemNew(w http.ResponseWriter, r *http.Request) {
	s.notImplemented(w, r)
}

func (s *Server) adminPaymentSystemCreate(w http.ResponseWriter, r *http.Request) {
	s.notImplemented(w, r)
}

func (s *Server) adminPaymentSystemEdit(w http.ResponseWriter, r *http.Request) {
	s.notImplemented(w, r)
}

func (s *Server) adminPaymentSystemUpdate(w http.ResponseWriter, r *http.Request) {
	s.notImplemented(w, r)
}

func (s *Server) adminPaymentSystemEnabled(w http.ResponseWriter, r *http.Request) {
	s.notImplemented(w, r)
}
