-- +goose Up
-- Sales made elsewhere, imported from a CSV file (internal/importer, issue 16): the file as uploaded (previewed,
-- then committed), and one row per sale it brought in.
CREATE TABLE imports (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    file_name       text        NOT NULL DEFAULT '',
    content         bytea       NOT NULL,
    row_count       integer     NOT NULL,
    bad_rows        integer     NOT NULL,
    status          text        NOT NULL DEFAULT 'previewed' CHECK (status IN ('previewed', 'committed')),
    welcome         boolean     NOT NULL DEFAULT false,
    record_payments boolean     NOT NULL DEFAULT false,
    -- What the last commit did.
    created         integer     NOT NULL DEFAULT 0,
    updated         integer     NOT NULL DEFAULT 0,
    granted         integer     NOT NULL DEFAULT 0,
    unchanged       integer     NOT NULL DEFAULT 0,
    created_by      text        NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    committed_at    timestamptz
);
-- The file is read whole or not at all, and lists never select it: out of line, not compressed again.
ALTER TABLE imports ALTER COLUMN content SET STORAGE EXTERNAL;

-- One row per sale ever imported, by its key (external reference, e-mail, product): a second import of the same
-- sale finds it here and changes nothing.
CREATE TABLE import_rows (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    import_id    bigint      NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    line         integer     NOT NULL,
    external_ref text        NOT NULL,
    email        text        NOT NULL, -- lower-cased
    product_id   bigint      NOT NULL REFERENCES products (id),
    contact_id   bigint      NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    grant_id     bigint      REFERENCES access_grants (id) ON DELETE SET NULL,
    starts_at    timestamptz NOT NULL,
    ends_at      timestamptz,
    amount       bigint,
    currency     text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT import_rows_key UNIQUE (external_ref, email, product_id)
);
CREATE INDEX import_rows_import_idx ON import_rows (import_id, line);

-- +goose Down
DROP TABLE import_rows;
DROP TABLE imports;
