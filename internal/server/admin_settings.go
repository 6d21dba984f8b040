package server

import (
	"net/http"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/fx"
	"github.com/bursar/bursar/internal/money"
	"github.com/bursar/bursar/internal/settings"
	"github.com/bursar/bursar/templates/admin"
)

// languageNames label the default-language choices.
var languageNames = map[string]string{
	"en": "English", "es": "Español", "fr": "Français", "ru": "Русский", "uk": "Українська",
}

// settingsView builds the settings screen around a school form and a rate form (as stored or as typed).
func (s *Server) settingsView(r *http.Request, sc settings.School, rf fx.NewRate) (admin.Settings, error) {
	rates, err := s.rates.List(r.Context())
	if err != nil {
		return admin.Settings{}, err
	}
	page := s.adminPage(r, "Settings", "settings")
	v := admin.Settings{
		Page: page, CanEdit: page.IsOwner, Currencies: money.Codes(), RateToken: newFormToken(),
		School: admin.SchoolForm{Name: sc.Name, ContactEmail: sc.ContactEmail, Phone: sc.Phone,
			WebsiteURL: sc.WebsiteURL, Language: sc.Language, Timezone: sc.Timezone,
			PlaceholderDomain: sc.PlaceholderDomain},
		Rate: admin.RateForm{Base: rf.Base, Quote: rf.Quote, Rate: rf.Rate},
	}
	for _, l := range settings.Languages {
		v.Languages = append(v.Languages, admin.Option{Value: l, Label: languageNames[l]})
	}
	for _, rt := range rates {
		v.Rates = append(v.Rates, admin.RateRow{ID: rt.ID, Base: rt.Base, Quote: rt.Quote, Rate: rt.Rate,
			UpdatedAt: rt.UpdatedAt.UTC().Format("2006-01-02 15:04 UTC"), UpdatedBy: rt.UpdatedBy})
	}
	return v, nil
}

func (s *Server) adminSettings(w http.ResponseWriter, r *http.Request) {
	sc, err := s.settings.Get(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	v, err := s.settingsView(r, sc, fx.NewRate{})
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, admin.SettingsPage(v))
}

func (s *Server) adminSettingsUpdate(w http.ResponseWriter, r *http.Request) {
	in := settings.School{
		Name: r.PostFormValue("name"), ContactEmail: r.PostFormValue("contact_email"),
		Phone: r.PostFormValue("phone"), WebsiteURL: r.PostFormValue("website_url"),
		Language: r.PostFormValue("language"), Timezone: r.PostFormValue("timezone"),
		PlaceholderDomain: r.PostFormValue("placeholder_domain"),
	}
	if _, err := s.settings.Update(r.Context(), in); err != nil {
		s.settingsFormError(w, r, err, in, fx.NewRate{}, false)
		return
	}
	s.flash(r, "Settings saved.")
	http.Redirect(w, r, "/admin/settings", http.StatusSeeOther)
}

func (s *Server) adminRateSave(w http.ResponseWriter, r *http.Request) {
	in := fx.NewRate{Base: r.PostFormValue("base"), Quote: r.PostFormValue("quote"), Rate: r.PostFormValue("rate")}
	err := s.submitOnce(w, r, "Exchange rate saved.", func() (string, error) {
		if _, _, err := s.rates.Save(r.Context(), in); err != nil {
			return "", err
		}
		return "/admin/settings", nil
	})
	if err != nil {
		sc, gerr := s.settings.Get(r.Context())
		if gerr != nil {
			s.serverError(w, r, gerr)
			return
		}
		s.settingsFormError(w, r, err, sc, in, true)
	}
}

func (s *Server) adminRateDelete(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	rt, err := s.rates.Delete(r.Context(), id)
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	s.flash(r, "Exchange rate "+rt.Base+" → "+rt.Quote+" deleted.")
	http.Redirect(w, r, "/admin/settings", http.StatusSeeOther)
}

// settingsFormError re-renders the settings screen with the field messages of err on the school form or the
// rate form (422), or answers the error.
func (s *Server) settingsFormError(w http.ResponseWriter, r *http.Request, err error, sc settings.School, rf fx.NewRate, rateForm bool) {
	e, ok := check.AsErrors(err)
	if !ok {
		s.htmlError(w, r, err)
		return
	}
	v, verr := s.settingsView(r, sc, rf)
	if verr != nil {
		s.serverError(w, r, verr)
		return
	}
	if rateForm {
		v.RateErrors = e
	} else {
		v.Errors = e
	}
	s.render(w, r, http.StatusUnprocessableEntity, admin.SettingsPage(v))
}
