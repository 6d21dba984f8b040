package server

import (
	"net/http"

	"github.com/bursar/bursar/templates/admin"
)

// home sends visitors of the bare domain to the admin until the public store exists.
func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, "/admin", http.StatusSeeOther)
}

// dashboardCounts are the figures on the admin home; modules add theirs here. openExceptions is the count the
// page's menu already read.
func (s *Server) dashboardCounts(r *http.Request, openExceptions int64) ([]admin.Count, error) {
	oc, err := s.orders.Counts(r.Context())
	if err != nil {
		return nil, err
	}
	return []admin.Count{
		{Label: "open orders", Value: oc.Open, Href: "/admin/orders?status=open"},
		{Label: "orders completed in the last 7 days", Value: oc.CompletedWeek, Href: "/admin/orders?status=completed"},
		{Label: "open payment exceptions", Value: openExceptions, Href: "/admin/exceptions"},
	}, nil
}
