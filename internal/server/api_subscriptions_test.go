package server

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/bursar/bursar/internal/apiview"
	"github.com/bursar/bursar/internal/events"
	"github.com/bursar/bursar/internal/webhook"
)

// TestAPISubscriptions: the subscriptions resource lists with filters and cursors, reads one with its charges
// (money objects, RFC 3339 times), exports CSV, and acts through Stripe (stripe-mock): cancel at the period's end
// asked once for two requests with the same Idempotency-Key, bad bodies refused as problem+json with field errors,
// a subscription no longer live a 409, and every exchange checked against the OpenAPI document.
func TestAPISubscriptions(t *testing.T) {
	t.Parallel()
	base, f := newSubFixture(t)
	a := *base
	a.ts = httptest.NewServer(validateAPI(t, base.srv.Handler()))
	t.Cleanup(a.ts.Close)
	key := a.apiKey()
	live := itoa(f.live)

	t.Run("List", func(t *testing.T) {
		var page List[apiview.Subscription]
		res, raw := a.api(key, "GET", "/api/v1/subscriptions?limit=1", nil, &page)
		wantStatus(t, res, raw, http.StatusOK)
		if len(page.Data) != 1 || page.Data[0].ID != f.ended || page.NextCursor == "" {
			t.Fatalf("first page %s", raw)
		}
		var next List[apiview.Subscription]
		res, raw = a.api(key, "GET", "/api/v1/subscriptions?limit=1&cursor="+page.NextCursor, nil, &next)
		wantStatus(t, res, raw, http.StatusOK)
		if len(next.Data) != 1 || next.Data[0].ID != f.live || next.NextCursor != "" {
			t.Fatalf("second page %s", raw)
		}
		for q, want := range map[string]int64{"status=active": f.live, "contact_id=" + itoa(f.bob.ID): f.ended,
			"q=ana": f.live, "offer_id=" + itoa(f.monthly.ID) + "&status=cancelled": f.ended} {
			var got List[apiview.Subscription]
			res, raw := a.api(key, "GET", "/api/v1/subscriptions?"+q, nil, &got)
			wantStatus(t, res, raw, http.StatusOK)
			if len(got.Data) != 1 || got.Data[0].ID != want {
				t.Errorf("%s: %s", q, raw)
			}
		}
		var p apiProblem
		res, raw = a.api(key, "GET", "/api/v1/subscriptions?status=gone&payment_system_id=x", nil, &p)
		wantStatus(t, res, raw, http.StatusUnprocessableEntity)
		if p.Errors["status"] == "" || p.Errors["payment_system_id"] == "" {
			t.Fatalf("problem %s", raw)
		}
	})
	t.Run("Get", func(t *testing.T) {
		var d apiview.SubscriptionDetail
		res, raw := a.api(key, "GET", "/api/v1/subscriptions/"+live, nil, &d)
		wantStatus(t, res, raw, http.StatusOK)
		if d.Number == "" || d.Status != "active" || d.Price != (apiview.Money{Amount: 1900, Currency: "EUR"}) ||
			d.GatewayRef != "sub_live" || d.NextCharge == nil || len(d.ChargeList) != 2 || d.Charges != 1 ||
			d.ChargeList[1].OrderID == nil || *d.ChargeList[1].OrderID != f.orderID || d.ChargeList[0].OrderID != nil ||
			!strings.Contains(string(raw), `"current_period_end":"2026-12-20T10:00:00Z"`) {
			t.Fatalf("subscription %s", raw)
		}
		res, raw = a.api(key, "GET", "/api/v1/subscriptions/999999", nil, nil)
		wantStatus(t, res, raw, http.StatusNotFound)
	})
	t.Run("CSV", func(t *testing.T) {
		req, _ := http.NewRequest("GET", a.ts.URL+"/api/v1/subscriptions/export.csv?status=cancelled", nil)
		req.Header.Set("Authorization", "Bearer "+key)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		lines := strings.Split(strings.TrimSpace(string(body)), "\n")
		if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") ||
			len(lines) != 2 || !strings.Contains(lines[1], "bob@example.com") {
			t.Fatalf("status %d:\n%s", res.StatusCode, body)
		}
	})
	t.Run("Scopes", func(t *testing.T) {
		orders := a.apiKey("orders:write")
		res, raw := a.api(orders, "GET", "/api/v1/subscriptions", nil, nil)
		wantStatus(t, res, raw, http.StatusForbidden)
		reader := a.apiKey("subscriptions:read")
		res, raw = a.api(reader, "GET", "/api/v1/subscriptions/"+live, nil, nil)
		wantStatus(t, res, raw, http.StatusOK)
		n := f.rec.count()
		res, raw = a.api(reader, "POST", "/api/v1/subscriptions/"+live+"/cancel", map[string]any{"at_period_end": true}, nil)
		wantStatus(t, res, raw, http.StatusForbidden)
		if !strings.Contains(problemDetail(t, raw), "subscriptions:write") || f.rec.count() != n {
			t.Fatalf("problem %s", raw)
		}
	})
	if _, _, err := a.app.Services.Webhooks.Create(a.ctx(), webhook.Input{URL: "https://hooks.example.com/bursar",
		Types: []events.Type{events.SubscriptionUpdated, events.SubscriptionCancelled}, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	t.Run("Actions", func(t *testing.T) {
		n := f.rec.count()
		var first, again apiview.SubscriptionDetail
		res, raw := a.api(key, "POST", "/api/v1/subscriptions/"+live+"/cancel", map[string]any{"at_period_end": true,
			"note": "moving abroad"}, &first, "Idempotency-Key", "cancel-1")
		wantStatus(t, res, raw, http.StatusOK)
		res, raw2 := a.api(key, "POST", "/api/v1/subscriptions/"+live+"/cancel", map[string]any{"at_period_end": true,
			"note": "moving abroad"}, &again, "Idempotency-Key", "cancel-1")
		wantStatus(t, res, raw2, http.StatusOK)
		calls := f.rec.since(n)
		if len(calls) != 1 || !strings.Contains(calls[0], "cancel_at_period_end=true") || string(raw) != string(raw2) {
			t.Fatalf("calls %q; answers %s / %s", calls, raw, raw2)
		}
		if !strings.Contains(timelineText(first.Timeline), "moving abroad") {
			t.Errorf("the note is not on the timeline: %s", raw)
		}
		// The webhook's subscription.updated carries the subscription as the API returns it, with its charges and
		// its timeline.
		var got, want map[string]any
		if err := json.Unmarshal(eventData(t, &a, events.SubscriptionUpdated, f.live), &got); err != nil {
			t.Fatal(err)
		}
		_ = json.Unmarshal(raw, &want)
		if want["charges"] == nil || want["timeline"] == nil {
			t.Fatalf("the API's subscription has no charges or timeline: %s", raw)
		}
		delete(want, "updated_at")
		delete(got, "updated_at")
		if g, w := jsonText(t, got), jsonText(t, want); g != w {
			t.Errorf("subscription.updated data\n%s\nis not the API's subscription\n%s", g, w)
		}

		var p apiProblem
		res, raw = a.api(key, "POST", "/api/v1/subscriptions/"+live+"/change-plan", map[string]any{}, &p)
		wantStatus(t, res, raw, http.StatusUnprocessableEntity)
		if res.Header.Get("Content-Type") != "application/problem+json" || p.Errors["offer_id"] == "" {
			t.Fatalf("problem %s", raw)
		}
		p = apiProblem{}
		res, raw = a.api(key, "POST", "/api/v1/subscriptions/"+live+"/pause", map[string]any{"reason": "x"}, &p)
		wantStatus(t, res, raw, http.StatusUnprocessableEntity)
		if p.Errors["reason"] == "" {
			t.Fatalf("problem %s", raw)
		}
		res, raw = a.api(key, "POST", "/api/v1/subscriptions/"+itoa(f.ended)+"/resume", nil, nil)
		wantStatus(t, res, raw, http.StatusConflict)
		if !strings.Contains(problemDetail(t, raw), "no longer live") {
			t.Fatalf("problem %s", raw)
		}
		res, raw = a.api(key, "POST", "/api/v1/subscriptions/999999/undo-cancel", nil, nil)
		wantStatus(t, res, raw, http.StatusNotFound)
		if calls := f.rec.since(n + 1); len(calls) != 0 {
			t.Fatalf("refused requests called Stripe: %q", calls)
		}
		res, raw = a.api(key, "POST", "/api/v1/subscriptions/"+live+"/cancel", nil, &first)
		wantStatus(t, res, raw, http.StatusOK)
		if calls := f.rec.since(n + 1); len(calls) != 1 || !strings.HasPrefix(calls[0], "DELETE /v1/subscriptions/sub_live") {
			t.Fatalf("cancel now: calls %q", calls)
		}
	})
}

func jsonText(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func timelineText(lines []apiview.Line) string {
	b, _ := json.Marshal(lines)
	return string(b)
}
