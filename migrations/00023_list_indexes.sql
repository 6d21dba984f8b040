-- Indexes for the admin lists and totals at a big school's size (issue 12; plans in docs/PERFORMANCE.md).

-- +goose Up
-- The orders list with a date range is ordered by (created_at, id), the index it filters on; the old one-column index
-- is its prefix.
CREATE INDEX orders_created_id_idx ON orders (created_at, id);
DROP INDEX orders_created_idx;

-- The dashboard's "completed in the last 7 days": the recent end of this index, not the whole table.
CREATE INDEX orders_completed_idx ON orders (decided_at) WHERE status = 'completed';

-- Transaction totals read only this index (an index-only scan) over the date range: settled payments with the
-- columns the totals and their filters need.
CREATE INDEX payments_settled_idx ON payments (created_at)
    INCLUDE (status, currency, amount, fee, net, payment_system_id)
    WHERE status IN ('succeeded', 'refunded', 'partially_refunded');

-- The Transactions filtered by status, newest first: a status that recent rows rarely have (refunded, failed) is
-- read from its own end of the index instead of filtered out of every newer row, and its totals from the index
-- alone. (payments_status_idx, by id, stays for the Payments tab.)
CREATE INDEX payments_status_created_idx ON payments (status, created_at, id)
    INCLUDE (currency, amount, fee, net, payment_system_id);
CREATE INDEX refunds_status_created_idx ON refunds (status, created_at, id);

-- The Transactions search by a gateway reference, whatever the payment system.
CREATE INDEX payments_ref_idx ON payments (gateway_ref) WHERE gateway_ref <> '';
CREATE INDEX payments_alt_ref_idx ON payments (gateway_alt_ref) WHERE gateway_alt_ref <> '';
CREATE INDEX refunds_ref_idx ON refunds (gateway_ref) WHERE gateway_ref <> '';

-- The exceptions inbox, open ones first then newest (ExceptionsInbox's order and cursor): a page reads its 50 rows
-- and joins their orders, instead of joining and sorting every exception ever raised.
CREATE INDEX payment_exceptions_inbox_idx ON payment_exceptions ((status = 'open'), id);

-- +goose Down
DROP INDEX payment_exceptions_inbox_idx;
DROP INDEX refunds_status_created_idx;
DROP INDEX payments_status_created_idx;
DROP INDEX refunds_ref_idx;
DROP INDEX payments_alt_ref_idx;
DROP INDEX payments_ref_idx;
DROP INDEX payments_settled_idx;
DROP INDEX orders_completed_idx;
CREATE INDEX orders_created_idx ON orders (created_at);
DROP INDEX orders_created_id_idx;
