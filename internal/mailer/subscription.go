package mailer

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/subscription"
)

// SubscriptionEmailTx queues a subscription e-mail (past due with the update link, cancelled) in tx, in the
// subscription's language.
func (m *Mailer) SubscriptionEmailTx(ctx context.Context, tx pgx.Tx, e subscription.Email) error {
	return subscription.ErrNotYet
}
