package scale

// The fill, step by step. Each step is one statement run with pgx named arguments (@orders, @contacts, @offers,
// @products, @now, @span_s). Temporary tables (scale_*) carry the catalog's ids and each order's shape from one step
// to the next; they go with the connection. scale_order is written in order of g (and so of id) and read back by
// sequential scans in that order, so inserts from it need no sort to keep ids in order.
//
// The shape of an order g (1…@orders), from hashes of g so that it is the same on every run:
//   - status: 88% completed, 5% refunded, 3% rejected, 3.5% expired, 0.5% cancelled; among the newest 2% (the last
//     two weeks), 15% are still open (older ones would have been decided or expired by now);
//   - channel: 70% checkout (paid through the offer's gateway: Stripe for EUR and GBP, PayPal for USD, WayForPay
//     for UAH, 4% of them after a failed attempt), 25% admin and 5% API (the manual bank transfer);
//   - created over the two years before @now, evenly, with up to ten minutes of jitter (ids and times are not in
//     the same order everywhere, as when transactions commit out of order);
//   - 1% of completed orders' payments are partially refunded; refunded orders have a full refund;
//   - every completed or refunded order has its grant (revoked when refunded) and order_grants link, a timeline
//     line on the contact; every order has its "created" timeline line, a decided one when decided, one e-mail;
//     manual decisions have an audit entry; one order in 2,000 has a payment exception; one in 20 was asked for by a
//     payment link.

// refundAt is when order so's refund was made: refund_days after it was paid, or halfway to @now for an order paid
// more recently than that.
const refundAt = `CASE WHEN so.decided_at + make_interval(days => so.refund_days::int) < @now::timestamptz
	THEN so.decided_at + make_interval(days => so.refund_days::int)
	ELSE so.decided_at + (@now::timestamptz - so.decided_at) / 2 END`

type step struct {
	name  string
	table string // the table whose inserted rows are counted, if any
	sql   string
}

// vacuumed are the tables Fill vacuums and analyzes at the end.
var vacuumed = []string{"contacts", "orders", "payments", "refunds", "order_events", "order_grants", "access_grants",
	"contact_events", "outbound_emails", "payment_exceptions", "audit_log", "payment_systems", "products", "offers",
	"offer_products", "offer_payment_systems", "payment_links"}

var steps = []step{
	{name: "base", sql: `CREATE TEMP TABLE scale_base AS SELECT
		(SELECT coalesce(max(id), 0) FROM contacts) AS contact0,
		(SELECT coalesce(max(id), 0) FROM orders) AS order0,
		(SELECT coalesce(max(id), 0) FROM payments) AS payment0,
		(SELECT coalesce(max(id), 0) FROM access_grants) AS grant0,
		(SELECT coalesce(max(id), 0) FROM offers) AS offer0`},

	{name: "payment systems", sql: `CREATE TEMP TABLE scale_system (id bigint, type text)`},
	{name: "payment systems", table: "payment_systems", sql: `WITH ins AS (
		INSERT INTO payment_systems (type, name, mode, settings, enabled)
		SELECT t.type, t.name, 'live', t.settings::jsonb, true
		FROM (VALUES ('manual', 'Bank transfer', '{"supported_currencies": ["EUR", "USD", "GBP", "UAH"]}'),
		             ('stripe', 'Stripe', '{}'), ('paypal', 'PayPal', '{}'), ('wayforpay', 'WayForPay', '{}'))
		     AS t(type, name, settings)
		RETURNING id, type)
		INSERT INTO scale_system SELECT id, type FROM ins`},

	{name: "products", sql: `CREATE TEMP TABLE scale_product (idx int, id bigint)`},
	{name: "products", table: "products", sql: `WITH ins AS (
		INSERT INTO products (name, kind) SELECT 'Course ' || g, 'course' FROM generate_series(1, @products::int) g
		RETURNING id)
		INSERT INTO scale_product SELECT row_number() OVER (ORDER BY id) - 1, id FROM ins`},

	{name: "offers", sql: `CREATE TEMP TABLE scale_offer (idx int, id bigint, title text, currency text, amount bigint,
		product_id bigint, gateway_id bigint, gateway text)`},
	{name: "offers", table: "offers", sql: `WITH ins AS (
		INSERT INTO offers (title, slug, status, amount, currency, language)
		SELECT 'Course ' || (g % @products::int + 1) || ', plan ' || g,
		       'scale-' || (b.offer0 + g),
		       'published',
		       CASE c.cur WHEN 'UAH' THEN 40 ELSE 1 END * (4900 + (g * 2500) % 25000),
		       c.cur, 'en'
		FROM generate_series(1, @offers::int) g, scale_base b,
		     LATERAL (SELECT (ARRAY['EUR', 'USD', 'EUR', 'GBP', 'EUR', 'UAH'])[g % 6 + 1] AS cur) c
		RETURNING id, title, currency, amount)
		INSERT INTO scale_offer
		SELECT i.idx, i.id, i.title, i.currency, i.amount, p.id, s.id, s.type
		FROM (SELECT row_number() OVER (ORDER BY id) - 1 AS idx, * FROM ins) i
		JOIN scale_product p ON p.idx = i.idx % @products::int
		JOIN scale_system s ON s.type = CASE i.currency WHEN 'UAH' THEN 'wayforpay' WHEN 'USD' THEN 'paypal'
		                                                ELSE 'stripe' END`},
	{name: "offer products", table: "offer_products", sql: `INSERT INTO offer_products (offer_id, product_id)
		SELECT id, product_id FROM scale_offer`},
	{name: "offer payment systems", table: "offer_payment_systems", sql: `INSERT INTO offer_payment_systems
		(offer_id, payment_system_id, position)
		SELECT o.id, o.gateway_id, 0 FROM scale_offer o
		UNION ALL SELECT o.id, s.id, 1 FROM scale_offer o, scale_system s WHERE s.type = 'manual'`},

	{name: "contacts", table: "contacts", sql: `INSERT INTO contacts (id, email, name, phone, placeholder, created_at,
		updated_at)
		OVERRIDING SYSTEM VALUE
		SELECT b.contact0 + g,
		       CASE WHEN g % 500 = 0 THEN 'payer-' || (b.contact0 + g) || '@placeholder.invalid'
		            ELSE 'student' || (b.contact0 + g) || '@scale.example' END,
		       CASE WHEN g % 500 = 0 THEN '' ELSE 'Student ' || (b.contact0 + g) END,
		       CASE WHEN g % 3 = 0 THEN '+34 600 ' || lpad((g % 1000000)::text, 6, '0') ELSE '' END,
		       g % 500 = 0, t.at, t.at
		FROM generate_series(1, @contacts::int) g, scale_base b,
		     LATERAL (SELECT @now::timestamptz - make_interval(secs => (@contacts::int - g)::float8
		                     * @span_s::bigint / @contacts::int) AS at) t
`},

	// Each order's shape, once.
	{name: "order shapes", sql: `CREATE TEMP TABLE scale_order AS
		SELECT g, b.order0 + g AS id, st.status, ch.channel, o.id AS offer_id, o.title, o.currency, o.amount,
		       o.product_id,
		       CASE ch.channel WHEN 'checkout' THEN o.gateway_id ELSE (SELECT id FROM scale_system WHERE type = 'manual') END
		           AS system_id,
		       o.gateway,
		       b.contact0 + 1 + CASE st.status WHEN 'open' THEN g % @contacts::int
		                                      ELSE abs(hashint8(g * 11)) % @contacts::int END AS contact_id,
		       t.at AS created_at,
		       CASE WHEN st.status = 'open' THEN NULL
		            WHEN ch.channel = 'checkout' THEN t.at + make_interval(secs => 30 + abs(hashint8(g * 19)) % 600)
		            ELSE t.at + make_interval(secs => 3600 + abs(hashint8(g * 19)) % 172800) END AS decided_at,
		       abs(hashint8(g * 23)) % 100 AS r2,
		       abs(hashint8(g * 29)) % 30 + 1 AS refund_days
		FROM generate_series(1, @orders::int) g, scale_base b,
		     LATERAL (SELECT abs(hashint8(g * 3)) % 1000 AS r, abs(hashint8(g * 13)) % 100 AS c) h,
		     LATERAL (SELECT CASE WHEN h.r >= 850 AND g > @orders::int - least(@orders::int / 50, @contacts::int)
		                          THEN 'open'
		                          WHEN h.r < 880 THEN 'completed' WHEN h.r < 930 THEN 'refunded'
		                          WHEN h.r < 960 THEN 'rejected' WHEN h.r < 980 THEN 'expired'
		                          WHEN h.r < 985 THEN 'cancelled' ELSE 'expired' END AS status) st,
		     LATERAL (SELECT CASE WHEN h.c < 70 THEN 'checkout' WHEN h.c < 95 THEN 'admin' ELSE 'api' END AS channel) ch,
		     LATERAL (SELECT @now::timestamptz - make_interval(secs => (@orders::int - g)::float8 * @span_s::bigint
		                     / @orders::int + abs(hashint8(g * 17)) % 600) AS at) t,
		     scale_offer o
		WHERE o.idx = abs(hashint8(g * 7)) % @offers::int`},

	{name: "orders", table: "orders", sql: `INSERT INTO orders (id, status, offer_id, offer_title, contact_id,
		payment_system_id, amount, currency, list_amount, list_currency, language, channel, deadline_at, decided_at,
		decided_by, decision_note, created_at, updated_at)
		OVERRIDING SYSTEM VALUE
		SELECT id, status, offer_id, title, contact_id, system_id, amount, currency, amount, currency, 'en', channel,
		       CASE WHEN channel <> 'checkout' AND status = 'open' THEN created_at + interval '30 days' END,
		       decided_at,
		       CASE WHEN decided_at IS NULL THEN '' WHEN channel = 'checkout' THEN 'system'
		            ELSE 'manager' || (g % 3 + 1) || '@school.example' END,
		       '', created_at, coalesce(decided_at, created_at)
		FROM scale_order`},

	{name: "failed attempts", table: "payments", sql: `INSERT INTO payments (order_id, payment_system_id, mode, status,
		amount, currency, fee, net, paid_on, comment, gateway_ref, created_at, updated_at)
		SELECT id, system_id, 'live', 'failed', amount, currency, 0, 0, (created_at AT TIME ZONE 'UTC')::date,
		       'card declined', 'att_' || id, created_at + interval '1 second', created_at + interval '1 minute'
		FROM scale_order WHERE channel = 'checkout' AND r2 < 4`},
	{name: "payments", table: "payments", sql: `INSERT INTO payments (order_id, payment_system_id, mode, status,
		amount, currency, fee, net, paid_on, comment, gateway_ref, gateway_alt_ref, payer_email, created_at,
		updated_at)
		SELECT so.id, so.system_id, 'live', ps.status, so.amount, so.currency, f.fee, so.amount - f.fee,
		       (coalesce(so.decided_at, so.created_at) AT TIME ZONE 'UTC')::date,
		       CASE WHEN so.channel = 'checkout' THEN '' ELSE 'bank transfer ' || so.id END,
		       CASE WHEN so.channel = 'checkout' THEN
		           CASE so.gateway WHEN 'stripe' THEN 'cs_scale_' WHEN 'paypal' THEN 'PAYID-SCALE-' ELSE 'wfp-scale-' END || so.id
		       ELSE '' END,
		       CASE WHEN so.channel = 'checkout' AND so.gateway = 'stripe' THEN 'pi_scale_' || so.id ELSE '' END,
		       '', so.created_at + interval '2 seconds', coalesce(so.decided_at, so.created_at + interval '2 seconds')
		FROM scale_order so,
		     LATERAL (SELECT CASE so.status
		                  WHEN 'completed' THEN CASE WHEN so.r2 = 99 THEN 'partially_refunded' ELSE 'succeeded' END
		                  WHEN 'refunded' THEN 'refunded'
		                  WHEN 'open' THEN CASE WHEN so.channel = 'checkout' AND so.r2 % 2 = 0 THEN 'processing'
		                                        ELSE 'pending' END
		                  ELSE 'failed' END AS status) ps,
		     LATERAL (SELECT CASE WHEN so.channel = 'checkout' AND ps.status IN ('succeeded', 'refunded', 'partially_refunded')
		                          THEN so.amount * 29 / 1000 + 30 ELSE 0 END AS fee) f`},

	{name: "refunds", table: "refunds", sql: `INSERT INTO refunds (payment_id, amount, currency, comment, actor, status,
		gateway_ref, created_at, updated_at)
		SELECT p.id, CASE p.status WHEN 'refunded' THEN p.amount ELSE p.amount / 2 END, p.currency, 'asked by the student',
		       'manager1@school.example', 'succeeded',
		       CASE WHEN p.gateway_ref <> '' THEN 're_scale_' || p.id ELSE '' END, t.at, t.at
		FROM payments p JOIN scale_order so ON so.id = p.order_id, scale_base b,
		     LATERAL (SELECT ` + refundAt + ` AS at) t
		WHERE p.id > b.payment0 AND p.status IN ('refunded', 'partially_refunded')
		ORDER BY t.at`},

	{name: "order created events", table: "order_events", sql: `INSERT INTO order_events (order_id, kind, message,
		actor, created_at)
		SELECT id, 'order.created', 'Order created for ' || title || ' (' || channel || ')',
		       CASE channel WHEN 'checkout' THEN '' ELSE 'manager1@school.example' END, created_at
		FROM scale_order`},
	{name: "order decided events", table: "order_events", sql: `INSERT INTO order_events (order_id, kind, message,
		actor, created_at)
		SELECT id, CASE status WHEN 'completed' THEN 'order.completed' WHEN 'refunded' THEN 'order.completed'
		                       WHEN 'rejected' THEN 'order.rejected' ELSE 'order.expired' END,
		       CASE status WHEN 'rejected' THEN 'Rejected: no payment arrived' WHEN 'expired' THEN 'Expired unpaid'
		                   WHEN 'cancelled' THEN 'Expired unpaid' ELSE 'Paid and completed' END,
		       CASE channel WHEN 'checkout' THEN '' ELSE 'manager1@school.example' END, decided_at
		FROM scale_order WHERE decided_at IS NOT NULL`},

	{name: "grants", table: "access_grants", sql: `INSERT INTO access_grants (id, contact_id, product_id, source,
		source_ref, starts_at, revoked_at, revoke_reason, created_at)
		OVERRIDING SYSTEM VALUE
		SELECT b.grant0 + so.g, so.contact_id, so.product_id, 'order', so.id::text, so.decided_at,
		       CASE so.status WHEN 'refunded' THEN ` + refundAt + ` END,
		       CASE so.status WHEN 'refunded' THEN 'order refunded' ELSE '' END, so.decided_at
		FROM scale_order so, scale_base b WHERE so.status IN ('completed', 'refunded')`},
	{name: "order grants", table: "order_grants", sql: `INSERT INTO order_grants (order_id, grant_id, product_id, created)
		SELECT so.id, b.grant0 + so.g, so.product_id, true
		FROM scale_order so, scale_base b WHERE so.status IN ('completed', 'refunded')`},
	{name: "contact events", table: "contact_events", sql: `INSERT INTO contact_events (contact_id, kind, message,
		actor, created_at)
		SELECT contact_id, 'access.granted', 'Access to ' || title || ' granted by order ' || id, '', decided_at
		FROM scale_order WHERE status IN ('completed', 'refunded') ORDER BY decided_at`},

	{name: "e-mails", table: "outbound_emails", sql: `INSERT INTO outbound_emails (dedup_key, to_address, subject,
		text_body, language, status, attempts, related_type, related_id, created_at, sent_at, message_id)
		SELECT 'scale:order:' || id, 'student' || contact_id || '@scale.example',
		       CASE WHEN status IN ('completed', 'refunded') THEN 'Your access to ' || title ELSE 'We received your order' END,
		       'Hello,' || E'\n\n' || 'thank you for your order of ' || title || '.' || E'\n\n' || 'The school',
		       'en', 'sent', 1, 'order', id, coalesce(decided_at, created_at), coalesce(decided_at, created_at),
		       '<scale-' || id || '@school.example>'
		FROM scale_order`},

	{name: "payment exceptions", table: "payment_exceptions", sql: `INSERT INTO payment_exceptions (kind, order_id,
		payment_system_id, gateway_ref, amount, currency, status, note, resolved_by, resolved_at, resolution,
		created_at)
		SELECT 'amount_mismatch', id, system_id, 'mismatch-' || id, amount - 100, currency,
		       CASE WHEN g > @orders::int - @orders::int / 100 THEN 'open' ELSE 'resolved' END,
		       'the gateway reported less than the order''s price',
		       CASE WHEN g > @orders::int - @orders::int / 100 THEN '' ELSE 'manager1@school.example' END,
		       CASE WHEN g > @orders::int - @orders::int / 100 THEN NULL ELSE created_at + interval '1 day' END,
		       CASE WHEN g > @orders::int - @orders::int / 100 THEN '' ELSE 'accepted' END,
		       created_at + interval '1 minute'
		FROM scale_order WHERE g % 2000 = 0`},

	{name: "audit", table: "audit_log", sql: `INSERT INTO audit_log (at, actor_type, actor_label, action, entity,
		entity_id, details)
		SELECT decided_at, 'admin', 'manager' || (g % 3 + 1) || '@school.example',
		       CASE status WHEN 'rejected' THEN 'order.reject' ELSE 'order.approve' END, 'order', id::text,
		       jsonb_build_object('amount', amount, 'currency', currency)
		FROM scale_order WHERE channel <> 'checkout' AND status IN ('completed', 'refunded', 'rejected')
		ORDER BY decided_at`},

	// One order in 20 was asked for by a payment link (50,000 links at 1,000,000 orders), made by a manager an hour
	// before the order: a completed or refunded order's link is paid (tied to it), an open one's still active, the
	// others declined, cancelled or expired.
	{name: "payment links", table: "payment_links", sql: `INSERT INTO payment_links (contact_id, offer_id, title,
		amount, currency, payment_system_ids, language, status, decline_reason, order_id, creator_type,
		creator_label, expires_at, first_opened_at, last_opened_at, decided_at, decided_by, created_at, updated_at)
		SELECT so.contact_id, so.offer_id, so.title, so.amount, so.currency, ARRAY[so.system_id], 'en', l.status,
		       CASE l.status WHEN 'declined' THEN 'not this term' ELSE '' END,
		       CASE l.status WHEN 'paid' THEN so.id END, 'admin', 'manager' || (so.g % 3 + 1) || '@school.example',
		       so.created_at + interval '7 days', so.created_at - interval '50 minutes', so.created_at,
		       CASE l.status WHEN 'active' THEN NULL ELSE coalesce(so.decided_at, so.created_at + interval '1 day') END,
		       CASE l.status WHEN 'active' THEN '' WHEN 'paid' THEN 'system' WHEN 'declined' THEN 'payer'
		                     ELSE 'manager1@school.example' END,
		       so.created_at - interval '1 hour', coalesce(so.decided_at, so.created_at)
		FROM scale_order so,
		     LATERAL (SELECT CASE WHEN so.status IN ('completed', 'refunded') THEN 'paid'
		                          WHEN so.status = 'open' THEN 'active'
		                          WHEN so.r2 % 3 = 0 THEN 'declined' WHEN so.r2 % 3 = 1 THEN 'cancelled'
		                          ELSE 'expired' END AS status) l
		WHERE so.g % 20 = 0 ORDER BY so.g`},

	// The identity columns filled with explicit ids continue after them.
	{name: "sequences", sql: `SELECT setval(pg_get_serial_sequence('contacts', 'id'), (SELECT max(id) FROM contacts)),
		setval(pg_get_serial_sequence('orders', 'id'), (SELECT max(id) FROM orders)),
		setval(pg_get_serial_sequence('access_grants', 'id'), greatest((SELECT max(id) FROM access_grants), 1))`},
}
