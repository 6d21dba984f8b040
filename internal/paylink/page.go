package paylink

import (
	"context"
	"time"

	"github.com/bursar/bursar/internal/audit"
)

// OpenedResolution is how precisely the last opening of a link's page is kept: a page opened again within it of
// the last recorded opening writes nothing (a payer reloading, or a crawler behind a messenger's preview, costs one
// read, not a write transaction each time).
const OpenedResolution = time.Minute

// OpenView is what the payer's page shows for tok, recording that it was opened as Open does (the first opening,
// and the last to OpenedResolution), from one read of the link. A wrong or tampered token is check.ErrNotFound.
func (s *Service) OpenView(ctx context.Context, tok string) (View, error) {
	l, err := s.ByToken(ctx, tok)
	if err != nil {
		return View{}, err
	}
	if l.LastOpenedAt == nil || s.rec.clock().Sub(*l.LastOpenedAt) >= OpenedResolution {
		if l, err = s.open(ctx, l); err != nil {
			return View{}, err
		}
	}
	return s.viewOf(ctx, l)
}

// PayerActor is who acts through link l's page (its payer, named by the link), for what the page does through
// other modules, such as a proof of payment attached to the link's order.
func PayerActor(l Link) audit.Actor { return payerActor(l) }
