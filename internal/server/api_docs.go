package server

import "net/http"

// apiDocs is GET /api/docs: the OpenAPI document as a page.
func (s *Server) apiDocs(w http.ResponseWriter, r *http.Request) {
	http.Error(w, "soon", http.StatusNotImplemented)
}
