// Package apiview is the JSON API's representation of Bursar's objects: the types GET /api/v1/<resource>/{id}
// answers (orders with their payments and refunds, access grants, contacts, payment links, receipts,
// enrollments) and the conversions from the modules' types. internal/server answers with them; Renderer renders an
// outgoing webhook's object (issue 16) with the same types inside the emitting transaction, so a receiver gets
// exactly what the API returns. It imports the modules it renders and nothing above them (never internal/server).
package apiview

import "time"

// Line is a line of an object's timeline (an order's, a payment link's, an enrollment's).
type Line struct {
	Kind      string    `json:"kind"`
	Message   string    `json:"message"`
	Actor     string    `json:"actor"`
	CreatedAt time.Time `json:"created_at"`
}

// line is a timeline line from its parts (each module has its own event type with these fields).
func line(kind, msg, actor string, at time.Time) Line {
	return Line{Kind: kind, Message: msg, Actor: actor, CreatedAt: at.UTC()}
}

// UTCPtr is t in UTC, nil for nil.
func UTCPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// Positive is &n when n is positive, else nil (a JSON null).
func Positive(n int64) *int64 {
	if n <= 0 {
		return nil
	}
	return &n
}
