-- Proofs of payment uploaded by payers of manual orders (proof.go). Lists never read the file's bytes.

-- name: ProofInsert :one
-- A file already attached to the order (the same bytes) is not stored twice: no row is returned then.
INSERT INTO payment_proofs (order_id, payment_id, contact_id, paid_on, reference, file_name, content_type, size,
    sha256, body)
VALUES (@order_id, @payment_id, @contact_id, @paid_on, @reference, @file_name, @content_type, @size, @sha256, @body)
ON CONFLICT (order_id, sha256) DO NOTHING
RETURNING id, order_id, payment_id, contact_id, paid_on, reference, file_name, content_type, size, created_at;

-- name: ProofBySum :one
SELECT id, order_id, payment_id, contact_id, paid_on, reference, file_name, content_type, size, created_at
FROM payment_proofs WHERE order_id = @order_id AND sha256 = @sha256;

-- name: ProofCount :one
SELECT count(*) FROM payment_proofs WHERE order_id = @order_id;

-- name: ProofsOfOrder :many
-- An order's proofs, newest first, without their bytes.
SELECT id, order_id, payment_id, contact_id, paid_on, reference, file_name, content_type, size, created_at
FROM payment_proofs WHERE order_id = @order_id ORDER BY id DESC;

-- name: ProofFile :one
SELECT id, order_id, payment_id, contact_id, paid_on, reference, file_name, content_type, size, created_at, body
FROM payment_proofs WHERE id = @id AND order_id = @order_id;
