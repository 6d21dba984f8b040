-- name: AccessGrantsCount :one
SELECT count(*) FROM access_grants;
