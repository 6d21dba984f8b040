-- +goose Up
-- What access is granted to.
CREATE TABLE products (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name         text        NOT NULL,
    kind         text        NOT NULL CHECK (kind IN ('course', 'module', 'webinar', 'marathon', 'consultation')),
    description  text        NOT NULL DEFAULT '',
    parent_id    bigint REFERENCES products (id), -- a module's course
    external_url text        NOT NULL DEFAULT '',
    external_id  text        NOT NULL DEFAULT '',
    archived_at  timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX products_name_idx ON products (lower(name));

-- What is sold: a price plan for one or more products.
CREATE TABLE offers (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title               text        NOT NULL,
    slug                text        NOT NULL,
    description         text        NOT NULL DEFAULT '', -- markdown, sanitized when rendered
    status              text        NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'archived')),
    amount              bigint      NOT NULL CHECK (amount >= 0),
    currency            text        NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    kind                text        NOT NULL DEFAULT 'one_time' CHECK (kind IN ('one_time', 'recurring', 'installments')),
    recurring_interval  text        NOT NULL DEFAULT '' CHECK (recurring_interval IN ('', 'week', 'month', 'year', 'custom')),
    recurring_days      integer     CHECK (recurring_days > 0),
    installments        integer     CHECK (installments BETWEEN 2 AND 36),
    access_days         integer     CHECK (access_days > 0), -- NULL: forever
    guest_checkout      boolean     NOT NULL DEFAULT false,
    registration_fields jsonb       NOT NULL DEFAULT '[]',
    language            text        NOT NULL DEFAULT 'en',
    success_url         text        NOT NULL DEFAULT '',
    failure_url         text        NOT NULL DEFAULT '',
    success_message     text        NOT NULL DEFAULT '',
    failure_message     text        NOT NULL DEFAULT '',
    contact_email       text        NOT NULL DEFAULT '',
    contact_phone       text        NOT NULL DEFAULT '',
    contact_note        text        NOT NULL DEFAULT '',
    manual_confirm_days integer     NOT NULL DEFAULT 30 CHECK (manual_confirm_days BETWEEN 1 AND 365),
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX offers_slug_key ON offers (slug);
CREATE INDEX offers_title_idx ON offers (lower(title));

CREATE TABLE offer_products (
    offer_id   bigint NOT NULL REFERENCES offers (id) ON DELETE CASCADE,
    product_id bigint NOT NULL REFERENCES products (id),
    PRIMARY KEY (offer_id, product_id)
);
CREATE INDEX offer_products_product_idx ON offer_products (product_id);

CREATE TABLE offer_payment_systems (
    offer_id          bigint  NOT NULL REFERENCES offers (id) ON DELETE CASCADE,
    payment_system_id bigint  NOT NULL REFERENCES payment_systems (id),
    position          integer NOT NULL DEFAULT 0,
    PRIMARY KEY (offer_id, payment_system_id)
);

-- +goose Down
DROP TABLE offer_payment_systems;
DROP TABLE offer_products;
DROP TABLE offers;
DROP TABLE products;
