package server

import (
	"net/http"
	"time"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/staff"
	"github.com/bursar/bursar/templates/admin"
)

// apiKeysView lists the keys with their scopes, expiry and last use, and offers a new-key form filled with form.
func (s *Server) apiKeysView(r *http.Request, form admin.NewAPIKey) (admin.APIKeys, error) {
	keys, err := s.staff.APIKeys(r.Context())
	if err != nil {
		return admin.APIKeys{}, err
	}
	v := admin.APIKeys{Page: s.adminPage(r, "API keys", "api-keys"), Form: form}
	for _, g := range staff.APIGroups() {
		v.Groups = append(v.Groups, admin.APIKeyGroup{Name: g.Name, Label: g.Label, Covers: g.Covers})
	}
	now := time.Now()
	for _, k := range keys {
		row := admin.APIKeyRow{ID: k.ID, Name: k.Name, Prefix: k.Prefix, Scopes: k.Scopes.String(), Expires: "never",
			Expired: k.Expired(now), Created: k.CreatedAt.UTC().Format(timeFormat), Revoked: k.RevokedAt != nil, LastUsed: "never"}
		if k.ExpiresAt != nil {
			row.Expires = k.ExpiresAt.UTC().Format(timeFormat) + " UTC"
		}
		if k.LastUsedAt != nil {
			row.LastUsed = k.LastUsedAt.UTC().Format(timeFormat)
		}
		v.Keys = append(v.Keys, row)
	}
	return v, nil
}

func (s *Server) adminAPIKeys(w http.ResponseWriter, r *http.Request) {
	// A new key starts as full access, as keys were before scopes existed; the owner narrows it.
	v, err := s.apiKeysView(r, admin.NewAPIKey{Full: true})
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, admin.APIKeysPage(v))
}

// apiKeyForm reads the new-key form: "full" for full access, "scope_<group>" = none, read or write per group.
func apiKeyForm(r *http.Request) (admin.NewAPIKey, []string) {
	f := admin.NewAPIKey{Name: r.PostFormValue("name"), Full: r.PostFormValue("full") == "on",
		Expires: r.PostFormValue("expires"), Levels: map[string]string{}}
	var scopes []string
	if f.Full {
		scopes = append(scopes, staff.ScopeFull)
	}
	for _, g := range staff.APIGroups() {
		// An unknown level is passed on as a scope, for the service to refuse with a field message.
		if l := r.PostFormValue("scope_" + g.Name); l != "" && l != "none" {
			f.Levels[g.Name] = l
			scopes = append(scopes, staff.Scope(g.Name, l))
		}
	}
	return f, scopes
}

func (s *Server) adminAPIKeyCreate(w http.ResponseWriter, r *http.Request) {
	form, scopes := apiKeyForm(r)
	_, key, err := s.staff.CreateAPIKey(r.Context(), staff.NewAPIKey{Name: form.Name, Scopes: scopes,
		Expires: form.Expires, CreatedBy: adminFrom(r.Context()).ID})
	e, invalid := check.AsErrors(err)
	if err != nil && !invalid {
		s.htmlError(w, r, err)
		return
	}
	if !invalid {
		form = admin.NewAPIKey{Full: true}
	}
	v, verr := s.apiKeysView(r, form)
	if verr != nil {
		s.serverError(w, r, verr)
		return
	}
	if invalid {
		v.Errors = e
		s.render(w, r, http.StatusUnprocessableEntity, admin.APIKeysPage(v))
		return
	}
	// The key is shown in this response only; it is never stored in clear.
	v.NewKey = key
	s.render(w, r, http.StatusOK, admin.APIKeysPage(v))
}

func (s *Server) adminAPIKeyRevoke(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err == nil {
		err = s.staff.RevokeAPIKey(r.Context(), id)
	}
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	s.flash(r, "API key revoked.")
	http.Redirect(w, r, "/admin/api-keys", http.StatusSeeOther)
}
