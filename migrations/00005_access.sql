-- +goose Up
-- Access of a contact to a product, with where it came from. Transfers revoke the old grant and create a new one
-- that points back at it, so history is kept.
CREATE TABLE access_grants (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    contact_id      bigint      NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    product_id      bigint      NOT NULL REFERENCES products (id),
    source          text        NOT NULL CHECK (source IN ('order', 'manual', 'api', 'import', 'transfer')),
    source_ref      text        NOT NULL DEFAULT '', -- order id, admin e-mail, API key name
    transferred_from bigint REFERENCES access_grants (id) ON DELETE SET NULL, -- the grant this one was moved from
    starts_at       timestamptz NOT NULL DEFAULT now(),
    ends_at         timestamptz,  -- NULL: forever
    revoked_at      timestamptz,
    revoke_reason   text        NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX access_grants_contact_idx ON access_grants (contact_id, id);
CREATE INDEX access_grants_product_idx ON access_grants (product_id);
CREATE INDEX access_grants_transferred_from_idx ON access_grants (transferred_from) WHERE transferred_from IS NOT NULL;

-- +goose Down
DROP TABLE access_grants;
