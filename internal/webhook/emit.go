package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/db"
	"github.com/bursar/bursar/internal/events"
	"github.com/bursar/bursar/internal/webhook/webhookq"
)

// payload is a message's body, as the Standard Webhooks specification shapes it.
type payload struct {
	Type      events.Type     `json:"type"`
	Timestamp string          `json:"timestamp"` // RFC 3339, UTC
	Data      json.RawMessage `json:"data"`
}

// eventsWithDeliveries writes the events, a pending delivery for each enabled endpoint subscribed to an event's type
// (or, with $7 non-zero, for that endpoint only) and the River job of each delivery, in one statement. The job row is
// the one River's client writes for DeliverArgs with its InsertOpts, as notify's outbox writes its jobs (no unique
// key: each delivery is new; no insert notification: an idle worker finds it at its next fetch poll, 1 s).
const eventsWithDeliveries = `WITH ev AS (
    INSERT INTO webhook_events (msg_id, type, kind, object_id, payload, created_at)
    SELECT x.msg_id, x.type, x.kind, x.object_id, x.payload, $6::timestamptz
    FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bytea[]) AS x(msg_id, type, kind, object_id, payload)
    RETURNING id, type
), d AS (
    INSERT INTO webhook_deliveries (endpoint_id, event_id, next_at, created_at, updated_at)
    SELECT e.id, ev.id, $6, $6, $6
    FROM ev JOIN webhook_endpoints e ON CASE WHEN $7::bigint = 0 THEN e.enabled AND ev.type = ANY (e.types)
                                            ELSE e.id = $7 END
    RETURNING id
), j AS (
    INSERT INTO river_job (args, kind, max_attempts)
    SELECT jsonb_build_object('delivery_id', d.id, 'until', $8::bigint), $9::text, $10::smallint FROM d
)
SELECT coalesce(array_agg(id ORDER BY id), '{}') FROM d`

// EmitTx records evs in the caller's transaction with a delivery to every enabled endpoint subscribed to their
// types, and the jobs that deliver them: all of it only if tx commits. Each event's object is rendered once, with
// Deps.Render in tx, as of now. While the cache of subscribed types is live (Run), events of types no endpoint
// subscribes to cost nothing: no query; otherwise the subscriptions are read in tx first.
func (s *Service) EmitTx(ctx context.Context, tx pgx.Tx, evs ...events.Event) error {
	if len(evs) == 0 {
		return nil
	}
	subscribed, live := s.subs.subscribed()
	if !live {
		types, err := subscribedTypes(ctx, tx)
		if err != nil {
			return fmt.Errorf("webhook subscriptions: %w", err)
		}
		subscribed = types
	}
	wanted := evs[:0:0]
	for _, ev := range evs {
		if subscribed[ev.Type] {
			wanted = append(wanted, ev)
		}
	}
	if len(wanted) == 0 {
		return nil
	}
	_, err := s.insertTx(ctx, tx, wanted, 0)
	return err
}

// insertTx renders and writes evs with their deliveries (to endpoint only when non-zero) and jobs; it returns the
// deliveries' ids.
func (s *Service) insertTx(ctx context.Context, tx pgx.Tx, evs []events.Event, endpoint int64) ([]int64, error) {
	now := s.clock()
	n := len(evs)
	ids, types, kinds := make([]string, n), make([]string, n), make([]string, n)
	objects, bodies := make([]int64, n), make([][]byte, n)
	rendered := map[events.Event][]byte{}
	for i, ev := range evs {
		k, ok := events.KindOf(ev.Type)
		if !ok && ev.Type != TestEvent {
			return nil, fmt.Errorf("webhook: unknown event type %q", ev.Type)
		}
		body, ok := rendered[ev]
		if !ok {
			data := json.RawMessage(`{"id":` + fmt.Sprint(ev.ID) + `}`)
			if ev.Type != TestEvent {
				var err error
				if data, err = s.deps.Render(ctx, tx, k, ev.ID); err != nil {
					return nil, fmt.Errorf("render %s %d for %s: %w", k, ev.ID, ev.Type, err)
				}
			} else {
				k = "test"
			}
			var err error
			if body, err = json.Marshal(payload{Type: ev.Type, Timestamp: now.Format(time.RFC3339Nano), Data: data}); err != nil {
				return nil, fmt.Errorf("encode %s: %w", ev.Type, err)
			}
			rendered[ev] = body
		}
		ids[i], types[i], kinds[i], objects[i], bodies[i] = newMsgID(), string(ev.Type), string(k), ev.ID, body
	}
	var out []int64
	if err := tx.QueryRow(ctx, eventsWithDeliveries, ids, types, kinds, objects, bodies, now, endpoint,
		now.Add(GiveUpAfter).Unix(), DeliverArgs{}.Kind(), DeliverArgs{}.InsertOpts().MaxAttempts).Scan(&out); err != nil {
		return nil, fmt.Errorf("insert %d webhook events: %w", n, err)
	}
	return out, nil
}

// subscribedTypes reads the types some enabled endpoint receives.
func subscribedTypes(ctx context.Context, q db.DBTX) (map[events.Type]bool, error) {
	rows, err := webhookq.New(q).SubscribedTypes(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[events.Type]bool, len(rows))
	for _, t := range rows {
		out[events.Type(t)] = true
	}
	return out, nil
}
