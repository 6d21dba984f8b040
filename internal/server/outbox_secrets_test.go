package server

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/account"
	"github.com/bursar/bursar/internal/notify"
	"github.com/bursar/bursar/internal/staff"
)

// adminSees is every page of the admin outbox a manager can open for the newest e-mail to rcpt: the list and the
// e-mail's own page, as HTML, with the e-mail's id.
func (a *testApp) adminSees(c *http.Client, rcpt string) (list, page string, id string) {
	a.t.Helper()
	res, doc := a.get(c, "/admin/outbox")
	if res.StatusCode != http.StatusOK {
		a.t.Fatalf("GET /admin/outbox: %d", res.StatusCode)
	}
	list, _ = doc.Html()
	id = a.countStr(`SELECT max(id)::text FROM outbound_emails WHERE to_address = $1`, rcpt)
	if doc.Find(`[data-testid="outbox-row"][data-id="`+id+`"]`).Length() != 1 {
		a.t.Fatalf("e-mail %s not in the outbox list", id)
	}
	res, doc = a.get(c, "/admin/outbox/"+id)
	if res.StatusCode != http.StatusOK {
		a.t.Fatalf("GET /admin/outbox/%s: %d", id, res.StatusCode)
	}
	page, _ = doc.Html()
	if !strings.Contains(doc.Find(`[data-testid="email-text"]`).Text(), notify.SecretMask) ||
		!strings.Contains(doc.Find(`[data-testid="email-html-source"]`).Text(), notify.SecretMask) {
		a.t.Fatalf("the e-mail's page shows no mask:\n%s", doc.Find(`[data-testid="email-text"]`).Text())
	}
	return list, page, id
}

func (a *testApp) countStr(query string, args ...any) string {
	a.t.Helper()
	var s string
	if err := a.pool.QueryRow(a.ctx(), query, args...).Scan(&s); err != nil {
		a.t.Fatal(err)
	}
	return s
}

// TestOutboxHidesResetLink is the takeover of issue 10: a manager asks for a student's password reset and reads the
// link in the admin outbox. The link reaches the student's inbox and works there; the outbox, before and after
// delivery, shows a mask in its place, and once delivered the stored row holds no token at all. Using the link is
// audited under the link, not as the student.
func TestOutboxHidesResetLink(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	ib := startInbox(t)
	const student = "kim@example.com"
	a.student(student)
	a.createAdmin("manager@school.test", staff.RoleManager)
	manager := a.signIn("manager@school.test")

	// Before delivery: no worker runs yet, so the e-mail waits in the outbox with its secret kept apart.
	if res := a.postForm(manager, "/account/reset", url.Values{"email": {student}}); res.StatusCode != http.StatusOK {
		t.Fatalf("reset request: %d", res.StatusCode)
	}
	var secrets []string
	if err := a.pool.QueryRow(a.ctx(), `SELECT secrets FROM outbound_emails WHERE to_address = $1`, student).Scan(&secrets); err != nil {
		t.Fatal(err)
	}
	if len(secrets) != 2 {
		t.Fatalf("secrets %q, want the link and its token", secrets)
	}
	list, page, _ := a.adminSees(manager, student)
	if strings.Contains(list+page, secrets[1]) {
		t.Fatal("the admin outbox shows the queued reset token")
	}

	// Delivery: the SMTP server gets the working link.
	events := startMailJobs(t, a, ib.URL)
	m := ib.next(t, mailWait)
	emailJobDone(t, events)
	link := regexp.MustCompile(`http://127\.0\.0\.1/account/reset/([A-Za-z0-9_-]+)`).FindStringSubmatch(m.Text)
	if link == nil || !strings.Contains(m.HTML, `href="`+link[0]+`"`) {
		t.Fatalf("no reset link in the delivered e-mail:\n%s\n%s", m.Text, m.HTML)
	}
	token := link[1]
	if token != secrets[1] {
		t.Fatalf("delivered token %q, kept %q", token, secrets[1])
	}

	t.Run("AdminSeesNoToken", func(t *testing.T) {
		list, page, _ := a.adminSees(manager, student)
		if strings.Contains(list+page, token) {
			t.Fatal("the admin outbox shows the reset token")
		}
	})
	t.Run("StoredRowHoldsNoToken", func(t *testing.T) {
		row := a.countStr(`SELECT row_to_json(o)::text FROM outbound_emails o WHERE to_address = $1`, student)
		if strings.Contains(row, token) || !strings.Contains(row, `"status":"sent"`) {
			t.Fatalf("the delivered row: %s", row)
		}
	})
	t.Run("LinkResetsThePassword", func(t *testing.T) {
		thief := a.client()
		path := linkPath(t, link[0])
		if res, doc := a.get(thief, path); res.StatusCode != http.StatusOK || doc.Find("[data-testid=new-password-form]").Length() != 1 {
			t.Fatalf("GET the link: %d", res.StatusCode)
		}
		if res := a.postForm(thief, path, url.Values{"password": {"a brand new password"}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("POST the link: %d", res.StatusCode)
		}
		if res := a.postForm(a.client(), "/account/login", url.Values{"email": {student}, "password": {"a brand new password"}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign in with the new password: %d", res.StatusCode)
		}
	})
	t.Run("AuditNamesTheLink", func(t *testing.T) {
		var label, details string
		if err := a.pool.QueryRow(a.ctx(), `SELECT actor_label, details::text FROM audit_log WHERE action = 'account.password_reset'`).Scan(&label, &details); err != nil {
			t.Fatal(err)
		}
		var d map[string]any
		if err := json.Unmarshal([]byte(details), &d); err != nil {
			t.Fatal(err)
		}
		contact := a.count(`SELECT id FROM contacts WHERE email = $1`, student)
		if label != account.ActorResetLink || d["client"] != "127.0.0.1" || d["contact_id"] != float64(contact) {
			t.Fatalf("password reset audited as %q with %s, want %q with the contact and client", label, details, account.ActorResetLink)
		}
		if n := a.count(`SELECT count(*) FROM audit_log WHERE action IN ('account.reset_request', 'account.password_reset')
			AND actor_label LIKE '%' || $1 || '%'`, student); n != 0 {
			t.Fatalf("%d audit entries of the reset name the student as the actor", n)
		}
		if n := a.count(`SELECT count(*) FROM contact_events WHERE kind = $1 AND actor = $2`, account.EventPasswordReset, account.ActorResetLink); n != 1 {
			t.Fatalf("%d timeline events of the reset under the link, want 1", n)
		}
	})
}

// TestTokenPurposeRoutes: a welcome token on the password-reset route, and a reset token on the welcome route, get
// exactly the page of an unknown token and are not spent; each then works on its own route.
func TestTokenPurposeRoutes(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	const student = "kim@example.com"
	a.student(student)
	contact := int64(a.count(`SELECT id FROM contacts WHERE email = $1`, student))
	var welcomeLink string
	if err := pgx.BeginFunc(a.ctx(), a.pool, func(tx pgx.Tx) error {
		var err error
		welcomeLink, err = a.srv.accounts.WelcomeLinkTx(a.ctx(), tx, contact, 0)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	welcome := welcomeLink[strings.LastIndexByte(welcomeLink, '/')+1:]
	if res := a.postForm(a.client(), "/account/reset", url.Values{"email": {student}}); res.StatusCode != http.StatusOK {
		t.Fatalf("reset request: %d", res.StatusCode)
	}
	var secrets []string
	if err := a.pool.QueryRow(a.ctx(), `SELECT secrets FROM outbound_emails WHERE to_address = $1`, student).Scan(&secrets); err != nil || len(secrets) != 2 {
		t.Fatalf("reset secrets %q: %v", secrets, err)
	}
	reset := secrets[1]
	unknown := strings.Repeat("x", len(welcome))

	// page is the status and the page's main element, without the form action (it names the token).
	page := func(method, path string) (int, string) {
		t.Helper()
		c := a.client()
		if method == http.MethodGet {
			res, doc := a.get(c, path)
			return res.StatusCode, doc.Find("main").Text()
		}
		res, doc := a.postFormDoc(c, path, url.Values{"password": {"a brand new password"}})
		return res.StatusCode, doc.Find("main").Text()
	}
	tests := []struct {
		name, route, token string
	}{
		{"WelcomeTokenOnReset", account.ResetPath, welcome},
		{"ResetTokenOnWelcome", account.WelcomePath, reset},
	}
	for _, tt := range tests {
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			wantStatus, wantPage := page(method, tt.route+unknown)
			status, got := page(method, tt.route+tt.token)
			if status != http.StatusGone || status != wantStatus || got != wantPage {
				t.Errorf("%s %s: status %d, want %d as for an unknown token; page:\n%s", tt.name, method, status, wantStatus, got)
			}
		}
	}
	if n := a.count(`SELECT count(*) FROM password_resets WHERE used_at IS NOT NULL`); n != 0 {
		t.Fatalf("%d tokens spent on the wrong route", n)
	}
	if res := a.postForm(a.client(), "/account/login", url.Values{"email": {student}, "password": {"a brand new password"}}); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a token of the wrong purpose changed the password: sign-in %d", res.StatusCode)
	}

	// Each token works on its own route.
	c := a.client()
	if res, doc := a.get(c, account.WelcomePath+welcome); res.StatusCode != http.StatusOK || doc.Find("[data-testid=welcome-form]").Length() != 1 {
		t.Fatalf("GET the welcome link: %d", res.StatusCode)
	}
	if res := a.postForm(c, account.WelcomePath+welcome, url.Values{}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST the welcome link: %d", res.StatusCode)
	}
	if res := a.postForm(a.client(), account.ResetPath+reset, url.Values{"password": {"a brand new password"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST the reset link: %d", res.StatusCode)
	}
	if n := a.count(`SELECT count(*) FROM audit_log WHERE action = 'account.welcome_sign_in' AND actor_label = $1`, account.ActorWelcomeLink); n != 1 {
		t.Fatalf("%d welcome sign-ins audited under the link, want 1", n)
	}
}
