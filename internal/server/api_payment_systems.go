package server

import "net/http"

func (s *Server) apiPaymentSystems(w http.ResponseWriter, r *http.Request) { s.notImplemented(w, r) }

func (s *Server) apiPaymentSystemCreate(w http.ResponseWriter, r *http.Request) {
	s.notImplemented(w, r)
}

func (s *Server) apiPaymentSystem(w http.ResponseWriter, r *http.Request) { s.notImplemented(w, r) }

func (s *Server) apiPaymentSystemUpdate(w http.ResponseWriter, r *http.Request) {
	s.notImplemented(w, r)
}
