package server

import "net/http"

func (s *Server) apiAccessGrant(w http.ResponseWriter, r *http.Request) { s.notImplemented(w, r) }

func (s *Server) apiAccess(w http.ResponseWriter, r *http.Request) { s.notImplemented(w, r) }

func (s *Server) apiAccessRevoke(w http.ResponseWriter, r *http.Request) { s.notImplemented(w, r) }

func (s *Server) apiAccessTransfer(w http.ResponseWriter, r *http.Request) { s.notImplemented(w, r) }
