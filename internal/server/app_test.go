package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/bursar/bursar/internal/app"
	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/config"
	"github.com/bursar/bursar/internal/db/dbtest"
	"github.com/bursar/bursar/internal/staff"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// testApp is the real router on a fresh database, served over real HTTP.
type testApp struct {
	t    testing.TB
	srv  *Server
	app  *app.App // the services srv calls, and River's workers
	ts   *httptest.Server
	pool *pgxpool.Pool
	log  *bytes.Buffer
}

const (
	testOwnerEmail = "owner@school.test"
	testPassword   = "correct horse battery"
)

func newTestApp(t testing.TB) *testApp {
	t.Helper()
	return newTestAppOn(t, dbtest.New(t))
}

// newTestAppOn is newTestApp on pool (one from dbtest.NewCounted, say).
func newTestAppOn(t testing.TB, pool *pgxpool.Pool) *testApp {
	t.Helper()
	var logBuf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logBuf, &slog.HandlerOptions{Level: slog.LevelWarn}))
	cfg, err := config.Config{DataDir: t.TempDir(), BaseURL: "http://127.0.0.1"}.WithDefaults()
	if err != nil {
		t.Fatal(err)
	}
	srv, ap := newServer(t, Deps{Config: cfg, Log: log, Pool: pool})
	ts := httptest.NewServer(validateAPI(t, srv.Handler())) // every API exchange checked against the OpenAPI document
	t.Cleanup(ts.Close)
	a := &testApp{t: t, srv: srv, app: ap, ts: ts, pool: pool, log: &logBuf}
	t.Cleanup(func() {
		if t.Failed() && logBuf.Len() > 0 {
			t.Logf("server log:\n%s", logBuf.String())
		}
	})
	return a
}

func (a *testApp) ctx() context.Context {
	return audit.WithActor(context.Background(), audit.Actor{Type: audit.ActorSystem, Label: "test"})
}

// createAdmin adds an admin user with testPassword.
func (a *testApp) createAdmin(email, role string) staff.User {
	a.t.Helper()
	u, err := a.srv.staff.CreateUser(a.ctx(), staff.NewUser{Email: email, Role: role, Password: testPassword})
	if err != nil {
		a.t.Fatal(err)
	}
	return u
}

// client is an HTTP client with its own cookie jar that does not follow redirects.
func (a *testApp) client() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// signIn returns a client signed in as email.
func (a *testApp) signIn(email string) *http.Client {
	a.t.Helper()
	c := a.client()
	res := a.postForm(c, "/admin/login", url.Values{"email": {email}, "password": {testPassword}})
	if res.StatusCode != http.StatusSeeOther {
		a.t.Fatalf("sign in %s: status %d", email, res.StatusCode)
	}
	return c
}

// owner returns a client signed in as a fresh owner.
func (a *testApp) owner() *http.Client {
	a.t.Helper()
	a.createAdmin(testOwnerEmail, staff.RoleOwner)
	return a.signIn(testOwnerEmail)
}

func (a *testApp) postForm(c *http.Client, path string, v url.Values) *http.Response {
	a.t.Helper()
	res, err := c.PostForm(a.ts.URL+path, v)
	if err != nil {
		a.t.Fatal(err)
	}
	res.Body.Close()
	return res
}

// postFormDoc posts a form and parses the HTML answer.
func (a *testApp) postFormDoc(c *http.Client, path string, v url.Values) (*http.Response, *goquery.Document) {
	a.t.Helper()
	res, err := c.PostForm(a.ts.URL+path, v)
	if err != nil {
		a.t.Fatal(err)
	}
	defer res.Body.Close()
	doc, err := goquery.NewDocumentFromReader(res.Body)
	if err != nil {
		a.t.Fatal(err)
	}
	return res, doc
}

// get fetches path and parses the HTML.
func (a *testApp) get(c *http.Client, path string) (*http.Response, *goquery.Document) {
	a.t.Helper()
	res, err := c.Get(a.ts.URL + path)
	if err != nil {
		a.t.Fatal(err)
	}
	defer res.Body.Close()
	doc, err := goquery.NewDocumentFromReader(res.Body)
	if err != nil {
		a.t.Fatal(err)
	}
	return res, doc
}

// apiKey creates an API key; with no scopes, it has full access.
func (a *testApp) apiKey(scopes ...string) string {
	a.t.Helper()
	if len(scopes) == 0 {
		scopes = []string{staff.ScopeFull}
	}
	_, key, err := a.srv.staff.CreateAPIKey(a.ctx(), staff.NewAPIKey{Name: "test", Scopes: scopes})
	if err != nil {
		a.t.Fatal(err)
	}
	return key
}

// api sends a JSON request with key and decodes the JSON answer into out (if not nil); it returns the response
// with its body read into raw.
func (a *testApp) api(key, method, path string, body any, out any, headers ...string) (*http.Response, []byte) {
	a.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			a.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, a.ts.URL+path, rd)
	if err != nil {
		a.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			a.t.Fatalf("%s %s: decode %q: %v", method, path, raw, err)
		}
	}
	return res, raw
}

// wantStatus fails the test when res has another status.
func wantStatus(t *testing.T, res *http.Response, raw []byte, want int) {
	t.Helper()
	if res.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d; body: %s", res.Request.Method, res.Request.URL.Path, res.StatusCode, want, raw)
	}
}
