package server

import (
	"net/http"
	"strings"
	"testing"

	"github.com/bursar/bursar/internal/staff"
)

// TestAPIWebhookEndpoints walks /api/v1/webhook-endpoints and /api/v1/webhook-deliveries: create (201, the secret
// once), read, list and patch without it, bad input as field errors, rotation (a new secret, the old one signing
// until the overlap ends), a test event queued and its delivery read and resent, delete, and the scopes.
func TestAPIWebhookEndpoints(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	key := a.apiKey()

	var created map[string]any
	res, raw := a.api(key, "POST", "/api/v1/webhook-endpoints", map[string]any{"url": "https://lms.example.com/hooks",
		"description": "LMS", "types": []string{"order.completed", "access.granted"}}, &created)
	wantStatus(t, res, raw, http.StatusCreated)
	id := int64(created["id"].(float64))
	secret, _ := created["secret"].(string)
	if !strings.HasPrefix(secret, "whsec_") || created["enabled"] != true || created["url"] != "https://lms.example.com/hooks" ||
		!strings.HasPrefix(secret, strings.TrimSuffix(created["secret_prefix"].(string), "…")) {
		t.Fatalf("created = %s", raw)
	}
	if res.Header.Get("Location") != "/api/v1/webhook-endpoints/"+itoa(id) {
		t.Errorf("Location = %q", res.Header.Get("Location"))
	}
	path := "/api/v1/webhook-endpoints/" + itoa(id)

	t.Run("SecretShownOnce", func(t *testing.T) {
		for _, p := range []string{path, "/api/v1/webhook-endpoints"} {
			res, raw := a.api(key, "GET", p, nil, nil)
			wantStatus(t, res, raw, http.StatusOK)
			if strings.Contains(string(raw), secret) || strings.Contains(string(raw), `"secret"`) {
				t.Errorf("GET %s shows the secret: %s", p, raw)
			}
		}
		var sealed []byte
		if err := a.pool.QueryRow(a.ctx(), "SELECT secret_sealed FROM webhook_endpoints WHERE id = $1", id).Scan(&sealed); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(sealed), secret[6:]) {
			t.Error("the secret is stored in clear")
		}
	})

	t.Run("BadInput", func(t *testing.T) {
		tests := []struct {
			name, method, path, body, field string
		}{
			{"NotHTTPS", "POST", "/api/v1/webhook-endpoints", `{"url":"http://lms.example.com/hooks"}`, "url"},
			{"Loopback", "POST", "/api/v1/webhook-endpoints", `{"url":"https://127.0.0.1/hooks"}`, "url"},
			{"Localhost", "POST", "/api/v1/webhook-endpoints", `{"url":"https://localhost/hooks"}`, "url"},
			{"Metadata", "POST", "/api/v1/webhook-endpoints", `{"url":"https://169.254.169.254/latest"}`, "url"},
			{"IPv6Loopback", "POST", "/api/v1/webhook-endpoints", `{"url":"https://[::1]/hooks"}`, "url"},
			{"Private", "POST", "/api/v1/webhook-endpoints", `{"url":"https://10.1.2.3/hooks"}`, "url"},
			{"UserInfo", "POST", "/api/v1/webhook-endpoints", `{"url":"https://me:pw@lms.example.com/hooks"}`, "url"},
			{"NoURL", "POST", "/api/v1/webhook-endpoints", `{"types":["order.completed"]}`, "url"},
			{"UnknownType", "POST", "/api/v1/webhook-endpoints", `{"url":"https://lms.example.com/h","types":["order.paid"]}`, "types"},
			{"UnknownField", "POST", "/api/v1/webhook-endpoints", `{"url":"https://lms.example.com/h","secret":"x"}`, "secret"},
			{"PatchNotHTTPS", "PATCH", path, `{"url":"http://lms.example.com/hooks"}`, "url"},
			{"OverlapTooLong", "POST", path + "/rotate-secret", `{"overlap_seconds":604801}`, "overlap_seconds"},
			{"OverlapNegative", "POST", path + "/rotate-secret", `{"overlap_seconds":-1}`, "overlap_seconds"},
			{"DeliveryStatus", "GET", path + "/deliveries?status=lost", ``, "status"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var p Problem
				var body any
				if tt.body != "" {
					body = tt.body
				}
				res, raw := a.api(key, tt.method, tt.path, body, &p)
				wantStatus(t, res, raw, http.StatusUnprocessableEntity)
				if res.Header.Get("Content-Type") != "application/problem+json" || p.Errors[tt.field] == "" {
					t.Errorf("problem = %s; want a field error on %s", raw, tt.field)
				}
			})
		}
		if n := countRows(t, a, "SELECT count(*) FROM webhook_endpoints"); n != 1 {
			t.Errorf("%d endpoints after refused creates", n)
		}
	})

	t.Run("Patch", func(t *testing.T) {
		var got map[string]any
		res, raw := a.api(key, "PATCH", path, map[string]any{"types": []string{"order.refunded"}}, &got)
		wantStatus(t, res, raw, http.StatusOK)
		if got["description"] != "LMS" || got["url"] != "https://lms.example.com/hooks" ||
			len(got["types"].([]any)) != 1 || got["types"].([]any)[0] != "order.refunded" {
			t.Errorf("patched = %s", raw)
		}
		res, raw = a.api(key, "PATCH", "/api/v1/webhook-endpoints/999999", map[string]any{"enabled": false}, nil)
		wantStatus(t, res, raw, http.StatusNotFound)
	})

	t.Run("Rotate", func(t *testing.T) {
		var got map[string]any
		res, raw := a.api(key, "POST", path+"/rotate-secret", nil, &got)
		wantStatus(t, res, raw, http.StatusOK)
		if s, _ := got["secret"].(string); !strings.HasPrefix(s, "whsec_") || s == secret || got["previous_secret_until"] == nil {
			t.Errorf("rotated = %s", raw)
		}
		res, raw = a.api(key, "POST", path+"/rotate-secret", map[string]any{"overlap_seconds": 0}, &got)
		wantStatus(t, res, raw, http.StatusOK)
		if got["previous_secret_until"] != nil {
			t.Errorf("rotated with no overlap = %s", raw)
		}
	})

	var deliveryID int64
	t.Run("TestAndDeliveries", func(t *testing.T) {
		var d map[string]any
		res, raw := a.api(key, "POST", path+"/test", nil, &d)
		wantStatus(t, res, raw, http.StatusAccepted)
		deliveryID = int64(d["id"].(float64))
		if d["event_type"] != "webhook.test" || d["status"] != "pending" || !strings.HasPrefix(d["event_id"].(string), "msg_") {
			t.Fatalf("test delivery = %s", raw)
		}
		if n := countRows(t, a, "SELECT count(*) FROM river_job WHERE kind = 'webhook.deliver'"); n != 1 {
			t.Errorf("%d delivery jobs, want 1", n)
		}
		var list List[map[string]any]
		res, raw = a.api(key, "GET", path+"/deliveries?status=pending", nil, &list)
		wantStatus(t, res, raw, http.StatusOK)
		if len(list.Data) != 1 || int64(list.Data[0]["id"].(float64)) != deliveryID {
			t.Errorf("deliveries = %s", raw)
		}
		res, raw = a.api(key, "GET", "/api/v1/webhook-deliveries/"+itoa(deliveryID), nil, &d)
		wantStatus(t, res, raw, http.StatusOK)
		if p, _ := d["payload"].(map[string]any); p["type"] != "webhook.test" || d["tries"] == nil {
			t.Errorf("delivery = %s", raw)
		}
		res, raw = a.api(key, "POST", "/api/v1/webhook-deliveries/"+itoa(deliveryID)+"/resend", nil, nil)
		wantStatus(t, res, raw, http.StatusAccepted)
		if n := countRows(t, a, "SELECT count(*) FROM river_job WHERE kind = 'webhook.deliver'"); n != 2 {
			t.Errorf("%d delivery jobs after a resend, want 2", n)
		}
		res, raw = a.api(key, "GET", "/api/v1/webhook-deliveries/999999", nil, nil)
		wantStatus(t, res, raw, http.StatusNotFound)
	})

	t.Run("Scopes", func(t *testing.T) {
		reader := a.apiKey(staff.Scope("webhooks", staff.LevelRead))
		res, raw := a.api(reader, "GET", path, nil, nil)
		wantStatus(t, res, raw, http.StatusOK)
		for _, c := range []struct{ method, path string }{{"POST", "/api/v1/webhook-endpoints"}, {"PATCH", path},
			{"DELETE", path}, {"POST", path + "/rotate-secret"}, {"POST", path + "/test"},
			{"POST", "/api/v1/webhook-deliveries/" + itoa(deliveryID) + "/resend"}} {
			res, raw := a.api(reader, c.method, c.path, map[string]any{}, nil)
			wantStatus(t, res, raw, http.StatusForbidden)
		}
		other := a.apiKey(staff.Scope("orders", staff.LevelWrite))
		for _, p := range []string{path, "/api/v1/webhook-deliveries/" + itoa(deliveryID)} {
			res, raw := a.api(other, "GET", p, nil, nil)
			wantStatus(t, res, raw, http.StatusForbidden)
		}
	})

	t.Run("Delete", func(t *testing.T) {
		res, raw := a.api(key, "DELETE", path, nil, nil)
		wantStatus(t, res, raw, http.StatusNoContent)
		res, raw = a.api(key, "GET", path, nil, nil)
		wantStatus(t, res, raw, http.StatusNotFound)
		res, raw = a.api(key, "GET", "/api/v1/webhook-deliveries/"+itoa(deliveryID), nil, nil)
		wantStatus(t, res, raw, http.StatusNotFound)
	})
}
