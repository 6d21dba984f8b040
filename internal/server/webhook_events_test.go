package server

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"path"
	"testing"

	"github.com/bursar/bursar/internal/events"
	"github.com/bursar/bursar/internal/webhook"
)

// eventData is the "data" of the one event of type t about object id the webhooks stored (the payload sent).
func eventData(t *testing.T, a *testApp, typ events.Type, id int64) []byte {
	t.Helper()
	var payload []byte
	if err := a.pool.QueryRow(a.ctx(), `SELECT payload FROM webhook_events WHERE type = $1 AND object_id = $2`,
		string(typ), id).Scan(&payload); err != nil {
		t.Fatalf("%s of %d: %v", typ, id, err)
	}
	var msg struct {
		Type string          `json:"type"`
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(payload, &msg); err != nil || msg.Type != string(typ) {
		t.Fatalf("payload %s: %v", payload, err)
	}
	return msg.Data
}

// sameJSON fails t unless data is byte for byte what the API answered (its trailing newline aside).
func sameJSON(t *testing.T, what string, data, api []byte) {
	t.Helper()
	if !bytes.Equal(data, bytes.TrimSuffix(api, []byte("\n"))) {
		t.Errorf("%s: the event's data\n%s\nis not what the API returns\n%s", what, data, api)
	}
}

// withOrderID is an element of an order's "payments" or "refunds" with the order's id appended, as events carry it.
func withOrderID(el json.RawMessage, orderID int64) []byte {
	return append(bytes.TrimSuffix(el, []byte("}")), []byte(`,"order_id":`+itoa(orderID)+`}`)...)
}

// TestWebhookEventsAreTheAPIObjects: with an endpoint subscribed to every type, each use case's events carry their
// object exactly as GET /api/v1/<resource>/{id} returns it (a payment and a refund as in the order's lists, with
// order_id), rendered inside the transaction that caused them.
func TestWebhookEventsAreTheAPIObjects(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	key := a.apiKey()
	f := newOrderFixture(t, a)
	all := make([]events.Type, 0, len(events.Types))
	for _, e := range events.Types {
		all = append(all, e.Type)
	}
	if _, _, err := a.app.Services.Webhooks.Create(a.ctx(), webhook.Input{URL: "https://hooks.example.com/bursar",
		Types: all, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	get := func(p string) []byte {
		t.Helper()
		res, raw := a.api(key, "GET", p, nil, nil)
		wantStatus(t, res, raw, http.StatusOK)
		return raw
	}

	var c struct{ ID int64 }
	res, raw := a.api(key, "POST", "/api/v1/contacts", map[string]any{"email": "eva@school.test", "name": "Eva"}, &c)
	wantStatus(t, res, raw, http.StatusCreated)
	sameJSON(t, "contact.created", eventData(t, a, events.ContactCreated, c.ID), get("/api/v1/contacts/"+itoa(c.ID)))
	res, raw = a.api(key, "PATCH", "/api/v1/contacts/"+itoa(c.ID), map[string]any{"phone": "+34 600 111 222"}, nil)
	wantStatus(t, res, raw, http.StatusOK)
	sameJSON(t, "contact.updated", eventData(t, a, events.ContactUpdated, c.ID), get("/api/v1/contacts/"+itoa(c.ID)))

	var o struct{ ID int64 }
	res, raw = a.api(key, "POST", "/api/v1/manual-payments", map[string]any{"contact_id": c.ID, "offer_id": f.offer.ID}, &o)
	wantStatus(t, res, raw, http.StatusCreated)
	orderPath := "/api/v1/orders/" + itoa(o.ID)
	sameJSON(t, "order.created", eventData(t, a, events.OrderCreated, o.ID), get(orderPath))
	res, raw = a.api(key, "POST", orderPath+"/approve", nil, nil)
	wantStatus(t, res, raw, http.StatusOK)
	var order struct {
		Payments []json.RawMessage `json:"payments"`
		Refunds  []json.RawMessage `json:"refunds"`
	}
	completed := get(orderPath)
	if err := json.Unmarshal(completed, &order); err != nil || len(order.Payments) != 1 {
		t.Fatalf("order %s: %v", completed, err)
	}
	sameJSON(t, "order.completed", eventData(t, a, events.OrderCompleted, o.ID), completed)
	var pay struct{ ID int64 }
	_ = json.Unmarshal(order.Payments[0], &pay)
	sameJSON(t, "payment.succeeded", eventData(t, a, events.PaymentSucceeded, pay.ID), withOrderID(order.Payments[0], o.ID))
	var grants struct{ Data []struct{ ID int64 } }
	res, raw = a.api(key, "GET", "/api/v1/contacts/"+itoa(c.ID)+"/access", nil, &grants)
	wantStatus(t, res, raw, http.StatusOK)
	if len(grants.Data) != 2 {
		t.Fatalf("grants %s", raw)
	}
	for _, g := range grants.Data {
		sameJSON(t, "access.granted", eventData(t, a, events.AccessGranted, g.ID), get("/api/v1/access/"+itoa(g.ID)))
	}

	res, raw = a.api(key, "POST", orderPath+"/refund", map[string]any{"comment": "moved abroad"}, nil)
	wantStatus(t, res, raw, http.StatusOK)
	refunded := get(orderPath)
	_ = json.Unmarshal(refunded, &order)
	sameJSON(t, "order.refunded", eventData(t, a, events.OrderRefunded, o.ID), refunded)
	var rf struct{ ID int64 }
	if len(order.Refunds) != 1 || json.Unmarshal(order.Refunds[0], &rf) != nil {
		t.Fatalf("refunds %s", refunded)
	}
	sameJSON(t, "refund.created", eventData(t, a, events.RefundCreated, rf.ID), withOrderID(order.Refunds[0], o.ID))
	for _, g := range grants.Data {
		sameJSON(t, "access.revoked", eventData(t, a, events.AccessRevoked, g.ID), get("/api/v1/access/"+itoa(g.ID)))
	}

	// A payment link the payer declines.
	var l struct {
		ID  int64
		URL string
	}
	res, raw = a.api(key, "POST", "/api/v1/payment-links", map[string]any{"contact_id": c.ID, "offer_id": f.offer.ID}, &l)
	wantStatus(t, res, raw, http.StatusCreated)
	u, err := url.Parse(l.URL)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.app.Services.PaymentLinks.Decline(a.ctx(), path.Base(u.Path), "too expensive"); err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "payment_link.declined", eventData(t, a, events.PaymentLinkDeclined, l.ID),
		get("/api/v1/payment-links/"+itoa(l.ID)))
}
