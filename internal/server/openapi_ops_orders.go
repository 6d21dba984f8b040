package server

import (
	"net/http"

	"github.com/bursar/bursar/internal/order"
	"github.com/bursar/bursar/internal/paylink"
)

// The OpenAPI operations of orders, manual payments and payment links (see apiOp; routes.go has the routes).

func orderOps() []apiOp {
	const get, post = http.MethodGet, http.MethodPost
	gatewayErrors := []int{http.StatusConflict, http.StatusBadGateway, http.StatusServiceUnavailable}
	return []apiOp{
		{Method: get, Path: "/orders", Summary: "List orders", Response: List[orderJSON]{},
			Query: paged(apiParam{Name: "status", Type: "string", Enum: enumOf(order.Statuses)},
				apiParam{Name: "offer_id", Type: "integer"}, apiParam{Name: "contact_id", Type: "integer"},
				apiParam{Name: "payment_system_id", Type: "integer"},
				apiParam{Name: "email", Type: "string", Description: "The orders of the contact with this e-mail."})},
		{Method: get, Path: "/orders/{id}", Summary: "Get an order", Response: orderDetailJSON{}},
		{Method: post, Path: "/orders/{id}/approve", Summary: "Approve an order paid by a manual method",
			Body: approveIn{}, BodyOptional: true, Response: orderDetailJSON{}, Errors: []int{http.StatusConflict}},
		{Method: post, Path: "/orders/{id}/reject", Summary: "Reject an order", Body: commentIn{}, BodyOptional: true,
			Response: orderDetailJSON{}, Errors: []int{http.StatusConflict}},
		{Method: post, Path: "/orders/{id}/refund", Summary: "Refund an order",
			Description: "Through the payment system's API when it has one; the whole payment unless `amount` is set.",
			Body:        refundIn{}, BodyOptional: true, Response: orderDetailJSON{}, Errors: gatewayErrors},
		{Method: post, Path: "/orders/{id}/recheck", Summary: "Ask the payment system about an order's payments again",
			Response: recheckJSON{}, Errors: gatewayErrors},
		{Method: get, Path: "/orders/{id}/proofs", Summary: "An order's proofs of payment", Response: List[proofJSON]{}},
		{Method: get, Path: "/orders/{id}/proofs/{proof}/file", Summary: "A proof of payment's file",
			Files: []string{order.ProofPDF, order.ProofPNG, order.ProofJPEG}},
		{Method: post, Path: "/manual-payments", Summary: "Record a payment made by a manual method",
			Description: "Opens an order for the contact and offer (201), or answers the contact's open order for it (200).",
			Body:        manualPaymentIn{}, Response: orderJSON{}, Status: http.StatusCreated,
			Also: map[int]any{http.StatusOK: nil}},

		{Method: get, Path: "/payment-links", Summary: "List payment links", Response: List[paymentLinkJSON]{},
			Query: paged(apiParam{Name: "status", Type: "string", Enum: enumOf(paylink.Statuses)},
				apiParam{Name: "contact_id", Type: "integer"}, apiParam{Name: "offer_id", Type: "integer"},
				apiParam{Name: "creator", Type: "string", Description: "`admin:<id>` or `api:<id>`."},
				apiParam{Name: "from", Type: "string", Description: "Made on or after this date (YYYY-MM-DD)."},
				apiParam{Name: "to", Type: "string", Description: "Made on or before this date (YYYY-MM-DD)."})},
		{Method: post, Path: "/payment-links", Summary: "Create a payment link", Body: paymentLinkIn{},
			Response: paymentLinkDetailJSON{}, Status: http.StatusCreated},
		{Method: get, Path: "/payment-links/{id}", Summary: "Get a payment link", Response: paymentLinkDetailJSON{}},
		{Method: post, Path: "/payment-links/{id}/cancel", Summary: "Cancel a payment link", Body: commentIn{},
			BodyOptional: true, Response: paymentLinkDetailJSON{}, Errors: []int{http.StatusConflict}},
		{Method: post, Path: "/payment-links/{id}/send", Summary: "E-mail a payment link to its contact again",
			Response: paymentLinkDetailJSON{}, Errors: []int{http.StatusConflict}},
	}
}
