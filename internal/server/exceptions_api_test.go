package server

import (
	"net/http"
	"strings"
	"testing"
)

func TestExceptionsAPI(t *testing.T) {
	t.Parallel()
	a := newGatewayApp(t, "http://127.0.0.1:1")
	f := newStripeFixture(t, a)
	key := a.apiKey()
	att, amountID := mismatchedPayment(t, a, f, "ana@example.com", "cs_api_amount", 100, "eur")
	_, currencyID := mismatchedPayment(t, a, f, "ben@example.com", "cs_api_currency", 4900, "usd")

	var list List[exceptionJSON]
	res, raw := a.api(key, http.MethodGet, "/api/v1/payment-exceptions?limit=1", nil, &list)
	wantStatus(t, res, raw, http.StatusOK)
	if len(list.Data) != 1 || list.Data[0].ID != currencyID || list.NextCursor == "" {
		t.Fatalf("first page %s", raw)
	}
	next := list.NextCursor
	list = List[exceptionJSON]{}
	res, raw = a.api(key, http.MethodGet, "/api/v1/payment-exceptions?limit=1&cursor="+next, nil, &list)
	wantStatus(t, res, raw, http.StatusOK)
	if len(list.Data) != 1 || list.Data[0].ID != amountID || list.NextCursor != "" {
		t.Fatalf("second page %s", raw)
	}
	x := list.Data[0]
	if x.Kind != "amount_mismatch" || x.Status != "open" || x.OrderID == nil || *x.OrderID != att.Order.ID ||
		x.OrderNumber != att.Order.Number || x.Amount != 100 || x.Currency != "EUR" || x.GatewayRef != "cs_api_amount" ||
		!x.CanAccept || !x.CanRefund {
		t.Errorf("exception %s", raw)
	}
	list = List[exceptionJSON]{}
	res, raw = a.api(key, http.MethodGet, "/api/v1/payment-exceptions?kind=currency_mismatch", nil, &list)
	wantStatus(t, res, raw, http.StatusOK)
	if len(list.Data) != 1 || list.Data[0].ID != currencyID {
		t.Errorf("kind filter %s", raw)
	}

	var one exceptionDetailJSON
	res, raw = a.api(key, http.MethodGet, "/api/v1/payment-exceptions/"+itoa(amountID), nil, &one)
	wantStatus(t, res, raw, http.StatusOK)
	if one.GatewayEvent == nil || one.GatewayEvent.EventID != "evt_cs_api_amount" || !strings.Contains(one.GatewayEvent.Body, `"amount_total":100`) {
		t.Errorf("detail %s", raw)
	}

	bad := []struct {
		name, method, path string
		body               any
		want               int
		field              string
	}{
		{"BadKind", http.MethodGet, "/api/v1/payment-exceptions?kind=bogus", nil, http.StatusUnprocessableEntity, "kind"},
		{"BadStatus", http.MethodGet, "/api/v1/payment-exceptions?status=bogus", nil, http.StatusUnprocessableEntity, "status"},
		{"BadCursor", http.MethodGet, "/api/v1/payment-exceptions?cursor=bogus", nil, http.StatusUnprocessableEntity, "cursor"},
		{"Unknown", http.MethodGet, "/api/v1/payment-exceptions/999999", nil, http.StatusNotFound, ""},
		{"NoNote", http.MethodPost, "/api/v1/payment-exceptions/" + itoa(amountID) + "/resolve", map[string]any{}, http.StatusUnprocessableEntity, "note"},
		{"EmptyBody", http.MethodPost, "/api/v1/payment-exceptions/" + itoa(amountID) + "/accept", nil, http.StatusUnprocessableEntity, "note"},
		{"BadPayerEmail", http.MethodPost, "/api/v1/payment-exceptions/" + itoa(amountID) + "/accept",
			map[string]any{"note": "ok", "payer_email": "nope"}, http.StatusUnprocessableEntity, "payer_email"},
		{"UnknownField", http.MethodPost, "/api/v1/payment-exceptions/" + itoa(amountID) + "/resolve",
			map[string]any{"note": "ok", "amount": 1}, http.StatusUnprocessableEntity, "amount"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			var p Problem
			res, raw := a.api(key, tt.method, tt.path, tt.body, &p)
			wantStatus(t, res, raw, tt.want)
			if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("content type %q", ct)
			}
			if tt.field != "" && p.Errors[tt.field] == "" {
				t.Errorf("no message for %s: %s", tt.field, raw)
			}
		})
	}

	// Accept completes the order; resolve works once; the refund of a resolved exception is refused.
	res, raw = a.api(key, http.MethodPost, "/api/v1/payment-exceptions/"+itoa(amountID)+"/accept",
		map[string]any{"note": "discount agreed"}, &one)
	wantStatus(t, res, raw, http.StatusOK)
	if one.Status != "resolved" || one.OrderStatus != "completed" || one.CanAccept {
		t.Errorf("accepted %s", raw)
	}
	res, raw = a.api(key, http.MethodPost, "/api/v1/payment-exceptions/"+itoa(currencyID)+"/resolve",
		map[string]any{"note": "refunded in the dashboard"}, &one)
	wantStatus(t, res, raw, http.StatusOK)
	if one.Status != "resolved" || one.Resolution != "refunded in the dashboard" || one.ResolvedAt == nil {
		t.Errorf("resolved %s", raw)
	}
	for _, action := range []string{"resolve", "accept", "refund"} {
		var p Problem
		res, raw = a.api(key, http.MethodPost, "/api/v1/payment-exceptions/"+itoa(currencyID)+"/"+action,
			map[string]any{"note": "again"}, &p)
		wantStatus(t, res, raw, http.StatusConflict)
		if action != "resolve" && !strings.Contains(p.Detail, "already resolved") {
			t.Errorf("%s: detail %q", action, p.Detail)
		}
	}
	if n := countRows(t, a, "SELECT count(*) FROM order_grants WHERE order_id = $1", att.Order.ID); n != 1 {
		t.Errorf("%d grants, want 1", n)
	}
	if res, raw := a.api("", http.MethodGet, "/api/v1/payment-exceptions", nil, nil); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("without a key: status %d: %s", res.StatusCode, raw)
	}
}
