-- name: LinkInsert :one
INSERT INTO payment_links (contact_id, offer_id, custom, title, amount, currency, payment_system_ids, language, note,
                           creator_type, creator_id, creator_label, expires_at, created_at, updated_at)
VALUES (@contact_id, @offer_id, @custom, @title, @amount, @currency, @payment_system_ids, @language, @note,
        @creator_type, @creator_id, @creator_label, @expires_at, @now::timestamptz, @now::timestamptz)
RETURNING *;

-- name: LinkGet :one
SELECT * FROM payment_links WHERE id = @id;

-- name: LinkClose :one
-- An active link is closed (cancelled, declined, expired) only while it still has the order the caller locked:
-- a payment that completed it meanwhile, or a new order it opened, makes this return no row.
UPDATE payment_links
SET status = @status, decline_reason = @decline_reason, decided_at = @now::timestamptz, decided_by = @decided_by, updated_at = @now::timestamptz
WHERE id = @id AND status = 'active' AND order_id IS NOT DISTINCT FROM sqlc.narg(order_id)::bigint
  AND (NOT @due_only::boolean OR expires_at <= @now::timestamptz)
RETURNING *;

-- name: LinkClaimOrder :one
-- The order a payment of the link opened (or reused), while the link is active and not expired.
UPDATE payment_links SET order_id = @order_id::bigint, updated_at = @now::timestamptz
WHERE id = @id AND status = 'active' AND expires_at > @now::timestamptz
RETURNING *;

-- name: LinksSettle :many
-- An order completed (Completions), in one statement on the webhook's path: the active link whose order it is
-- becomes paid, and the contact's other active links for the same offer become voided (paid another way).
WITH paid AS (
    UPDATE payment_links SET status = 'paid', decided_at = @now::timestamptz, decided_by = @decided_by,
                             updated_at = @now::timestamptz
    WHERE order_id = @order_id::bigint AND status = 'active'
    RETURNING *
), voided AS (
    UPDATE payment_links
    SET status = 'voided', voided_by = @order_id::bigint, decided_at = @now::timestamptz, decided_by = @decided_by,
        updated_at = @now::timestamptz
    WHERE contact_id = @contact_id::bigint AND offer_id = @offer_id::bigint AND status = 'active'
      AND order_id IS DISTINCT FROM @order_id::bigint
    RETURNING *
)
SELECT * FROM paid UNION ALL SELECT * FROM voided;

-- name: LinkOpened :one
-- The payer opened the link's page: the first time is kept, the last moves.
UPDATE payment_links
SET first_opened_at = coalesce(first_opened_at, @now::timestamptz), last_opened_at = @now::timestamptz
WHERE id = @id
RETURNING first_opened_at = @now::timestamptz AS first;

-- name: LinksDue :many
-- Active links past their expiry, for the sweep, a page after (@after_at, @after_id) in expiry order.
SELECT id, expires_at FROM payment_links
WHERE status = 'active' AND expires_at <= @now::timestamptz
  AND (expires_at, id) > (@after_at::timestamptz, @after_id::bigint)
ORDER BY expires_at, id LIMIT @lim;

-- name: LinkEventAdd :one
INSERT INTO payment_link_events (link_id, kind, message, actor, created_at)
VALUES (@link_id, @kind, @message, @actor, @now::timestamptz)
RETURNING id;

-- name: LinkEvents :many
SELECT * FROM payment_link_events WHERE link_id = @link_id ORDER BY id;

-- name: LinksInsertCustom :many
-- CreateManyTx: custom amounts' links, one per link-only offer, in one statement (the arrays unnested side by side;
-- each link's payment systems as a '{1,2}' text, since arrays of arrays do not unnest row by row).
INSERT INTO payment_links (contact_id, offer_id, custom, title, amount, currency, payment_system_ids, language, note,
                           creator_type, creator_id, creator_label, expires_at, created_at, updated_at)
SELECT unnest(@contact_ids::bigint[]), unnest(@offer_ids::bigint[]), true, unnest(@titles::text[]),
       unnest(@amounts::bigint[]), unnest(@currencies::text[]), unnest(@payment_system_ids::text[])::bigint[],
       unnest(@languages::text[]), unnest(@notes::text[]), @creator_type::text, sqlc.narg(creator_id)::bigint,
       @creator_label::text, unnest(@expires_at::timestamptz[]), @now::timestamptz, @now::timestamptz
RETURNING *;

-- name: LinkEventsAdd :exec
-- Lines on many links' timelines, one actor and time, in one statement.
INSERT INTO payment_link_events (link_id, kind, message, actor, created_at)
SELECT unnest(@link_ids::bigint[]), unnest(@kinds::text[]), unnest(@messages::text[]), @actor::text, @now::timestamptz;
