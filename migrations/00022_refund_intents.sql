-- No gateway is asked inside a database transaction. A refund of a payment exception records its intent first
-- (committed), then the gateway is asked, then the answer is recorded; an intent (or an order's pending refund)
-- left by a crash between the gateway's answer and its recording is settled by the periodic re-check: asked again
-- with the same idempotency key where the gateway honours one, handed to a human otherwise.

-- +goose Up
ALTER TABLE payment_exceptions
    ADD COLUMN refund_status text NOT NULL DEFAULT '' CHECK (refund_status IN ('', 'pending', 'unconfirmed')),
    ADD COLUMN refund_key text NOT NULL DEFAULT '',   -- the idempotency key the gateway is asked with
    ADD COLUMN refund_note text NOT NULL DEFAULT '',  -- the admin's note, for the recording
    ADD COLUMN refund_actor text NOT NULL DEFAULT '', -- who asked
    ADD COLUMN refund_requested_at timestamptz,
    ADD COLUMN refund_checked_at timestamptz;         -- when the re-check last claimed the pending refund
CREATE INDEX payment_exceptions_refund_pending_idx ON payment_exceptions (refund_checked_at, id)
    WHERE refund_status = 'pending';

-- A pending refund the re-check could not settle is handed to a human (an exception of kind refund_unconfirmed)
-- and stays pending: its money stays counted, so it is never refunded twice.
ALTER TABLE refunds ADD COLUMN handed_over_at timestamptz;
CREATE INDEX refunds_pending_idx ON refunds (updated_at, id) WHERE status = 'pending' AND handed_over_at IS NULL;

ALTER TABLE payment_exceptions DROP CONSTRAINT payment_exceptions_kind_check;
ALTER TABLE payment_exceptions ADD CONSTRAINT payment_exceptions_kind_check
    CHECK (kind IN ('amount_mismatch', 'currency_mismatch', 'late_payment', 'no_email', 'outside_refund',
                    'unknown_order', 'foreign_system', 'refund_unconfirmed'));

-- +goose Down
DELETE FROM payment_exceptions WHERE kind = 'refund_unconfirmed';
ALTER TABLE payment_exceptions DROP CONSTRAINT payment_exceptions_kind_check;
ALTER TABLE payment_exceptions ADD CONSTRAINT payment_exceptions_kind_check
    CHECK (kind IN ('amount_mismatch', 'currency_mismatch', 'late_payment', 'no_email', 'outside_refund',
                    'unknown_order', 'foreign_system'));
DROP INDEX refunds_pending_idx;
ALTER TABLE refunds DROP COLUMN handed_over_at;
DROP INDEX payment_exceptions_refund_pending_idx;
ALTER TABLE payment_exceptions DROP COLUMN refund_checked_at, DROP COLUMN refund_requested_at, DROP COLUMN refund_actor, DROP COLUMN refund_note,
    DROP COLUMN refund_key, DROP COLUMN refund_status;
