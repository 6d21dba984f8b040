-- +goose Up
-- A gateway notification that failed to apply is kept (issue 15, replay): it was verified, so it is stored with
-- result 'apply_failed', the error, how many times applying it failed and when last, and the event as the provider
-- read it (the normalized gateway.Event, JSON), so that a manager can replay it once the cause is fixed without the
-- gateway's signature headers. A later delivery of the same event, or a replay, applies it and records its result;
-- apply_error and failures stay as the history.
ALTER TABLE gateway_events
    ADD COLUMN apply_error text        NOT NULL DEFAULT '',
    ADD COLUMN failures    integer     NOT NULL DEFAULT 0,
    ADD COLUMN failed_at   timestamptz,
    ADD COLUMN event       jsonb;
CREATE INDEX gateway_events_failed_idx ON gateway_events (id) WHERE result = 'apply_failed';

-- +goose Down
DROP INDEX gateway_events_failed_idx;
ALTER TABLE gateway_events DROP COLUMN event, DROP COLUMN failed_at, DROP COLUMN failures, DROP COLUMN apply_error;
