package server

import "net/http"

func (s *Server) apiOffers(w http.ResponseWriter, r *http.Request) { s.notImplemented(w, r) }

func (s *Server) apiOfferCreate(w http.ResponseWriter, r *http.Request) { s.notImplemented(w, r) }

func (s *Server) apiOffer(w http.ResponseWriter, r *http.Request) { s.notImplemented(w, r) }

func (s *Server) apiOfferUpdate(w http.ResponseWriter, r *http.Request) { s.notImplemented(w, r) }
