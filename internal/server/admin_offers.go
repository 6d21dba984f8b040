package server

import "net/http"

func (s *Server) adminOffers(w http.ResponseWriter, r *http.Request) { s.notImplemented(w, r) }

func (s *Server) adminOfferNew(w http.ResponseWriter, r *http.Request) { s.notImplemented(w, r) }

func (s *Server) adminOfferCreate(w http.ResponseWriter, r *http.Request) { s.notImplemented(w, r) }

func (s *Server) adminOfferEdit(w http.ResponseWriter, r *http.Request) { s.notImplemented(w, r) }

func (s *Server) adminOfferUpdate(w http.ResponseWriter, r *http.Request) { s.notImplemented(w, r) }

func (s *Server) adminOfferStatus(w http.ResponseWriter, r *http.Request) { s.notImplemented(w, r) }
