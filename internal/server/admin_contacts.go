package server

import "net/http"

func (s *Server) adminContacts(w http.ResponseWriter, r *http.Request) { s.notImplemented(w, r) }

func (s *Server) adminContactNew(w http.ResponseWriter, r *http.Request) { s.notImplemented(w, r) }

func (s *Server) adminContactCreate(w http.ResponseWriter, r *http.Request) { s.notImplemented(w, r) }

func (s *Server) adminContactCard(w http.ResponseWriter, r *http.Request) { s.notImplemented(w, r) }

func (s *Server) adminContactUpdate(w http.ResponseWriter, r *http.Request) { s.notImplemented(w, r) }

func (s *Server) adminContactDelete(w http.ResponseWriter, r *http.Request) { s.notImplemented(w, r) }

func (s *Server) adminContactNote(w http.ResponseWriter, r *http.Request) { s.notImplemented(w, r) }
