package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/staff"
)

// TestAPIRoutesHaveScopes walks the real router: every /api/v1 route belongs to a resource group that scopes name,
// and every group has routes.
func TestAPIRoutesHaveScopes(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	routes, ok := a.srv.Handler().(chi.Routes)
	if !ok {
		t.Fatal("the handler is not a chi router")
	}
	used := map[string]int{}
	n := 0
	err := chi.Walk(routes, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		rest, ok := strings.CutPrefix(route, "/api/v1/")
		if !ok || publicAPIPath(method, "/"+rest) {
			return nil // the document needs no scope
		}
		n++
		g := apiGroup("/" + rest)
		if !staff.IsAPIGroup(g) {
			t.Errorf("%s %s is in no scope group (apiGroup gives %q): add it to apiGroup", method, route, g)
		}
		used[g]++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 30 {
		t.Fatalf("walked only %d /api/v1 routes", n)
	}
	for _, g := range staff.APIGroups() {
		if used[g.Name] == 0 {
			t.Errorf("group %s has no route", g.Name)
		}
	}
}

// problemDetail decodes a problem document's detail.
func problemDetail(t *testing.T, raw []byte) string {
	t.Helper()
	var p Problem
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatalf("problem %q: %v", raw, err)
	}
	return p.Detail
}

func TestAPIKeyScopes(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	full := a.apiKey()
	readOrders := a.apiKey("orders:read")
	writeContacts := a.apiKey("contacts:write")

	// A read-only key reads orders but cannot decide one: 403 naming the missing scope, before the handler runs
	// (the same request with a full key reaches it and finds no order).
	res, raw := a.api(readOrders, "GET", "/api/v1/orders", nil, nil)
	wantStatus(t, res, raw, http.StatusOK)
	res, raw = a.api(readOrders, "GET", "/api/v1/orders/999", nil, nil)
	wantStatus(t, res, raw, http.StatusNotFound)
	res, raw = a.api(readOrders, "POST", "/api/v1/orders/999/approve", map[string]any{}, nil)
	wantStatus(t, res, raw, http.StatusForbidden)
	if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("content type %q", ct)
	}
	if d := problemDetail(t, raw); !strings.Contains(d, "lacks the scope orders:write") || !strings.Contains(d, "orders:read") {
		t.Fatalf("detail %q", d)
	}
	if h := res.Header.Get("WWW-Authenticate"); !strings.Contains(h, `error="insufficient_scope"`) || !strings.Contains(h, `scope="orders:write"`) {
		t.Fatalf("WWW-Authenticate %q", h)
	}
	res, raw = a.api(full, "POST", "/api/v1/orders/999/approve", map[string]any{}, nil)
	if res.StatusCode == http.StatusForbidden {
		t.Fatalf("full key refused: %s", raw)
	}
	// Nor can it create a contact, and nothing is written.
	res, raw = a.api(readOrders, "POST", "/api/v1/contacts", map[string]any{"email": "ana@school.test"}, nil)
	wantStatus(t, res, raw, http.StatusForbidden)
	if d := problemDetail(t, raw); !strings.Contains(d, "contacts:write") {
		t.Fatalf("detail %q", d)
	}

	// contacts:write reads and writes contacts, and nothing else.
	res, raw = a.api(writeContacts, "POST", "/api/v1/contacts", map[string]any{"email": "ana@school.test"}, nil)
	wantStatus(t, res, raw, http.StatusCreated)
	res, raw = a.api(writeContacts, "GET", "/api/v1/contacts", nil, nil)
	wantStatus(t, res, raw, http.StatusOK)
	if !strings.Contains(string(raw), "ana@school.test") {
		t.Fatalf("contacts %s", raw)
	}
	for _, path := range []string{"/api/v1/orders", "/api/v1/orders/1", "/api/v1/transactions", "/api/v1/products", "/api/v1/contacts/1/access"} {
		res, raw = a.api(writeContacts, "GET", path, nil, nil)
		wantStatus(t, res, raw, http.StatusForbidden)
		if d := problemDetail(t, raw); !strings.Contains(d, "lacks the scope "+apiGroup(strings.TrimPrefix(path, "/api/v1"))+":read") {
			t.Fatalf("GET %s: detail %q", path, d)
		}
	}
	var n int
	if err := a.pool.QueryRow(a.ctx(), "SELECT count(*) FROM contacts").Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d contacts (%v), want only the one the contacts:write key made", n, err)
	}

	// An unknown endpoint is still 404, whatever the key.
	res, raw = a.api(readOrders, "GET", "/api/v1/nope", nil, nil)
	wantStatus(t, res, raw, http.StatusNotFound)
}

// TestAPIKeyExpired: a key past its expiry is refused like an unknown key, with a detail that says why.
func TestAPIKeyExpired(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	k, key, err := a.srv.staff.CreateAPIKey(a.ctx(), staff.NewAPIKey{Name: "LMS", Scopes: []string{"*"},
		Expires: time.Now().Add(time.Hour).UTC().Format(time.RFC3339)})
	if err != nil {
		t.Fatal(err)
	}
	res, raw := a.api(key, "GET", "/api/v1/orders", nil, nil)
	wantStatus(t, res, raw, http.StatusOK)
	// The server's clock is the real one: the expiry moves instead (the service refuses a past expiry).
	if _, err := a.pool.Exec(a.ctx(), "UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = $1", k.ID); err != nil {
		t.Fatal(err)
	}
	res, raw = a.api(key, "GET", "/api/v1/orders", nil, nil)
	wantStatus(t, res, raw, http.StatusUnauthorized)
	if d := problemDetail(t, raw); d != "The API key has expired." {
		t.Fatalf("detail %q", d)
	}
	if h := res.Header.Get("WWW-Authenticate"); !strings.Contains(h, `error="invalid_token"`) {
		t.Fatalf("WWW-Authenticate %q", h)
	}
	res, raw = a.api(key, "POST", "/api/v1/contacts", map[string]any{"email": "ana@school.test"}, nil)
	wantStatus(t, res, raw, http.StatusUnauthorized)
}

// TestAdminAPIKeyScopes: the owner chooses scopes and an expiry; the list shows them and the key's last use; the
// audit log records the scopes.
func TestAdminAPIKeyScopes(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	o := a.owner()
	expires := time.Now().AddDate(0, 1, 0).UTC().Format(time.DateOnly)

	// Bad choices: 422 with field messages, no key.
	res, doc := a.postFormDoc(o, "/admin/api-keys", url.Values{"name": {"LMS"}, "scope_orders": {"admin"}, "expires": {"soon"}})
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("bad form: %d", res.StatusCode)
	}
	if msg := doc.Find("[data-testid=scopes-error]").Text(); !strings.Contains(msg, `unknown scope "orders:admin"`) {
		t.Fatalf("scopes error %q", msg)
	}
	if msg := doc.Find("[data-testid=expires-error]").Text(); !strings.Contains(msg, "is not a date") {
		t.Fatalf("expires error %q", msg)
	}
	if v, _ := doc.Find(`input[name=name]`).Attr("value"); v != "LMS" {
		t.Fatalf("name not kept: %q", v)
	}
	res, doc = a.postFormDoc(o, "/admin/api-keys", url.Values{"name": {"LMS"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(doc.Find("[data-testid=scopes-error]").Text(), "choose full access") {
		t.Fatalf("no scopes: %d %q", res.StatusCode, doc.Find("[data-testid=scopes-error]").Text())
	}

	res, doc = a.postFormDoc(o, "/admin/api-keys", url.Values{"name": {"LMS"}, "scope_orders": {"read"},
		"scope_contacts": {"write"}, "scope_catalog": {"none"}, "expires": {expires}})
	key := doc.Find("[data-testid=new-api-key]").Text()
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(key, "bsr_") {
		t.Fatalf("create: %d %q", res.StatusCode, key)
	}
	row := doc.Find("[data-testid=api-keys-table] tbody tr").First()
	if got := row.Find("[data-testid=api-key-scopes]").Text(); got != "contacts:write, orders:read" {
		t.Fatalf("scopes shown %q", got)
	}
	if got := row.Find("[data-testid=api-key-expires]").Text(); !strings.Contains(got, expires+" 00:00 UTC") {
		t.Fatalf("expiry shown %q", got)
	}
	if got := row.Find("[data-testid=api-key-last-used]").Text(); got != "never" {
		t.Fatalf("last use before any %q", got)
	}

	// The key works within its scopes, and its use shows in the list.
	r2, raw := a.api(key, "GET", "/api/v1/orders", nil, nil)
	wantStatus(t, r2, raw, http.StatusOK)
	r2, raw = a.api(key, "GET", "/api/v1/products", nil, nil)
	wantStatus(t, r2, raw, http.StatusForbidden)
	_, doc = a.get(o, "/admin/api-keys")
	row = doc.Find("[data-testid=api-keys-table] tbody tr").First()
	used, err := time.Parse(timeFormat, strings.TrimSpace(row.Find("[data-testid=api-key-last-used]").Text()))
	if err != nil || time.Since(used) > 2*time.Minute {
		t.Fatalf("last use shown %q (%v)", row.Find("[data-testid=api-key-last-used]").Text(), err)
	}

	entries, err := a.srv.audit.List(a.ctx(), audit.Filter{Entity: "api_key"})
	if err != nil || len(entries) != 1 || entries[0].Action != "api_key.create" {
		t.Fatalf("audit %+v %v", entries, err)
	}
	if got := fmt.Sprint(entries[0].Details["scopes"]); got != "[contacts:write orders:read]" {
		t.Fatalf("audited scopes %s", got)
	}
	if entries[0].Details["expires_at"] != expires+"T00:00:00Z" {
		t.Fatalf("audited expiry %v", entries[0].Details["expires_at"])
	}
}
