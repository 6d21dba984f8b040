package server

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/bursar/bursar/internal/staff"
)

func TestHealth(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	for _, p := range []string{"/healthz", "/readyz"} {
		res, raw := a.api("", "GET", p, nil, nil)
		wantStatus(t, res, raw, http.StatusOK)
	}
	// A schema behind the binary is not ready.
	if _, err := a.pool.Exec(a.ctx(), "DELETE FROM goose_db_version WHERE version_id = (SELECT max(version_id) FROM goose_db_version)"); err != nil {
		t.Fatal(err)
	}
	res, raw := a.api("", "GET", "/readyz", nil, nil)
	wantStatus(t, res, raw, http.StatusServiceUnavailable)
}

func TestAdminSignIn(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	a.createAdmin(testOwnerEmail, staff.RoleOwner)

	t.Run("RedirectsToLogin", func(t *testing.T) {
		res, _ := a.get(a.client(), "/admin/offers")
		if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/admin/login?next=") {
			t.Fatalf("status %d location %q", res.StatusCode, res.Header.Get("Location"))
		}
	})
	t.Run("WrongPassword", func(t *testing.T) {
		res, doc := a.postFormDoc(a.client(), "/admin/login", url.Values{"email": {testOwnerEmail}, "password": {"nope-nope"}})
		if res.StatusCode != http.StatusUnauthorized || !strings.Contains(doc.Find("[data-testid=login-error]").Text(), "Wrong e-mail or password") {
			t.Fatalf("status %d, error %q", res.StatusCode, doc.Find("[data-testid=login-error]").Text())
		}
	})
	t.Run("OKAndLogout", func(t *testing.T) {
		c := a.client()
		res := a.postForm(c, "/admin/login", url.Values{"email": {"OWNER@school.test"}, "password": {testPassword}, "next": {"/admin/audit"}})
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/admin/audit" {
			t.Fatalf("status %d location %q", res.StatusCode, res.Header.Get("Location"))
		}
		res, doc := a.get(c, "/admin/audit")
		if res.StatusCode != http.StatusOK {
			t.Fatalf("audit: %d", res.StatusCode)
		}
		if got := doc.Find("[data-testid=admin-user]").Text(); got != testOwnerEmail {
			t.Fatalf("signed in as %q", got)
		}
		if !strings.Contains(doc.Find("[data-testid=audit-table]").Text(), "admin_user.sign_in") {
			t.Fatal("audit log lacks the sign-in")
		}
		a.postForm(c, "/admin/logout", nil)
		res, _ = a.get(c, "/admin")
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("after logout: %d", res.StatusCode)
		}
	})
	t.Run("OpenRedirectRefused", func(t *testing.T) {
		res := a.postForm(a.client(), "/admin/login", url.Values{"email": {testOwnerEmail}, "password": {testPassword}, "next": {"//evil.example/admin"}})
		if res.Header.Get("Location") != "/admin" {
			t.Fatalf("location %q", res.Header.Get("Location"))
		}
	})
}

func TestAdminLockout(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	a.createAdmin(testOwnerEmail, staff.RoleOwner)
	for i := 0; i < staff.EmailMaxFailures; i++ {
		a.postForm(a.client(), "/admin/login", url.Values{"email": {testOwnerEmail}, "password": {"wrong-password"}})
	}
	// Even the right password is refused while locked, with a message saying so.
	res, doc := a.postFormDoc(a.client(), "/admin/login", url.Values{"email": {testOwnerEmail}, "password": {testPassword}})
	if res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("status %d", res.StatusCode)
	}
	if msg := doc.Find("[data-testid=login-error]").Text(); !strings.Contains(msg, "try again in 15 minutes") {
		t.Fatalf("message %q", msg)
	}
}

func TestOwnerOnly(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	a.createAdmin("manager@school.test", staff.RoleManager)
	m := a.signIn("manager@school.test")
	res := a.postForm(m, "/admin/api-keys", url.Values{"name": {"x"}})
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("manager creating a key: %d", res.StatusCode)
	}
	o := a.owner()
	res, doc := a.postFormDoc(o, "/admin/api-keys", url.Values{"name": {"LMS"}, "full": {"on"}})
	key := doc.Find("[data-testid=new-api-key]").Text()
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(key, "bsr_") {
		t.Fatalf("status %d key %q", res.StatusCode, key)
	}
	// The key works on the API until revoked.
	r2, raw := a.api(key, "GET", "/api/v1/nope", nil, nil)
	wantStatus(t, r2, raw, http.StatusNotFound)
	res, doc = a.postFormDoc(o, "/admin/staff", url.Values{"email": {"bad"}, "role": {"manager"}, "password": {"short"}})
	if res.StatusCode != http.StatusUnprocessableEntity || doc.Find("[data-testid=email-error]").Text() == "" || doc.Find("[data-testid=password-error]").Text() == "" {
		t.Fatalf("bad staff form: %d", res.StatusCode)
	}
}

func TestAPIAuth(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	res, raw := a.api("", "GET", "/api/v1/contacts", nil, nil)
	wantStatus(t, res, raw, http.StatusUnauthorized)
	if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("content type %q", ct)
	}
	res, raw = a.api("bsr_forged", "GET", "/api/v1/contacts", nil, nil)
	wantStatus(t, res, raw, http.StatusUnauthorized)
}

func TestStaffManagement(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	o := a.owner()
	res := a.postForm(o, "/admin/staff", url.Values{"email": {"m@school.test"}, "name": {"Mia"}, "role": {"manager"}, "password": {testPassword}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d", res.StatusCode)
	}
	// Duplicate e-mail in another case is a field error.
	res, doc := a.postFormDoc(o, "/admin/staff", url.Values{"email": {"M@School.test"}, "role": {"manager"}, "password": {testPassword}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(doc.Find("[data-testid=email-error]").Text(), "already exists") {
		t.Fatalf("duplicate: %d", res.StatusCode)
	}
	users, _ := a.srv.staff.Users(a.ctx())
	var owner, mgr staff.User
	for _, u := range users {
		if u.Role == staff.RoleOwner {
			owner = u
		} else {
			mgr = u
		}
	}
	// The only owner cannot be demoted.
	if err := a.srv.staff.SetRole(a.ctx(), owner.ID, staff.RoleManager); err != staff.ErrLastOwner {
		t.Fatalf("demote last owner: %v", err)
	}
	// Disabling a manager signs them out on the next request.
	mc := a.signIn("m@school.test")
	a.postForm(o, "/admin/staff/"+itoa(mgr.ID)+"/disable", url.Values{"disabled": {"true"}})
	if res, _ := a.get(mc, "/admin"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("disabled manager still in: %d", res.StatusCode)
	}
	res = a.postForm(a.client(), "/admin/login", url.Values{"email": {"m@school.test"}, "password": {testPassword}})
	if res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("disabled manager signed in: %d", res.StatusCode)
	}
	// Promote the manager, then the first owner may become a manager.
	a.postForm(o, "/admin/staff/"+itoa(mgr.ID)+"/role", url.Values{"role": {"owner"}})
	if err := a.srv.staff.SetRole(a.ctx(), owner.ID, staff.RoleManager); err != staff.ErrLastOwner {
		t.Fatalf("the promoted owner is disabled, so the first stays the last active owner: %v", err)
	}
}

// TestCrossOriginRefused: a form posted from another site (the browser says so) changes nothing.
func TestCrossOriginRefused(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	c := a.owner()
	req, _ := http.NewRequest("POST", a.ts.URL+"/admin/api-keys", strings.NewReader("name=evil"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.Header.Set("Origin", "https://evil.example")
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site POST: %d", res.StatusCode)
	}
	keys, _ := a.srv.staff.APIKeys(a.ctx())
	if len(keys) != 0 {
		t.Fatalf("a key was created: %+v", keys)
	}
}
