-- name: EntryAdd :exec
INSERT INTO audit_log (actor_type, actor_id, actor_label, action, entity, entity_id, details)
VALUES ($1, $2, $3, $4, $5, $6, $7);

-- name: EntryList :many
SELECT * FROM audit_log
WHERE (sqlc.narg(before_id)::bigint IS NULL OR id < sqlc.narg(before_id))
  AND (sqlc.narg(entity)::text IS NULL OR entity = sqlc.narg(entity))
  AND (sqlc.narg(entity_id)::text IS NULL OR entity_id = sqlc.narg(entity_id))
  AND (sqlc.narg(actor_type)::text IS NULL OR actor_type = sqlc.narg(actor_type))
  AND (sqlc.narg(actor_id)::bigint IS NULL OR actor_id = sqlc.narg(actor_id))
  AND (sqlc.narg(since)::timestamptz IS NULL OR at >= sqlc.narg(since))
  AND (sqlc.narg(until)::timestamptz IS NULL OR at < sqlc.narg(until))
ORDER BY id DESC
LIMIT $1;

-- name: EntriesAdd :exec
-- RecordManyTx: one actor's entries in one statement (the arrays unnested side by side).
INSERT INTO audit_log (actor_type, actor_id, actor_label, action, entity, entity_id, details)
SELECT @actor_type::text, sqlc.narg(actor_id)::bigint, @actor_label::text, unnest(@actions::text[]),
       unnest(@entities::text[]), unnest(@entity_ids::text[]), unnest(@details::jsonb[]);
