package server

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/bursar/bursar/web"
)

// Handler is every route of Bursar.
func (s *Server) Handler() http.Handler {
	r := chi.NewRouter()
	r.Use(s.logRequests, securityHeaders, s.strictTransportSecurity, limitForm, s.refuseUnclean)
	r.NotFound(s.notFound)

	r.Get("/healthz", s.healthz)
	r.Get("/readyz", s.readyz)
	r.Handle("/static/*", http.StripPrefix("/static/", web.Static()))
	r.Get("/api/docs", s.apiDocs) // the OpenAPI document as a page (api_docs.go)

	// Gateway notifications: no session, no CSRF check; the gateway's signature authenticates them.
	r.Post("/webhooks/{id}", s.webhook)
	// Some gateways (Fondy, WayForPay) send the payer back with a cross-site POST: it is answered with a redirect
	// to the same page by GET, trusting nothing in the body.
	r.Post("/o/{slug}/paid", s.checkoutReturnPost)
	r.Post("/o/{slug}/cancelled", s.checkoutReturnPost)
	r.Post("/pay/{token}/paid", s.checkoutReturnPost)
	r.Post("/pay/{token}/cancelled", s.checkoutReturnPost)

	// Public pages: students and payers.
	r.Group(func(r chi.Router) {
		// The offer page never uses the session: a visitor without one does not get an empty one built.
		r.Use(http.NewCrossOriginProtection().Handler, s.sessionsIfCookie)
		r.Get("/o/{slug}", s.publicOffer)
	})
	r.Group(func(r chi.Router) {
		// The payer's page of a payment link: no session, the payer is the link's contact (paylink_page.go).
		r.Use(http.NewCrossOriginProtection().Handler)
		r.Get("/pay/{token}", s.payLink)
		r.Post("/pay/{token}/pay", s.payLinkBegin)
		r.Post("/pay/{token}/decline", s.payLinkDecline)
		r.Post("/pay/{token}/proofs", s.payLinkProof)
		r.Get("/pay/{token}/paid", s.payLinkPaid)
		r.Get("/pay/{token}/cancelled", s.payLinkCancelled)
	})
	r.Group(func(r chi.Router) {
		r.Use(http.NewCrossOriginProtection().Handler, s.sessions.LoadAndSave, s.idleSessions)
		r.Get("/", s.home)
		r.Get("/o/{slug}/checkout", s.checkoutFromOffer)
		r.Get("/o/{slug}/pay", s.checkoutStart)
		r.Post("/o/{slug}/pay", s.checkoutSubmit)
		r.Get("/o/{slug}/paid", s.checkoutPaid)
		r.Get("/o/{slug}/cancelled", s.checkoutCancelled)
		r.Get("/o/{slug}/enroll", s.enrollStart)
		r.Post("/o/{slug}/enroll", s.enrollSubmit)

		// The student's account and cabinet.
		r.Get("/account/signup", s.accountSignupForm)
		r.Post("/account/signup", s.accountSignup)
		r.Get("/account/login", s.accountLoginForm)
		r.Post("/account/login", s.accountLogin)
		r.Post("/account/logout", s.accountLogout)
		r.Get("/account/reset", s.accountResetForm)
		r.Post("/account/reset", s.accountResetRequest)
		r.Get("/account/reset/{token}", s.accountResetTokenForm)
		r.Post("/account/reset/{token}", s.accountResetToken)
		r.Get("/account", s.accountCabinet)
		r.Get("/account/orders/{number}", s.accountOrder)
		r.Post("/account/orders/{number}/proofs", s.accountOrderProof)
		r.Get("/account/receipts/{number}", s.accountReceipt)
		r.Get("/account/receipts/{number}.pdf", s.accountReceiptPDF)
		r.Get("/account/welcome/{token}", s.accountWelcomeForm)
		r.Post("/account/welcome/{token}", s.accountWelcome)
	})

	// Admin screens.
	r.Route("/admin", func(r chi.Router) {
		r.Use(http.NewCrossOriginProtection().Handler, s.sessions.LoadAndSave, s.idleSessions)
		r.Get("/login", s.adminLoginForm)
		r.Post("/login", s.adminLogin)
		r.Post("/logout", s.adminLogout)
		r.Group(func(r chi.Router) {
			r.Use(s.requireAdmin)
			r.Get("/", s.adminDashboard)

			r.Get("/products", s.adminProducts)
			r.Get("/products/new", s.adminProductNew)
			r.Post("/products", s.adminProductCreate)
			r.Get("/products/{id}", s.adminProductEdit)
			r.Post("/products/{id}", s.adminProductUpdate)
			r.Post("/products/{id}/archive", s.adminProductArchive)

			r.Get("/offers", s.adminOffers)
			r.Get("/offers/new", s.adminOfferNew)
			r.Post("/offers", s.adminOfferCreate)
			r.Get("/offers/{id}", s.adminOfferEdit)
			r.Post("/offers/{id}", s.adminOfferUpdate)
			r.Post("/offers/{id}/status", s.adminOfferStatus)

			r.Get("/payment-systems", s.adminPaymentSystems)
			r.Get("/payment-systems/new", s.adminPaymentSystemNew)
			r.Post("/payment-systems", s.adminPaymentSystemCreate)
			r.Get("/payment-systems/{id}", s.adminPaymentSystemEdit)
			r.Post("/payment-systems/{id}", s.adminPaymentSystemUpdate)
			r.Post("/payment-systems/{id}/enabled", s.adminPaymentSystemEnabled)

			r.Get("/contacts", s.adminContacts)
			r.Get("/contacts/new", s.adminContactNew)
			r.Post("/contacts", s.adminContactCreate)
			r.Get("/contacts/{id}", s.adminContactCard)
			r.Post("/contacts/{id}", s.adminContactUpdate)
			r.Post("/contacts/{id}/delete", s.adminContactDelete)
			r.Post("/contacts/{id}/notes", s.adminContactNote)
			r.Get("/imports", s.adminImports)
			r.Post("/imports", s.adminImportUpload)
			r.Get("/imports/{id}", s.adminImport)
			r.Post("/imports/{id}/commit", s.adminImportCommit)
			r.Post("/contacts/{id}/access", s.adminAccessGrant)
			r.Post("/access/{id}/revoke", s.adminAccessRevoke)
			r.Post("/access/{id}/transfer", s.adminAccessTransfer)

			r.Get("/orders", s.adminOrders)
			r.Get("/orders/new", s.adminOrderNew)
			r.Post("/orders", s.adminOrderCreate)
			r.Get("/orders/{id}", s.adminOrder)
			r.Post("/orders/{id}/approve", s.adminOrderApprove)
			r.Post("/orders/{id}/reject", s.adminOrderReject)
			r.Post("/orders/{id}/refund", s.adminOrderRefund)
			r.Post("/orders/{id}/recheck", s.adminOrderRecheck)
			r.Get("/orders/{id}/proofs/{proof}", s.adminOrderProof)

			r.Get("/payment-links", s.adminPaymentLinks)
			r.Get("/payment-links.csv", s.adminPaymentLinksCSV)
			r.Get("/payment-links/new", s.adminPaymentLinkNew)
			r.Post("/payment-links", s.adminPaymentLinkCreate)
			r.Get("/payment-links/{id}", s.adminPaymentLink)
			r.Get("/payment-links/{id}/qr.{ext}", s.adminPaymentLinkQR)
			r.Post("/payment-links/{id}/send", s.adminPaymentLinkSend)
			r.Post("/payment-links/{id}/cancel", s.adminPaymentLinkCancel)

			r.Get("/enrollments", s.adminEnrollments)
			r.Get("/enrollments.csv", s.adminEnrollmentsCSV)
			r.Get("/enrollments/{id}", s.adminEnrollment)
			r.Post("/enrollments/{id}/issue-next", s.adminEnrollmentIssueNext)
			r.Post("/enrollments/{id}/pause", s.adminEnrollmentPause)
			r.Post("/enrollments/{id}/resume", s.adminEnrollmentResume)
			r.Post("/enrollments/{id}/cancel", s.adminEnrollmentCancel)
			r.Get("/receipts", s.adminReceipts)
			r.Get("/receipts.csv", s.adminReceiptsCSV)
			r.Get("/receipts/{id}", s.adminReceipt)
			r.Post("/receipts/{id}/payments", s.adminReceiptPayment)
			r.Post("/receipts/{id}/waive", s.adminReceiptWaive)
			r.Post("/receipts/{id}/extend-grace", s.adminReceiptExtendGrace)
			r.Get("/receipts/{id}/document", s.adminReceiptDocument)
			r.Get("/receipts/{id}/document.pdf", s.adminReceiptDocument)

			r.Get("/exceptions", s.adminExceptions)
			r.Get("/exceptions/{id}", s.adminException)
			r.Post("/exceptions/{id}/resolve", s.adminExceptionResolve)
			r.Post("/exceptions/{id}/accept", s.adminExceptionAccept)
			r.Post("/exceptions/{id}/refund", s.adminExceptionRefund)
			r.Post("/exceptions/{id}/revoke-access", s.adminExceptionRevokeAccess)
			r.Post("/exceptions/{id}/keep-access", s.adminExceptionKeepAccess)
			r.Get("/transactions", s.adminTransactions)
			r.Get("/transactions.csv", s.adminTransactionsCSV)

			r.Get("/settings", s.adminSettings)
			r.Get("/webhooks", s.adminWebhooks)
			r.Get("/webhooks/{id}", s.adminWebhook)
			r.Get("/webhooks/{id}/deliveries/{delivery}", s.adminWebhookDelivery)

			r.Get("/outbox", s.adminOutbox)
			r.Get("/outbox/{id}", s.adminOutboxMessage)
			r.Get("/audit", s.adminAudit)
			r.Get("/staff", s.adminStaff)
			r.Get("/api-keys", s.adminAPIKeys)
			r.Group(func(r chi.Router) {
				r.Use(requireOwner)
				r.Post("/staff", s.adminStaffCreate)
				r.Post("/staff/{id}/disable", s.adminStaffDisable)
				r.Post("/staff/{id}/role", s.adminStaffRole)
				r.Post("/api-keys", s.adminAPIKeyCreate)
				r.Post("/api-keys/{id}/revoke", s.adminAPIKeyRevoke)
				r.Post("/settings", s.adminSettingsUpdate)
				r.Post("/settings/rates", s.adminRateSave)
				r.Post("/settings/rates/{id}/delete", s.adminRateDelete)
				r.Get("/webhooks/new", s.adminWebhookNew)
				r.Post("/webhooks", s.adminWebhookCreate)
				r.Get("/webhooks/{id}/edit", s.adminWebhookEdit)
				r.Post("/webhooks/{id}", s.adminWebhookUpdate)
				r.Post("/webhooks/{id}/rotate", s.adminWebhookRotate)
				r.Post("/webhooks/{id}/test", s.adminWebhookTest)
				r.Post("/webhooks/{id}/delete", s.adminWebhookDelete)
				r.Post("/webhooks/{id}/deliveries/{delivery}/resend", s.adminWebhookResend)
			})
		})
	})

	// JSON API.
	r.Route("/api/v1", func(r chi.Router) {
		r.Use(s.requireAPIKey, s.requireScope, s.idempotent)
		r.NotFound(func(w http.ResponseWriter, r *http.Request) {
			writeProblem(w, Problem{Status: http.StatusNotFound, Detail: "No such endpoint."})
		})
		r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
			writeProblem(w, Problem{Status: http.StatusMethodNotAllowed, Detail: "This endpoint does not accept " + r.Method + "."})
		})

		r.Get("/openapi.json", s.apiOpenAPI) // public: publicAPIPath

		r.Get("/products", s.apiProducts)
		r.Post("/products", s.apiProductCreate)
		r.Get("/products/{id}", s.apiProduct)
		r.Patch("/products/{id}", s.apiProductUpdate)
		r.Post("/products/{id}/archive", s.apiProductArchive)

		r.Get("/offers", s.apiOffers)
		r.Post("/offers", s.apiOfferCreate)
		r.Get("/offers/{id}", s.apiOffer)
		r.Patch("/offers/{id}", s.apiOfferUpdate)

		r.Get("/payment-systems", s.apiPaymentSystems)
		r.Post("/payment-systems", s.apiPaymentSystemCreate)
		r.Get("/payment-systems/{id}", s.apiPaymentSystem)
		r.Patch("/payment-systems/{id}", s.apiPaymentSystemUpdate)

		r.Get("/contacts", s.apiContacts)
		r.Post("/contacts", s.apiContactCreate)
		r.Get("/contacts/{id}", s.apiContact)
		r.Patch("/contacts/{id}", s.apiContactUpdate)
		r.Delete("/contacts/{id}", s.apiContactDelete)
		r.Get("/contacts/{id}/access", s.apiContactAccess)
		r.Get("/contacts/{id}/notes", s.apiContactNotes)
		r.Post("/contacts/{id}/notes", s.apiContactNoteCreate)
		r.Get("/contacts/{id}/timeline", s.apiContactTimeline)

		r.Get("/orders", s.apiOrders)
		r.Get("/orders/{id}", s.apiOrder)
		r.Post("/orders/{id}/approve", s.apiOrderApprove)
		r.Post("/orders/{id}/reject", s.apiOrderReject)
		r.Post("/orders/{id}/refund", s.apiOrderRefund)
		r.Post("/orders/{id}/recheck", s.apiOrderRecheck)
		r.Get("/orders/{id}/proofs", s.apiOrderProofs)
		r.Get("/orders/{id}/proofs/{proof}/file", s.apiOrderProofFile)
		r.Post("/manual-payments", s.apiManualPaymentCreate)

		r.Get("/payment-links", s.apiPaymentLinks)
		r.Post("/payment-links", s.apiPaymentLinkCreate)
		r.Get("/payment-links/{id}", s.apiPaymentLink)
		r.Post("/payment-links/{id}/cancel", s.apiPaymentLinkCancel)
		r.Post("/payment-links/{id}/send", s.apiPaymentLinkSend)
		r.Get("/payment-links/{id}/qr.png", s.apiPaymentLinkQR("png"))
		r.Get("/payment-links/{id}/qr.svg", s.apiPaymentLinkQR("svg"))

		r.Get("/webhook-endpoints", s.apiWebhookEndpoints)
		r.Post("/webhook-endpoints", s.apiWebhookEndpointCreate)
		r.Get("/webhook-endpoints/{id}", s.apiWebhookEndpoint)
		r.Patch("/webhook-endpoints/{id}", s.apiWebhookEndpointUpdate)
		r.Delete("/webhook-endpoints/{id}", s.apiWebhookEndpointDelete)
		r.Post("/webhook-endpoints/{id}/rotate-secret", s.apiWebhookEndpointRotate)
		r.Post("/webhook-endpoints/{id}/test", s.apiWebhookEndpointTest)
		r.Get("/webhook-endpoints/{id}/deliveries", s.apiWebhookDeliveries)
		r.Get("/webhook-deliveries/{id}", s.apiWebhookDelivery)
		r.Post("/webhook-deliveries/{id}/resend", s.apiWebhookDeliveryResend)

		r.Get("/enrollments", s.apiEnrollments)
		r.Post("/enrollments", s.apiEnrollmentCreate)
		r.Get("/enrollments/{id}", s.apiEnrollment)
		r.Post("/enrollments/{id}/issue-next", s.apiEnrollmentIssueNext)
		r.Post("/enrollments/{id}/pause", s.apiEnrollmentPause)
		r.Post("/enrollments/{id}/resume", s.apiEnrollmentResume)
		r.Post("/enrollments/{id}/cancel", s.apiEnrollmentCancel)
		r.Get("/receipts", s.apiReceipts)
		r.Get("/receipts/{id}", s.apiReceipt)
		r.Post("/receipts/{id}/payments", s.apiReceiptPayment)
		r.Post("/receipts/{id}/waive", s.apiReceiptWaive)
		r.Post("/receipts/{id}/extend-grace", s.apiReceiptExtendGrace)
		r.Get("/receipts/{id}/document.pdf", s.apiReceiptDocument)

		r.Get("/payment-exceptions", s.apiExceptions)
		r.Get("/payment-exceptions/{id}", s.apiException)
		r.Post("/payment-exceptions/{id}/resolve", s.apiExceptionResolve)
		r.Post("/payment-exceptions/{id}/accept", s.apiExceptionAccept)
		r.Post("/payment-exceptions/{id}/refund", s.apiExceptionRefund)
		r.Post("/payment-exceptions/{id}/revoke-access", s.apiExceptionRevokeAccess)
		r.Post("/payment-exceptions/{id}/keep-access", s.apiExceptionKeepAccess)
		r.Get("/transactions", s.apiTransactions)

		r.Post("/access", s.apiAccessGrant)
		r.Get("/access/{id}", s.apiAccess)
		r.Post("/access/{id}/revoke", s.apiAccessRevoke)
		r.Post("/access/{id}/transfer", s.apiAccessTransfer)
		r.Get("/imports", s.apiImports)
		r.Post("/imports", s.apiImportCreate)
		r.Get("/imports/{id}", s.apiImportGet)

		// Settings and exchange rates: reading needs settings:read; changing them settings:write and an owner's key.
		r.Get("/settings", s.apiSettings)
		r.With(s.requireOwnerKey).Patch("/settings", s.apiSettingsUpdate)
		r.Get("/exchange-rates", s.apiRates)
		r.Get("/exchange-rates/{id}", s.apiRate)
		r.With(s.requireOwnerKey).Post("/exchange-rates", s.apiRateCreate)
		r.With(s.requireOwnerKey).Put("/exchange-rates/{base}/{quote}", s.apiRatePut)
		r.With(s.requireOwnerKey).Delete("/exchange-rates/{id}", s.apiRateDelete)

		r.Get("/audit-log", s.apiAuditLog)
	})
	return r
}
