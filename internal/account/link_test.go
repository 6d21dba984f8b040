package account

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/audit"
)

// welcomeToken makes a welcome link for contact id and returns its token.
func (f fixture) welcomeToken(t *testing.T, id int64) string {
	t.Helper()
	var link string
	err := pgx.BeginFunc(f.ctx, f.pool, func(tx pgx.Tx) error {
		var err error
		link, err = f.svc.WelcomeLinkTx(f.ctx, tx, id, 0)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return link[strings.LastIndexByte(link, '/')+1:]
}

// TestTokenPurpose: a welcome token is unknown to the reset route and a reset token to the welcome route; neither
// is spent there, and each still works on its own route.
func TestTokenPurpose(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a := f.signUp(t, "ana@school.test")
	welcome := f.welcomeToken(t, a.ContactID)
	if err := f.svc.RequestReset(f.ctx, "ana@school.test", "en"); err != nil {
		t.Fatal(err)
	}
	reset := tokenOf(t, f.mailer.last(t, "ana@school.test"))

	if err := f.svc.CheckReset(f.ctx, welcome); !errors.Is(err, ErrResetInvalid) {
		t.Errorf("CheckReset(welcome token) = %v, want ErrResetInvalid", err)
	}
	if _, err := f.svc.ResetPassword(f.ctx, welcome, "a brand new password", "192.0.2.9"); !errors.Is(err, ErrResetInvalid) {
		t.Errorf("ResetPassword(welcome token) = %v, want ErrResetInvalid", err)
	}
	if _, err := f.svc.CheckWelcome(f.ctx, reset); !errors.Is(err, ErrResetInvalid) {
		t.Errorf("CheckWelcome(reset token) = %v, want ErrResetInvalid", err)
	}
	if _, err := f.svc.UseWelcome(f.ctx, reset, "192.0.2.9", WelcomeInput{}); !errors.Is(err, ErrResetInvalid) {
		t.Errorf("UseWelcome(reset token) = %v, want ErrResetInvalid", err)
	}
	if _, err := f.svc.SignIn(f.ctx, "ana@school.test", "a brand new password", "192.0.2.1"); !errors.Is(err, ErrInvalidCredentials) {
		t.Fatal("a welcome token changed the password on the reset route")
	}
	if n := f.count(t, "SELECT count(*) FROM password_resets WHERE used_at IS NOT NULL"); n != 0 {
		t.Fatalf("%d tokens spent on the wrong route", n)
	}
	if _, err := f.svc.UseWelcome(f.ctx, welcome, "192.0.2.9", WelcomeInput{}); err != nil {
		t.Errorf("the welcome token on its own route: %v", err)
	}
	if _, err := f.svc.ResetPassword(f.ctx, reset, "a brand new password", "192.0.2.9"); err != nil {
		t.Errorf("the reset token on its own route: %v", err)
	}
}

// TestLinkActor: what is done with a single-use link is recorded under the link, with the contact and the client's
// address, whoever the caller's context names.
func TestLinkActor(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a := f.signUp(t, "ana@school.test")
	if err := f.svc.RequestReset(f.ctx, "ana@school.test", "en"); err != nil {
		t.Fatal(err)
	}
	student := audit.WithActor(context.Background(), audit.Actor{Type: audit.ActorSystem, Label: "student ana@school.test"})
	if _, err := f.svc.ResetPassword(student, tokenOf(t, f.mailer.last(t, "ana@school.test")), "a brand new password", "192.0.2.9"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.UseWelcome(student, f.welcomeToken(t, a.ContactID), "192.0.2.10", WelcomeInput{}); err != nil {
		t.Fatal(err)
	}
	entries, err := audit.New(f.pool).List(f.ctx, audit.Filter{Entity: "contact"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct{ label, client string }{
		"account.password_reset":  {ActorResetLink, "192.0.2.9"},
		"account.welcome_sign_in": {ActorWelcomeLink, "192.0.2.10"},
	}
	for _, e := range entries {
		w, ok := want[e.Action]
		if !ok {
			continue
		}
		delete(want, e.Action)
		if e.Actor.Type != audit.ActorSystem || e.Actor.Label != w.label || e.Details["client"] != w.client ||
			e.Details["contact_id"] != float64(a.ContactID) {
			t.Errorf("%s: actor %+v, details %v; want %s from %s", e.Action, e.Actor, e.Details, w.label, w.client)
		}
	}
	if len(want) != 0 {
		t.Fatalf("no audit entries for %v", want)
	}
	if n := f.count(t, "SELECT count(*) FROM contact_events WHERE actor LIKE 'student%'"); n != 0 {
		t.Errorf("%d timeline events name the student", n)
	}
}

// TestWelcomeLinksTx: a batch's links are one per contact, in order, distinct, and each opens its contact's welcome.
func TestWelcomeLinksTx(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ids := []int64{f.signUp(t, "ana@school.test").ContactID, f.signUp(t, "bea@school.test").ContactID}
	var links []string
	err := pgx.BeginFunc(f.ctx, f.pool, func(tx pgx.Tx) error {
		var err error
		links, err = f.svc.WelcomeLinksTx(f.ctx, tx, ids, 0)
		return err
	})
	if err != nil || len(links) != 2 || links[0] == links[1] {
		t.Fatalf("links %v, %v", links, err)
	}
	for i, link := range links {
		if !strings.Contains(link, WelcomePath) {
			t.Fatalf("link %q", link)
		}
		w, err := f.svc.CheckWelcome(f.ctx, link[strings.LastIndexByte(link, '/')+1:])
		if err != nil || w.ContactID != ids[i] || !w.HasAccount {
			t.Fatalf("link %d opens %+v, %v", i, w, err)
		}
	}
}
