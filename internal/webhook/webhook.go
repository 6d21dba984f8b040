// Package webhook delivers Bursar's events to the school's systems (issue 16, point 1): endpoints (URL, event
// types, enabled), Standard Webhooks signing (webhook-id, webhook-timestamp, webhook-signature: v1,<base64
// HMAC-SHA256 of id.timestamp.body>, secrets whsec_…, rotated with an overlap), the events written in the
// transaction that caused them (it implements events.Emitter), and their delivery by River jobs with exponential
// backoff for 3 days, a 10 s timeout, a bounded read of the answer, no redirect followed, and no private, loopback,
// link-local or metadata address reached (checked on the resolved address) unless AllowPrivate.
//
// This file is the contract the admin, the API and the app build on; the implementation replaces the stubs.
package webhook

import (
	"context"
	"errors"
	"time"

	"github.com/bursar/bursar/internal/events"
)

// Endpoint is a receiver of events.
type Endpoint struct {
	ID          int64
	URL         string
	Description string
	Types       []events.Type // the event types it receives; empty means none
	Enabled     bool
	// DisabledReason says why Bursar disabled it ("failing since …"); empty when a person did or it is enabled.
	DisabledReason string
	// FailingSince is the first failed delivery of the current run of failures; zero when the last one succeeded.
	FailingSince time.Time
	// SecretPrefix is the start of the current secret ("whsec_AbC…"), enough to recognise it, never the secret.
	SecretPrefix string
	// PreviousSecretUntil is when the secret replaced by the last rotation stops signing; zero when none.
	PreviousSecretUntil time.Time
	CreatedAt           time.Time
	UpdatedAt           time.Time
}

// Input is what a person sets on an endpoint.
type Input struct {
	URL         string
	Description string
	Types       []events.Type
	Enabled     bool
}

// Delivery is one event sent (or to send) to one endpoint, with its tries.
type Delivery struct {
	ID         int64
	EndpointID int64
	EventID    string // the webhook-id ("msg_…"), the same for every try and every endpoint
	EventType  events.Type
	Status     string // pending, succeeded, failed (gave up), cancelled (endpoint disabled or deleted)
	Attempts   int
	NextAt     time.Time // the next try, when pending
	CreatedAt  time.Time
	Tries      []Attempt // newest first, in Delivery(id); empty in lists
	Payload    []byte    // the body sent, in Delivery(id)
}

// Attempt is one HTTP try of a delivery.
type Attempt struct {
	At           time.Time
	StatusCode   int    // 0 when there was no answer
	Error        string // a network error, a timeout, a refused address, a redirect
	ResponseBody string // at most 4 KiB of the answer
	Duration     time.Duration
}

// DeliveryFilter narrows an endpoint's delivery log.
type DeliveryFilter struct {
	Status string
	Before int64 // a cursor: deliveries with id below it
	Limit  int
}

// ErrNotFound is an unknown endpoint or delivery (check.NotFound in the implementation).
var ErrNotFound = errors.New("webhook: not found")

// Service is the use cases on endpoints and deliveries. The stubs below are replaced by the implementation.
type Service struct{}

// Create makes an endpoint and returns it with its secret (shown once).
func (s *Service) Create(ctx context.Context, in Input) (Endpoint, string, error) {
	return Endpoint{}, "", errors.New("not implemented")
}

// Update changes an endpoint's URL, description, types and enabled.
func (s *Service) Update(ctx context.Context, id int64, in Input) (Endpoint, error) {
	return Endpoint{}, errors.New("not implemented")
}

// Delete removes an endpoint; its pending deliveries are cancelled.
func (s *Service) Delete(ctx context.Context, id int64) error { return errors.New("not implemented") }

// RotateSecret makes a new secret (returned once); the old one keeps signing alongside until now + overlap.
func (s *Service) RotateSecret(ctx context.Context, id int64, overlap time.Duration) (Endpoint, string, error) {
	return Endpoint{}, "", errors.New("not implemented")
}

// Get reads one endpoint.
func (s *Service) Get(ctx context.Context, id int64) (Endpoint, error) {
	return Endpoint{}, errors.New("not implemented")
}

// List reads every endpoint.
func (s *Service) List(ctx context.Context) ([]Endpoint, error) {
	return nil, errors.New("not implemented")
}

// Deliveries is an endpoint's delivery log, newest first.
func (s *Service) Deliveries(ctx context.Context, endpointID int64, f DeliveryFilter) ([]Delivery, error) {
	return nil, errors.New("not implemented")
}

// Delivery reads one delivery with its tries and payload.
func (s *Service) Delivery(ctx context.Context, id int64) (Delivery, error) {
	return Delivery{}, errors.New("not implemented")
}

// Resend queues a delivery again now (a new try of the same event id, whatever its status).
func (s *Service) Resend(ctx context.Context, id int64) (Delivery, error) {
	return Delivery{}, errors.New("not implemented")
}

// SendTest queues a test event ("webhook.test") to the endpoint.
func (s *Service) SendTest(ctx context.Context, id int64) (Delivery, error) {
	return Delivery{}, errors.New("not implemented")
}
