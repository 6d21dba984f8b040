package server

import "github.com/bursar/bursar/internal/apiview"

// The API's representations of orders, grants, contacts, payment links, receipts and enrollments live in
// internal/apiview, where outgoing webhooks render the same objects; these names are the handlers' (and their
// tests') short ones for them.
type (
	orderJSON       = apiview.Order
	orderDetailJSON = apiview.OrderDetail
	grantJSON       = apiview.Grant
	contactJSON     = apiview.Contact
	paymentLinkJSON = apiview.PaymentLink
	receiptJSON     = apiview.Receipt
	enrollmentJSON  = apiview.Enrollment
)
