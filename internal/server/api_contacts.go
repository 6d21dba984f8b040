package server

import "net/http"

func (s *Server) apiContacts(w http.ResponseWriter, r *http.Request) { s.notImplemented(w, r) }

func (s *Server) apiContactCreate(w http.ResponseWriter, r *http.Request) { s.notImplemented(w, r) }

func (s *Server) apiContact(w http.ResponseWriter, r *http.Request) { s.notImplemented(w, r) }

func (s *Server) apiContactUpdate(w http.ResponseWriter, r *http.Request) { s.notImplemented(w, r) }

func (s *Server) apiContactDelete(w http.ResponseWriter, r *http.Request) { s.notImplemented(w, r) }

func (s *Server) apiContactAccess(w http.ResponseWriter, r *http.Request) { s.notImplemented(w, r) }
