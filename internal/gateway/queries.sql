-- name: PaymentSystemsCount :one
SELECT count(*) FROM payment_systems;
