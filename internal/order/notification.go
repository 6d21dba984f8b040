package order

import (
	"context"

	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/gateway"
)

// Notification is what TakeNotification did with one inbound notification.
type Notification struct {
	// System is the payment system the notification was addressed to (zero when there is none).
	System gateway.System
	// Event is the verified notification; its Reply, when set, is what the gateway expects as the answer's body.
	Event   gateway.Event
	Outcome Outcome
}

// TakeNotification is the one entry point of a gateway's notification addressed to payment system systemID: it is
// verified by the system's provider with its opened credentials (Deps.Gateways), then stored, deduplicated and
// applied (Ingest), as the system's webhook. Nothing is written before the notification is verified. The errors:
// gateway.ErrNoSuchSystem (no enabled system with a gateway has this id), gateway.ErrUnavailable (verifying needs
// the gateway and it did not answer: the gateway delivers again), gateway.ErrRejected (not authentic or unreadable);
// any other is Bursar's own, and the notification should be delivered again. System is set whenever it was found.
func (s *Service) TakeNotification(ctx context.Context, systemID int64, in gateway.Inbound) (Notification, error) {
	sys, ev, err := s.deps.Gateways.Verify(ctx, systemID, in)
	n := Notification{System: sys, Event: ev}
	if err != nil {
		return n, err
	}
	ctx = audit.WithActor(ctx, audit.Actor{Type: audit.ActorSystem, Label: sys.Type + " webhook"})
	n.Outcome, err = s.Ingest(ctx, sys, ev, in.Body)
	return n, err
}
