package server

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/bursar/bursar/internal/events"
	"github.com/bursar/bursar/internal/staff"
)

// html is a document's whole HTML.
func html(t *testing.T, doc *goquery.Document) string {
	t.Helper()
	h, err := doc.Html()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestAdminWebhooks walks the admin's Webhooks screens as an owner: the nav link, the form with the event types
// grouped, bad input re-shown with its messages, the secret shown exactly once after the create and after a
// rotation, edit, a test event, the delivery log and a delivery's tries and payload, resend, and delete with its
// confirmation; then a manager, who reads but changes nothing.
func TestAdminWebhooks(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	owner := a.owner()

	res, doc := a.get(owner, "/admin/webhooks")
	wantHTML(t, res, http.StatusOK)
	if doc.Find(`nav a[href="/admin/webhooks"]`).Length() != 1 || doc.Find(`[data-testid="no-webhooks"]`).Length() != 1 {
		t.Fatal("no nav link to Webhooks, or endpoints listed on a fresh school")
	}
	_, doc = a.get(owner, "/admin/settings")
	if doc.Find(`[data-testid="settings-webhooks-link"] a[href="/admin/webhooks"]`).Length() != 1 {
		t.Error("Settings does not link to Webhooks")
	}

	res, doc = a.get(owner, "/admin/webhooks/new")
	wantHTML(t, res, http.StatusOK)
	if n := doc.Find(`[data-testid="webhook-form"] input[name="types"]`).Length(); n != len(events.Types) {
		t.Errorf("%d event type checkboxes, want %d", n, len(events.Types))
	}
	orders := doc.Find(`[data-testid="webhook-types-choice"] fieldset`).FilterFunction(func(_ int, s *goquery.Selection) bool {
		return s.Find("legend").Text() == "Orders"
	})
	if orders.Find(`input[value="order.completed"]`).Length() != 1 || orders.Find(`input[value="access.granted"]`).Length() != 0 {
		t.Error("the order events are not grouped under Orders")
	}

	t.Run("BadInput", func(t *testing.T) {
		res, doc := a.postFormDoc(owner, "/admin/webhooks", url.Values{"url": {"ftp://lms.example.com/x"},
			"description": {"LMS"}, "types": {"order.completed", "order.teleported"}, "enabled": {"1"}})
		wantHTML(t, res, http.StatusUnprocessableEntity)
		for _, f := range []string{"url", "types"} {
			if strings.TrimSpace(doc.Find("#"+f+"-error").Text()) == "" {
				t.Errorf("no message on %s", f)
			}
		}
		if v, _ := doc.Find("#description").Attr("value"); v != "LMS" {
			t.Errorf("description not kept: %q", v)
		}
		if _, checked := doc.Find(`input[value="order.completed"]`).Attr("checked"); !checked {
			t.Error("the chosen type is not kept")
		}
		if n := countRows(t, a, "SELECT count(*) FROM webhook_endpoints"); n != 0 {
			t.Errorf("%d endpoints after bad input", n)
		}
	})

	res, doc = a.postFormDoc(owner, "/admin/webhooks", url.Values{"url": {"https://lms.example.com/hooks"},
		"description": {"LMS"}, "types": {"order.completed", "access.granted"}, "enabled": {"1"}})
	wantHTML(t, res, http.StatusOK)
	secret := doc.Find(`[data-testid="webhook-secret"]`).Text()
	if !strings.HasPrefix(secret, "whsec_") || len(secret) < 30 {
		t.Fatalf("secret %q", secret)
	}
	if n := strings.Count(html(t, doc), secret); n != 1 {
		t.Errorf("the secret appears %d times in the create's answer, want once", n)
	}
	if res.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control %q on the page with the secret", res.Header.Get("Cache-Control"))
	}
	var id int64
	if err := a.pool.QueryRow(a.ctx(), "SELECT id FROM webhook_endpoints").Scan(&id); err != nil {
		t.Fatal(err)
	}
	path := "/admin/webhooks/" + itoa(id)

	t.Run("SecretShownOnce", func(t *testing.T) {
		for _, p := range []string{"/admin/webhooks", path, path + "/edit"} {
			res, doc := a.get(owner, p)
			wantHTML(t, res, http.StatusOK)
			if strings.Contains(html(t, doc), secret) || strings.Contains(html(t, doc), secret[len("whsec_"):]) {
				t.Errorf("%s shows the secret again", p)
			}
		}
		_, doc := a.get(owner, path)
		if doc.Find(`[data-testid="webhook-secret"]`).Length() != 0 ||
			!strings.HasPrefix(secret, strings.TrimSuffix(doc.Find(`[data-testid="webhook-secret-prefix"]`).Text(), "…")) {
			t.Error("the endpoint's page shows a secret box, or no recognisable prefix")
		}
		_, doc = a.get(owner, "/admin/webhooks")
		row := doc.Find(`[data-testid="webhook-row"][data-id="` + itoa(id) + `"]`)
		if row.Find(`[data-testid="webhook-url"]`).Text() != "https://lms.example.com/hooks" ||
			!strings.Contains(row.Find(`[data-testid="webhook-state"]`).Text(), "enabled") {
			t.Errorf("list row: %q", row.Text())
		}
	})

	t.Run("Edit", func(t *testing.T) {
		_, doc := a.get(owner, path+"/edit")
		if _, ok := doc.Find(`input[value="access.granted"]`).Attr("checked"); !ok {
			t.Error("the edit form does not check the endpoint's types")
		}
		res := a.postForm(owner, path, url.Values{"url": {"https://lms.example.com/v2"}, "description": {"LMS v2"},
			"types": {"contact.created"}})
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != path {
			t.Fatalf("update: %d → %q", res.StatusCode, res.Header.Get("Location"))
		}
		_, doc = a.get(owner, path)
		if doc.Find(`[data-testid="webhook-heading"]`).Text() != "https://lms.example.com/v2" ||
			!strings.Contains(doc.Find(`[data-testid="webhook-state"]`).Text(), "disabled") ||
			strings.TrimSpace(doc.Find(`[data-testid="webhook-types"]`).Text()) != "contact.created" {
			t.Errorf("after edit: %q / %q / %q", doc.Find(`[data-testid="webhook-heading"]`).Text(),
				doc.Find(`[data-testid="webhook-state"]`).Text(), doc.Find(`[data-testid="webhook-types"]`).Text())
		}
		res, doc = a.postFormDoc(owner, path, url.Values{"url": {""}, "types": {"contact.created"}})
		wantHTML(t, res, http.StatusUnprocessableEntity)
		if strings.TrimSpace(doc.Find("#url-error").Text()) == "" {
			t.Error("no message on an empty url")
		}
	})

	t.Run("Rotate", func(t *testing.T) {
		res, doc := a.postFormDoc(owner, path+"/rotate", url.Values{"overlap": {"24h"}})
		wantHTML(t, res, http.StatusOK)
		fresh := doc.Find(`[data-testid="webhook-secret"]`).Text()
		if !strings.HasPrefix(fresh, "whsec_") || fresh == secret || strings.Count(html(t, doc), fresh) != 1 {
			t.Fatalf("rotated secret %q", fresh)
		}
		if doc.Find(`[data-testid="webhook-previous-until"]`).Length() != 1 {
			t.Error("the overlap is not shown")
		}
		_, doc = a.get(owner, path)
		if strings.Contains(html(t, doc), fresh) {
			t.Error("the rotated secret is shown again")
		}
		before := countRows(t, a, "SELECT count(*) FROM audit_log WHERE action = 'webhook_endpoint.rotate_secret'")
		res, _ = a.postFormDoc(owner, path+"/rotate", url.Values{"overlap": {"9999h"}})
		if res.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("a bad overlap: %d", res.StatusCode)
		}
		if n := countRows(t, a, "SELECT count(*) FROM audit_log WHERE action = 'webhook_endpoint.rotate_secret'"); n != before {
			t.Error("a bad overlap rotated the secret")
		}
	})

	var delivery int64
	t.Run("TestEventAndLog", func(t *testing.T) {
		res := a.postForm(owner, path+"/test", nil)
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("test: %d", res.StatusCode)
		}
		if err := a.pool.QueryRow(a.ctx(), "SELECT id FROM webhook_deliveries WHERE endpoint_id = $1", id).Scan(&delivery); err != nil {
			t.Fatal(err)
		}
		// One try as the deliver worker records it, with an answer whose body must be shown escaped.
		if _, err := a.pool.Exec(a.ctx(), `INSERT INTO webhook_attempts (delivery_id, at, status_code, response_body, duration_us)
			VALUES ($1, now(), 503, '<b>busy</b>', 1234567)`, delivery); err != nil {
			t.Fatal(err)
		}
		_, doc := a.get(owner, path)
		row := doc.Find(`[data-testid="delivery-row"][data-id="` + itoa(delivery) + `"]`)
		if row.Length() != 1 || !strings.Contains(row.Text(), string("webhook.test")) {
			t.Fatalf("delivery log: %q", doc.Find(`[data-testid="deliveries-table"]`).Text())
		}
		_, doc = a.get(owner, path+"?status=succeeded")
		if doc.Find(`[data-testid="delivery-row"]`).Length() != 0 {
			t.Error("the status filter lets a pending delivery through")
		}
		res, doc = a.get(owner, path+"/deliveries/"+itoa(delivery))
		wantHTML(t, res, http.StatusOK)
		if doc.Find(`[data-testid="try-code"]`).Text() != "503" || doc.Find(`[data-testid="try-duration"]`).Text() != "1.235s" ||
			doc.Find(`[data-testid="try-body"]`).Text() != "<b>busy</b>" || doc.Find(`[data-testid="try-body"] b`).Length() != 0 {
			t.Errorf("try: %q", doc.Find(`[data-testid="tries-table"]`).Text())
		}
		if p := doc.Find(`[data-testid="delivery-payload"]`).Text(); !strings.Contains(p, `"webhook.test"`) {
			t.Errorf("payload %q", p)
		}
		jobs := countRows(t, a, "SELECT count(*) FROM river_job WHERE kind = 'webhook.deliver'")
		res = a.postForm(owner, path+"/deliveries/"+itoa(delivery)+"/resend", nil)
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("resend: %d", res.StatusCode)
		}
		if n := countRows(t, a, "SELECT count(*) FROM river_job WHERE kind = 'webhook.deliver'"); n != jobs+1 {
			t.Errorf("%d delivery jobs after a resend, want %d", n, jobs+1)
		}
		res, _ = a.get(owner, "/admin/webhooks/999999/deliveries/"+itoa(delivery))
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("a delivery under another endpoint: %d", res.StatusCode)
		}
	})

	t.Run("Manager", func(t *testing.T) {
		a.createAdmin("manager@school.test", staff.RoleManager)
		m := a.signIn("manager@school.test")
		res, doc := a.get(m, path)
		wantHTML(t, res, http.StatusOK)
		if doc.Find(`[data-testid="webhook-rotate-form"], [data-testid="webhook-delete-form"], [data-testid="webhook-test-form"]`).Length() != 0 {
			t.Error("a manager is offered the owner's actions")
		}
		for _, p := range []string{"/admin/webhooks", path + "/rotate", path + "/test", path + "/delete", path,
			path + "/deliveries/" + itoa(delivery) + "/resend"} {
			res := a.postForm(m, p, url.Values{"overlap": {"0s"}, "confirm": {"yes"}, "url": {"https://evil.example.com"}})
			if res.StatusCode != http.StatusForbidden {
				t.Errorf("manager POST %s: %d", p, res.StatusCode)
			}
		}
		res, _ = a.get(m, "/admin/webhooks/new")
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("manager GET new: %d", res.StatusCode)
		}
	})

	t.Run("Delete", func(t *testing.T) {
		res := a.postForm(owner, path+"/delete", nil)
		if res.StatusCode != http.StatusSeeOther || countRows(t, a, "SELECT count(*) FROM webhook_endpoints") != 1 {
			t.Fatalf("an unconfirmed delete: %d", res.StatusCode)
		}
		res = a.postForm(owner, path+"/delete", url.Values{"confirm": {"yes"}})
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/admin/webhooks" {
			t.Fatalf("delete: %d", res.StatusCode)
		}
		if n := countRows(t, a, "SELECT count(*) FROM webhook_endpoints"); n != 0 {
			t.Errorf("%d endpoints after delete", n)
		}
		res, _ = a.get(owner, path)
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("the deleted endpoint's page: %d", res.StatusCode)
		}
	})
}

// wantHTML checks an HTML answer's status.
func wantHTML(t *testing.T, res *http.Response, want int) {
	t.Helper()
	if res.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d", res.Request.Method, res.Request.URL.Path, res.StatusCode, want)
	}
}
