-- name: SubscriptionGet :one
SELECT * FROM subscriptions WHERE id = @id;
