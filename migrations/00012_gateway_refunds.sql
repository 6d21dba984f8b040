-- +goose Up
-- Refunds through the gateway. A refund Bursar asks a gateway for is written first as pending (in its own committed
-- transaction, under the order's lock), so a second request made meanwhile counts it and cannot refund the same
-- money again; the gateway's answer then makes it succeeded (with the gateway's refund id) or failed. Refunds
-- recorded before this migration, and the manual merchant's, are succeeded.
ALTER TABLE refunds ADD COLUMN status text NOT NULL DEFAULT 'succeeded'
    CHECK (status IN ('pending', 'succeeded', 'failed'));
ALTER TABLE refunds ADD COLUMN gateway_ref text NOT NULL DEFAULT ''; -- the gateway's refund id (Stripe re_…)
ALTER TABLE refunds ADD COLUMN failure text NOT NULL DEFAULT '';     -- why the gateway did not make it
ALTER TABLE refunds ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();

-- Re-checks: when Bursar last asked the gateway about a payment attempt still pending or processing, so the
-- periodic re-check asks about each at most once per interval.
ALTER TABLE payments ADD COLUMN last_checked_at timestamptz;
CREATE INDEX payments_recheck_idx ON payments (created_at, id)
    WHERE status IN ('pending', 'processing') AND gateway_ref <> '';

-- +goose Down
DROP INDEX payments_recheck_idx;
ALTER TABLE payments DROP COLUMN last_checked_at;
DELETE FROM refunds WHERE status <> 'succeeded';
ALTER TABLE refunds DROP COLUMN updated_at;
ALTER TABLE refunds DROP COLUMN failure;
ALTER TABLE refunds DROP COLUMN gateway_ref;
ALTER TABLE refunds DROP COLUMN status;
