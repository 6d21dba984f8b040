package server

import "net/http"

func (s *Server) adminAccessGrant(w http.ResponseWriter, r *http.Request) { s.notImplemented(w, r) }

func (s *Server) adminAccessRevoke(w http.ResponseWriter, r *http.Request) { s.notImplemented(w, r) }

func (s *Server) adminAccessTransfer(w http.ResponseWriter, r *http.Request) { s.notImplemented(w, r) }
