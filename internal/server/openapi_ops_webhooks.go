package server

import (
	"net/http"

	"github.com/bursar/bursar/internal/webhook"
)

// The OpenAPI operations of outgoing webhooks: endpoints and their deliveries (see apiOp; routes.go has the routes,
// docs/WEBHOOKS.md what receivers get).

func webhookOps() []apiOp {
	const get, post = http.MethodGet, http.MethodPost
	return []apiOp{
		{Method: get, Path: "/webhook-endpoints", Summary: "List webhook endpoints", Response: List[webhookEndpointJSON]{}},
		{Method: post, Path: "/webhook-endpoints", Summary: "Create a webhook endpoint",
			Description: "The answer carries the endpoint's signing `secret` (`whsec_…`): it is shown only this once.",
			Body:        webhookEndpointIn{}, Response: webhookEndpointSecretJSON{}, Status: http.StatusCreated},
		{Method: get, Path: "/webhook-endpoints/{id}", Summary: "Get a webhook endpoint", Response: webhookEndpointJSON{}},
		{Method: http.MethodPatch, Path: "/webhook-endpoints/{id}", Summary: "Update a webhook endpoint",
			Description: "Partial: a field left out keeps its value.", Body: webhookEndpointIn{},
			Response: webhookEndpointJSON{}},
		{Method: http.MethodDelete, Path: "/webhook-endpoints/{id}", Summary: "Delete a webhook endpoint and its delivery log",
			Status: http.StatusNoContent},
		{Method: post, Path: "/webhook-endpoints/{id}/rotate-secret", Summary: "Rotate a webhook endpoint's secret",
			Description: "A new secret, shown only in this answer; the old one also signs for `overlap_seconds` " +
				"(default 86400, at most 604800).",
			Body: rotateSecretIn{}, BodyOptional: true, Response: webhookEndpointSecretJSON{}},
		{Method: post, Path: "/webhook-endpoints/{id}/test", Summary: "Send a webhook.test message to an endpoint",
			Response: webhookDeliveryDetailJSON{}, Status: http.StatusAccepted, Errors: []int{http.StatusConflict}},
		{Method: get, Path: "/webhook-endpoints/{id}/deliveries", Summary: "An endpoint's delivery log, newest first",
			Description: "`limit` is at most 100 here (a larger one gets 100).", Response: List[webhookDeliveryJSON]{},
			Query: paged(apiParam{Name: "status", Type: "string", Enum: []string{webhook.StatusPending,
				webhook.StatusSucceeded, webhook.StatusFailed, webhook.StatusCancelled}})},
		{Method: get, Path: "/webhook-deliveries/{id}", Summary: "Get a delivery with the body sent and every try",
			Response: webhookDeliveryDetailJSON{}},
		{Method: post, Path: "/webhook-deliveries/{id}/resend", Summary: "Try a delivery once more now",
			Description: "The same `webhook-id`, so receivers can tell it from a new event.",
			Response:    webhookDeliveryDetailJSON{}, Status: http.StatusAccepted, Errors: []int{http.StatusConflict}},
	}
}
