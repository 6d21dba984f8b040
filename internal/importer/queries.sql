-- name: ImportCreate :one
INSERT INTO imports (file_name, content, row_count, bad_rows, created_by)
VALUES (@file_name, @content, @row_count, @bad_rows, @created_by)
RETURNING id, created_at;

-- name: ImportGet :one
SELECT id, file_name, row_count, bad_rows, status, welcome, record_payments, created, updated, granted, unchanged,
       created_by, created_at, committed_at
FROM imports WHERE id = @id;

-- name: ImportContent :one
SELECT file_name, content FROM imports WHERE id = @id;

-- name: ImportList :many
SELECT id, file_name, row_count, bad_rows, status, welcome, record_payments, created, updated, granted, unchanged,
       created_by, created_at, committed_at
FROM imports
WHERE (sqlc.narg(before_id)::bigint IS NULL OR id < sqlc.narg(before_id))
ORDER BY id DESC LIMIT @lim;

-- name: ImportFinish :exec
UPDATE imports
SET status = 'committed', welcome = @welcome, record_payments = @record_payments, created = @created,
    updated = @updated, granted = @granted, unchanged = @unchanged, committed_at = now()
WHERE id = @id;

-- name: ImportLock :exec
-- Serialises the batches of one part of the rows (they are shared out by e-mail, the same way by every commit):
-- a batch of another commit holding some of the same rows waits, then finds them imported.
SELECT pg_advisory_xact_lock(hashtextextended('import_commit:' || @part::integer, 0));

-- name: ImportRowsDone :many
-- Which of the keys were imported already (e-mails lower-cased).
SELECT r.external_ref, r.email, r.product_id
FROM import_rows r
JOIN (SELECT unnest(@refs::text[]) AS ref, unnest(@emails::text[]) AS email, unnest(@products::bigint[]) AS product_id) k
  ON r.external_ref = k.ref AND r.email = k.email AND r.product_id = k.product_id;

-- name: ImportRowsAdd :copyfrom
INSERT INTO import_rows (import_id, line, external_ref, email, product_id, contact_id, grant_id, starts_at, ends_at,
                         amount, currency)
VALUES (@import_id, @line, @external_ref, @email, @product_id, @contact_id, @grant_id, @starts_at, @ends_at,
        @amount, @currency);

-- name: ImportRowsCount :one
SELECT count(*) FROM import_rows WHERE import_id = @import_id;
