package paylink

import (
	"context"

	"github.com/bursar/bursar/internal/audit"
)

// OpenView is Open and then View of the same link, for the payer's page: the open is recorded and the page shown
// from one read of the link. A wrong or tampered token is check.ErrNotFound.
func (s *Service) OpenView(ctx context.Context, tok string) (View, error) {
	l, err := s.Open(ctx, tok)
	if err != nil {
		return View{}, err
	}
	return s.viewOf(ctx, l)
}

// PayerActor is who acts through link l's page (its payer, named by the link), for what the page does through
// other modules, such as a proof of payment attached to the link's order.
func PayerActor(l Link) audit.Actor { return payerActor(l) }
