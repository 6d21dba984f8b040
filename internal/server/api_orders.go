package server

import "net/http"

func (s *Server) apiOrders(w http.ResponseWriter, r *http.Request) { s.notImplemented(w, r) }

func (s *Server) apiOrder(w http.ResponseWriter, r *http.Request) { s.notImplemented(w, r) }

func (s *Server) apiOrderApprove(w http.ResponseWriter, r *http.Request) { s.notImplemented(w, r) }

func (s *Server) apiOrderReject(w http.ResponseWriter, r *http.Request) { s.notImplemented(w, r) }

func (s *Server) apiOrderRefund(w http.ResponseWriter, r *http.Request) { s.notImplemented(w, r) }

func (s *Server) apiManualPaymentCreate(w http.ResponseWriter, r *http.Request) {
	s.notImplemented(w, r)
}
