package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stripe/stripe-go/v76/webhook"
)

// webhookSecret is the Stripe payment system's signing secret in the run's own database.
const webhookSecret = "whsec_bursar_load"

// school is what setUpSchool created.
type school struct {
	manual, stripe int64 // payment systems
	offer          int64
	slug           string
	amount         int64
	currency       string
}

// setUpSchool creates through the API a manual payment system, a Stripe one with a webhook signing secret, a
// product and a published offer sold through both, with a markdown description and contact details: the page of
// BenchmarkOfferPage, with two ways to pay.
func setUpSchool(ctx context.Context, base, key string) (school, error) {
	s := school{slug: "curso", amount: 14900, currency: "EUR"}
	var err error
	post := func(path string, body any) int64 {
		if err != nil {
			return 0
		}
		var id int64
		id, err = apiCreate(ctx, base, key, path, body)
		return id
	}
	s.manual = post("/api/v1/payment-systems", map[string]any{"type": "manual", "name": "Bank transfer",
		"enabled": true, "description": "Pay by bank transfer.", "settings": map[string]any{"supported_currencies": []string{"EUR"}}})
	s.stripe = post("/api/v1/payment-systems", map[string]any{"type": "stripe", "name": "Cards", "enabled": true,
		"mode": "test", "credentials": map[string]string{"secret_key": "sk_test_bursar_load", "webhook_secret": webhookSecret}})
	product := post("/api/v1/products", map[string]any{"name": "Spanish A1", "kind": "course"})
	s.offer = post("/api/v1/offers", map[string]any{"title": "Curso de español A1", "slug": s.slug, "language": "es",
		"status": "published", "amount": s.amount, "currency": s.currency, "product_ids": []int64{product},
		"payment_system_ids": []int64{s.manual, s.stripe},
		"description":        "Aprende **español** desde cero:\n\n- 24 lecciones\n- club de conversación\n- certificado",
		"contact":            map[string]string{"email": "hola@academia.example", "phone": "+34 910 000 000"}})
	return s, err
}

// apiCreate POSTs body as JSON to path and returns the id of what was created (201).
func apiCreate(ctx context.Context, base, key, path string, body any) (int64, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+path, bytes.NewReader(b))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("POST %s: %w", path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var out struct {
		ID int64 `json:"id"`
	}
	if res.StatusCode != http.StatusCreated || json.Unmarshal(raw, &out) != nil || out.ID == 0 {
		return 0, fmt.Errorf("POST %s: %d %.300s", path, res.StatusCode, raw)
	}
	return out.ID, nil
}

// newContacts inserts n contacts in one statement (setup, not measured) and returns their ids.
func newContacts(ctx context.Context, pool *pgxpool.Pool, n int) ([]int64, error) {
	return ids(ctx, pool, n, `INSERT INTO contacts (email)
		SELECT 'load-' || g || '-' || gen_random_uuid() || '@example.org' FROM generate_series(1, $1::int) g
		RETURNING id`, n)
}

// newStripeOrders opens n orders of the offer through the Stripe system in one statement (setup, not measured),
// each for its own new contact with a pending attempt referenced cs_load_<order id> — what the real checkout
// leaves behind once Stripe's Checkout Session is created — and returns their ids. It writes the rows
// BenchmarkWebhook's setup writes.
func newStripeOrders(ctx context.Context, pool *pgxpool.Pool, s school, n int) ([]int64, error) {
	return ids(ctx, pool, n, `
WITH c AS (
    INSERT INTO contacts (email) SELECT 'load-' || gen_random_uuid() || '@example.org' FROM generate_series(1, $1::int)
    RETURNING id
), o AS (
    INSERT INTO orders (offer_id, offer_title, contact_id, payment_system_id, amount, currency, list_amount,
                        list_currency, channel)
    SELECT $2, 'Curso de español A1', c.id, $3, $4, $5, $4, $5, 'checkout' FROM c
    RETURNING id
), p AS (
    INSERT INTO payments (order_id, payment_system_id, mode, status, amount, currency, paid_on, gateway_ref)
    SELECT o.id, $3, 'test', 'pending', $4, $5, current_date, 'cs_load_' || o.id FROM o
    RETURNING order_id
)
SELECT order_id FROM p ORDER BY order_id`, n, s.offer, s.stripe, s.amount, s.currency)
}

func ids(ctx context.Context, pool *pgxpool.Pool, n int, sql string, args ...any) ([]int64, error) {
	rows, err := pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([]int64, 0, n)
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) != n {
		return nil, fmt.Errorf("%d rows inserted, want %d", len(out), n)
	}
	return out, nil
}

// paidEvent is Stripe's checkout.session.completed, paid, for the order, as Stripe sends it.
func paidEvent(evtID, sessionID string, orderID, amount int64, currency, payer string) []byte {
	id := strconv.FormatInt(orderID, 10)
	obj := map[string]any{"id": sessionID, "object": "checkout.session", "mode": "payment", "status": "complete",
		"payment_status": "paid", "amount_total": amount, "currency": strings.ToLower(currency),
		"client_reference_id": id, "metadata": map[string]string{"order_id": id},
		"customer_details": map[string]any{"email": payer}, "payment_intent": "pi_" + strings.TrimPrefix(sessionID, "cs_")}
	b, _ := json.Marshal(map[string]any{"id": evtID, "object": "event", "api_version": "2023-10-16",
		"created": time.Now().Unix(), "type": "checkout.session.completed", "livemode": false,
		"data": map[string]any{"object": obj}})
	return b
}

// stripeSignature signs body as Stripe does (GATEWAYS.md): v1 = hex(HMAC-SHA256(secret, "<t>.<body>")).
func stripeSignature(secret string, at time.Time, body []byte) string {
	return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: secret, Timestamp: at}).Header
}
