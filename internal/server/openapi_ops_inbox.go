package server

import "net/http"

// The OpenAPI operations of the inbox's apply and reinstate actions and of gateway events' replay (see apiOp;
// routes.go has the routes).

func inboxOps() []apiOp {
	const get, post = http.MethodGet, http.MethodPost
	return []apiOp{
		{Method: get, Path: "/payment-exceptions/{id}/candidates", Summary: "The orders an exception's payment may complete",
			Description: "Open orders of the exception's contact costing exactly the amount and currency paid, payable " +
				"through its payment system; empty when the exception cannot be applied.",
			Response: List[orderJSON]{}},
		{Method: post, Path: "/payment-exceptions/{id}/apply", Summary: "Apply an exception's payment to another order",
			Description: "Completes `order_id` (open, same contact, same amount and currency) with the payment and " +
				"resolves the exception, in one transaction.",
			Body: applyIn{}, BodyOptional: true, Response: exceptionDetailJSON{}},
		{Method: post, Path: "/payment-exceptions/{id}/reinstate", Summary: "Reinstate an order with a late payment",
			Description: "Completes the exception's refunded, expired, rejected or cancelled order again with its late " +
				"payment and resolves the exception, in one transaction.",
			Body: exceptionActionIn{}, BodyOptional: true, Response: exceptionDetailJSON{}},
		{Method: get, Path: "/orders/{id}/events", Summary: "An order's stored gateway notifications",
			Description: "Newest first, bodies verbatim; `failed` marks one that failed to apply (replay it).",
			Response:    List[gatewayEventJSON]{}},
		{Method: post, Path: "/orders/{id}/events/{event}/replay", Summary: "Apply a stored gateway notification again",
			Description: "Idempotent: a notification that had applied changes nothing (`already_applied`). One that " +
				"fails again stays failed (500).",
			Response: replayJSON{}},
	}
}
