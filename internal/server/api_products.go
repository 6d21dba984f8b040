package server

import "net/http"

func (s *Server) apiProducts(w http.ResponseWriter, r *http.Request) { s.notImplemented(w, r) }

func (s *Server) apiProductCreate(w http.ResponseWriter, r *http.Request) { s.notImplemented(w, r) }

func (s *Server) apiProduct(w http.ResponseWriter, r *http.Request) { s.notImplemented(w, r) }

func (s *Server) apiProductUpdate(w http.ResponseWriter, r *http.Request) { s.notImplemented(w, r) }

func (s *Server) apiProductArchive(w http.ResponseWriter, r *http.Request) { s.notImplemented(w, r) }
