-- +goose Up
-- Gateway notifications and the payment exceptions they may open. Only verified notifications are stored (a forged
-- one writes nothing); (payment system, gateway event id) is unique, so a notification delivered many times, or to
-- several processes at once, is applied by exactly one transaction: the others find its row and stop.
CREATE TABLE gateway_events (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    payment_system_id bigint      NOT NULL REFERENCES payment_systems (id),
    event_id          text        NOT NULL,               -- the gateway's own id (Stripe evt_…)
    type              text        NOT NULL,               -- the gateway's event type, as sent
    kind              text        NOT NULL,               -- what it means for Bursar: paid, pending, failed, …
    order_id          bigint      REFERENCES orders (id) ON DELETE SET NULL, -- NULL: no order could be found
    body              text        NOT NULL,               -- verbatim, as received
    received_at       timestamptz NOT NULL DEFAULT now(),
    processed_at      timestamptz,
    result            text        NOT NULL DEFAULT '',    -- what applying it did, in a word or two
    CONSTRAINT gateway_events_event_key UNIQUE (payment_system_id, event_id)
);
CREATE INDEX gateway_events_order_idx ON gateway_events (order_id, id) WHERE order_id IS NOT NULL;
CREATE INDEX gateway_events_received_idx ON gateway_events (received_at);

-- Money the gateway reported that Bursar would not apply by itself: a human decides.
CREATE TABLE payment_exceptions (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind              text        NOT NULL CHECK (kind IN ('amount_mismatch', 'currency_mismatch', 'late_payment',
                                                           'no_email', 'outside_refund', 'unknown_order')),
    order_id          bigint      REFERENCES orders (id) ON DELETE SET NULL,
    payment_system_id bigint      NOT NULL REFERENCES payment_systems (id),
    gateway_event_id  bigint      REFERENCES gateway_events (id) ON DELETE SET NULL,
    gateway_ref       text        NOT NULL DEFAULT '',
    amount            bigint      NOT NULL DEFAULT 0, -- what the gateway reported, minor units of currency
    currency          text        NOT NULL DEFAULT '',
    status            text        NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
    note              text        NOT NULL DEFAULT '',
    resolved_by       text        NOT NULL DEFAULT '',
    resolved_at       timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payment_exceptions_status_idx ON payment_exceptions (status, id);
CREATE INDEX payment_exceptions_order_idx ON payment_exceptions (order_id) WHERE order_id IS NOT NULL;

-- A gateway's payment reference names one payment; the second reference (Stripe's PaymentIntent of a Checkout
-- Session) is what later notifications such as charge.refunded carry.
ALTER TABLE payments ADD COLUMN gateway_alt_ref text NOT NULL DEFAULT '';
CREATE UNIQUE INDEX payments_gateway_ref_key ON payments (payment_system_id, gateway_ref) WHERE gateway_ref <> '';
CREATE INDEX payments_gateway_alt_ref_idx ON payments (payment_system_id, gateway_alt_ref) WHERE gateway_alt_ref <> '';

-- +goose Down
DROP INDEX payments_gateway_alt_ref_idx;
DROP INDEX payments_gateway_ref_key;
ALTER TABLE payments DROP COLUMN gateway_alt_ref;
DROP TABLE payment_exceptions;
DROP TABLE gateway_events;
