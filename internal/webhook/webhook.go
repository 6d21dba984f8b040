// Package webhook delivers Bursar's events to the school's systems (issue 16, point 1): endpoints (URL, event
// types, enabled), Standard Webhooks signing (webhook-id, webhook-timestamp, webhook-signature: v1,<base64
// HMAC-SHA256 of id.timestamp.body>, secrets whsec_…, rotated with an overlap), the events written in the
// transaction that caused them (it implements events.Emitter), and their delivery by River jobs with exponential
// backoff for 3 days, a 10 s timeout, a bounded read of the answer, no redirect followed, and no private, loopback,
// link-local or metadata address reached (checked on the resolved address) unless AllowPrivate.
//
// This file holds the types the admin, the API and the app build on. The Service's API (stable for the admin screens):
// Create, Update, Patch, Delete, RotateSecret, Get, List (endpoints.go); Deliveries, Delivery, Resend, SendTest
// (deliveries.go); EmitTx (emit.go); Run, Ready, Sync (cache.go); Worker (deliver.go).
package webhook

import (
	"fmt"
	"time"

	"github.com/bursar/bursar/internal/check"
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

// ErrNotFound is an unknown endpoint or delivery; it wraps check.ErrNotFound (a 404 in the API).
var ErrNotFound = fmt.Errorf("webhook: %w", check.ErrNotFound)

// Delivery statuses.
const (
	StatusPending   = "pending"
	StatusSucceeded = "succeeded"
	StatusFailed    = "failed"    // gave up: still failing GiveUpAfter after the event
	StatusCancelled = "cancelled" // its endpoint was disabled
)

// TestEvent is the type of the event SendTest sends; endpoints do not subscribe to it.
const TestEvent events.Type = "webhook.test"

// Limits and schedule.
const (
	// GiveUpAfter is how long after its event a delivery is retried; an endpoint failing this long is disabled.
	GiveUpAfter = 72 * time.Hour
	// DefaultTimeout bounds one try (Config.Timeout).
	DefaultTimeout = 10 * time.Second
	// MaxResponseBody is how much of an answer is read and kept in the log.
	MaxResponseBody = 4 << 10
	// DefaultOverlap is how long a rotated-out secret keeps signing when the API is given none; MaxOverlap the
	// longest allowed.
	DefaultOverlap = 24 * time.Hour
	MaxOverlap     = 7 * 24 * time.Hour
	// MaxDeliveries is the longest page of a delivery log.
	MaxDeliveries = 100
)
