package server

import (
	"net/http"

	"github.com/bursar/bursar/templates/admin"
)

// home sends visitors of the bare domain to the admin until the public store exists.
func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, "/admin", http.StatusSeeOther)
}

// dashboardCounts are the figures on the admin home; modules add theirs here.
func (s *Server) dashboardCounts(r *http.Request) ([]admin.Count, error) {
	return nil, nil
}
