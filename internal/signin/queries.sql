-- name: LoginAttemptLock :exec
-- Queues sign-in attempts on one scope and key, in every process, until the caller's transaction ends.
SELECT pg_advisory_xact_lock(hashtextextended('login_attempt:' || @scope::text || ':' || @key::text, 0));

-- name: LoginAttemptBegin :one
-- Records an attempt as a failure before its password is checked; LoginAttemptsSucceed flips it when it was right.
INSERT INTO login_attempts (scope, key, succeeded, at) VALUES ($1, $2, false, $3) RETURNING id;

-- name: LoginAttemptsSucceed :exec
UPDATE login_attempts SET succeeded = true WHERE id = ANY(@ids::bigint[]);

-- name: LoginAttemptSucceeded :exec
-- Records a success without a sign-in (a password reset proves the e-mail).
INSERT INTO login_attempts (scope, key, succeeded, at) VALUES ($1, $2, true, $3);

-- name: LoginFailuresSince :one
-- Failures for key since @since; with @resets, only those after its last success. A client address's count never
-- resets on a success: someone guessing other people's passwords could otherwise interleave sign-ins of their own.
SELECT count(*) FROM login_attempts a
WHERE a.scope = @scope AND a.key = @key AND NOT a.succeeded AND a.at > @since
  AND (NOT @resets::boolean OR a.at > coalesce((SELECT max(s.at) FROM login_attempts s
                       WHERE s.scope = @scope AND s.key = @key AND s.succeeded), '-infinity'));

-- name: LoginLastFailure :one
SELECT coalesce(max(at), '-infinity')::timestamptz FROM login_attempts
WHERE scope = $1 AND key = $2 AND NOT succeeded;

-- name: LoginAttemptsPrune :execrows
DELETE FROM login_attempts WHERE at < $1;
