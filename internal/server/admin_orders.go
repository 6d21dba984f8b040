package server

import "net/http"

func (s *Server) adminOrders(w http.ResponseWriter, r *http.Request) { s.notImplemented(w, r) }

func (s *Server) adminOrderNew(w http.ResponseWriter, r *http.Request) { s.notImplemented(w, r) }

func (s *Server) adminOrderCreate(w http.ResponseWriter, r *http.Request) { s.notImplemented(w, r) }

func (s *Server) adminOrder(w http.ResponseWriter, r *http.Request) { s.notImplemented(w, r) }

func (s *Server) adminOrderApprove(w http.ResponseWriter, r *http.Request) { s.notImplemented(w, r) }

func (s *Server) adminOrderReject(w http.ResponseWriter, r *http.Request) { s.notImplemented(w, r) }

func (s *Server) adminOrderRefund(w http.ResponseWriter, r *http.Request) { s.notImplemented(w, r) }
