-- Money billed over time (issue 14): offers billed as tuition (per period) or in installments, enrollments (a payer
-- paying for a learner), receipts numbered without gaps per year and paid through payment links, and access that
-- follows payment (paused, not revoked, while a receipt is overdue past its grace).

-- +goose Up
ALTER TABLE offers DROP CONSTRAINT offers_kind_check;
ALTER TABLE offers ADD CONSTRAINT offers_kind_check CHECK (kind IN ('one_time', 'recurring', 'installments', 'tuition'));
-- How a tuition or an installment plan is billed (internal/billing.Schedule): every billing_every billing_units, a
-- monthly one on billing_day (0: the enrollment's day); a tuition for billing_periods periods (0: until cancelled),
-- an installment plan in `installments` parts. The enrollment fee is added to the first receipt. A receipt unpaid
-- grace_days after its due date suspends the enrollment; reminders go remind_days before the due date, on it and
-- when overdue. unlock_by_part: each paid installment unlocks the offer's next product (in the offer's order).
ALTER TABLE offers
    ADD COLUMN billing_every   integer NOT NULL DEFAULT 1 CHECK (billing_every BETWEEN 1 AND 120),
    ADD COLUMN billing_unit    text    NOT NULL DEFAULT 'month' CHECK (billing_unit IN ('week', 'month', 'year')),
    ADD COLUMN billing_day     integer NOT NULL DEFAULT 0 CHECK (billing_day BETWEEN 0 AND 31),
    ADD COLUMN billing_periods integer NOT NULL DEFAULT 0 CHECK (billing_periods BETWEEN 0 AND 1200),
    ADD COLUMN enrollment_fee  bigint  NOT NULL DEFAULT 0 CHECK (enrollment_fee >= 0),
    ADD COLUMN grace_days      integer NOT NULL DEFAULT 7 CHECK (grace_days BETWEEN 0 AND 365),
    ADD COLUMN remind_days     integer NOT NULL DEFAULT 3 CHECK (remind_days BETWEEN 0 AND 60),
    ADD COLUMN unlock_by_part  boolean NOT NULL DEFAULT false;

-- Access paused while an enrollment is suspended: the grant is kept (not revoked) and resumes as it was.
ALTER TABLE access_grants DROP CONSTRAINT access_grants_source_check;
ALTER TABLE access_grants ADD CONSTRAINT access_grants_source_check
    CHECK (source IN ('order', 'manual', 'api', 'import', 'transfer', 'enrollment'));
ALTER TABLE access_grants ADD COLUMN paused_at timestamptz, ADD COLUMN pause_reason text NOT NULL DEFAULT '';

CREATE TABLE enrollments (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    offer_id       bigint      NOT NULL REFERENCES offers (id),
    kind           text        NOT NULL CHECK (kind IN ('tuition', 'installments')),
    -- The payer gets the receipts, reminders and links; the learner the access and the welcome e-mail. The same
    -- contact when one pays for oneself.
    payer_id       bigint      NOT NULL REFERENCES contacts (id),
    learner_id     bigint      NOT NULL REFERENCES contacts (id),
    status         text        NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'active', 'suspended', 'paused', 'cancelled', 'completed', 'dropped')),
    title          text        NOT NULL,
    -- Tuition: the price of one period; installments: the whole price (split by billing.Split). Fee: the enrollment
    -- fee, on the first receipt.
    amount         bigint      NOT NULL CHECK (amount > 0),
    fee            bigint      NOT NULL DEFAULT 0 CHECK (fee >= 0),
    currency       text        NOT NULL,
    -- The schedule, fixed at enrollment (billing.Schedule): period 0 is due at first_due.
    first_due      timestamptz NOT NULL,
    every          integer     NOT NULL,
    unit           text        NOT NULL CHECK (unit IN ('week', 'month', 'year')),
    day            integer     NOT NULL DEFAULT 0,
    periods        integer     NOT NULL DEFAULT 0, -- 0: until cancelled (tuition)
    time_zone      text        NOT NULL,
    grace_days     integer     NOT NULL,
    remind_days    integer     NOT NULL,
    unlock_by_part boolean     NOT NULL DEFAULT false,
    payment_system_ids bigint[] NOT NULL,
    language       text        NOT NULL,
    answers        jsonb       NOT NULL DEFAULT '{}', -- the enrollment form's registration fields
    -- The next period to issue, and when the issuing job issues it (NULL: nothing more to issue).
    next_period    integer     NOT NULL DEFAULT 0,
    next_issue_at  timestamptz,
    -- The end of the last period paid in full: a cancelled enrollment's access ends there.
    paid_through   timestamptz,
    -- A pending enrollment whose first receipt is not paid by then is dropped.
    expires_at     timestamptz,
    activated_at   timestamptz,
    suspended_at   timestamptz,
    paused_at      timestamptz,
    ended_at       timestamptz, -- cancelled, completed or dropped
    end_reason     text        NOT NULL DEFAULT '',
    creator        text        NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX enrollments_status_idx ON enrollments (status, id);
CREATE INDEX enrollments_offer_idx ON enrollments (offer_id, id);
CREATE INDEX enrollments_payer_idx ON enrollments (payer_id, id);
CREATE INDEX enrollments_learner_idx ON enrollments (learner_id, id);
-- The issuing job reads the enrollments whose next receipt is due to be issued.
CREATE INDEX enrollments_issue_idx ON enrollments (next_issue_at, id)
    WHERE status IN ('active', 'suspended') AND next_issue_at IS NOT NULL;
CREATE INDEX enrollments_pending_idx ON enrollments (expires_at) WHERE status = 'pending';

-- The grants an enrollment made for its learner (part: the installment that unlocked it, 0 for all at once).
CREATE TABLE enrollment_grants (
    enrollment_id bigint  NOT NULL REFERENCES enrollments (id) ON DELETE CASCADE,
    grant_id      bigint  NOT NULL REFERENCES access_grants (id) ON DELETE CASCADE,
    part          integer NOT NULL DEFAULT 0,
    PRIMARY KEY (enrollment_id, grant_id)
);

-- An enrollment's own timeline (its receipts' lines included).
CREATE TABLE enrollment_events (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    enrollment_id bigint      NOT NULL REFERENCES enrollments (id) ON DELETE CASCADE,
    receipt_id    bigint,
    kind          text        NOT NULL,
    message       text        NOT NULL,
    actor         text        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX enrollment_events_enrollment_idx ON enrollment_events (enrollment_id, id);

-- The last receipt number handed out per year: taken in the issuing transaction (a rollback gives it back), so the
-- numbers have no gaps.
CREATE TABLE receipt_numbers (
    year integer PRIMARY KEY,
    last bigint  NOT NULL
);

CREATE TABLE receipts (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    enrollment_id bigint      NOT NULL REFERENCES enrollments (id),
    period        integer     NOT NULL CHECK (period >= 0),
    year          integer     NOT NULL,
    seq           bigint      NOT NULL,
    number        text        NOT NULL UNIQUE, -- R-2027-000123
    payer_id      bigint      NOT NULL REFERENCES contacts (id),
    learner_id    bigint      NOT NULL REFERENCES contacts (id),
    offer_id      bigint      NOT NULL REFERENCES offers (id),
    title         text        NOT NULL,
    amount        bigint      NOT NULL CHECK (amount > 0),
    fee           bigint      NOT NULL DEFAULT 0, -- the enrollment fee included in amount
    paid          bigint      NOT NULL DEFAULT 0 CHECK (paid >= 0),
    currency      text        NOT NULL,
    period_start  timestamptz NOT NULL,
    period_end    timestamptz NOT NULL,
    due_at        timestamptz NOT NULL,
    grace_until   timestamptz NOT NULL,
    status        text        NOT NULL DEFAULT 'issued'
        CHECK (status IN ('issued', 'partially_paid', 'paid', 'overdue', 'waived', 'cancelled')),
    -- The payment link the receipt is paid through now (a partial payment makes a new one for the rest), and that
    -- link's offer: an order for it pays this receipt.
    link_id       bigint REFERENCES payment_links (id),
    pay_offer_id  bigint REFERENCES offers (id),
    reminded      integer     NOT NULL DEFAULT 0, -- reminder stages sent: 1 before the due date, 2 on it, 3 overdue
    issued_at     timestamptz NOT NULL,
    paid_at       timestamptz,
    decided_at    timestamptz, -- waived or cancelled
    decided_by    text        NOT NULL DEFAULT '',
    note          text        NOT NULL DEFAULT '',
    updated_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (enrollment_id, period),
    UNIQUE (year, seq)
);
CREATE INDEX receipts_status_idx ON receipts (status, id);
CREATE INDEX receipts_payer_idx ON receipts (payer_id, id);
CREATE INDEX receipts_offer_idx ON receipts (offer_id, id);
CREATE INDEX receipts_due_idx ON receipts (due_at, id);
CREATE INDEX receipts_pay_offer_idx ON receipts (pay_offer_id) WHERE pay_offer_id IS NOT NULL;
CREATE INDEX receipts_open_idx ON receipts (due_at) WHERE status IN ('issued', 'partially_paid', 'overdue');

-- What paid a receipt: an order (through its link: gateway or bank transfer) or cash a manager recorded.
CREATE TABLE receipt_payments (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    receipt_id  bigint      NOT NULL REFERENCES receipts (id),
    order_id    bigint REFERENCES orders (id),
    method      text        NOT NULL CHECK (method IN ('order', 'cash')),
    amount      bigint      NOT NULL CHECK (amount > 0),
    currency    text        NOT NULL,
    paid_on     date        NOT NULL,
    note        text        NOT NULL DEFAULT '',
    recorded_by text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX receipt_payments_receipt_idx ON receipt_payments (receipt_id, id);
CREATE UNIQUE INDEX receipt_payments_order_idx ON receipt_payments (order_id) WHERE order_id IS NOT NULL;

-- +goose Down
DROP TABLE receipt_payments;
DROP TABLE receipts;
DROP TABLE receipt_numbers;
DROP TABLE enrollment_events;
DROP TABLE enrollment_grants;
DROP TABLE enrollments;
ALTER TABLE access_grants DROP COLUMN pause_reason, DROP COLUMN paused_at;
DELETE FROM access_grants WHERE source = 'enrollment';
ALTER TABLE access_grants DROP CONSTRAINT access_grants_source_check;
ALTER TABLE access_grants ADD CONSTRAINT access_grants_source_check
    CHECK (source IN ('order', 'manual', 'api', 'import', 'transfer'));
ALTER TABLE offers DROP COLUMN unlock_by_part, DROP COLUMN remind_days, DROP COLUMN grace_days,
    DROP COLUMN enrollment_fee, DROP COLUMN billing_periods, DROP COLUMN billing_day, DROP COLUMN billing_unit,
    DROP COLUMN billing_every;
UPDATE offers SET kind = 'one_time', status = 'draft' WHERE kind = 'tuition';
ALTER TABLE offers DROP CONSTRAINT offers_kind_check;
ALTER TABLE offers ADD CONSTRAINT offers_kind_check CHECK (kind IN ('one_time', 'recurring', 'installments'));
