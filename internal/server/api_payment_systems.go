package server

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/bursar/bursar/internal/gateway"
)

// apiPaymentSystem is a payment system in the API. Credentials are write-only: the response only says which are
// set ("secret_key": "set"), never their values.
type apiPaymentSystem struct {
	ID           int64             `json:"id"`
	Type         string            `json:"type"`
	Name         string            `json:"name"`
	Description  string            `json:"description"`
	ImageURL     string            `json:"image_url"`
	Mode         string            `json:"mode"`
	Enabled      bool              `json:"enabled"`
	Settings     map[string]any    `json:"settings"`
	Credentials  map[string]string `json:"credentials"`
	Capabilities map[string]bool   `json:"capabilities"`
	CreatedAt    time.Time         `json:"created_at"`
	UpdatedAt    time.Time         `json:"updated_at"`
}

func toAPIPaymentSystem(sys gateway.System) apiPaymentSystem {
	out := apiPaymentSystem{ID: sys.ID, Type: sys.Type, Name: sys.Name, Description: sys.Description,
		ImageURL: sys.ImageURL, Mode: sys.Mode, Enabled: sys.Enabled, Settings: sys.Settings,
		Credentials: map[string]string{}, CreatedAt: sys.CreatedAt, UpdatedAt: sys.UpdatedAt,
		Capabilities: map[string]bool{}}
	if out.Settings == nil {
		out.Settings = map[string]any{}
	}
	for _, n := range sys.CredentialNames {
		out.Credentials[n] = "set"
	}
	for _, c := range []gateway.Capability{gateway.PayWithoutAuthorization, gateway.APIRefunds, gateway.Recurring} {
		out.Capabilities[string(c)] = sys.Can(c)
	}
	return out
}

// apiPaymentSystemIn is the body of POST and PATCH. Settings values stay raw JSON until the gateway package reads
// them by kind, so numbers such as fee_percent never pass through a float.
type apiPaymentSystemIn struct {
	Type        *string                    `json:"type"`
	Name        *string                    `json:"name"`
	Description *string                    `json:"description"`
	ImageURL    *string                    `json:"image_url"`
	Mode        *string                    `json:"mode"`
	Enabled     *bool                      `json:"enabled"`
	Settings    map[string]json.RawMessage `json:"settings"`
	Credentials map[string]*string         `json:"credentials"`
}

func (in apiPaymentSystemIn) settings() map[string]any {
	out := make(map[string]any, len(in.Settings))
	for k, v := range in.Settings {
		out[k] = v
	}
	return out
}

// credentials maps null to "" (keep the stored value).
func (in apiPaymentSystemIn) credentials() map[string]string {
	out := make(map[string]string, len(in.Credentials))
	for k, v := range in.Credentials {
		if v != nil {
			out[k] = *v
		} else {
			out[k] = ""
		}
	}
	return out
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func (s *Server) apiPaymentSystems(w http.ResponseWriter, r *http.Request) {
	after, err := decodeCursor(r.URL.Query().Get("cursor"))
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	limit, err := pageLimit(r)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	systems, err := s.paymentSystems.List(r.Context(), after, limit+1)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	out := List[apiPaymentSystem]{Data: []apiPaymentSystem{}}
	if len(systems) > limit {
		systems = systems[:limit]
		out.NextCursor = encodeCursor(systems[limit-1].ID)
	}
	for _, sys := range systems {
		out.Data = append(out.Data, toAPIPaymentSystem(sys))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiPaymentSystemCreate(w http.ResponseWriter, r *http.Request) {
	var in apiPaymentSystemIn
	if !decodeJSON(w, r, &in) {
		return
	}
	enabled := true
	if in.Enabled != nil {
		enabled = *in.Enabled
	}
	sys, err := s.paymentSystems.Create(r.Context(), gateway.Input{Type: deref(in.Type), Name: deref(in.Name),
		Description: deref(in.Description), ImageURL: deref(in.ImageURL), Mode: deref(in.Mode), Enabled: enabled,
		Settings: in.settings(), Credentials: in.credentials()})
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/payment-systems/"+itoa(sys.ID))
	writeJSON(w, http.StatusCreated, toAPIPaymentSystem(sys))
}

func (s *Server) apiPaymentSystem(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	sys, err := s.paymentSystems.Get(r.Context(), id)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toAPIPaymentSystem(sys))
}

func (s *Server) apiPaymentSystemUpdate(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	var in apiPaymentSystemIn
	if !decodeJSON(w, r, &in) {
		return
	}
	if in.Type != nil {
		cur, err := s.paymentSystems.Get(r.Context(), id)
		if err != nil {
			s.apiError(w, r, err)
			return
		}
		if *in.Type != cur.Type {
			writeProblem(w, Problem{Status: http.StatusUnprocessableEntity, Title: "Invalid input",
				Detail: "Some fields are invalid.", Errors: map[string]string{"type": "cannot be changed; create a new payment system"}})
			return
		}
	}
	sys, err := s.paymentSystems.Update(r.Context(), id, gateway.Patch{Name: in.Name, Description: in.Description,
		ImageURL: in.ImageURL, Mode: in.Mode, Enabled: in.Enabled, Settings: in.settings(), Credentials: in.credentials()})
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toAPIPaymentSystem(sys))
}
