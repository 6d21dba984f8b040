-- name: SubscriptionGet :one
SELECT * FROM subscriptions WHERE id = @id;

-- name: SubscriptionLock :one
-- Locks subscription id (every change is made under this lock).
SELECT * FROM subscriptions WHERE id = @id FOR UPDATE;

-- name: SubscriptionLockByRef :one
-- Locks the subscription of payment system payment_system_id that the gateway names gateway_ref.
SELECT * FROM subscriptions
WHERE payment_system_id = @payment_system_id AND gateway_ref = @gateway_ref AND gateway_ref <> ''
FOR UPDATE;

-- name: SubscriptionLockByCheckoutRef :one
-- Locks the subscription of payment system payment_system_id whose checkout the gateway named checkout_ref: PayPal's
-- checkout is the subscription itself (I-…), and its sales name it before the activation links it.
SELECT * FROM subscriptions
WHERE payment_system_id = @payment_system_id AND checkout_ref = @checkout_ref AND checkout_ref <> ''
ORDER BY id DESC LIMIT 1
FOR UPDATE;

-- name: SubscriptionLockOfSystem :one
-- Locks subscription id when it was started through payment system payment_system_id (a notification settles only
-- what its own payment system started).
SELECT * FROM subscriptions WHERE id = @id AND payment_system_id = @payment_system_id FOR UPDATE;

-- name: SubscriptionPendingFresh :one
-- The newest pending subscription of the contact to the offer through the system created after since (a second
-- click reuses it), locked.
SELECT * FROM subscriptions
WHERE contact_id = @contact_id AND offer_id = @offer_id AND payment_system_id = @payment_system_id
  AND status = 'pending' AND updated_at > @since
ORDER BY id DESC LIMIT 1
FOR UPDATE;

-- name: SubscriptionLiveOf :one
-- A live subscription of the contact to the offer, if any.
SELECT number FROM subscriptions
WHERE contact_id = @contact_id AND offer_id = @offer_id
  AND status IN ('trialing', 'active', 'past_due', 'paused')
ORDER BY id DESC LIMIT 1;

-- name: SubscriptionLockContact :exec
-- Serializes the starts of one contact (a second click in another tab) until the transaction ends.
SELECT pg_advisory_xact_lock(hashtextextended('subscription.contact', @contact_id::bigint));

-- name: SubscriptionInsert :one
INSERT INTO subscriptions (contact_id, offer_id, offer_title, payment_system_id, amount, currency, interval,
                           interval_count, trial_days, max_charges, grace_days, language, created_at, updated_at)
VALUES (@contact_id, @offer_id, @offer_title, @payment_system_id, @amount, @currency, @interval, @interval_count,
        @trial_days, @max_charges, @grace_days, @language, @now, @now)
RETURNING *;

-- name: SubscriptionSetCheckout :exec
-- Records the checkout's reference of a subscription still pending.
UPDATE subscriptions SET checkout_ref = @checkout_ref, updated_at = @now
WHERE id = @id AND status = 'pending';

-- name: SubscriptionSave :one
-- Writes the state the service computed under the row's lock.
UPDATE subscriptions SET
    status               = @status,
    amount               = @amount,
    currency             = @currency,
    gateway_ref          = @gateway_ref,
    customer_ref         = @customer_ref,
    checkout_ref         = @checkout_ref,
    current_period_start = @current_period_start,
    current_period_end   = @current_period_end,
    trial_end            = @trial_end,
    paid_through         = @paid_through,
    cancel_at_period_end = @cancel_at_period_end,
    cancelled_at         = @cancelled_at,
    ended_at             = @ended_at,
    charges              = @charges,
    update_url           = @update_url,
    state_at             = @state_at,
    card_token           = @card_token,
    next_charge_at       = @next_charge_at,
    retries              = @retries,
    updated_at           = @now
WHERE id = @id
RETURNING *;

-- name: SubscriptionSetPlan :one
-- Moves a subscription to another recurring offer (a plan change the gateway made).
UPDATE subscriptions SET offer_id = @offer_id, offer_title = @offer_title, amount = @amount, currency = @currency,
    interval = @interval, interval_count = @interval_count, grace_days = @grace_days, updated_at = @now
WHERE id = @id
RETURNING *;

-- name: SubscriptionsPendingBefore :many
-- Pending subscriptions untouched since before and never linked to a subscription at their gateway (a checkout
-- never finished; a second click's new checkout touches one), oldest first. A linked one exists at the gateway,
-- which may still collect its first invoice or end it: its notifications settle it.
SELECT * FROM subscriptions WHERE status = 'pending' AND gateway_ref = '' AND updated_at < @before
ORDER BY id LIMIT @max;

-- name: SubscriptionDeletePending :one
-- Drops subscription id if it is still pending, unlinked and untouched since before.
DELETE FROM subscriptions WHERE id = @id AND status = 'pending' AND gateway_ref = '' AND updated_at < @before
RETURNING id;

-- name: ChargeInsert :one
-- Records a charge once per (payment system, charge reference): no row comes back for one recorded before. A failed
-- charge the gateway retries and collects (the same invoice, paid later) becomes paid: that row comes back.
INSERT INTO subscription_charges (subscription_id, payment_system_id, charge_ref, status, amount, currency,
                                  period_start, period_end, charged_at, created_at)
VALUES (@subscription_id, @payment_system_id, @charge_ref, @status, @amount, @currency, @period_start, @period_end,
        @charged_at, @now)
ON CONFLICT (payment_system_id, charge_ref) DO UPDATE
    SET status = EXCLUDED.status, amount = EXCLUDED.amount, currency = EXCLUDED.currency,
        period_start = EXCLUDED.period_start, period_end = EXCLUDED.period_end, charged_at = EXCLUDED.charged_at
    WHERE subscription_charges.status = 'failed' AND EXCLUDED.status = 'paid'
      AND subscription_charges.subscription_id = EXCLUDED.subscription_id
RETURNING *;

-- name: ChargeSetOrder :exec
UPDATE subscription_charges SET order_id = @order_id WHERE id = @id;

-- name: ChargesOf :many
-- A subscription's charges, newest first.
SELECT * FROM subscription_charges WHERE subscription_id = @subscription_id ORDER BY charged_at DESC, id DESC;

-- name: ChargesOfMany :many
SELECT * FROM subscription_charges WHERE subscription_id = ANY(@ids::bigint[])
ORDER BY subscription_id, charged_at DESC, id DESC;

-- name: EventAdd :exec
INSERT INTO subscription_events (subscription_id, kind, message, created_at) VALUES (@subscription_id, @kind, @message, @now);

-- name: EventsOf :many
-- A subscription's own timeline, oldest first.
SELECT * FROM subscription_events WHERE subscription_id = @subscription_id ORDER BY id;

-- name: SubscriptionGrantIDs :many
-- The access grants the subscription's charges made or extended: each paid charge's order remembers its grants
-- (order_grants, written by the order's completion).
SELECT DISTINCT og.grant_id FROM subscription_charges c JOIN order_grants og ON og.order_id = c.order_id
WHERE c.subscription_id = @subscription_id ORDER BY og.grant_id;

-- name: SubscriptionList :many
-- One page of subscriptions under the filter, newest first; query matches the number, the gateway reference and
-- the contact's e-mail or name.
SELECT sqlc.embed(s) FROM subscriptions s JOIN contacts c ON c.id = s.contact_id
WHERE (@status::text = '' OR s.status = @status::text)
  AND (@contact_id::bigint = 0 OR s.contact_id = @contact_id::bigint)
  AND (@offer_id::bigint = 0 OR s.offer_id = @offer_id::bigint)
  AND (@payment_system_id::bigint = 0 OR s.payment_system_id = @payment_system_id::bigint)
  AND (@after_id::bigint = 0 OR s.id < @after_id::bigint)
  AND (@query::text = '' OR s.number ILIKE '%' || @query::text || '%' OR s.gateway_ref = @query::text
       OR c.email ILIKE '%' || @query::text || '%' OR c.name ILIKE '%' || @query::text || '%')
ORDER BY s.id DESC
LIMIT @max;

-- name: AttemptInsert :one
-- Writes the intent of a saved-card charge (or of the first payment on the gateway's page) before the gateway is
-- asked.
INSERT INTO subscription_attempts (subscription_id, payment_system_id, ref, kind, period_start, period_end, amount,
                                   currency, created_at)
VALUES (@subscription_id, @payment_system_id, @ref, @kind, @period_start, @period_end, @amount, @currency, @now)
RETURNING *;

-- name: AttemptByRef :one
-- The attempt of payment system payment_system_id named ref.
SELECT * FROM subscription_attempts WHERE payment_system_id = @payment_system_id AND ref = @ref;

-- name: AttemptAnswer :exec
-- Marks an attempt answered (a paid or failed charge recorded for it).
UPDATE subscription_attempts SET status = 'answered', answered_at = @now::timestamptz
WHERE payment_system_id = @payment_system_id AND ref = @ref AND status = 'sent';

-- name: AttemptInFlight :one
-- Whether subscription_id has a charge sent and not answered (its answer lost or still coming).
SELECT EXISTS (SELECT 1 FROM subscription_attempts
               WHERE subscription_id = @subscription_id AND kind = 'charge' AND status = 'sent')::boolean;

-- name: AttemptsToAsk :many
-- Claims the charges sent before before and not asked about since before (their answer was lost): asked_at is set
-- so that runs in several processes do not ask about the same one at once.
UPDATE subscription_attempts SET asked_at = @now::timestamptz
WHERE id IN (SELECT a.id FROM subscription_attempts a
             WHERE a.status = 'sent' AND a.kind = 'charge' AND a.created_at < @before
               AND (a.asked_at IS NULL OR a.asked_at < @before)
             ORDER BY a.created_at LIMIT @max FOR UPDATE SKIP LOCKED)
RETURNING *;

-- name: SubscriptionsDue :many
-- The subscriptions whose next charge (or end) is due at now, oldest due first.
SELECT id FROM subscriptions
WHERE next_charge_at IS NOT NULL AND next_charge_at <= @now::timestamptz
ORDER BY next_charge_at, id LIMIT @max;
