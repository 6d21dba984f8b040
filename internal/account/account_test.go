package account

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/crm"
	"github.com/bursar/bursar/internal/db/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// recordingMailer keeps the reset links it is asked to send, as the outbox would.
type recordingMailer struct {
	mu    sync.Mutex
	links map[string][]string // by address
}

func (m *recordingMailer) PasswordResetTx(_ context.Context, _ pgx.Tx, to, _, link string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.links == nil {
		m.links = map[string][]string{}
	}
	m.links[to] = append(m.links[to], link)
	return nil
}

func (m *recordingMailer) last(t *testing.T, to string) string {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	l := m.links[to]
	if len(l) == 0 {
		t.Fatalf("no reset link sent to %s", to)
	}
	return l[len(l)-1]
}

type fixture struct {
	svc      *Service
	contacts *crm.Service
	mailer   *recordingMailer
	pool     *pgxpool.Pool
	ctx      context.Context
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	pool := dbtest.New(t)
	al := audit.New(pool)
	contacts := crm.NewService(pool, al, nil)
	m := &recordingMailer{}
	ctx := audit.WithActor(context.Background(), audit.Actor{Type: audit.ActorSystem, Label: "test"})
	svc, err := NewService(pool, al, contacts, m, "https://school.test")
	if err != nil {
		t.Fatal(err)
	}
	return fixture{svc: svc, contacts: contacts, mailer: m, pool: pool, ctx: ctx}
}

func (f fixture) count(t *testing.T, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := f.pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func (f fixture) signUp(t *testing.T, email string) Account {
	t.Helper()
	a, err := f.svc.SignUp(f.ctx, SignUp{Email: email, Password: "correct horse", Name: "Ana"})
	if err != nil {
		t.Fatalf("sign up %s: %v", email, err)
	}
	return a
}

func wantField(t *testing.T, err error, field string) {
	t.Helper()
	e, ok := check.AsErrors(err)
	if !ok || e[field] == "" {
		t.Fatalf("err = %v, want a message on %q", err, field)
	}
}

func TestSignUpValidation(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	questions := []Question{
		{Key: "city", Label: "City", Type: "text", Required: true},
		{Key: "phone_number", Label: "Phone", Type: "phone"},
		{Key: "level", Label: "Level", Type: "select", Options: []string{"A1", "A2"}},
		{Key: "work_email", Label: "Work e-mail", Type: "email"},
		{Key: "about", Label: "About", Type: "textarea"},
	}
	ok := SignUp{Email: "ana@school.test", Password: "correct horse", Name: "Ana", Questions: questions,
		Answers: map[string]string{"city": "Madrid"}}
	tests := []struct {
		name  string
		edit  func(*SignUp)
		field string
	}{
		{"EmptyEmail", func(s *SignUp) { s.Email = " " }, "email"},
		{"MalformedEmail", func(s *SignUp) { s.Email = "ana@" }, "email"},
		{"LongEmail", func(s *SignUp) { s.Email = strings.Repeat("a", 250) + "@school.test" }, "email"},
		{"EmptyPassword", func(s *SignUp) { s.Password = "" }, "password"},
		{"ShortPassword", func(s *SignUp) { s.Password = "short" }, "password"},
		{"LongPassword", func(s *SignUp) { s.Password = strings.Repeat("p", 201) }, "password"},
		{"EmptyName", func(s *SignUp) { s.Name = "  " }, "name"},
		{"LongName", func(s *SignUp) { s.Name = strings.Repeat("n", MaxName+1) }, "name"},
		{"MissingRequiredAnswer", func(s *SignUp) { s.Answers = map[string]string{"city": "  "} }, "field_city"},
		{"LongAnswer", func(s *SignUp) { s.Answers["city"] = strings.Repeat("c", 201) }, "field_city"},
		{"LongTextarea", func(s *SignUp) { s.Answers["about"] = strings.Repeat("c", MaxAnswer+1) }, "field_about"},
		{"BadPhone", func(s *SignUp) { s.Answers["phone_number"] = "call me" }, "field_phone_number"},
		{"NotAnOption", func(s *SignUp) { s.Answers["level"] = "C2" }, "field_level"},
		{"BadEmailAnswer", func(s *SignUp) { s.Answers["work_email"] = "boss@" }, "field_work_email"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := ok
			in.Answers = map[string]string{"city": "Madrid"}
			tt.edit(&in)
			_, err := f.svc.SignUp(f.ctx, in)
			wantField(t, err, tt.field)
		})
	}
	if n := f.count(t, "SELECT count(*) FROM contacts"); n != 0 {
		t.Fatalf("%d contacts written by bad sign-ups", n)
	}

	t.Run("OK", func(t *testing.T) {
		in := ok
		in.Email = "  Ana@School.TEST "
		in.Answers = map[string]string{"city": " Madrid ", "level": "A2", "ignored": "x"}
		a, err := f.svc.SignUp(f.ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		c, err := f.contacts.Contact(f.ctx, a.ContactID)
		if err != nil {
			t.Fatal(err)
		}
		if c.Email != "ana@school.test" || c.Name != "Ana" || c.CustomFields["city"] != "Madrid" ||
			c.CustomFields["level"] != "A2" || c.CustomFields["ignored"] != "" {
			t.Fatalf("contact = %+v", c)
		}
		if n := f.count(t, "SELECT count(*) FROM contact_events WHERE contact_id = $1 AND kind = $2", c.ID, EventCreated); n != 1 {
			t.Fatalf("%d account.created events", n)
		}
	})
}

func TestSignUpDuplicate(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	first := f.signUp(t, "ana@school.test")
	for _, email := range []string{"ana@school.test", "ANA@School.Test", " ana@school.test "} {
		t.Run(email, func(t *testing.T) {
			_, err := f.svc.SignUp(f.ctx, SignUp{Email: email, Password: "another password", Name: "Impostor"})
			e, ok := check.AsErrors(err)
			if !ok || e["email"] != MsgAccountExists {
				t.Fatalf("err = %v, want %q", err, MsgAccountExists)
			}
		})
	}
	if n := f.count(t, "SELECT count(*) FROM accounts"); n != 1 {
		t.Fatalf("%d accounts", n)
	}
	// The first password still works: the duplicate changed nothing.
	if _, err := f.svc.SignIn(f.ctx, "ana@school.test", "correct horse", "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	if c, _ := f.contacts.Contact(f.ctx, first.ContactID); c.Name != "Ana" {
		t.Fatalf("name overwritten: %q", c.Name)
	}
}

// TestSignUpOnExistingContact: a sign-up with the e-mail of a contact the school already has (an admin made it, a
// payment did) makes no account — knowing an e-mail proves nothing. The contact's inbox gets a link; using it sets
// the password and creates the account on that contact, keeping what the school knows.
func TestSignUpOnExistingContact(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c, err := f.contacts.Create(f.ctx, crm.Input{Email: "bea@school.test", Name: "Beatriz", CustomFields: map[string]string{"city": "Sevilla"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.SignUp(f.ctx, SignUp{Lang: "es", Email: "BEA@school.test", Password: "attacker horse", Name: "Mallory",
		Questions: []Question{{Key: "city", Type: "text"}}, Answers: map[string]string{"city": "Madrid"}})
	if !errors.Is(err, ErrCheckEmail) {
		t.Fatalf("sign-up on a known contact: %v, want ErrCheckEmail", err)
	}
	if n := f.count(t, "SELECT count(*) FROM accounts"); n != 0 {
		t.Fatalf("%d accounts made without proving the e-mail", n)
	}
	if _, err := f.svc.SignIn(f.ctx, "bea@school.test", "attacker horse", "192.0.2.1"); !errors.Is(err, ErrInvalidCredentials) {
		t.Fatalf("the sign-up's password signs in: %v", err)
	}
	got, _ := f.contacts.Contact(f.ctx, c.ID)
	if got.Name != "Beatriz" || got.CustomFields["city"] != "Sevilla" {
		t.Fatalf("contact changed by an unproven sign-up: %+v", got)
	}
	// The owner of the inbox follows the link.
	token := tokenOf(t, f.mailer.last(t, "bea@school.test"))
	a, err := f.svc.ResetPassword(f.ctx, token, "bea's own horse", "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	if a.ContactID != c.ID {
		t.Fatalf("account on contact %d, want the existing %d", a.ContactID, c.ID)
	}
	if _, err := f.svc.SignIn(f.ctx, "bea@school.test", "bea's own horse", "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	if n := f.count(t, "SELECT count(*) FROM contacts"); n != 1 {
		t.Fatalf("%d contacts, want the one", n)
	}
}

func TestSignIn(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a := f.signUp(t, "ana@school.test")
	if _, err := f.contacts.Create(f.ctx, crm.Input{Email: "noaccount@school.test"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, email, pw string
		want            error
	}{
		{"OK", "ANA@school.test", "correct horse", nil},
		{"WrongPassword", "ana@school.test", "wrong horse", ErrInvalidCredentials},
		{"UnknownEmail", "nobody@school.test", "correct horse", ErrInvalidCredentials},
		{"ContactWithoutAccount", "noaccount@school.test", "correct horse", ErrInvalidCredentials},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.svc.SignIn(f.ctx, tt.email, tt.pw, "192.0.2.1")
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if tt.want == nil && (got.ContactID != a.ContactID || got.LastSignInAt == nil) {
				t.Fatalf("account = %+v", got)
			}
		})
	}
}

func TestSignInLockout(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.signUp(t, "ana@school.test")
	now := time.Now()
	f.svc.now = func() time.Time { return now }
	for i := range EmailMaxFailures {
		if _, err := f.svc.SignIn(f.ctx, "ana@school.test", "wrong", "192.0.2.1"); !errors.Is(err, ErrInvalidCredentials) {
			t.Fatalf("failure %d: %v", i+1, err)
		}
	}
	var locked *LockedError
	if _, err := f.svc.SignIn(f.ctx, "ana@school.test", "correct horse", "192.0.2.2"); !errors.As(err, &locked) {
		t.Fatalf("right password while locked: err = %v, want *LockedError", err)
	}
	if locked.Minutes() < 1 || locked.Minutes() > 15 {
		t.Fatalf("retry in %d minutes", locked.Minutes())
	}
	// Admin sign-in shares the table but not the scope: students' failures do not lock admins.
	if n := f.count(t, "SELECT count(*) FROM login_attempts WHERE scope = 'email'"); n != 0 {
		t.Fatalf("%d admin-scope attempts written", n)
	}
	now = now.Add(LockWindow + time.Second)
	if _, err := f.svc.SignIn(f.ctx, "ana@school.test", "correct horse", "192.0.2.2"); err != nil {
		t.Fatalf("after the window: %v", err)
	}

	t.Run("PerIP", func(t *testing.T) {
		for i := range IPMaxFailures {
			_, _ = f.svc.SignIn(f.ctx, "guess"+itoa(i)+"@school.test", "wrong", "198.51.100.9")
		}
		if _, err := f.svc.SignIn(f.ctx, "ana@school.test", "correct horse", "198.51.100.9"); !errors.As(err, &locked) {
			t.Fatalf("err = %v, want the address locked", err)
		}
	})
	// Signing in to an account of one's own between guesses does not reset the address's count.
	t.Run("PerIPNotResetBySuccess", func(t *testing.T) {
		ip := "203.0.113.7"
		for i := range IPMaxFailures - 1 {
			_, _ = f.svc.SignIn(f.ctx, "other"+itoa(i)+"@school.test", "wrong", ip)
			if i == IPMaxFailures/2 {
				if _, err := f.svc.SignIn(f.ctx, "ana@school.test", "correct horse", ip); err != nil {
					t.Fatalf("own sign-in: %v", err)
				}
			}
		}
		_, _ = f.svc.SignIn(f.ctx, "last@school.test", "wrong", ip)
		if _, err := f.svc.SignIn(f.ctx, "ana@school.test", "correct horse", ip); !errors.As(err, &locked) {
			t.Fatalf("err = %v, want the address locked despite the success in between", err)
		}
	})
}

func itoa(i int) string { return strconv.Itoa(i) }

func tokenOf(t *testing.T, link string) string {
	t.Helper()
	tok, ok := strings.CutPrefix(link, "https://school.test"+ResetPath)
	if !ok || len(tok) < 40 {
		t.Fatalf("link %q", link)
	}
	return tok
}

func TestPasswordReset(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.signUp(t, "ana@school.test")
	now := time.Now()
	f.svc.now = func() time.Time { return now }

	if err := f.svc.RequestReset(f.ctx, "nobody@school.test", "en"); err != nil {
		t.Fatalf("unknown e-mail: %v, want silence", err)
	}
	if n := f.count(t, "SELECT count(*) FROM password_resets"); n != 0 {
		t.Fatalf("%d resets for an unknown e-mail", n)
	}
	if err := f.svc.RequestReset(f.ctx, "Ana@School.test", "es"); err != nil {
		t.Fatal(err)
	}
	token := tokenOf(t, f.mailer.last(t, "ana@school.test"))
	if n := f.count(t, "SELECT count(*) FROM password_resets WHERE token_hash = $1", []byte(token)); n != 0 {
		t.Fatal("the token is stored in clear")
	}

	t.Run("UnknownToken", func(t *testing.T) {
		if _, err := f.svc.ResetPassword(f.ctx, "nope"+token[4:], "brand new pass", "192.0.2.1"); !errors.Is(err, ErrResetInvalid) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("ShortPassword", func(t *testing.T) {
		_, err := f.svc.ResetPassword(f.ctx, token, "short", "192.0.2.1")
		wantField(t, err, "password")
		if err := f.svc.CheckReset(f.ctx, token); err != nil {
			t.Fatalf("a refused password spent the token: %v", err)
		}
	})
	t.Run("PasswordChanged", func(t *testing.T) {
		if err := f.svc.CheckReset(f.ctx, token); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.ResetPassword(f.ctx, token, "brand new pass", "192.0.2.1"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.SignIn(f.ctx, "ana@school.test", "correct horse", "192.0.2.1"); !errors.Is(err, ErrInvalidCredentials) {
			t.Fatalf("old password: err = %v", err)
		}
		if _, err := f.svc.SignIn(f.ctx, "ana@school.test", "brand new pass", "192.0.2.1"); err != nil {
			t.Fatalf("new password: %v", err)
		}
	})
	t.Run("SingleUse", func(t *testing.T) {
		if _, err := f.svc.ResetPassword(f.ctx, token, "third password", "192.0.2.1"); !errors.Is(err, ErrResetInvalid) {
			t.Fatalf("second use: err = %v", err)
		}
		if err := f.svc.CheckReset(f.ctx, token); !errors.Is(err, ErrResetInvalid) {
			t.Fatalf("check after use: %v", err)
		}
	})
	t.Run("Expired", func(t *testing.T) {
		if err := f.svc.RequestReset(f.ctx, "ana@school.test", "en"); err != nil {
			t.Fatal(err)
		}
		tok := tokenOf(t, f.mailer.last(t, "ana@school.test"))
		now = now.Add(ResetTTL + time.Second)
		if _, err := f.svc.ResetPassword(f.ctx, tok, "late password", "192.0.2.1"); !errors.Is(err, ErrResetInvalid) {
			t.Fatalf("expired: err = %v", err)
		}
		if _, err := f.svc.SignIn(f.ctx, "ana@school.test", "late password", "192.0.2.1"); !errors.Is(err, ErrInvalidCredentials) {
			t.Fatal("an expired link changed the password")
		}
	})
	t.Run("NoMailer", func(t *testing.T) {
		// Without a mailer no link could be sent: the service is not built at all, rather than failing each reset.
		var none *recordingMailer
		for _, m := range []Mailer{nil, none} {
			if _, err := NewService(f.pool, audit.New(f.pool), f.contacts, m, "https://school.test"); err == nil ||
				!strings.Contains(err.Error(), "mailer is required") {
				t.Fatalf("NewService without a mailer: err = %v, want one naming the mailer", err)
			}
		}
		if _, err := NewService(f.pool, audit.New(f.pool), nil, f.mailer, "https://school.test"); err == nil ||
			!strings.Contains(err.Error(), "contacts is required") {
			t.Fatalf("NewService without contacts: err = %v, want one naming contacts", err)
		}
	})
}

func TestRateLimiter(t *testing.T) {
	t.Parallel()
	pool := dbtest.New(t)
	r := NewRateLimiter(pool)
	now := time.Now()
	r.now = func() time.Time { return now }
	l := Limit{Max: 3, Window: time.Minute}
	for i := range 3 {
		if ok, err := r.Allow(context.Background(), "signup", "192.0.2.1", l); err != nil || !ok {
			t.Fatalf("event %d: %v %v", i+1, ok, err)
		}
	}
	if ok, _ := r.Allow(context.Background(), "signup", "192.0.2.1", l); ok {
		t.Fatal("fourth event allowed")
	}
	if ok, _ := r.Allow(context.Background(), "signup", "192.0.2.2", l); !ok {
		t.Fatal("another address refused")
	}
	if ok, _ := r.Allow(context.Background(), "login", "192.0.2.1", l); !ok {
		t.Fatal("another bucket refused")
	}
	now = now.Add(time.Minute + time.Second)
	if ok, _ := r.Allow(context.Background(), "signup", "192.0.2.1", l); !ok {
		t.Fatal("refused after the window")
	}
}
