package gateway

import (
	"errors"
	"fmt"
	"strings"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/money"
)

// ErrInvalidEvent says an authentic notification (or a status answer) cannot be taken as it is: text that is not
// valid UTF-8 or holds a NUL byte, an unknown currency, an unknown kind. Nothing about it is stored; a webhook is
// answered 400.
var ErrInvalidEvent = errors.New("gateway: notification malformed")

// Validate checks what every provider's Verify and Status return before anything is stored or applied: each text
// the ingest stores (id, type, references, payer e-mail) is check.Clean, a currency is an ISO 4217 code Bursar
// knows, the kind is one of the EventKinds and amounts are not negative. The error wraps ErrInvalidEvent and names
// the field, never quoting a bad value in full.
func (e Event) Validate() error {
	texts := []struct{ name, v string }{
		{"id", e.ID}, {"type", e.Type}, {"ref", e.Ref}, {"alt_ref", e.AltRef}, {"refund_ref", e.RefundRef},
		{"payer_email", e.PayerEmail},
	}
	for _, t := range texts {
		if !check.Clean(t.v) {
			return fmt.Errorf("%w: %s %s", ErrInvalidEvent, t.name, check.MsgNotText)
		}
	}
	switch e.Kind {
	case EventPaid, EventPending, EventFailed, EventExpired, EventRefunded, EventIgnored:
	case EventDispute:
		if err := e.Dispute.validate(); err != nil {
			return err
		}
	case EventSubscription:
		if err := e.Subscription.validate(); err != nil {
			return err
		}
	case EventCharge:
		if err := e.Charge.validate(); err != nil {
			return err
		}
	default:
		return fmt.Errorf("%w: kind %.20q", ErrInvalidEvent, string(e.Kind))
	}
	if c := e.Amount.Currency; c != "" && !money.Known(c) {
		return fmt.Errorf("%w: currency %.10q is not an ISO 4217 code", ErrInvalidEvent, strings.ToValidUTF8(c, "?"))
	}
	if e.Amount.Amount < 0 || e.RefundedAmount < 0 {
		return fmt.Errorf("%w: negative amount", ErrInvalidEvent)
	}
	return nil
}
