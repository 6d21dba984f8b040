package server

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"

	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/staff"
	"github.com/bursar/bursar/templates/admin"
)

func auditRows(entries []audit.Entry) []admin.AuditRow {
	rows := make([]admin.AuditRow, 0, len(entries))
	for _, e := range entries {
		d, _ := json.Marshal(e.Details)
		actor := e.Actor.Label
		if e.Actor.Type != audit.ActorAdmin {
			actor = e.Actor.Type + ": " + e.Actor.Label
		}
		rows = append(rows, admin.AuditRow{At: e.At.UTC().Format(timeFormat), Actor: actor, Action: e.Action,
			Entity: e.Entity + " " + e.EntityID, Details: string(d)})
	}
	return rows
}

func (s *Server) adminDashboard(w http.ResponseWriter, r *http.Request) {
	entries, err := s.audit.List(r.Context(), audit.Filter{Limit: 15})
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	page := s.adminPage(r, "Dashboard", "dashboard")
	counts, err := s.dashboardCounts(r, page.OpenExceptions)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, admin.DashboardPage(admin.Dashboard{Page: page, Counts: counts,
		Recent: auditRows(entries)}))
}

func (s *Server) adminAudit(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	before, _ := strconv.ParseInt(q.Get("before"), 10, 64)
	const limit = 100
	entries, err := s.audit.List(r.Context(), audit.Filter{Entity: q.Get("entity"), EntityID: q.Get("entity_id"), BeforeID: before, Limit: limit})
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	v := admin.Audit{Page: s.adminPage(r, "Audit log", "audit"), Rows: auditRows(entries)}
	if len(entries) == limit {
		next := url.Values{"before": {itoa(entries[len(entries)-1].ID)}}
		if e := q.Get("entity"); e != "" {
			next.Set("entity", e)
			next.Set("entity_id", q.Get("entity_id"))
		}
		v.NextURL = "/admin/audit?" + next.Encode()
	}
	s.render(w, r, http.StatusOK, admin.AuditPage(v))
}

func (s *Server) staffView(r *http.Request) (admin.Staff, error) {
	users, err := s.staff.Users(r.Context())
	if err != nil {
		return admin.Staff{}, err
	}
	me := adminFrom(r.Context())
	v := admin.Staff{Page: s.adminPage(r, "Staff", "staff")}
	for _, u := range users {
		v.Users = append(v.Users, admin.StaffRow{ID: u.ID, Email: u.Email, Name: u.Name, Role: u.Role, Disabled: u.DisabledAt != nil, Self: u.ID == me.ID})
	}
	return v, nil
}

func (s *Server) adminStaff(w http.ResponseWriter, r *http.Request) {
	v, err := s.staffView(r)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, admin.StaffPage(v))
}

func (s *Server) adminStaffCreate(w http.ResponseWriter, r *http.Request) {
	n := staff.NewUser{Email: r.PostFormValue("email"), Name: r.PostFormValue("name"), Role: r.PostFormValue("role"), Password: r.PostFormValue("password")}
	_, err := s.staff.CreateUser(r.Context(), n)
	if e, ok := check.AsErrors(err); ok {
		v, verr := s.staffView(r)
		if verr != nil {
			s.serverError(w, r, verr)
			return
		}
		v.Form = admin.NewStaff{Email: n.Email, Name: n.Name, Role: n.Role}
		v.Errors = e
		s.render(w, r, http.StatusUnprocessableEntity, admin.StaffPage(v))
		return
	}
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	s.flash(r, "Staff member "+n.Email+" added.")
	http.Redirect(w, r, "/admin/staff", http.StatusSeeOther)
}

func (s *Server) adminStaffDisable(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	disabled := r.PostFormValue("disabled") != "false"
	if id == adminFrom(r.Context()).ID {
		s.flash(r, "You cannot disable yourself.")
		http.Redirect(w, r, "/admin/staff", http.StatusSeeOther)
		return
	}
	switch err := s.staff.SetDisabled(r.Context(), id, disabled); {
	case err == staff.ErrLastOwner:
		s.flash(r, "The last owner cannot be disabled.")
	case err != nil:
		s.htmlError(w, r, err)
		return
	case disabled:
		s.flash(r, "Staff member disabled.")
	default:
		s.flash(r, "Staff member enabled.")
	}
	http.Redirect(w, r, "/admin/staff", http.StatusSeeOther)
}

func (s *Server) adminStaffRole(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	role := r.PostFormValue("role")
	switch err := s.staff.SetRole(r.Context(), id, role); {
	case err == staff.ErrLastOwner:
		s.flash(r, "The last owner cannot be made a manager.")
	case err != nil:
		if _, ok := check.AsErrors(err); ok {
			s.flash(r, "Choose owner or manager.")
			break
		}
		s.htmlError(w, r, err)
		return
	default:
		s.flash(r, "Role changed to "+role+".")
	}
	http.Redirect(w, r, "/admin/staff", http.StatusSeeOther)
}
