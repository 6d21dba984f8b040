-- +goose Up
-- Configured gateway accounts. Settings are public configuration; credentials are AES-GCM sealed with
-- BURSAR_SECRET_KEY and never leave the server in clear.
CREATE TABLE payment_systems (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    type               text        NOT NULL CHECK (type IN ('manual', 'stripe', 'paypal', 'redsys', 'wayforpay', 'fondy')),
    name               text        NOT NULL,
    description        text        NOT NULL DEFAULT '',
    image_url          text        NOT NULL DEFAULT '',
    mode               text        NOT NULL DEFAULT 'test' CHECK (mode IN ('test', 'live')),
    settings           jsonb       NOT NULL DEFAULT '{}',
    credentials_sealed bytea,
    -- Names of the credentials held in credentials_sealed (not their values), so screens can say "set" without
    -- opening the blob.
    credential_names   text[]      NOT NULL DEFAULT '{}',
    enabled            boolean     NOT NULL DEFAULT true,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE payment_systems;
