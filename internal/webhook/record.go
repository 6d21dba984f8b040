package webhook

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/webhook/webhookq"
)

// record writes a try in one transaction: the attempt, the delivery's count, status and next try, and the
// endpoint's run of failures (cleared by a success). An endpoint whose run of failures reaches GiveUpAfter is
// disabled with a reason, its pending deliveries cancelled and its owners e-mailed, in the same transaction.
func (s *Service) record(ctx context.Context, d webhookq.DeliveryForWorkRow, res result, final bool, next *time.Time) error {
	// Record the try even when the job's context is ending (timeout, shutdown).
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	disabled := false
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		q := webhookq.New(tx)
		now := s.clock()
		if err := q.AttemptInsert(ctx, webhookq.AttemptInsertParams{DeliveryID: d.ID, At: res.At, StatusCode: int32(res.Status),
			Error: res.Err, ResponseBody: res.Body, DurationUs: res.Duration.Microseconds()}); err != nil {
			return fmt.Errorf("record the try of delivery %d: %w", d.ID, err)
		}
		if _, err := q.DeliveryRecord(ctx, webhookq.DeliveryRecordParams{ID: d.ID, Succeeded: res.ok(), Final: final,
			NextAt: next, Now: now}); err != nil {
			return fmt.Errorf("record delivery %d: %w", d.ID, err)
		}
		if res.ok() {
			return q.EndpointSucceeded(ctx, d.EndpointID)
		}
		f, err := q.EndpointFailed(ctx, webhookq.EndpointFailedParams{ID: d.EndpointID, Now: now})
		if err != nil {
			return fmt.Errorf("record the failure of endpoint %d: %w", d.EndpointID, err)
		}
		if !f.Enabled || now.Sub(f.FailingSince) < GiveUpAfter {
			return nil
		}
		disabled = true
		return s.disableTx(ctx, tx, d.EndpointID, f.FailingSince, now)
	})
	if err == nil && disabled {
		s.refresh(ctx)
		s.log.Warn("webhook endpoint disabled after failing for 3 days", "endpoint_id", d.EndpointID)
	}
	return err
}

// disableTx disables endpoint id, failing since since, cancels its pending deliveries and e-mails the owners.
func (s *Service) disableTx(ctx context.Context, tx pgx.Tx, id int64, since, now time.Time) error {
	q := webhookq.New(tx)
	reason := fmt.Sprintf("failing since %s", since.UTC().Format(time.RFC3339))
	n, err := q.EndpointDisable(ctx, webhookq.EndpointDisableParams{ID: id, Reason: reason, Now: now})
	if err != nil || n == 0 {
		return err
	}
	cancelled, err := q.DeliveriesCancelPending(ctx, webhookq.DeliveriesCancelPendingParams{EndpointID: id, Now: now})
	if err != nil {
		return fmt.Errorf("cancel the deliveries of endpoint %d: %w", id, err)
	}
	row, err := q.EndpointByID(ctx, id)
	if err != nil {
		return err
	}
	actx := audit.WithActor(ctx, audit.Actor{Type: audit.ActorSystem, Label: "webhooks"})
	if err := s.audit.RecordTx(actx, tx, "webhook_endpoint.disable", "webhook_endpoint", id,
		map[string]any{"reason": reason, "cancelled_deliveries": cancelled}); err != nil {
		return err
	}
	to, err := s.deps.Owners.OwnerEmailsTx(ctx, tx)
	if err != nil {
		return fmt.Errorf("owners to tell endpoint %d was disabled: %w", id, err)
	}
	if len(to) == 0 {
		return nil
	}
	return s.deps.Mailer.WebhookDisabledTx(ctx, tx, Disabled{Endpoint: endpoint(row), To: to, At: now})
}
