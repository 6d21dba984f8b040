package apiview

import (
	"time"

	"github.com/bursar/bursar/internal/access"
	"github.com/bursar/bursar/internal/crm"
)

// Contact is a contact in the API.
type Contact struct {
	ID           int64             `json:"id"`
	Email        string            `json:"email"`
	Name         string            `json:"name"`
	Phone        string            `json:"phone"`
	CustomFields map[string]string `json:"custom_fields"`
	Placeholder  bool              `json:"placeholder"`
	CreatedAt    time.Time         `json:"created_at"`
	UpdatedAt    time.Time         `json:"updated_at"`
}

// ContactOf is c in the API.
func ContactOf(c crm.Contact) Contact {
	cf := c.CustomFields
	if cf == nil {
		cf = map[string]string{}
	}
	return Contact{ID: c.ID, Email: c.Email, Name: c.Name, Phone: c.Phone, CustomFields: cf,
		Placeholder: c.Placeholder, CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC()}
}

// Grant is an access grant in the API; timestamps are RFC 3339 UTC, ends_at null means forever.
type Grant struct {
	ID              int64      `json:"id"`
	ContactID       int64      `json:"contact_id"`
	ProductID       int64      `json:"product_id"`
	Source          string     `json:"source"`
	SourceRef       string     `json:"source_ref"`
	StartsAt        time.Time  `json:"starts_at"`
	EndsAt          *time.Time `json:"ends_at"`
	RevokedAt       *time.Time `json:"revoked_at"`
	RevokeReason    string     `json:"revoke_reason"`
	TransferredFrom *int64     `json:"transferred_from"`
	Active          bool       `json:"active"`
	CreatedAt       time.Time  `json:"created_at"`
}

// GrantOf is g in the API, active as of now.
func GrantOf(g access.Grant, now time.Time) Grant {
	out := Grant{ID: g.ID, ContactID: g.ContactID, ProductID: g.ProductID, Source: g.Source, SourceRef: g.SourceRef,
		StartsAt: g.StartsAt.UTC(), EndsAt: UTCPtr(g.EndsAt), RevokedAt: UTCPtr(g.RevokedAt),
		RevokeReason: g.RevokeReason, Active: g.ActiveAt(now), CreatedAt: g.CreatedAt.UTC()}
	if g.TransferredFrom != 0 {
		tf := g.TransferredFrom
		out.TransferredFrom = &tf
	}
	return out
}
