-- The Transactions totals over long ranges from a daily rollup (issue 12; internal/order/txn_rollup.go and
-- docs/PERFORMANCE.md): txn_daily holds, per UTC day of created_at, the sums of settled payments and succeeded
-- refunds by currency, payment system and status, as of the snapshot kept in txn_rollup. A row written by a
-- transaction that snapshot does not see marks its day dirty, and the totals read that day from the rows instead.
-- Which transaction last changed what the totals read is kept on the row itself (changed_xid, the writer's
-- top-level transaction id): an insert takes it from the column default, an update of a column the totals read
-- from a trigger. No statement is added to the write path and no row is shared between writers.

-- +goose Up
-- The column is bookkeeping of the database's, which no Go code reads: added inside a DO block, which sqlc does not
-- read, so the generated models and the queries' column lists (sqlc spells out SELECT *) stay as they are. A new
-- column has no value in the old rows (no table rewrite); the default applies to the rows inserted from now on.
-- +goose StatementBegin
DO $$
BEGIN
    EXECUTE 'ALTER TABLE payments ADD COLUMN changed_xid xid8';
    EXECUTE 'ALTER TABLE payments ALTER COLUMN changed_xid SET DEFAULT pg_current_xact_id()';
    EXECUTE 'ALTER TABLE refunds ADD COLUMN changed_xid xid8';
    EXECUTE 'ALTER TABLE refunds ALTER COLUMN changed_xid SET DEFAULT pg_current_xact_id()';
END;
$$;
-- +goose StatementEnd

-- The rows changed since the rollup's snapshot, with the days they fall on (and a payment's id for its refunds):
-- the recent end of these indexes. Rows from before this migration have none and count as older than any rollup.
CREATE INDEX payments_changed_idx ON payments (changed_xid) INCLUDE (created_at, id) WHERE changed_xid IS NOT NULL;
CREATE INDEX refunds_changed_idx ON refunds (changed_xid) INCLUDE (created_at) WHERE changed_xid IS NOT NULL;

-- +goose StatementBegin
CREATE FUNCTION bursar_txn_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- The rollup files a row under the day it was recorded: a row moved to another day (nothing in the application
    -- does; tests and hand-made fixes may) marks the day it leaves, where no row of its own would say so.
    IF NEW.created_at IS DISTINCT FROM OLD.created_at THEN
        INSERT INTO txn_rollup_dirty (kind, day)
        VALUES (CASE TG_TABLE_NAME WHEN 'payments' THEN 'payment' ELSE 'refund' END,
                (OLD.created_at AT TIME ZONE 'UTC')::date);
    END IF;
    NEW.changed_xid := pg_current_xact_id();
    RETURN NEW;
END;
$$;
-- +goose StatementEnd

-- Only an update of what the totals read (or an attempt to set changed_xid) runs the function: a gateway reference
-- or a last check written to a payment costs nothing more.
CREATE TRIGGER payments_txn_changed BEFORE UPDATE ON payments FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.amount IS DISTINCT FROM NEW.amount
          OR OLD.currency IS DISTINCT FROM NEW.currency OR OLD.fee IS DISTINCT FROM NEW.fee
          OR OLD.net IS DISTINCT FROM NEW.net OR OLD.payment_system_id IS DISTINCT FROM NEW.payment_system_id
          OR OLD.created_at IS DISTINCT FROM NEW.created_at OR OLD.changed_xid IS DISTINCT FROM NEW.changed_xid)
    EXECUTE FUNCTION bursar_txn_changed();
CREATE TRIGGER refunds_txn_changed BEFORE UPDATE ON refunds FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.amount IS DISTINCT FROM NEW.amount
          OR OLD.currency IS DISTINCT FROM NEW.currency OR OLD.payment_id IS DISTINCT FROM NEW.payment_id
          OR OLD.created_at IS DISTINCT FROM NEW.created_at OR OLD.changed_xid IS DISTINCT FROM NEW.changed_xid)
    EXECUTE FUNCTION bursar_txn_changed();

-- The daily sums, as of txn_rollup's snapshot, for the days before txn_rollup.through. Payments: settled ones
-- (succeeded, refunded, partially_refunded); refunds: succeeded ones, under their payment's system (fee and net 0).
CREATE TABLE txn_daily (
    day               date   NOT NULL,
    kind              text   NOT NULL CHECK (kind IN ('payment', 'refund')),
    currency          text   NOT NULL,
    payment_system_id bigint NOT NULL,
    status            text   NOT NULL,
    n                 bigint NOT NULL,
    amount            bigint NOT NULL,
    fee               bigint NOT NULL,
    net               bigint NOT NULL,
    PRIMARY KEY (day, kind, currency, payment_system_id, status)
);

-- The same sums by month, for the whole months before txn_rollup.through (summed from txn_daily): every date reads
-- about 30 times fewer rows.
CREATE TABLE txn_monthly (
    month             date   NOT NULL,
    kind              text   NOT NULL CHECK (kind IN ('payment', 'refund')),
    currency          text   NOT NULL,
    payment_system_id bigint NOT NULL,
    status            text   NOT NULL,
    n                 bigint NOT NULL,
    amount            bigint NOT NULL,
    fee               bigint NOT NULL,
    net               bigint NOT NULL,
    PRIMARY KEY (month, kind, currency, payment_system_id, status)
);

-- One row: the snapshot txn_daily and txn_monthly are exact at, and the first day it does not cover. No row: no rollup yet (the
-- totals read every row).
CREATE TABLE txn_rollup (
    one       boolean     PRIMARY KEY DEFAULT true CHECK (one),
    snap      pg_snapshot NOT NULL,
    through   date        NOT NULL,
    rolled_at timestamptz NOT NULL DEFAULT now()
);

-- Days whose rows were deleted or moved to another day (nothing in the application does either, but a cascade or a
-- hand could): the totals read them from the rows until the next rollup sums them again.
CREATE TABLE txn_rollup_dirty (
    kind text NOT NULL CHECK (kind IN ('payment', 'refund')),
    day  date NOT NULL
);

-- +goose StatementBegin
CREATE FUNCTION bursar_txn_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO txn_rollup_dirty (kind, day)
    SELECT DISTINCT CASE TG_TABLE_NAME WHEN 'payments' THEN 'payment' ELSE 'refund' END,
           (created_at AT TIME ZONE 'UTC')::date
    FROM old_rows;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION bursar_txn_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM txn_rollup;
    DELETE FROM txn_daily;
    DELETE FROM txn_monthly;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER payments_txn_deleted AFTER DELETE ON payments REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bursar_txn_deleted();
CREATE TRIGGER refunds_txn_deleted AFTER DELETE ON refunds REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bursar_txn_deleted();
CREATE TRIGGER payments_txn_truncated AFTER TRUNCATE ON payments
    FOR EACH STATEMENT EXECUTE FUNCTION bursar_txn_truncated();
CREATE TRIGGER refunds_txn_truncated AFTER TRUNCATE ON refunds
    FOR EACH STATEMENT EXECUTE FUNCTION bursar_txn_truncated();

-- +goose Down
DROP TRIGGER refunds_txn_truncated ON refunds;
DROP TRIGGER payments_txn_truncated ON payments;
DROP TRIGGER refunds_txn_deleted ON refunds;
DROP TRIGGER payments_txn_deleted ON payments;
DROP FUNCTION bursar_txn_truncated();
DROP FUNCTION bursar_txn_deleted();
DROP TABLE txn_rollup_dirty;
DROP TABLE txn_rollup;
DROP TABLE txn_monthly;
DROP TABLE txn_daily;
DROP TRIGGER refunds_txn_changed ON refunds;
DROP TRIGGER payments_txn_changed ON payments;
DROP FUNCTION bursar_txn_changed();
DROP INDEX refunds_changed_idx;
DROP INDEX payments_changed_idx;
-- +goose StatementBegin
DO $$
BEGIN
    EXECUTE 'ALTER TABLE refunds DROP COLUMN changed_xid';
    EXECUTE 'ALTER TABLE payments DROP COLUMN changed_xid';
END;
$$;
-- +goose StatementEnd
