package webhook

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/events"
	"github.com/bursar/bursar/internal/webhook/webhookq"
)

// Deliveries is an endpoint's delivery log, newest first: f.Status narrows it (field "status"), f.Before pages it
// (ids below), f.Limit bounds it (MaxDeliveries, also when 0).
func (s *Service) Deliveries(ctx context.Context, endpointID int64, f DeliveryFilter) ([]Delivery, error) {
	var status *string
	switch f.Status {
	case "":
	case StatusPending, StatusSucceeded, StatusFailed, StatusCancelled:
		status = &f.Status
	default:
		return nil, check.Field("status", "must be pending, succeeded, failed or cancelled")
	}
	if f.Limit <= 0 || f.Limit > MaxDeliveries {
		f.Limit = MaxDeliveries
	}
	q := webhookq.New(s.db)
	if _, err := q.EndpointByID(ctx, endpointID); err != nil {
		return nil, notFound(err)
	}
	rows, err := q.DeliveryList(ctx, webhookq.DeliveryListParams{EndpointID: endpointID, Status: status, Before: f.Before,
		Lim: int32(f.Limit)})
	if err != nil {
		return nil, err
	}
	out := make([]Delivery, 0, len(rows))
	for _, r := range rows {
		d := Delivery{ID: r.ID, EndpointID: r.EndpointID, EventID: r.MsgID, EventType: events.Type(r.Type),
			Status: r.Status, Attempts: int(r.Attempts), CreatedAt: r.CreatedAt}
		if r.NextAt != nil {
			d.NextAt = *r.NextAt
		}
		out = append(out, d)
	}
	return out, nil
}

// Delivery reads one delivery with its tries (newest first) and payload.
func (s *Service) Delivery(ctx context.Context, id int64) (Delivery, error) {
	q := webhookq.New(s.db)
	r, err := q.DeliveryGet(ctx, id)
	if err != nil {
		return Delivery{}, notFound(err)
	}
	d := Delivery{ID: r.ID, EndpointID: r.EndpointID, EventID: r.MsgID, EventType: events.Type(r.Type), Status: r.Status,
		Attempts: int(r.Attempts), CreatedAt: r.CreatedAt, Payload: r.Payload}
	if r.NextAt != nil {
		d.NextAt = *r.NextAt
	}
	tries, err := q.AttemptsOf(ctx, id)
	if err != nil {
		return Delivery{}, err
	}
	d.Tries = make([]Attempt, 0, len(tries))
	for _, t := range tries {
		d.Tries = append(d.Tries, Attempt{At: t.At, StatusCode: int(t.StatusCode), Error: t.Error,
			ResponseBody: t.ResponseBody, Duration: time.Duration(t.DurationUs) * time.Microsecond})
	}
	return d, nil
}

// resendJob inserts a resend's job: one try, now.
const resendJob = `INSERT INTO river_job (args, kind, max_attempts)
VALUES (jsonb_build_object('delivery_id', $1::bigint, 'resend', true), $2::text, 1)`

// Resend queues a new try of a delivery now, with the same webhook-id, whatever its status (a person asked): one
// try, recorded in the log; a success marks the delivery succeeded, a failure leaves its status as it was.
func (s *Service) Resend(ctx context.Context, id int64) (Delivery, error) {
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		now := s.clock()
		if _, err := webhookq.New(tx).DeliveryResend(ctx, webhookq.DeliveryResendParams{ID: id, Now: &now}); err != nil {
			return notFound(err)
		}
		if _, err := tx.Exec(ctx, resendJob, id, DeliverArgs{}.Kind()); err != nil {
			return fmt.Errorf("queue the resend of delivery %d: %w", id, err)
		}
		return s.audit.RecordTx(ctx, tx, "webhook_delivery.resend", "webhook_delivery", id, nil)
	})
	if err != nil {
		return Delivery{}, err
	}
	return s.Delivery(ctx, id)
}

// SendTest queues a test event ("webhook.test", data {"id": <endpoint id>}) to the endpoint, enabled or not,
// delivered and retried as any event.
func (s *Service) SendTest(ctx context.Context, id int64) (Delivery, error) {
	var did int64
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		if _, err := webhookq.New(tx).EndpointByID(ctx, id); err != nil {
			return notFound(err)
		}
		ids, err := s.insertTx(ctx, tx, []events.Event{{Type: TestEvent, ID: id}}, id)
		if err != nil {
			return err
		}
		if len(ids) != 1 {
			return fmt.Errorf("webhook test of endpoint %d: %d deliveries", id, len(ids))
		}
		did = ids[0]
		return s.audit.RecordTx(ctx, tx, "webhook_endpoint.test", "webhook_endpoint", id, map[string]any{"delivery_id": did})
	})
	if err != nil {
		return Delivery{}, err
	}
	return s.Delivery(ctx, did)
}
