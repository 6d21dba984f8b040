package server

import "net/http"

func (s *Server) checkoutStart(w http.ResponseWriter, r *http.Request) { s.notImplemented(w, r) }

func (s *Server) checkoutSubmit(w http.ResponseWriter, r *http.Request) { s.notImplemented(w, r) }
