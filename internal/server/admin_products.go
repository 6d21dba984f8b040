package server

import "net/http"

func (s *Server) adminProducts(w http.ResponseWriter, r *http.Request) { s.notImplemented(w, r) }

func (s *Server) adminProductNew(w http.ResponseWriter, r *http.Request) { s.notImplemented(w, r) }

func (s *Server) adminProductCreate(w http.ResponseWriter, r *http.Request) { s.notImplemented(w, r) }

func (s *Server) adminProductEdit(w http.ResponseWriter, r *http.Request) { s.notImplemented(w, r) }

func (s *Server) adminProductUpdate(w http.ResponseWriter, r *http.Request) { s.notImplemented(w, r) }

func (s *Server) adminProductArchive(w http.ResponseWriter, r *http.Request) { s.notImplemented(w, r) }
