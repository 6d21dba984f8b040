package app

import "github.com/bursar/bursar/internal/apiview"

// fillRenderer gives v the built services it reads an event's object with, inside the emitting transaction: v's
// Render is what the webhooks' service renders events' "data" with (events.Render), built before the modules
// that emit through it.
func fillRenderer(v *apiview.Renderer, s Services) {
	v.Orders = s.Orders
	v.Grants = s.Access
	v.Contacts = s.Contacts
	v.Links = s.PaymentLinks
	v.Billing = s.Billing
	v.Subscriptions = s.Subscriptions
	v.Systems = s.PaymentSystems
}
