-- +goose Up
-- Orders: one purchase of one offer by one contact, with its payments, refunds, its own timeline and the access
-- grants it created. The state machine (open → completed | rejected | expired | cancelled, completed → refunded) is
-- enforced by conditional updates in internal/order; the CHECK keeps the words right.
CREATE SEQUENCE order_number_seq;

-- order_number formats the human-readable order number: B-000123 (never truncated past six digits).
-- +goose StatementBegin
CREATE FUNCTION order_number(n bigint) RETURNS text
    LANGUAGE sql IMMUTABLE
AS $$ SELECT 'B-' || CASE WHEN n < 1000000 THEN lpad(n::text, 6, '0') ELSE n::text END $$;
-- +goose StatementEnd

CREATE TABLE orders (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    number            text        NOT NULL DEFAULT order_number(nextval('order_number_seq')),
    status            text        NOT NULL DEFAULT 'open'
        CHECK (status IN ('open', 'completed', 'rejected', 'expired', 'cancelled', 'refunded')),
    offer_id          bigint      NOT NULL REFERENCES offers (id),
    offer_title       text        NOT NULL,
    contact_id        bigint      NOT NULL REFERENCES contacts (id), -- payment history outlives no contact: delete is refused
    payment_system_id bigint      NOT NULL REFERENCES payment_systems (id),
    amount            bigint      NOT NULL CHECK (amount >= 0), -- what the payer owes, minor units
    currency          text        NOT NULL,
    list_amount       bigint      NOT NULL CHECK (list_amount >= 0), -- the offer's price when ordered
    list_currency     text        NOT NULL,
    language          text        NOT NULL DEFAULT 'en',
    channel           text        NOT NULL CHECK (channel IN ('checkout', 'admin', 'api')),
    deadline_at       timestamptz, -- manual orders: rejected automatically after this
    decided_at        timestamptz,
    decided_by        text        NOT NULL DEFAULT '', -- who decided, as the actor was labelled then
    decision_note     text        NOT NULL DEFAULT '',
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT orders_number_key UNIQUE (number)
);
-- A second click, reload or double submit never opens a second order for the same contact and offer.
CREATE UNIQUE INDEX orders_open_once ON orders (contact_id, offer_id) WHERE status = 'open';
-- The admin list is keyset-paged by id (newest first) under each filter.
CREATE INDEX orders_status_idx ON orders (status, id);
CREATE INDEX orders_offer_idx ON orders (offer_id, id);
CREATE INDEX orders_payment_system_idx ON orders (payment_system_id, id);
CREATE INDEX orders_contact_idx ON orders (contact_id, id);
CREATE INDEX orders_created_idx ON orders (created_at);
CREATE INDEX orders_deadline_idx ON orders (deadline_at) WHERE status = 'open';

CREATE TABLE payments (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id          bigint      NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    payment_system_id bigint      NOT NULL REFERENCES payment_systems (id),
    status            text        NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'processing', 'succeeded', 'failed', 'refunded', 'partially_refunded')),
    amount            bigint      NOT NULL CHECK (amount >= 0),
    currency          text        NOT NULL,
    fee               bigint      NOT NULL DEFAULT 0, -- minor units of currency
    net               bigint      NOT NULL DEFAULT 0,
    paid_on           date        NOT NULL,
    comment           text        NOT NULL DEFAULT '',
    gateway_ref       text        NOT NULL DEFAULT '',
    payer_email       text        NOT NULL DEFAULT '',
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payments_order_idx ON payments (order_id, id);
CREATE INDEX payments_status_idx ON payments (status, id);
CREATE INDEX payments_payment_system_idx ON payments (payment_system_id, id);

CREATE TABLE refunds (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    payment_id bigint      NOT NULL REFERENCES payments (id) ON DELETE CASCADE,
    amount     bigint      NOT NULL CHECK (amount > 0),
    currency   text        NOT NULL,
    comment    text        NOT NULL DEFAULT '',
    actor      text        NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refunds_payment_idx ON refunds (payment_id);

-- The order's own timeline, shown on the admin order page.
CREATE TABLE order_events (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id   bigint      NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    kind       text        NOT NULL,
    message    text        NOT NULL,
    actor      text        NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX order_events_order_idx ON order_events (order_id, id);

-- The access grants an order created (or extended), so a refund revokes exactly those. Grant ids are access's;
-- this module never reads access tables.
CREATE TABLE order_grants (
    order_id   bigint  NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    grant_id   bigint  NOT NULL,
    product_id bigint  NOT NULL,
    created    boolean NOT NULL, -- false: the order extended a grant the contact already had
    PRIMARY KEY (order_id, grant_id)
);

-- +goose Down
DROP TABLE order_grants;
DROP TABLE order_events;
DROP TABLE refunds;
DROP TABLE payments;
DROP TABLE orders;
DROP FUNCTION order_number(bigint);
DROP SEQUENCE order_number_seq;
