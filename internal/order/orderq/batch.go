package orderq

import "github.com/jackc/pgx/v5"

// Written by hand (sqlc generates no batch of mixed queries): a generated statement queued on a caller's batch.

// QueuePaymentAttachRef queues PaymentAttachRef on b; its command tag's rows affected is PaymentAttachRef's result.
func QueuePaymentAttachRef(b *pgx.Batch, arg PaymentAttachRefParams) *pgx.QueuedQuery {
	return b.Queue(paymentAttachRef, arg.GatewayRef, arg.ID)
}
