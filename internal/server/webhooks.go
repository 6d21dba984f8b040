package server

import (
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/bursar/bursar/internal/gateway"
)

// maxWebhookBody bounds a gateway notification; gateways send a few KiB.
const maxWebhookBody = 256 << 10

// webhook is POST /webhooks/{id}: a gateway's notification for payment system id. The signature is verified
// before anything is written: a forged, tampered, stale or future one is 400 with nothing written (logged at warn
// without its body). An authentic one is stored verbatim and applied in one transaction (order.TakeNotification),
// once however often it is delivered; the answer is 200 with what the gateway expects (ev.Reply). A failure to
// apply is 500, so the gateway delivers it again.
func (s *Server) webhook(w http.ResponseWriter, r *http.Request) {
	received := time.Now()
	id, err := pathID(r, "id")
	if err != nil {
		http.NotFound(w, r)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBody))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		http.Error(w, "notification too large", http.StatusRequestEntityTooLarge)
		return
	}
	if err != nil {
		http.Error(w, "could not read the notification", http.StatusBadRequest)
		return
	}
	n, err := s.orders.TakeNotification(r.Context(), id, gateway.Inbound{Header: r.Header.Get, Body: body, Received: received})
	sys, ev := n.System, n.Event
	switch {
	case errors.Is(err, gateway.ErrNoSuchSystem):
		http.NotFound(w, r)
		return
	case errors.Is(err, gateway.ErrUnavailable):
		// Verifying needs the gateway (PayPal's verify-webhook-signature) and it did not answer: nothing was
		// written, and the gateway delivers again.
		s.log.Warn("webhook not verified: gateway unavailable", "payment_system_id", sys.ID, "type", sys.Type, "err", err)
		w.Header().Set("Retry-After", "60")
		http.Error(w, "could not verify the notification now; deliver it again", http.StatusServiceUnavailable)
		return
	case errors.Is(err, gateway.ErrRejected):
		// Never the body: it is not authentic, and may carry personal data.
		s.log.Warn("webhook rejected", "payment_system_id", sys.ID, "type", sys.Type, "remote", clientIP(r),
			"bytes", len(body), "signature_error", errors.Is(err, gateway.ErrSignature), "err", err)
		http.Error(w, "notification rejected", http.StatusBadRequest)
		return
	case err != nil && sys.ID == 0:
		s.serverError(w, r, err)
		return
	case err != nil:
		s.log.Error("webhook not applied", "payment_system_id", sys.ID, "event_id", ev.ID, "event_type", ev.Type,
			"err", err)
		http.Error(w, "notification not applied; deliver it again", http.StatusInternalServerError)
		return
	}
	out := n.Outcome
	if out.ExceptionID > 0 {
		s.log.Warn("payment exception opened", "payment_system_id", sys.ID, "event_id", ev.ID,
			"exception_id", out.ExceptionID, "result", out.Result, "order_id", out.OrderID)
	}
	if len(ev.Reply) > 0 {
		ct := ev.ReplyContentType
		if ct == "" {
			ct = "text/plain; charset=utf-8"
		}
		w.Header().Set("Content-Type", ct)
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(ev.Reply)
		return
	}
	w.WriteHeader(http.StatusOK)
}
