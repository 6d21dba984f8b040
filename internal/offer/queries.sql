-- name: ProductByID :one
SELECT * FROM products WHERE id = $1;

-- name: ProductNames :many
SELECT id, name FROM products WHERE id = ANY(@ids::bigint[]);

-- name: ProductList :many
-- A keyset page of products in id order; @query is a LIKE pattern with its wildcards escaped.
SELECT * FROM products
WHERE (@query::text = '' OR lower(name) LIKE '%' || lower(@query::text) || '%')
  AND (@include_archived::boolean OR archived_at IS NULL)
  AND id > @after_id::bigint
ORDER BY id
LIMIT @lim::int;

-- name: ProductForUpdate :one
SELECT * FROM products WHERE id = $1 FOR UPDATE;

-- name: ProductCreate :one
INSERT INTO products (name, kind, description, parent_id, external_url, external_id)
VALUES ($1, $2, $3, $4, $5, $6)
RETURNING *;

-- name: ProductUpdate :one
UPDATE products
SET name = $2, kind = $3, description = $4, parent_id = $5, external_url = $6, external_id = $7, updated_at = now()
WHERE id = $1
RETURNING *;

-- name: ProductArchive :one
UPDATE products SET archived_at = now(), updated_at = now()
WHERE id = $1 AND archived_at IS NULL
RETURNING *;

-- name: ProductChildCount :one
SELECT count(*) FROM products WHERE parent_id = @id::bigint;

-- name: ProductsForOffer :many
-- The products an offer is about to include, locked against a concurrent archive.
SELECT id, archived_at FROM products WHERE id = ANY(@ids::bigint[]) FOR SHARE;

-- name: OfferCreate :one
INSERT INTO offers (title, slug, description, status, amount, currency, kind, recurring_interval, recurring_days,
    installments, access_days, guest_checkout, registration_fields, language, success_url, failure_url,
    success_message, failure_message, contact_email, contact_phone, contact_note, manual_confirm_days, unlisted,
    link_only, billing_every, billing_unit, billing_day, billing_periods, enrollment_fee, grace_days, remind_days,
    unlock_by_part, recurring_count, trial_days, max_charges)
VALUES (@title, @slug, @description, @status, @amount, @currency, @kind, @recurring_interval, @recurring_days,
    @installments, @access_days, @guest_checkout, @registration_fields, @language, @success_url, @failure_url,
    @success_message, @failure_message, @contact_email, @contact_phone, @contact_note, @manual_confirm_days, @unlisted,
    @link_only, @billing_every, @billing_unit, @billing_day, @billing_periods, @enrollment_fee, @grace_days,
    @remind_days, @unlock_by_part, @recurring_count, @trial_days, @max_charges)
RETURNING id, created_at, updated_at;

-- name: OfferUpdate :one
UPDATE offers
SET title = @title, slug = @slug, description = @description, status = @status, amount = @amount,
    currency = @currency, kind = @kind, recurring_interval = @recurring_interval, recurring_days = @recurring_days,
    installments = @installments, access_days = @access_days, guest_checkout = @guest_checkout,
    registration_fields = @registration_fields, language = @language, success_url = @success_url,
    failure_url = @failure_url, success_message = @success_message, failure_message = @failure_message,
    contact_email = @contact_email, contact_phone = @contact_phone, contact_note = @contact_note,
    manual_confirm_days = @manual_confirm_days, unlisted = @unlisted, billing_every = @billing_every,
    billing_unit = @billing_unit, billing_day = @billing_day, billing_periods = @billing_periods,
    enrollment_fee = @enrollment_fee, grace_days = @grace_days, remind_days = @remind_days,
    unlock_by_part = @unlock_by_part, recurring_count = @recurring_count, trial_days = @trial_days,
    max_charges = @max_charges, updated_at = now()
WHERE id = @id
RETURNING created_at, updated_at;

-- name: OfferForUpdate :one
SELECT sqlc.embed(o),
       ARRAY(SELECT op.product_id FROM offer_products op WHERE op.offer_id = o.id ORDER BY op.product_id)::bigint[] AS product_ids,
       ARRAY(SELECT ops.payment_system_id FROM offer_payment_systems ops WHERE ops.offer_id = o.id
             ORDER BY ops.position, ops.payment_system_id)::bigint[] AS payment_system_ids
FROM offers o WHERE o.id = $1 FOR UPDATE OF o;

-- name: OfferByID :one
SELECT sqlc.embed(o),
       ARRAY(SELECT op.product_id FROM offer_products op WHERE op.offer_id = o.id ORDER BY op.product_id)::bigint[] AS product_ids,
       ARRAY(SELECT ops.payment_system_id FROM offer_payment_systems ops WHERE ops.offer_id = o.id
             ORDER BY ops.position, ops.payment_system_id)::bigint[] AS payment_system_ids
FROM offers o WHERE o.id = $1;

-- name: OfferPublishedBySlug :one
-- The public page: a published offer with its products' names, in one round trip. An unlisted offer has none: it
-- is sold only by payment link.
SELECT sqlc.embed(o),
       ARRAY(SELECT op.product_id FROM offer_products op WHERE op.offer_id = o.id ORDER BY op.product_id)::bigint[] AS product_ids,
       ARRAY(SELECT ops.payment_system_id FROM offer_payment_systems ops WHERE ops.offer_id = o.id
             ORDER BY ops.position, ops.payment_system_id)::bigint[] AS payment_system_ids,
       ARRAY(SELECT p.name FROM offer_products op JOIN products p ON p.id = op.product_id
             WHERE op.offer_id = o.id ORDER BY p.id)::text[] AS product_names
FROM offers o WHERE o.slug = $1 AND o.status = 'published' AND NOT o.unlisted;

-- name: OfferList :many
-- A keyset page of the catalog's offers in id order; @query is a LIKE pattern with its wildcards escaped. An offer
-- made for one payment link's custom amount (link_only) is no part of the catalog.
SELECT sqlc.embed(o),
       ARRAY(SELECT op.product_id FROM offer_products op WHERE op.offer_id = o.id ORDER BY op.product_id)::bigint[] AS product_ids,
       ARRAY(SELECT ops.payment_system_id FROM offer_payment_systems ops WHERE ops.offer_id = o.id
             ORDER BY ops.position, ops.payment_system_id)::bigint[] AS payment_system_ids
FROM offers o
WHERE NOT o.link_only
  AND (@status::text = '' OR o.status = @status::text)
  AND (@query::text = '' OR lower(o.title) LIKE '%' || lower(@query::text) || '%' OR o.slug LIKE '%' || lower(@query::text) || '%')
  AND o.id > @after_id::bigint
ORDER BY o.id
LIMIT @lim::int;

-- name: OfferSetStatus :execrows
UPDATE offers SET status = @status, updated_at = now() WHERE id = @id AND status = @from_status;

-- name: OfferProductsClear :exec
DELETE FROM offer_products WHERE offer_id = $1;

-- name: OfferProductsAdd :exec
INSERT INTO offer_products (offer_id, product_id) SELECT @offer_id::bigint, unnest(@product_ids::bigint[]);

-- name: OfferPaymentSystemsClear :exec
DELETE FROM offer_payment_systems WHERE offer_id = $1;

-- name: OfferPaymentSystemsAdd :exec
INSERT INTO offer_payment_systems (offer_id, payment_system_id, position)
SELECT @offer_id::bigint, ps.id, ps.pos::int
FROM unnest(@payment_system_ids::bigint[]) WITH ORDINALITY AS ps(id, pos);

-- name: OffersCreateMany :many
-- CreateLinkOnlyManyTx: offers that differ only in title, slug, description, amount, currency and language, in one
-- statement (the arrays unnested side by side; the other fields are the same for all).
INSERT INTO offers (title, slug, description, status, amount, currency, kind, recurring_interval, recurring_days,
    installments, access_days, guest_checkout, registration_fields, language, success_url, failure_url,
    success_message, failure_message, contact_email, contact_phone, contact_note, manual_confirm_days, unlisted,
    link_only, billing_every, billing_unit, billing_day, billing_periods, enrollment_fee, grace_days, remind_days,
    unlock_by_part)
SELECT unnest(@titles::text[]), unnest(@slugs::text[]), unnest(@descriptions::text[]), @status::text,
    unnest(@amounts::bigint[]), unnest(@currencies::text[]), @kind::text, @recurring_interval::text,
    sqlc.narg(recurring_days)::int, sqlc.narg(installments)::int, sqlc.narg(access_days)::int, @guest_checkout::boolean,
    @registration_fields::jsonb, unnest(@languages::text[]), @success_url::text, @failure_url::text,
    @success_message::text, @failure_message::text, @contact_email::text, @contact_phone::text, @contact_note::text,
    @manual_confirm_days::int, @unlisted::boolean, @link_only::boolean, @billing_every::int, @billing_unit::text,
    @billing_day::int, @billing_periods::int, @enrollment_fee::bigint, @grace_days::int, @remind_days::int,
    @unlock_by_part::boolean
RETURNING id, slug, created_at, updated_at;

-- name: OffersPaymentSystemsAddMany :exec
-- The payment systems of many offers in one statement: (offer, system, position) triples side by side.
INSERT INTO offer_payment_systems (offer_id, payment_system_id, position)
SELECT unnest(@offer_ids::bigint[]), unnest(@payment_system_ids::bigint[]), unnest(@positions::int[]);

-- name: OfferSetAccess :exec
-- What a refund and a dispute of the offer's orders do to their access (access_policy.go).
UPDATE offers SET refund_access = @refund_access, dispute_access = @dispute_access WHERE id = @id;
