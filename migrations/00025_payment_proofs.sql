-- Proofs of payment (issue 13 point 4): the file a payer uploads for a manual (bank transfer) order waiting for a
-- manager, kept in PostgreSQL so every process serves it. Owned by the order module.

-- +goose Up
CREATE TABLE payment_proofs (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id     bigint      NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    -- the order's pending manual payment the proof is for (NULL once that payment is gone)
    payment_id   bigint      REFERENCES payments (id) ON DELETE SET NULL,
    contact_id   bigint      NOT NULL REFERENCES contacts (id), -- who uploaded it: the order's contact
    paid_on      date        NOT NULL,                          -- the date the payer says they paid
    reference    text        NOT NULL DEFAULT '',               -- the payer's transfer reference
    file_name    text        NOT NULL,                          -- the original name, sanitised
    -- detected from the bytes, never from the name or the declared type
    content_type text        NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png', 'application/pdf')),
    size         integer     NOT NULL CHECK (size > 0 AND size <= 10485760),
    sha256       bytea       NOT NULL CHECK (octet_length(sha256) = 32),
    body         bytea       NOT NULL CHECK (octet_length(body) = size),
    created_at   timestamptz NOT NULL DEFAULT now(),
    -- the same file sent twice for an order (a double submit, a reload) is one proof
    CONSTRAINT payment_proofs_once UNIQUE (order_id, sha256)
);
-- JPEG, PNG and PDF are compressed already: kept out of line without a second compression.
ALTER TABLE payment_proofs ALTER COLUMN body SET STORAGE EXTERNAL;

-- +goose Down
DROP TABLE payment_proofs;
