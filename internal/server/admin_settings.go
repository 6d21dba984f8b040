package server

import "net/http"

func (s *Server) adminSettings(w http.ResponseWriter, r *http.Request) { s.notImplemented(w, r) }

func (s *Server) adminSettingsUpdate(w http.ResponseWriter, r *http.Request) { s.notImplemented(w, r) }

func (s *Server) adminRateSave(w http.ResponseWriter, r *http.Request) { s.notImplemented(w, r) }

func (s *Server) adminRateDelete(w http.ResponseWriter, r *http.Request) { s.notImplemented(w, r) }
