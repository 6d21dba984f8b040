package server

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/events"
	"github.com/bursar/bursar/internal/webhook"
)

// webhookEndpointJSON is a webhook endpoint in the API. The secret is never shown again after it is made: only its
// start (secret_prefix).
type webhookEndpointJSON struct {
	ID                  int64      `json:"id"`
	URL                 string     `json:"url"`
	Description         string     `json:"description"`
	Types               []string   `json:"types"`
	Enabled             bool       `json:"enabled"`
	DisabledReason      string     `json:"disabled_reason"` // why Bursar disabled it; "" otherwise
	FailingSince        *time.Time `json:"failing_since"`
	SecretPrefix        string     `json:"secret_prefix"`
	PreviousSecretUntil *time.Time `json:"previous_secret_until"` // the rotated-out secret signs too until then
	CreatedAt           time.Time  `json:"created_at"`
	UpdatedAt           time.Time  `json:"updated_at"`
}

// webhookEndpointSecretJSON is an endpoint with its new secret: the answer of a create or a rotation, the only
// time the secret is shown.
type webhookEndpointSecretJSON struct {
	webhookEndpointJSON
	Secret string `json:"secret"`
}

func webhookEndpointOut(e webhook.Endpoint) webhookEndpointJSON {
	out := webhookEndpointJSON{ID: e.ID, URL: e.URL, Description: e.Description, Types: make([]string, 0, len(e.Types)),
		Enabled: e.Enabled, DisabledReason: e.DisabledReason, SecretPrefix: e.SecretPrefix, CreatedAt: e.CreatedAt.UTC(),
		UpdatedAt: e.UpdatedAt.UTC()}
	for _, t := range e.Types {
		out.Types = append(out.Types, string(t))
	}
	if !e.FailingSince.IsZero() {
		out.FailingSince = utcPtr(&e.FailingSince)
	}
	if !e.PreviousSecretUntil.IsZero() {
		out.PreviousSecretUntil = utcPtr(&e.PreviousSecretUntil)
	}
	return out
}

// webhookEndpointIn is the body of POST /api/v1/webhook-endpoints (enabled defaults to true) and of PATCH
// /api/v1/webhook-endpoints/{id} (only the fields sent change).
type webhookEndpointIn struct {
	URL         *string   `json:"url"`
	Description *string   `json:"description"`
	Types       *[]string `json:"types"`
	Enabled     *bool     `json:"enabled"`
}

func (in webhookEndpointIn) patch() webhook.Patch {
	p := webhook.Patch{URL: in.URL, Description: in.Description, Enabled: in.Enabled}
	if in.Types != nil {
		ts := make([]events.Type, 0, len(*in.Types))
		for _, t := range *in.Types {
			ts = append(ts, events.Type(t))
		}
		p.Types = &ts
	}
	return p
}

func (s *Server) apiWebhookEndpoints(w http.ResponseWriter, r *http.Request) {
	es, err := s.webhooks.List(r.Context())
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	out := List[webhookEndpointJSON]{Data: make([]webhookEndpointJSON, 0, len(es))}
	for _, e := range es {
		out.Data = append(out.Data, webhookEndpointOut(e))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiWebhookEndpointCreate(w http.ResponseWriter, r *http.Request) {
	var in webhookEndpointIn
	if !decodeJSON(w, r, &in) {
		return
	}
	p := in.patch()
	n := webhook.Input{Enabled: true}
	if p.URL != nil {
		n.URL = *p.URL
	}
	if p.Description != nil {
		n.Description = *p.Description
	}
	if p.Types != nil {
		n.Types = *p.Types
	}
	if p.Enabled != nil {
		n.Enabled = *p.Enabled
	}
	e, secret, err := s.webhooks.Create(r.Context(), n)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/webhook-endpoints/"+itoa(e.ID))
	writeJSON(w, http.StatusCreated, webhookEndpointSecretJSON{webhookEndpointOut(e), secret})
}

func (s *Server) apiWebhookEndpoint(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	e, err := s.webhooks.Get(r.Context(), id)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, webhookEndpointOut(e))
}

func (s *Server) apiWebhookEndpointUpdate(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	var in webhookEndpointIn
	if !decodeJSON(w, r, &in) {
		return
	}
	e, err := s.webhooks.Patch(r.Context(), id, in.patch())
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, webhookEndpointOut(e))
}

func (s *Server) apiWebhookEndpointDelete(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	if err := s.webhooks.Delete(r.Context(), id); err != nil {
		s.apiError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// rotateSecretIn is the optional body of POST /api/v1/webhook-endpoints/{id}/rotate-secret: how long the old secret
// keeps signing alongside the new one (default 86400, a day; at most 604800, 7 days; 0 ends it at once).
type rotateSecretIn struct {
	OverlapSeconds *int64 `json:"overlap_seconds"`
}

func (s *Server) apiWebhookEndpointRotate(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	var in rotateSecretIn
	if r.ContentLength != 0 && !decodeJSON(w, r, &in) {
		return
	}
	overlap := webhook.DefaultOverlap
	if in.OverlapSeconds != nil {
		if *in.OverlapSeconds < 0 || *in.OverlapSeconds > int64(webhook.MaxOverlap/time.Second) {
			s.apiError(w, r, check.Field("overlap_seconds", "must be from 0 to 604800 (7 days)"))
			return
		}
		overlap = time.Duration(*in.OverlapSeconds) * time.Second
	}
	e, secret, err := s.webhooks.RotateSecret(r.Context(), id, overlap)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, webhookEndpointSecretJSON{webhookEndpointOut(e), secret})
}

func (s *Server) apiWebhookEndpointTest(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	d, err := s.webhooks.SendTest(r.Context(), id)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, webhookDeliveryDetailOut(d))
}

// webhookDeliveryJSON is a delivery in an endpoint's log.
type webhookDeliveryJSON struct {
	ID         int64      `json:"id"`
	EndpointID int64      `json:"endpoint_id"`
	EventID    string     `json:"event_id"` // the webhook-id header, the same for every try
	EventType  string     `json:"event_type"`
	Status     string     `json:"status"` // pending, succeeded, failed, cancelled
	Attempts   int        `json:"attempts"`
	NextAt     *time.Time `json:"next_at"`
	CreatedAt  time.Time  `json:"created_at"`
}

// webhookAttemptJSON is one HTTP try of a delivery.
type webhookAttemptJSON struct {
	At           time.Time `json:"at"`
	StatusCode   int       `json:"status_code"` // 0: no answer
	Error        string    `json:"error"`
	ResponseBody string    `json:"response_body"` // at most 4 KiB
	DurationMS   int64     `json:"duration_ms"`
}

// webhookDeliveryDetailJSON is a delivery with the body sent and its tries, newest first.
type webhookDeliveryDetailJSON struct {
	webhookDeliveryJSON
	Payload json.RawMessage      `json:"payload"`
	Tries   []webhookAttemptJSON `json:"tries"`
}

func webhookDeliveryOut(d webhook.Delivery) webhookDeliveryJSON {
	out := webhookDeliveryJSON{ID: d.ID, EndpointID: d.EndpointID, EventID: d.EventID, EventType: string(d.EventType),
		Status: d.Status, Attempts: d.Attempts, CreatedAt: d.CreatedAt.UTC()}
	if !d.NextAt.IsZero() && d.Status == webhook.StatusPending {
		out.NextAt = utcPtr(&d.NextAt)
	}
	return out
}

func webhookDeliveryDetailOut(d webhook.Delivery) webhookDeliveryDetailJSON {
	out := webhookDeliveryDetailJSON{webhookDeliveryJSON: webhookDeliveryOut(d), Payload: json.RawMessage(d.Payload),
		Tries: make([]webhookAttemptJSON, 0, len(d.Tries))}
	if !json.Valid(out.Payload) {
		out.Payload = json.RawMessage("null")
	}
	for _, t := range d.Tries {
		out.Tries = append(out.Tries, webhookAttemptJSON{At: t.At.UTC(), StatusCode: t.StatusCode, Error: t.Error,
			ResponseBody: t.ResponseBody, DurationMS: t.Duration.Milliseconds()})
	}
	return out
}

// apiWebhookDeliveries is GET /api/v1/webhook-endpoints/{id}/deliveries?status=&cursor=&limit=.
func (s *Server) apiWebhookDeliveries(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	limit, err := pageLimit(r)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	limit = min(limit, webhook.MaxDeliveries)
	before, err := decodeCursor(r.URL.Query().Get("cursor"))
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	ds, err := s.webhooks.Deliveries(r.Context(), id, webhook.DeliveryFilter{Status: r.URL.Query().Get("status"),
		Before: before, Limit: limit})
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	out := List[webhookDeliveryJSON]{Data: make([]webhookDeliveryJSON, 0, len(ds))}
	for _, d := range ds {
		out.Data = append(out.Data, webhookDeliveryOut(d))
	}
	if len(ds) == limit {
		out.NextCursor = encodeCursor(ds[len(ds)-1].ID)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiWebhookDelivery(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	d, err := s.webhooks.Delivery(r.Context(), id)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, webhookDeliveryDetailOut(d))
}

func (s *Server) apiWebhookDeliveryResend(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	d, err := s.webhooks.Resend(r.Context(), id)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, webhookDeliveryDetailOut(d))
}
