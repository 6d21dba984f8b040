package server

import (
	"net/http"

	"github.com/bursar/bursar/internal/apiview"
	"github.com/bursar/bursar/internal/subscription"
)

// The OpenAPI operations of subscriptions (see apiOp; routes.go has the routes).

func subscriptionOps() []apiOp {
	const get, post = http.MethodGet, http.MethodPost
	acted := []int{http.StatusConflict, http.StatusServiceUnavailable}
	filters := []apiParam{{Name: "status", Type: "string", Enum: enumOf(subscription.Statuses)},
		{Name: "contact_id", Type: "integer"}, {Name: "offer_id", Type: "integer"},
		{Name: "payment_system_id", Type: "integer"},
		{Name: "q", Type: "string", Description: "The number, the payer's e-mail or name, or the gateway reference."}}
	return []apiOp{
		{Method: get, Path: "/subscriptions", Summary: "List subscriptions", Response: List[apiview.Subscription]{},
			Query: paged(filters...)},
		{Method: get, Path: "/subscriptions/export.csv", Summary: "Export subscriptions (CSV)",
			Description: "Every subscription under the filters, without paging, as CSV with a header row.",
			Query:       filters, Files: []string{"text/csv"}},
		{Method: get, Path: "/subscriptions/{id}", Summary: "Get a subscription with its charges",
			Response: apiview.SubscriptionDetail{}},
		{Method: post, Path: "/subscriptions/{id}/cancel", Summary: "Cancel a subscription, now or at the period's end",
			Description: "`at_period_end` true: no charge after the current period (undo with undo-cancel); false " +
				"(the default): no more charges from now. Either way access lasts until the paid period's end.",
			Body: subscriptionCancelIn{}, BodyOptional: true, Response: apiview.SubscriptionDetail{}, Errors: acted},
		{Method: post, Path: "/subscriptions/{id}/undo-cancel", Summary: "Undo a cancellation at the period's end",
			Body: subscriptionNoteIn{}, BodyOptional: true, Response: apiview.SubscriptionDetail{}, Errors: acted},
		{Method: post, Path: "/subscriptions/{id}/pause", Summary: "Pause a subscription's charges",
			Body: subscriptionNoteIn{}, BodyOptional: true, Response: apiview.SubscriptionDetail{}, Errors: acted},
		{Method: post, Path: "/subscriptions/{id}/resume", Summary: "Resume a paused subscription",
			Body: subscriptionNoteIn{}, BodyOptional: true, Response: apiview.SubscriptionDetail{}, Errors: acted},
		{Method: post, Path: "/subscriptions/{id}/change-plan", Summary: "Move a subscription to another recurring offer",
			Description: "The offer must be a published recurring offer of the same payment system and currency; the " +
				"payment system charges the prorated difference (Stripe) or applies the new price from the next period.",
			Body: subscriptionPlanIn{}, Response: apiview.SubscriptionDetail{}, Errors: acted},
	}
}
