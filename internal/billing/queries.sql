-- name: EnrollmentInsert :one
INSERT INTO enrollments (offer_id, kind, payer_id, learner_id, title, amount, fee, currency, first_due, every, unit,
                         day, periods, time_zone, grace_days, remind_days, unlock_by_part, payment_system_ids,
                         language, answers, next_period, next_issue_at, expires_at, creator, created_at, updated_at)
VALUES (@offer_id, @kind, @payer_id, @learner_id, @title, @amount, @fee, @currency, @first_due, @every, @unit,
        @day, @periods, @time_zone, @grace_days, @remind_days, @unlock_by_part, @payment_system_ids,
        @language, @answers, @next_period, sqlc.narg(next_issue_at), sqlc.narg(expires_at), @creator,
        @now::timestamptz, @now::timestamptz)
RETURNING *;

-- name: EnrollmentGet :one
SELECT * FROM enrollments WHERE id = @id;

-- name: EnrollmentLock :one
SELECT * FROM enrollments WHERE id = @id FOR UPDATE;

-- name: EnrollmentLockDue :one
-- The issuing job's claim on one enrollment: skipped when another process holds it, or when it is no longer due.
SELECT * FROM enrollments
WHERE id = @id AND status IN ('active', 'suspended') AND next_issue_at IS NOT NULL AND next_issue_at <= @now::timestamptz
FOR UPDATE SKIP LOCKED;

-- name: EnrollmentsDue :many
-- Enrollments whose next receipt is due to be issued (enrollments_issue_idx), in id order after a cursor.
SELECT id FROM enrollments
WHERE status IN ('active', 'suspended') AND next_issue_at IS NOT NULL AND next_issue_at <= @now::timestamptz
  AND id > @after_id
ORDER BY id
LIMIT @lim;

-- name: EnrollmentSave :one
-- Writes back the mutable state of an enrollment the caller locked.
UPDATE enrollments
SET status = @status, next_period = @next_period, next_issue_at = sqlc.narg(next_issue_at),
    paid_through = sqlc.narg(paid_through), expires_at = sqlc.narg(expires_at), activated_at = sqlc.narg(activated_at),
    suspended_at = sqlc.narg(suspended_at), paused_at = sqlc.narg(paused_at), ended_at = sqlc.narg(ended_at),
    end_reason = @end_reason, updated_at = @now::timestamptz
WHERE id = @id
RETURNING *;

-- name: EnrollmentsList :many
SELECT * FROM enrollments e
WHERE (@status::text = '' OR e.status = @status)
  AND (@offer_id::bigint = 0 OR e.offer_id = @offer_id)
  AND (@contact_id::bigint = 0 OR e.payer_id = @contact_id OR e.learner_id = @contact_id)
  AND (NOT @overdue::boolean OR EXISTS (SELECT 1 FROM receipts r WHERE r.enrollment_id = e.id AND r.status = 'overdue'))
  AND (@before_id::bigint = 0 OR e.id < @before_id)
ORDER BY e.id DESC
LIMIT @lim;

-- name: EnrollmentsForLearner :many
SELECT * FROM enrollments WHERE learner_id = @contact_id ORDER BY id DESC LIMIT 500;

-- name: EnrollmentsForPayer :many
SELECT * FROM enrollments WHERE payer_id = @contact_id ORDER BY id DESC LIMIT 500;

-- name: EnrollmentsToSuspend :many
-- Active enrollments with an open receipt past its grace.
SELECT DISTINCT e.id FROM enrollments e JOIN receipts r ON r.enrollment_id = e.id
WHERE e.status = 'active' AND r.status IN ('issued', 'partially_paid', 'overdue') AND r.grace_until <= @now::timestamptz
ORDER BY e.id
LIMIT 1000;

-- name: EnrollmentsPendingExpired :many
SELECT id FROM enrollments WHERE status = 'pending' AND expires_at <= @now::timestamptz ORDER BY expires_at LIMIT 1000;

-- name: ReceiptNumberNext :one
-- The next receipt number of a year, taken in the issuing transaction: a rollback gives it back (no gaps).
INSERT INTO receipt_numbers (year, last) VALUES (@year, 1)
ON CONFLICT (year) DO UPDATE SET last = receipt_numbers.last + 1
RETURNING last;

-- name: ReceiptInsert :one
INSERT INTO receipts (enrollment_id, period, year, seq, number, payer_id, learner_id, offer_id, title, amount, fee,
                      currency, period_start, period_end, due_at, grace_until, link_id, pay_offer_id, issued_at,
                      updated_at)
VALUES (@enrollment_id, @period, @year, @seq, @number, @payer_id, @learner_id, @offer_id, @title, @amount, @fee,
        @currency, @period_start, @period_end, @due_at, @grace_until, sqlc.narg(link_id), sqlc.narg(pay_offer_id),
        @now::timestamptz, @now::timestamptz)
ON CONFLICT (enrollment_id, period) DO NOTHING
RETURNING *;

-- name: ReceiptSetLink :one
UPDATE receipts SET link_id = @link_id, pay_offer_id = @pay_offer_id, updated_at = @now::timestamptz
WHERE id = @id RETURNING *;

-- name: ReceiptGet :one
SELECT * FROM receipts WHERE id = @id;

-- name: ReceiptLock :one
SELECT * FROM receipts WHERE id = @id FOR UPDATE;

-- name: ReceiptByNumber :one
SELECT * FROM receipts WHERE number = @number;

-- name: ReceiptByPayOffer :one
-- The receipt whose current link sells offer pay_offer_id, locked: an order for that offer pays it.
SELECT * FROM receipts WHERE pay_offer_id = @pay_offer_id ORDER BY id DESC LIMIT 1 FOR UPDATE;

-- name: ReceiptSave :one
-- Writes back the mutable state of a receipt the caller locked.
UPDATE receipts
SET status = @status, paid = @paid, paid_at = sqlc.narg(paid_at), grace_until = @grace_until, reminded = @reminded,
    decided_at = sqlc.narg(decided_at), decided_by = @decided_by, note = @note, updated_at = @now::timestamptz
WHERE id = @id
RETURNING *;

-- name: ReceiptRemind :one
-- Moves a receipt to reminder stage @stage (and overdue at stage 3) only from an earlier stage while it is open: the
-- stage's e-mail is sent once whatever the number of processes.
UPDATE receipts
SET reminded = @stage::integer,
    status = CASE WHEN @stage::integer >= 3 THEN 'overdue' ELSE status END,
    updated_at = @now::timestamptz
WHERE id = @id AND reminded < @stage::integer AND status IN ('issued', 'partially_paid', 'overdue')
RETURNING *;

-- name: ReceiptsList :many
SELECT * FROM receipts r
WHERE (@status::text = '' OR r.status = @status)
  AND (@offer_id::bigint = 0 OR r.offer_id = @offer_id)
  AND (@enrollment_id::bigint = 0 OR r.enrollment_id = @enrollment_id)
  AND (@payer_id::bigint = 0 OR r.payer_id = @payer_id)
  AND (NOT @overdue::boolean OR (r.status IN ('issued', 'partially_paid', 'overdue') AND r.due_at < @now::timestamptz))
  AND (sqlc.narg(due_from)::timestamptz IS NULL OR r.due_at >= sqlc.narg(due_from))
  AND (sqlc.narg(due_to)::timestamptz IS NULL OR r.due_at < sqlc.narg(due_to))
  AND (@before_id::bigint = 0 OR r.id < @before_id)
ORDER BY r.id DESC
LIMIT @lim;

-- name: ReceiptsForPayer :many
SELECT * FROM receipts WHERE payer_id = @payer_id ORDER BY id DESC LIMIT 500;

-- name: ReceiptsOfEnrollment :many
SELECT * FROM receipts WHERE enrollment_id = @enrollment_id ORDER BY period;

-- name: ReceiptsOpenOfEnrollment :many
SELECT * FROM receipts WHERE enrollment_id = @enrollment_id AND status IN ('issued', 'partially_paid', 'overdue')
ORDER BY period FOR UPDATE;

-- name: ReceiptsPastGrace :one
-- How many open receipts of an enrollment are past their grace, one left out (the receipt being paid).
SELECT count(*) FROM receipts
WHERE enrollment_id = @enrollment_id AND id <> @except_id AND status IN ('issued', 'partially_paid', 'overdue')
  AND grace_until <= @now::timestamptz;

-- name: ReceiptsToRemind :many
-- Open receipts with a reminder stage due (stage 1 remind_days before the due date, 2 on it, 3 a day after), after a
-- cursor.
SELECT r.id, r.due_at, r.reminded, e.remind_days FROM receipts r JOIN enrollments e ON e.id = r.enrollment_id
WHERE r.status IN ('issued', 'partially_paid', 'overdue') AND r.reminded < 3 AND e.status IN ('active', 'suspended')
  AND r.due_at - make_interval(days => e.remind_days) <= @now::timestamptz
  AND r.id > @after_id
ORDER BY r.id
LIMIT @lim;

-- name: PaymentInsert :one
INSERT INTO receipt_payments (receipt_id, order_id, method, amount, currency, paid_on, note, recorded_by, created_at)
VALUES (@receipt_id, sqlc.narg(order_id), @method, @amount, @currency, @paid_on, @note, @recorded_by, @now::timestamptz)
ON CONFLICT (order_id) WHERE order_id IS NOT NULL DO NOTHING
RETURNING *;

-- name: PaymentsOfReceipt :many
SELECT * FROM receipt_payments WHERE receipt_id = @receipt_id ORDER BY id;

-- name: EventInsert :exec
INSERT INTO enrollment_events (enrollment_id, receipt_id, kind, message, actor, created_at)
VALUES (@enrollment_id, sqlc.narg(receipt_id), @kind, @message, @actor, @now::timestamptz);

-- name: EventsOf :many
SELECT * FROM enrollment_events WHERE enrollment_id = @enrollment_id ORDER BY id;

-- name: GrantAdd :exec
INSERT INTO enrollment_grants (enrollment_id, grant_id, part) VALUES (@enrollment_id, @grant_id, @part)
ON CONFLICT DO NOTHING;

-- name: GrantsOf :many
SELECT grant_id, part FROM enrollment_grants WHERE enrollment_id = @enrollment_id ORDER BY part, grant_id;

-- name: EnrollmentsLockDue :many
-- The issuing job's claim on a batch of enrollments, in one statement: those another process holds are passed over,
-- and those no longer due left out.
SELECT * FROM enrollments
WHERE id = ANY(@ids::bigint[]) AND status IN ('active', 'suspended') AND next_issue_at IS NOT NULL
  AND next_issue_at <= @now::timestamptz
ORDER BY id
FOR UPDATE SKIP LOCKED;

-- name: ReceiptNumbersTake :many
-- A batch's receipt numbers, @counts[i] of year @years[i] (years ascending, so concurrent batches lock the rows in
-- the same order): each year's new last number is returned, the batch's being the @counts[i] before it and it. A
-- rollback gives them back (no gaps).
INSERT INTO receipt_numbers (year, last)
SELECT unnest(@years::int[]), unnest(@counts::bigint[])
ON CONFLICT (year) DO UPDATE SET last = receipt_numbers.last + excluded.last
RETURNING year, last;

-- name: ReceiptsInsertMany :many
-- A batch's receipts in one statement (the arrays unnested side by side); a period issued already is no row.
INSERT INTO receipts (enrollment_id, period, year, seq, number, payer_id, learner_id, offer_id, title, amount, fee,
                      currency, period_start, period_end, due_at, grace_until, link_id, pay_offer_id, issued_at,
                      updated_at)
SELECT unnest(@enrollment_ids::bigint[]), unnest(@periods::int[]), unnest(@years::int[]), unnest(@seqs::bigint[]),
       unnest(@numbers::text[]), unnest(@payer_ids::bigint[]), unnest(@learner_ids::bigint[]),
       unnest(@offer_ids::bigint[]), unnest(@titles::text[]), unnest(@amounts::bigint[]), unnest(@fees::bigint[]),
       unnest(@currencies::text[]), unnest(@period_starts::timestamptz[]), unnest(@period_ends::timestamptz[]),
       unnest(@due_ats::timestamptz[]), unnest(@grace_untils::timestamptz[]), unnest(@link_ids::bigint[]),
       unnest(@pay_offer_ids::bigint[]), @now::timestamptz, @now::timestamptz
ON CONFLICT (enrollment_id, period) DO NOTHING
RETURNING *;

-- name: EnrollmentsAdvance :exec
-- A batch's enrollments moved on to their next period (next_issue_at NULL where @ends[i]: nothing more to issue).
UPDATE enrollments e
SET next_period = x.next_period, next_issue_at = CASE WHEN x.ends THEN NULL ELSE x.next_issue_at END,
    updated_at = @now::timestamptz
FROM (SELECT unnest(@ids::bigint[]) AS id, unnest(@next_periods::int[]) AS next_period,
             unnest(@next_issue_ats::timestamptz[]) AS next_issue_at, unnest(@ends::boolean[]) AS ends) x
WHERE e.id = x.id;

-- name: EventsInsertMany :exec
-- Lines on many enrollments' timelines, one actor and time, in one statement.
INSERT INTO enrollment_events (enrollment_id, receipt_id, kind, message, actor, created_at)
SELECT unnest(@enrollment_ids::bigint[]), unnest(@receipt_ids::bigint[]), unnest(@kinds::text[]),
       unnest(@messages::text[]), @actor::text, @now::timestamptz;
