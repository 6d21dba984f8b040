package server

import "net/http"

func (s *Server) publicOffer(w http.ResponseWriter, r *http.Request) { s.notImplemented(w, r) }
