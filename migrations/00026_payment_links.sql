-- Payment links (issue 13): a request to pay addressed to one contact, for an offer or a custom one-time amount,
-- paid at most once; offers sold only by link (unlisted); orders opened from a link (channel 'link').

-- +goose Up
ALTER TABLE offers ADD COLUMN unlisted boolean NOT NULL DEFAULT false;
-- link_only: the offer internal/paylink made for one link's custom amount. It is no part of the catalog (the lists
-- and pickers leave it out), cannot be edited, and is always unlisted.
ALTER TABLE offers ADD COLUMN link_only boolean NOT NULL DEFAULT false,
    ADD CONSTRAINT offers_link_only_unlisted CHECK (unlisted OR NOT link_only);

ALTER TABLE orders DROP CONSTRAINT orders_channel_check;
ALTER TABLE orders ADD CONSTRAINT orders_channel_check CHECK (channel IN ('checkout', 'admin', 'api', 'link'));

CREATE TABLE payment_links (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- The token is the id signed with the server's key (internal/paylink): nothing secret is stored here.
    contact_id         bigint      NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    -- The offer paid. A custom one-time amount is sold through an offer made for the link, in the same transaction
    -- (custom = true; the offer is link_only).
    offer_id           bigint      NOT NULL REFERENCES offers (id),
    custom             boolean     NOT NULL DEFAULT false,
    title              text        NOT NULL,          -- the offer's title when made, or the custom description
    amount             bigint      NOT NULL CHECK (amount > 0),
    currency           text        NOT NULL,
    payment_system_ids bigint[]    NOT NULL,
    language           text        NOT NULL,
    note               text        NOT NULL DEFAULT '',
    status             text        NOT NULL DEFAULT 'active'
        CHECK (status IN ('active', 'paid', 'cancelled', 'declined', 'expired', 'voided')),
    decline_reason     text        NOT NULL DEFAULT '',
    -- The order the link's payment opened (the latest); it completes the link. voided_by: the order paid another way.
    order_id           bigint REFERENCES orders (id),
    voided_by          bigint REFERENCES orders (id),
    creator_type       text        NOT NULL, -- admin or api (audit.Actor)
    creator_id         bigint,
    creator_label      text        NOT NULL,
    expires_at         timestamptz NOT NULL,
    first_opened_at    timestamptz,
    last_opened_at     timestamptz,
    decided_at         timestamptz,
    decided_by         text        NOT NULL DEFAULT '',
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CHECK ((status = 'active') = (decided_at IS NULL))
);
-- The list is keyset-paged by id (newest first) under each filter.
CREATE INDEX payment_links_status_idx ON payment_links (status, id);
CREATE INDEX payment_links_contact_idx ON payment_links (contact_id, id);
CREATE INDEX payment_links_offer_idx ON payment_links (offer_id, id);
CREATE INDEX payment_links_creator_idx ON payment_links (creator_type, creator_id, id);
-- The order completion looks up the link of an order, and the active links of a contact and offer (voiding).
CREATE INDEX payment_links_order_idx ON payment_links (order_id) WHERE order_id IS NOT NULL;
CREATE INDEX payment_links_voidable_idx ON payment_links (contact_id, offer_id) WHERE status = 'active';
-- The expiry sweep reads the active links past their expiry.
CREATE INDEX payment_links_expiry_idx ON payment_links (expires_at) WHERE status = 'active';

-- A link's own timeline: created, sent, opened, paid, declined, cancelled, expired, voided.
CREATE TABLE payment_link_events (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    link_id    bigint      NOT NULL REFERENCES payment_links (id) ON DELETE CASCADE,
    kind       text        NOT NULL,
    message    text        NOT NULL,
    actor      text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payment_link_events_link_idx ON payment_link_events (link_id, id);

-- +goose Down
DROP TABLE payment_link_events;
DROP TABLE payment_links;
UPDATE orders SET channel = 'checkout' WHERE channel = 'link';
ALTER TABLE orders DROP CONSTRAINT orders_channel_check;
ALTER TABLE orders ADD CONSTRAINT orders_channel_check CHECK (channel IN ('checkout', 'admin', 'api'));
ALTER TABLE offers DROP COLUMN link_only;
ALTER TABLE offers DROP COLUMN unlisted;
