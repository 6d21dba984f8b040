package notify_test

import (
	"context"
	"io"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"testing"

	"github.com/riverqueue/river"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/notify"
)

// secretEmail is an e-mail carrying a single-use link, in the text and the HTML, marked secret with its token.
func secretEmail(key, link string) notify.Email {
	token := link[strings.LastIndexByte(link, '/')+1:]
	return notify.Email{DedupKey: key, To: "ann@example.test", Subject: "Reset your password",
		Text:    "Open " + link + " within the hour.\n",
		HTML:    `<p><a href="` + link + `">Reset</a></p>`,
		Secrets: []string{link, token}}
}

// TestSecretsNeverShown: the outbox (Message, ByDedupKey, List) shows a mask in place of the link, the SMTP server
// gets the link itself, and once it is sent nothing in the stored row holds the token.
func TestSecretsNeverShown(t *testing.T) {
	t.Parallel()
	mb := startSMTP(t)
	e := newEnv(t, mb.URL)
	const token = "Zq3_xR8-kLmN0pQrStUvWxYz12345678abcdEFGHijk"
	link := "https://school.test/account/reset/" + token
	e.enqueue(secretEmail("reset:1", link))
	got := waitMail(t, mb)
	m := e.byKey("reset:1")
	if kind := e.waitJob(m.ID); kind != river.EventKindJobCompleted {
		t.Fatalf("job ended with %s", kind)
	}

	msg, err := mail.ReadMessage(strings.NewReader(got.Data))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(msg.Body)
	body, _ := io.ReadAll(quotedprintable.NewReader(strings.NewReader(string(raw))))
	if !strings.Contains(string(body), "Open "+link+" within") || !strings.Contains(string(body), `href="`+link+`"`) {
		t.Fatalf("the sent e-mail lacks the link:\n%s", body)
	}

	shown := []notify.Message{e.byKey("reset:1")}
	if m, err := e.svc.Message(context.Background(), m.ID); err == nil {
		shown = append(shown, m)
	} else {
		t.Fatal(err)
	}
	page, err := e.svc.List(context.Background(), notify.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	shown = append(shown, page.Messages...)
	for _, s := range shown {
		if strings.Contains(s.Text+s.HTML, token) || !strings.Contains(s.Text, "Open "+notify.SecretMask+" within") ||
			!strings.Contains(s.HTML, `href="`+notify.SecretMask+`"`) {
			t.Fatalf("the outbox shows:\n%s\n%s", s.Text, s.HTML)
		}
	}
	var row string
	if err := e.pool.QueryRow(context.Background(), `SELECT row_to_json(o)::text FROM outbound_emails o WHERE id = $1`, m.ID).Scan(&row); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(row, token) || !strings.Contains(row, `"secrets":[]`) {
		t.Fatalf("the sent row still holds the token: %s", row)
	}
}

// TestSecretsLogged: without SMTP the e-mail is logged and its secrets forgotten all the same.
func TestSecretsLogged(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "")
	const token = "Lg3_xR8-kLmN0pQrStUvWxYz12345678abcdEFGHijk"
	e.enqueue(secretEmail("welcome:1", "https://school.test/account/welcome/"+token))
	m := e.byKey("welcome:1")
	if kind := e.waitJob(m.ID); kind != river.EventKindJobCompleted {
		t.Fatalf("job ended with %s", kind)
	}
	if n := e.count(`SELECT count(*) FROM outbound_emails WHERE id = $1 AND status = 'logged' AND secrets = '{}'
		AND strpos(text_body || html_body, $2) = 0`, m.ID, token); n != 1 {
		t.Fatal("the logged row still holds the token")
	}
}

func TestSecretsBadInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "")
	tests := []struct {
		name    string
		secrets []string
	}{
		{"Short", []string{"abc"}},
		{"Empty", []string{""}},
		{"TooMany", strings.Split(strings.Repeat("a-long-enough-secret,", notify.MaxSecrets+1), ",")[:notify.MaxSecrets+1]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			em := secretEmail("bad:"+tt.name, "https://school.test/account/reset/Zq3_xR8-kLmN0pQrStUvWxYz1234")
			em.Secrets = tt.secrets
			err := e.svc.Enqueue(context.Background(), em)
			if f, ok := check.AsErrors(err); !ok || f["secrets"] == "" {
				t.Fatalf("err = %v, want a message on secrets", err)
			}
		})
	}
	if n := e.count(`SELECT count(*) FROM outbound_emails`); n != 0 {
		t.Fatalf("%d e-mails stored from bad input", n)
	}
}
