package server

// The school's settings and exchange rates in the API (scope group "settings"). Reading them needs settings:read;
// changing them needs settings:write and an owner's key (requireOwnerKey), as only an owner changes them on the
// admin.

import (
	"net/http"
	"time"

	"github.com/bursar/bursar/internal/fx"
	"github.com/bursar/bursar/internal/settings"
	"github.com/bursar/bursar/internal/staff"
)

// requireOwnerKey lets a request through only when the API key acts as an owner (staff.ActsAsOwner): made with the
// CLI, or on the admin by a user who is still an owner and not disabled. Any other key gets 403, whatever its scopes.
func (s *Server) requireOwnerKey(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k, _ := r.Context().Value(apiKeyCtx{}).(staff.APIKey)
		ok, err := s.staff.ActsAsOwner(r.Context(), k)
		if err != nil {
			s.apiError(w, r, err)
			return
		}
		if !ok {
			writeProblem(w, Problem{Status: http.StatusForbidden,
				Detail: "Only an owner's API key may change settings and exchange rates: this key was made by a user who is no longer an active owner."})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// settingsJSON is the school's settings in the API; updated_at is null while they are the defaults.
type settingsJSON struct {
	Name              string     `json:"name"`
	ContactEmail      string     `json:"contact_email"`
	Phone             string     `json:"phone"`
	WebsiteURL        string     `json:"website_url"`
	Language          string     `json:"language"`
	Timezone          string     `json:"timezone"`
	PlaceholderDomain string     `json:"placeholder_domain"`
	UpdatedAt         *time.Time `json:"updated_at"`
}

func settingsOut(sc settings.School) settingsJSON {
	out := settingsJSON{Name: sc.Name, ContactEmail: sc.ContactEmail, Phone: sc.Phone, WebsiteURL: sc.WebsiteURL,
		Language: sc.Language, Timezone: sc.Timezone, PlaceholderDomain: sc.PlaceholderDomain}
	if !sc.UpdatedAt.IsZero() {
		t := sc.UpdatedAt.UTC()
		out.UpdatedAt = &t
	}
	return out
}

// settingsPatch is the body of PATCH /api/v1/settings: fields left out stay as they are.
type settingsPatch struct {
	Name              *string `json:"name"`
	ContactEmail      *string `json:"contact_email"`
	Phone             *string `json:"phone"`
	WebsiteURL        *string `json:"website_url"`
	Language          *string `json:"language"`
	Timezone          *string `json:"timezone"`
	PlaceholderDomain *string `json:"placeholder_domain"`
}

func (s *Server) apiSettings(w http.ResponseWriter, r *http.Request) {
	sc, err := s.settings.Get(r.Context())
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, settingsOut(sc))
}

// apiSettingsUpdate is PATCH /api/v1/settings: the settings as they are, with the fields sent, saved by the use
// case the admin's settings form calls (settings.Update: validated whole, audited).
func (s *Server) apiSettingsUpdate(w http.ResponseWriter, r *http.Request) {
	var p settingsPatch
	if !decodeJSON(w, r, &p) {
		return
	}
	sc, err := s.settings.Get(r.Context())
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	setIf(&sc.Name, p.Name)
	setIf(&sc.ContactEmail, p.ContactEmail)
	setIf(&sc.Phone, p.Phone)
	setIf(&sc.WebsiteURL, p.WebsiteURL)
	setIf(&sc.Language, p.Language)
	setIf(&sc.Timezone, p.Timezone)
	setIf(&sc.PlaceholderDomain, p.PlaceholderDomain)
	out, err := s.settings.Update(r.Context(), sc)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, settingsOut(out))
}

// rateJSON is an exchange rate: 1 base = rate quote, the rate an exact decimal string.
type rateJSON struct {
	ID        int64     `json:"id"`
	Base      string    `json:"base"`
	Quote     string    `json:"quote"`
	Rate      string    `json:"rate"`
	UpdatedAt time.Time `json:"updated_at"`
	UpdatedBy string    `json:"updated_by"`
}

func rateOut(rt fx.Rate) rateJSON {
	return rateJSON{ID: rt.ID, Base: rt.Base, Quote: rt.Quote, Rate: rt.Rate, UpdatedAt: rt.UpdatedAt.UTC(), UpdatedBy: rt.UpdatedBy}
}

// rateIn is the body of POST /api/v1/exchange-rates; PUT /api/v1/exchange-rates/{base}/{quote} sends only rate.
type rateIn struct {
	Base  string `json:"base"`
	Quote string `json:"quote"`
	Rate  string `json:"rate"`
}

// rateValue is the body of PUT /api/v1/exchange-rates/{base}/{quote}.
type rateValue struct {
	Rate string `json:"rate"`
}

// apiRates is GET /api/v1/exchange-rates: every rate, by base and quote (a school keeps a handful, so one page).
func (s *Server) apiRates(w http.ResponseWriter, r *http.Request) {
	rates, err := s.rates.List(r.Context())
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	out := List[rateJSON]{Data: make([]rateJSON, 0, len(rates))}
	for _, rt := range rates {
		out.Data = append(out.Data, rateOut(rt))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiRate(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err == nil {
		var rt fx.Rate
		if rt, err = s.rates.Get(r.Context(), id); err == nil {
			writeJSON(w, http.StatusOK, rateOut(rt))
			return
		}
	}
	s.apiError(w, r, err)
}

// apiRateCreate is POST /api/v1/exchange-rates: the pair's rate is added (201) or, when the pair has one, updated
// (200), by the use case of the admin's rate form (fx.Save).
func (s *Server) apiRateCreate(w http.ResponseWriter, r *http.Request) {
	var in rateIn
	if !decodeJSON(w, r, &in) {
		return
	}
	s.saveRate(w, r, fx.NewRate(in))
}

// apiRatePut is PUT /api/v1/exchange-rates/{base}/{quote}: the same as POST with the pair in the path.
func (s *Server) apiRatePut(w http.ResponseWriter, r *http.Request) {
	var in rateValue
	if !decodeJSON(w, r, &in) {
		return
	}
	s.saveRate(w, r, fx.NewRate{Base: chiURLParam(r, "base"), Quote: chiURLParam(r, "quote"), Rate: in.Rate})
}

func (s *Server) saveRate(w http.ResponseWriter, r *http.Request, n fx.NewRate) {
	rt, created, err := s.rates.Save(r.Context(), n)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	w.Header().Set("Location", "/api/v1/exchange-rates/"+itoa(rt.ID))
	writeJSON(w, status, rateOut(rt))
}

// apiRateDelete is DELETE /api/v1/exchange-rates/{id}: 204, or 404 when there is no such rate.
func (s *Server) apiRateDelete(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err == nil {
		if _, err = s.rates.Delete(r.Context(), id); err == nil {
			w.WriteHeader(http.StatusNoContent)
			return
		}
	}
	s.apiError(w, r, err)
}
