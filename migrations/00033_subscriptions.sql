-- +goose Up
-- Subscriptions charged by the gateway (issue 15, PRODUCT.md F6): a recurring offer sold through a payment system
-- that charges a saved card on schedule (Stripe, PayPal). The gateway owns the schedule; Bursar keeps the state its
-- notifications report, each charge as a completed order of the subscription's offer (channel 'subscription'), and
-- access until the paid period's end plus the offer's grace.

-- Recurring offers: every recurring_count weeks, months or years (or every recurring_days days), an optional trial,
-- an optional fixed number of charges (0: until cancelled); grace_days (00027) applies to them too.
ALTER TABLE offers
    ADD COLUMN recurring_count integer NOT NULL DEFAULT 1 CHECK (recurring_count BETWEEN 1 AND 52),
    ADD COLUMN trial_days      integer NOT NULL DEFAULT 0 CHECK (trial_days BETWEEN 0 AND 730),
    ADD COLUMN max_charges     integer NOT NULL DEFAULT 0 CHECK (max_charges BETWEEN 0 AND 1200);

CREATE SEQUENCE subscription_number_seq;

-- subscription_number formats the human-readable subscription number: S-000123.
-- +goose StatementBegin
CREATE FUNCTION subscription_number(n bigint) RETURNS text
    LANGUAGE sql IMMUTABLE
AS $$ SELECT 'S-' || CASE WHEN n < 1000000 THEN lpad(n::text, 6, '0') ELSE n::text END $$;
-- +goose StatementEnd

-- One subscription of one contact to one recurring offer through one payment system. 'pending' is the intent
-- written before the payer is sent to the gateway (no gateway_ref yet); the gateway's notifications move it on.
-- state_at is the gateway's time of the state recorded (the event's own timestamp): a notification carrying an
-- older state changes nothing, so deliveries in any order and any number of times end in the same row.
CREATE TABLE subscriptions (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    number               text        NOT NULL DEFAULT subscription_number(nextval('subscription_number_seq')),
    contact_id           bigint      NOT NULL REFERENCES contacts (id),
    offer_id             bigint      NOT NULL REFERENCES offers (id),
    offer_title          text        NOT NULL,
    payment_system_id    bigint      NOT NULL REFERENCES payment_systems (id),
    status               text        NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'trialing', 'active', 'past_due', 'paused', 'cancelled', 'ended')),
    amount               bigint      NOT NULL CHECK (amount > 0), -- one period's price, minor units
    currency             text        NOT NULL,
    interval             text        NOT NULL CHECK (interval IN ('day', 'week', 'month', 'year')),
    interval_count       integer     NOT NULL CHECK (interval_count BETWEEN 1 AND 3650),
    trial_days           integer     NOT NULL DEFAULT 0,
    max_charges          integer     NOT NULL DEFAULT 0,
    grace_days           integer     NOT NULL DEFAULT 0,
    language             text        NOT NULL DEFAULT 'en',
    gateway_ref          text        NOT NULL DEFAULT '', -- sub_… (Stripe), I-… (PayPal)
    customer_ref         text        NOT NULL DEFAULT '', -- cus_… (Stripe): the billing portal's customer
    checkout_ref         text        NOT NULL DEFAULT '', -- cs_… (Stripe Checkout Session), the PayPal approval's id
    current_period_start timestamptz,
    current_period_end   timestamptz,
    trial_end            timestamptz,
    paid_through         timestamptz, -- the latest paid period's end: access lasts until this plus grace_days
    cancel_at_period_end boolean     NOT NULL DEFAULT false,
    cancelled_at         timestamptz,
    ended_at             timestamptz,
    charges              integer     NOT NULL DEFAULT 0, -- charges recorded
    update_url           text        NOT NULL DEFAULT '', -- where the payer updates the card (a failed invoice's page)
    state_at             timestamptz, -- the gateway's time of the state recorded
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT subscriptions_number_key UNIQUE (number)
);
CREATE UNIQUE INDEX subscriptions_gateway_ref_key ON subscriptions (payment_system_id, gateway_ref) WHERE gateway_ref <> '';
CREATE INDEX subscriptions_contact_idx ON subscriptions (contact_id, id);
CREATE INDEX subscriptions_status_idx ON subscriptions (status, id);
CREATE INDEX subscriptions_offer_idx ON subscriptions (offer_id, id);

-- Each charge the gateway made (an invoice, a PayPal sale): once per (payment system, charge_ref) however many times
-- it is notified; order_id is the completed order that records it as a payment with its fee and net.
CREATE TABLE subscription_charges (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subscription_id   bigint      NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    payment_system_id bigint      NOT NULL REFERENCES payment_systems (id),
    charge_ref        text        NOT NULL, -- in_… (Stripe invoice), the PayPal sale id
    order_id          bigint      REFERENCES orders (id),
    status            text        NOT NULL CHECK (status IN ('paid', 'failed')),
    amount            bigint      NOT NULL CHECK (amount >= 0),
    currency          text        NOT NULL,
    period_start      timestamptz,
    period_end        timestamptz,
    charged_at        timestamptz NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT subscription_charges_ref_key UNIQUE (payment_system_id, charge_ref)
);
CREATE INDEX subscription_charges_subscription_idx ON subscription_charges (subscription_id, id);

-- Each subscription's own timeline (state changes, charges, manager actions), like an order's.
CREATE TABLE subscription_events (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subscription_id bigint      NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    kind            text        NOT NULL,
    message         text        NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX subscription_events_subscription_idx ON subscription_events (subscription_id, id);

-- A charge is an order of the subscription's offer, completed when the gateway reports it paid.
ALTER TABLE orders DROP CONSTRAINT orders_channel_check;
ALTER TABLE orders ADD CONSTRAINT orders_channel_check
    CHECK (channel IN ('checkout', 'admin', 'api', 'link', 'subscription'));

-- A charge in another amount or currency than the plan, and a notification naming no known subscription.
ALTER TABLE payment_exceptions DROP CONSTRAINT payment_exceptions_kind_check;
ALTER TABLE payment_exceptions ADD CONSTRAINT payment_exceptions_kind_check
    CHECK (kind IN ('amount_mismatch', 'currency_mismatch', 'late_payment', 'no_email', 'outside_refund',
                    'unknown_order', 'foreign_system', 'refund_unconfirmed', 'dispute', 'refund_access',
                    'subscription_charge', 'unknown_subscription'));

-- +goose Down
DELETE FROM payment_exceptions WHERE kind IN ('subscription_charge', 'unknown_subscription');
ALTER TABLE payment_exceptions DROP CONSTRAINT payment_exceptions_kind_check;
ALTER TABLE payment_exceptions ADD CONSTRAINT payment_exceptions_kind_check
    CHECK (kind IN ('amount_mismatch', 'currency_mismatch', 'late_payment', 'no_email', 'outside_refund',
                    'unknown_order', 'foreign_system', 'refund_unconfirmed', 'dispute', 'refund_access'));
DROP TABLE subscription_events;
DROP TABLE subscription_charges;
DROP TABLE subscriptions;
DROP FUNCTION subscription_number(bigint);
DROP SEQUENCE subscription_number_seq;
UPDATE orders SET channel = 'checkout' WHERE channel = 'subscription';
ALTER TABLE orders DROP CONSTRAINT orders_channel_check;
ALTER TABLE orders ADD CONSTRAINT orders_channel_check CHECK (channel IN ('checkout', 'admin', 'api', 'link'));
ALTER TABLE offers DROP COLUMN max_charges, DROP COLUMN trial_days, DROP COLUMN recurring_count;
