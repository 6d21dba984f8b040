package server

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bursar/bursar/internal/gateway/stripemock"
	"github.com/bursar/bursar/internal/order"
)

// webhookSenders is how many concurrent senders (HTTP clients, or pgbench clients) both halves of
// BenchmarkWebhook use.
const webhookSenders = 8

// BenchmarkWebhook measures webhook-to-fulfilment throughput (issue 4): b.N signed checkout.session.completed
// notifications, each for its own open order, posted by 8 concurrent senders over loopback HTTP to
// POST /webhooks/{id}. Each one is verified (HMAC, timestamp), stored, deduplicated and applied in one transaction:
// the order completed, its payment succeeded, the access granted, the order's and the contact's timelines, the
// confirmation e-mail in the outbox with its River job, the audit entry and the stored event marked processed.
//
// Both halves also report cpu-µs/op (cpuMeter): the CPU time one operation costs this process, pgbench and the
// PostgreSQL server together, the figure that compares the two on a machine shared with other work.
//
// The baseline in the same run is pgbench, with the same 8 clients on the same server (each side on a fresh
// database set up alike), running a transaction that writes the same rows, with the same texts, in plain SQL (no
// HTTP, no signature check, no Go): the ratio says how close Bursar's whole path comes to the database's own cost
// of those writes.
func BenchmarkWebhook(b *testing.B) {
	pgbench, err := exec.LookPath("pgbench")
	if err != nil {
		b.Skip("pgbench not found: install PostgreSQL's client tools for the baseline")
	}
	stripeURL := stripemock.Start(b)

	// Each side gets a database of its own, set up the same way, so neither works on tables the other has grown.
	b.Run("pgbench-baseline", func(b *testing.B) {
		a := newGatewayApp(b, stripeURL)
		f := newStripeFixture(b, a)
		script := fulfilScript(b, a, f)
		connString := a.pool.Config().ConnString()
		ids := benchOrders(b, a, f, b.N)
		perClient := (b.N + webhookSenders - 1) / webhookSenders
		cmd := exec.Command(pgbench, "-n", "-c", fmt.Sprint(webhookSenders), "-j", "2", "-t", fmt.Sprint(perClient),
			"-f", script, "-D", fmt.Sprintf("first=%d", ids[0]), "-D", fmt.Sprintf("norders=%d", len(ids)),
			"-D", fmt.Sprintf("sys=%d", f.sys.ID), "-D", fmt.Sprintf("product=%d", f.offer.ProductIDs[0]), connString)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		cpu := startCPU(a.pool)
		b.ResetTimer()
		if err := cmd.Run(); err != nil {
			b.Fatalf("pgbench: %v\n%s", err, out.String())
		}
		b.StopTimer()
		cpu.report(b, cmd.ProcessState.UserTime()+cmd.ProcessState.SystemTime(), perClient*webhookSenders)
		if !strings.Contains(out.String(), "number of failed transactions: 0") {
			b.Fatalf("pgbench had failures:\n%s", out.String())
		}
		b.ReportMetric(float64(perClient*webhookSenders)/b.Elapsed().Seconds(), "tx/s")
	})

	b.Run("webhook", func(b *testing.B) {
		a := newGatewayApp(b, stripeURL)
		f := newStripeFixture(b, a)
		// The same sample fulfilment the baseline starts with, so both databases hold the same rows to begin with.
		fulfilScript(b, a, f)
		ids := benchOrders(b, a, f, b.N)
		bodies := make([][]byte, len(ids))
		for i, id := range ids {
			att := order.Attempt{Order: order.Order{ID: id, Price: f.offer.Price()}}
			bodies[i] = paidEvent(fmt.Sprintf("evt_bench_%d", id), att, fmt.Sprintf("cs_bench_%d", id))
		}
		tr := &http.Transport{MaxIdleConnsPerHost: webhookSenders}
		c := &http.Client{Transport: tr, Timeout: time.Minute}
		b.Cleanup(tr.CloseIdleConnections)
		url := fmt.Sprintf("%s/webhooks/%d", a.ts.URL, f.sys.ID)
		var next atomic.Int64
		cpu := startCPU(a.pool)
		b.ResetTimer()
		done := make(chan error, webhookSenders)
		for range webhookSenders {
			go func() {
				for {
					i := next.Add(1) - 1
					if i >= int64(len(bodies)) {
						done <- nil
						return
					}
					req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(bodies[i]))
					req.Header.Set("Stripe-Signature", stripeSignature(testWebhookSecret, time.Now(), bodies[i]))
					res, err := c.Do(req)
					if err == nil {
						res.Body.Close()
						if res.StatusCode != http.StatusOK {
							err = fmt.Errorf("delivery %d: status %d", i, res.StatusCode)
						}
					}
					if err != nil {
						done <- err
						return
					}
				}
			}()
		}
		for range webhookSenders {
			if err := <-done; err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		cpu.report(b, 0, b.N)
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "orders/s")
		var completed int
		if err := a.pool.QueryRow(context.Background(), `SELECT count(*) FROM orders WHERE status = 'completed' AND id = ANY($1)`, ids).Scan(&completed); err != nil || completed != len(ids) {
			b.Fatalf("%d of %d orders completed (%v)", completed, len(ids), err)
		}
	})
}

// benchOrders opens n gateway orders of f's offer, each for its own contact with a pending attempt referenced
// cs_bench_<order id>, in bulk with SQL (setup, not measured), and returns their ids in order.
func benchOrders(b *testing.B, a *testApp, f stripeFixture, n int) []int64 {
	b.Helper()
	ctx := context.Background()
	rows, err := a.pool.Query(ctx, `
WITH c AS (
    INSERT INTO contacts (email) SELECT 'bench-' || gen_random_uuid() || '@example.org' FROM generate_series(1, $1::int)
    RETURNING id
), o AS (
    INSERT INTO orders (offer_id, offer_title, contact_id, payment_system_id, amount, currency, list_amount,
                        list_currency, channel)
    SELECT $2, 'Stripe course', c.id, $3, $4, $5, $4, $5, 'checkout' FROM c
    RETURNING id
), p AS (
    INSERT INTO payments (order_id, payment_system_id, mode, status, amount, currency, paid_on, gateway_ref)
    SELECT o.id, $3, 'test', 'pending', $4, $5, current_date, 'cs_bench_' || o.id FROM o
    RETURNING order_id
)
SELECT order_id FROM p ORDER BY order_id`, n, f.offer.ID, f.sys.ID, f.offer.Amount, f.offer.Currency)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	ids := make([]int64, 0, n)
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			b.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil || len(ids) != n {
		b.Fatalf("%d bench orders (%v)", len(ids), err)
	}
	if ids[len(ids)-1]-ids[0] != int64(n-1) {
		b.Fatal("bench orders are not consecutive")
	}
	return ids
}

// fulfilScript writes the pgbench baseline and returns its path: one transaction writing what applying a paid
// notification writes — the stored event, the order and payment updates under the order's lock, the grant and its
// link, two order events, the contact's timeline event, the outbox e-mail and its River job, the audit entry, the
// event marked processed. The texts (the event's body, the e-mail's subject and bodies, the audit details) are
// those of a real fulfilment made first, so both sides write rows of the same size.
func fulfilScript(b *testing.B, a *testApp, f stripeFixture) string {
	b.Helper()
	ctx := context.Background()
	sample := benchOrders(b, a, f, 1)[0]
	att := order.Attempt{Order: order.Order{ID: sample, Price: f.offer.Price()}}
	ref := fmt.Sprintf("cs_bench_%d", sample)
	if code := a.deliverSigned(f.sys.ID, paidEvent("evt_sample", att, ref)); code != http.StatusOK {
		b.Fatalf("sample webhook: %d", code)
	}
	var event, subject, text, html, details string
	if err := a.pool.QueryRow(ctx, `SELECT body FROM gateway_events WHERE event_id = 'evt_sample'`).Scan(&event); err != nil {
		b.Fatal(err)
	}
	if err := a.pool.QueryRow(ctx, `SELECT subject, text_body, html_body FROM outbound_emails WHERE related_id = $1`,
		sample).Scan(&subject, &text, &html); err != nil {
		b.Fatal(err)
	}
	if err := a.pool.QueryRow(ctx, `SELECT details::text FROM audit_log WHERE action = 'order.complete' AND entity_id = $1`,
		itoa(sample)).Scan(&details); err != nil {
		b.Fatal(err)
	}
	q := func(v string) string { return "$sample$" + v + "$sample$" }
	sql := fmt.Sprintf(`
\set oid :first + random(0, :norders - 1)
BEGIN;
INSERT INTO gateway_events (payment_system_id, event_id, type, kind, body)
VALUES (:sys, 'pgb_' || :client_id || '_' || gen_random_uuid(), 'checkout.session.completed', 'paid', %s)
RETURNING id AS ev \gset
SELECT contact_id FROM orders WHERE id = :oid FOR UPDATE \gset o_
UPDATE orders SET status = 'completed', decided_at = now(), decided_by = 'stripe webhook',
       decision_note = 'paid through Cards (cs_x)', updated_at = now() WHERE id = :oid;
UPDATE payments SET status = 'succeeded', fee = 0, net = amount, paid_on = current_date,
       payer_email = 'payer@example.com', updated_at = now() WHERE order_id = :oid;
INSERT INTO access_grants (contact_id, product_id, source, source_ref)
SELECT contact_id, :product, 'order', number FROM orders WHERE id = :oid
RETURNING id AS grant_id \gset
INSERT INTO order_grants (order_id, grant_id, product_id, created) VALUES (:oid, :grant_id, :product, true);
INSERT INTO order_events (order_id, kind, message, actor) VALUES
    (:oid, 'order.completed', 'Order completed: Cards payment cs_x of 49.00 EUR (event evt_x)', 'stripe webhook'),
    (:oid, 'gateway.event', 'Cards event evt_x (checkout.session.completed, cs_x, 49.00 EUR): completed', 'stripe webhook');
INSERT INTO contact_events (contact_id, kind, message, actor)
VALUES (:o_contact_id, 'order.completed', 'Order completed: Cards payment cs_x of 49.00 EUR (event evt_x)', 'stripe webhook');
INSERT INTO outbound_emails (dedup_key, to_address, subject, text_body, html_body, language, related_type, related_id)
VALUES ('pgb:' || :ev, 'payer@example.com', %s, %s, %s, 'en', 'order', :oid);
INSERT INTO river_job (args, kind, max_attempts, queue, state, priority)
VALUES ('{"email_id": 1}', 'notify.email', 25, 'default', 'available', 1);
INSERT INTO audit_log (actor_type, actor_label, action, entity, entity_id, details)
VALUES ('system', 'stripe webhook', 'order.complete', 'order', :oid, %s);
UPDATE gateway_events SET processed_at = now(), result = 'completed', order_id = :oid WHERE id = :ev;
COMMIT;
`, q(event), q(subject), q(text), q(html), q(details))
	path := filepath.Join(b.TempDir(), "fulfil.sql")
	if err := os.WriteFile(path, []byte(sql), 0o600); err != nil {
		b.Fatal(err)
	}
	return path
}
