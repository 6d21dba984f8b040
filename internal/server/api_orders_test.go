package server

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestAPIOrders(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	key := a.apiKey()
	f := newOrderFixture(t, a)
	today := time.Now().UTC().Format(time.DateOnly)

	var created map[string]any
	res, raw := a.api(key, "POST", "/api/v1/manual-payments", map[string]any{"contact_id": f.contact.ID,
		"offer_id": f.offer.ID, "paid_on": today, "comment": "bank transfer ref 77"}, &created)
	wantStatus(t, res, raw, http.StatusCreated)
	for _, k := range []string{"id", "number", "status", "offer_id", "contact_id", "amount", "currency", "created_at", "decided_at", "payments"} {
		if _, ok := created[k]; !ok {
			t.Errorf("order JSON lacks %q: %s", k, raw)
		}
	}
	if created["status"] != "open" || created["amount"] != float64(4900) || created["currency"] != "EUR" || created["decided_at"] != nil {
		t.Errorf("created = %s", raw)
	}
	id := int64(created["id"].(float64))
	orderPath := "/api/v1/orders/" + itoa(id)
	if res.Header.Get("Location") != orderPath {
		t.Errorf("Location = %q", res.Header.Get("Location"))
	}
	pays := created["payments"].([]any)
	if len(pays) != 1 || pays[0].(map[string]any)["status"] != "pending" || pays[0].(map[string]any)["paid_on"] != today ||
		pays[0].(map[string]any)["fee"] != float64(123) || pays[0].(map[string]any)["net"] != float64(4777) {
		t.Errorf("payments = %v", pays)
	}

	t.Run("SecondCallReturnsTheOpenOrder", func(t *testing.T) {
		var again map[string]any
		res, raw := a.api(key, "POST", "/api/v1/manual-payments", map[string]any{"contact_id": f.contact.ID, "offer_id": f.offer.ID}, &again)
		wantStatus(t, res, raw, http.StatusOK)
		if again["id"] != created["id"] {
			t.Errorf("second call = %s, want order %d", raw, id)
		}
	})

	t.Run("CreateBadInput", func(t *testing.T) {
		tests := []struct {
			name   string
			body   string
			status int
			field  string
		}{
			{"FutureDate", `{"contact_id":` + itoa(f.contact.ID) + `,"offer_id":` + itoa(f.offer.ID) + `,"paid_on":"2999-01-01"}`, 422, "paid_on"},
			{"MalformedDate", `{"contact_id":` + itoa(f.contact.ID) + `,"offer_id":` + itoa(f.offer.ID) + `,"paid_on":"01/02/2026"}`, 422, "paid_on"},
			{"UnknownOffer", `{"contact_id":` + itoa(f.contact.ID) + `,"offer_id":999999}`, 422, "offer_id"},
			{"UnknownContact", `{"contact_id":999999,"offer_id":` + itoa(f.offer.ID) + `}`, 422, "contact_id"},
			{"NoManualSystem", `{"contact_id":` + itoa(f.contact.ID) + `,"offer_id":` + itoa(f.cardsOnly.ID) + `}`, 422, "payment_system_id"},
			{"LongComment", `{"contact_id":` + itoa(f.contact.ID) + `,"offer_id":` + itoa(f.offer.ID) + `,"comment":"` + strings.Repeat("c", 1001) + `"}`, 422, "comment"},
			{"WrongType", `{"contact_id":"one","offer_id":1}`, 422, "contact_id"},
			{"UnknownField", `{"contact_id":1,"offer_id":1,"price":1}`, 422, "price"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var p Problem
				res, raw := a.api(key, "POST", "/api/v1/manual-payments", tt.body, &p)
				wantStatus(t, res, raw, tt.status)
				if tt.field != "" && p.Errors[tt.field] == "" {
					t.Errorf("no message on %s: %s", tt.field, raw)
				}
			})
		}
		if n := countRows(t, a, "SELECT count(*) FROM orders"); n != 1 {
			t.Errorf("orders = %d, want 1", n)
		}
	})

	t.Run("List", func(t *testing.T) {
		tests := []struct {
			query string
			n     int
		}{
			{"", 1},
			{"?status=open", 1},
			{"?status=completed", 0},
			{"?offer_id=" + itoa(f.offer.ID), 1},
			{"?contact_id=" + itoa(f.contact.ID), 1},
			{"?email=student@example.com", 1},
			{"?email=nobody@example.com", 0},
		}
		for _, tt := range tests {
			var out List[orderJSON]
			res, raw := a.api(key, "GET", "/api/v1/orders"+tt.query, nil, &out)
			wantStatus(t, res, raw, http.StatusOK)
			if len(out.Data) != tt.n {
				t.Errorf("%s: %d orders, want %d", tt.query, len(out.Data), tt.n)
			}
		}
		for _, q := range []string{"?status=paid", "?offer_id=abc", "?limit=0"} {
			res, raw := a.api(key, "GET", "/api/v1/orders"+q, nil, nil)
			wantStatus(t, res, raw, http.StatusUnprocessableEntity)
		}
	})

	t.Run("ApproveBadInput", func(t *testing.T) {
		for _, body := range []string{`{"amount":0}`, `{"amount":100,"currency":"XYZ"}`, `{"paid_on":"2999-01-01"}`, `{"paid_on":"soon"}`} {
			res, raw := a.api(key, "POST", orderPath+"/approve", body, nil)
			wantStatus(t, res, raw, http.StatusUnprocessableEntity)
		}
		if res, raw := a.api(key, "POST", orderPath+"/refund", `{}`, nil); res.StatusCode != http.StatusConflict ||
			!strings.Contains(string(raw), "still open") {
			t.Errorf("refund of open: %d %s", res.StatusCode, raw)
		}
	})

	var approved orderDetailJSON
	res, raw = a.api(key, "POST", orderPath+"/approve", map[string]any{"amount": 4500, "currency": "EUR", "paid_on": today, "comment": "ok"}, &approved)
	wantStatus(t, res, raw, http.StatusOK)
	if approved.Status != "completed" || approved.Amount != 4500 || approved.DecidedAt == nil || len(approved.Payments) != 1 ||
		approved.Payments[0].Status != "succeeded" || approved.Payments[0].Fee != 113 {
		t.Errorf("approved = %s", raw)
	}
	// The real outbox: one e-mail per order event, deduplicated by order and kind.
	for _, kind := range []string{"received", "completed"} {
		if n := countRows(t, a, "SELECT count(*) FROM outbound_emails WHERE dedup_key = $1 AND to_address = 'student@example.com'",
			"order:"+itoa(id)+":"+kind); n != 1 {
			t.Errorf("%s e-mails = %d, want 1", kind, n)
		}
	}
	var p Problem
	res, raw = a.api(key, "POST", orderPath+"/approve", `{}`, &p)
	wantStatus(t, res, raw, http.StatusConflict)
	if res.Header.Get("Content-Type") != "application/problem+json" || !strings.Contains(p.Detail, "already completed by test") {
		t.Errorf("second approve: %s %s", res.Header.Get("Content-Type"), raw)
	}

	var got orderDetailJSON
	res, raw = a.api(key, "GET", orderPath, nil, &got)
	wantStatus(t, res, raw, http.StatusOK)
	if len(got.Timeline) != 2 || got.Timeline[1].Kind != "order.completed" || got.Refunds == nil {
		t.Errorf("order = %s", raw)
	}
	var refunded orderDetailJSON
	res, raw = a.api(key, "POST", orderPath+"/refund", map[string]string{"comment": "returned"}, &refunded)
	wantStatus(t, res, raw, http.StatusOK)
	if refunded.Status != "refunded" || len(refunded.Refunds) != 1 || refunded.Refunds[0].Amount != 4500 {
		t.Errorf("refunded = %s", raw)
	}

	t.Run("Reject", func(t *testing.T) {
		var o orderDetailJSON
		res, raw := a.api(key, "POST", "/api/v1/manual-payments", map[string]any{"contact_id": f.contact.ID, "offer_id": f.offer.ID}, &o)
		wantStatus(t, res, raw, http.StatusCreated)
		res, raw = a.api(key, "POST", "/api/v1/orders/"+itoa(o.ID)+"/reject", map[string]string{"comment": "nothing arrived"}, &o)
		wantStatus(t, res, raw, http.StatusOK)
		if o.Status != "rejected" || o.DecisionNote != "nothing arrived" || o.Payments[0].Status != "failed" {
			t.Errorf("rejected = %s", raw)
		}
	})
	t.Run("Unknown", func(t *testing.T) {
		for _, path := range []string{"/api/v1/orders/999999", "/api/v1/orders/abc"} {
			res, raw := a.api(key, "GET", path, nil, nil)
			wantStatus(t, res, raw, http.StatusNotFound)
		}
		res, raw := a.api(key, "POST", "/api/v1/orders/999999/approve", `{}`, nil)
		wantStatus(t, res, raw, http.StatusNotFound)
	})
	t.Run("Unauthenticated", func(t *testing.T) {
		res, raw := a.api("", "GET", "/api/v1/orders", nil, nil)
		wantStatus(t, res, raw, http.StatusUnauthorized)
	})
}
