package server

import (
	"net/http"

	"github.com/bursar/bursar/internal/billing"
	"github.com/bursar/bursar/internal/order"
)

// The OpenAPI operations of enrollments, receipts, payment exceptions and transactions (see apiOp; routes.go has
// the routes).

func billingOps() []apiOp {
	const get, post = http.MethodGet, http.MethodPost
	conflict := []int{http.StatusConflict}
	return []apiOp{
		{Method: get, Path: "/enrollments", Summary: "List enrollments", Response: List[enrollmentJSON]{},
			Query: paged(apiParam{Name: "status", Type: "string", Enum: enumOf(billing.EnrollmentStatuses)},
				apiParam{Name: "offer_id", Type: "integer"}, apiParam{Name: "contact_id", Type: "integer"},
				flagParam("overdue", "Only enrollments with an overdue receipt."))},
		{Method: post, Path: "/enrollments", Summary: "Enroll a payer (and a learner) in a tuition offer",
			Body: enrollmentIn{}, Response: enrollmentDetailJSON{}, Status: http.StatusCreated, Errors: conflict},
		{Method: get, Path: "/enrollments/{id}", Summary: "Get an enrollment", Response: enrollmentDetailJSON{}},
		{Method: post, Path: "/enrollments/{id}/issue-next", Summary: "Issue an enrollment's next receipt now",
			Response: receiptDetailJSON{}, Status: http.StatusCreated, Errors: conflict},
		{Method: post, Path: "/enrollments/{id}/pause", Summary: "Pause an enrollment", Body: reasonIn{},
			BodyOptional: true, Response: enrollmentDetailJSON{}, Errors: conflict},
		{Method: post, Path: "/enrollments/{id}/resume", Summary: "Resume a paused enrollment", Body: reasonIn{},
			BodyOptional: true, Response: enrollmentDetailJSON{}, Errors: conflict},
		{Method: post, Path: "/enrollments/{id}/cancel", Summary: "Cancel an enrollment", Body: reasonIn{},
			BodyOptional: true, Response: enrollmentDetailJSON{}, Errors: conflict},

		{Method: get, Path: "/receipts", Summary: "List receipts", Response: List[receiptJSON]{},
			Query: paged(apiParam{Name: "status", Type: "string", Enum: enumOf(billing.ReceiptStatuses)},
				apiParam{Name: "offer_id", Type: "integer"}, apiParam{Name: "enrollment_id", Type: "integer"},
				apiParam{Name: "payer_id", Type: "integer"}, flagParam("overdue", "Only overdue receipts."),
				apiParam{Name: "due_from", Type: "string", Description: "Due on or after this date (YYYY-MM-DD)."},
				apiParam{Name: "due_to", Type: "string", Description: "Due on or before this date (YYYY-MM-DD)."})},
		{Method: get, Path: "/receipts/{id}", Summary: "Get a receipt", Response: receiptDetailJSON{}},
		{Method: post, Path: "/receipts/{id}/payments", Summary: "Record a cash payment against a receipt",
			Body: cashIn{}, Response: receiptDetailJSON{}, Status: http.StatusCreated, Errors: conflict},
		{Method: post, Path: "/receipts/{id}/waive", Summary: "Waive a receipt", Body: reasonIn{}, BodyOptional: true,
			Response: receiptDetailJSON{}, Errors: conflict},
		{Method: post, Path: "/receipts/{id}/extend-grace", Summary: "Extend a receipt's grace period", Body: graceIn{},
			Response: receiptDetailJSON{}, Errors: conflict},
		{Method: get, Path: "/receipts/{id}/document.pdf", Summary: "A receipt's document (PDF)",
			Files: []string{"application/pdf"}},
	}
}

func exceptionOps() []apiOp {
	const get, post = http.MethodGet, http.MethodPost
	acted := []int{http.StatusConflict}
	return []apiOp{
		{Method: get, Path: "/payment-exceptions", Summary: "List payment exceptions", Response: List[exceptionJSON]{},
			Query: paged(apiParam{Name: "status", Type: "string", Description: "`open` (the default), `resolved` or `all`."},
				apiParam{Name: "kind", Type: "string", Enum: enumOf(order.ExceptionKinds)})},
		{Method: get, Path: "/payment-exceptions/{id}", Summary: "Get a payment exception", Response: exceptionDetailJSON{}},
		{Method: post, Path: "/payment-exceptions/{id}/resolve", Summary: "Resolve an exception with a note",
			Body: exceptionActionIn{}, BodyOptional: true, Response: exceptionDetailJSON{}, Errors: acted},
		{Method: post, Path: "/payment-exceptions/{id}/accept", Summary: "Accept an exception's payment",
			Body: exceptionActionIn{}, BodyOptional: true, Response: exceptionDetailJSON{}, Errors: acted},
		{Method: post, Path: "/payment-exceptions/{id}/refund", Summary: "Refund an exception's payment",
			Body: exceptionActionIn{}, BodyOptional: true, Response: exceptionDetailJSON{},
			Errors: []int{http.StatusConflict, http.StatusBadGateway, http.StatusServiceUnavailable}},
		{Method: post, Path: "/payment-exceptions/{id}/revoke-access", Summary: "Revoke the access of an exception's order",
			Description: "For an exception whose `access` is `ask` (a refund or a dispute of an order whose offer asks a " +
				"manager): the grants that order created are revoked, the contact's other orders keep theirs.",
			Body: exceptionActionIn{}, BodyOptional: true, Response: exceptionDetailJSON{}, Errors: acted},
		{Method: post, Path: "/payment-exceptions/{id}/keep-access", Summary: "Keep the access of an exception's order",
			Body: exceptionActionIn{}, BodyOptional: true, Response: exceptionDetailJSON{}, Errors: acted},
		{Method: get, Path: "/transactions", Summary: "List transactions (payments and refunds)", Response: List[txnJSON]{},
			Query: paged(apiParam{Name: "payment_system_id", Type: "integer"},
				apiParam{Name: "kind", Type: "string", Description: "`payment` or `refund`."},
				apiParam{Name: "status", Type: "string"}, apiParam{Name: "currency", Type: "string"},
				apiParam{Name: "from", Type: "string", Description: "On or after this date (YYYY-MM-DD)."},
				apiParam{Name: "to", Type: "string", Description: "On or before this date (YYYY-MM-DD)."},
				apiParam{Name: "q", Type: "string", Description: "Words in the order number, reference or e-mail."},
				apiParam{Name: "attempts", Type: "string", Description: "Any value but `0` or `false` includes failed attempts."})},
	}
}
