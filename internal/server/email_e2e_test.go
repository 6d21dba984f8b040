package server

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"log"
	"log/slog"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/riverqueue/river"

	"github.com/bursar/bursar/internal/jobs"
	"github.com/bursar/bursar/internal/notify"
)

// inboxMessage is one message a test SMTP server accepted, with the parts the tests read decoded.
type inboxMessage struct {
	EnvelopeFrom string
	EnvelopeTo   []string
	From         string
	To           string
	Subject      string // RFC 2047 decoded
	Language     string // Content-Language
	Text         string // the text/plain part, transfer encoding undone
	HTML         string // the text/html part, when there is one
}

// inbox is a real SMTP server (emersion/go-smtp) on 127.0.0.1 that hands every message it accepts to ch.
type inbox struct {
	URL string
	ch  chan []byte
	rcv chan inboxEnvelope
}

type inboxEnvelope struct {
	from string
	to   []string
}

// startInbox starts the server; it stops with the test.
func startInbox(t *testing.T) *inbox {
	t.Helper()
	ib := &inbox{ch: make(chan []byte, 16), rcv: make(chan inboxEnvelope, 16)}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &inboxSession{ib: ib}, nil }))
	srv.Domain = "localhost"
	srv.ErrorLog = log.New(io.Discard, "", 0)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	ib.URL = "smtp://" + ln.Addr().String()
	return ib
}

// next waits for the next message, failing the test after timeout.
func (ib *inbox) next(t *testing.T, timeout time.Duration) inboxMessage {
	t.Helper()
	select {
	case raw := <-ib.ch:
		env := <-ib.rcv
		m, err := parseInboxMessage(raw)
		if err != nil {
			t.Fatalf("parse e-mail: %v\n%s", err, raw)
		}
		m.EnvelopeFrom, m.EnvelopeTo = env.from, env.to
		return m
	case <-time.After(timeout):
		t.Fatalf("no e-mail arrived within %s", timeout)
		return inboxMessage{}
	}
}

// pending is how many accepted messages nobody has read yet.
func (ib *inbox) pending() int { return len(ib.ch) }

type inboxSession struct {
	ib   *inbox
	from string
	to   []string
}

func (s *inboxSession) Reset()        { s.from, s.to = "", nil }
func (s *inboxSession) Logout() error { return nil }

func (s *inboxSession) Mail(from string, _ *smtp.MailOptions) error {
	s.from = from
	return nil
}

func (s *inboxSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

func (s *inboxSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	select {
	case s.ib.ch <- b:
		s.ib.rcv <- inboxEnvelope{from: s.from, to: s.to}
		return nil
	default:
		return errors.New("test inbox full")
	}
}

// parseInboxMessage reads headers and the text and HTML parts of a MIME message with the standard library.
func parseInboxMessage(raw []byte) (inboxMessage, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return inboxMessage{}, err
	}
	dec := new(mime.WordDecoder)
	subject, err := dec.DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		return inboxMessage{}, err
	}
	m := inboxMessage{From: msg.Header.Get("From"), To: msg.Header.Get("To"), Subject: subject,
		Language: msg.Header.Get("Content-Language")}
	err = readParts(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body, &m)
	return m, err
}

// readParts fills in m's text and HTML from a body of type ctype, descending into multipart bodies.
func readParts(ctype, encoding string, body io.Reader, m *inboxMessage) error {
	mt, params, err := mime.ParseMediaType(ctype)
	if err != nil {
		return err
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextPart() // undoes quoted-printable itself
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			if err := readParts(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p, m); err != nil {
				return err
			}
		}
	}
	if strings.EqualFold(encoding, "base64") {
		body = base64.NewDecoder(base64.StdEncoding, body)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	switch mt {
	case "text/plain":
		m.Text = strings.ReplaceAll(string(b), "\r\n", "\n")
	case "text/html":
		m.HTML = string(b)
	}
	return nil
}

// startMailJobs runs River as `bursar serve` does with BURSAR_SMTP_URL set: the e-mail worker sending through
// smtpURL and the order deadline worker.
// It returns River's events of finished jobs.
func startMailJobs(t *testing.T, a *testApp, smtpURL string) <-chan *river.Event {
	t.Helper()
	lg := slog.New(slog.NewTextHandler(io.Discard, nil))
	sender, err := notify.NewSMTP(smtpURL, "Escuela <hola@school.test>")
	if err != nil {
		t.Fatal(err)
	}
	jc, err := jobs.New(a.pool, lg, jobs.Config{FetchPollInterval: 20 * time.Millisecond},
		notify.NewWorker(a.pool, sender, lg), a.app.Workers(nil).Deadline)
	if err != nil {
		t.Fatal(err)
	}
	events, cancel := jc.River().Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed, river.EventKindJobCancelled)
	t.Cleanup(cancel)
	if err := jc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = jc.Stop(ctx)
	})
	return events
}

// emailJobDone waits until River reports an e-mail job finished (the SMTP server has the message before the
// worker records it sent); a failed or cancelled job fails the test.
func emailJobDone(t *testing.T, events <-chan *river.Event) {
	t.Helper()
	deadline := time.After(mailWait)
	for {
		select {
		case ev := <-events:
			if ev.Job.Kind != (notify.EmailArgs{}).Kind() {
				continue
			}
			if ev.Kind != river.EventKindJobCompleted {
				t.Fatalf("e-mail job %d ended %s: %v", ev.Job.ID, ev.Kind, ev.Job.Errors)
			}
			return
		case <-deadline:
			t.Fatalf("no e-mail job finished within %s", mailWait)
		}
	}
}

// mailWait bounds every wait for an e-mail: generous for a loaded CI machine, never a sleep.
const mailWait = 20 * time.Second

// linkPath is the path (and query) of a link in an e-mail, which carries the configured base URL.
func linkPath(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil || u.Scheme+"://"+u.Host != "http://127.0.0.1" {
		t.Fatalf("link %q is not on the configured base URL", link)
	}
	return u.RequestURI()
}

// TestEmailThroughSMTP drives the F1/F3 flow over HTTP with River and a real SMTP server: the student's order
// received e-mail, the payment confirmed e-mail after approval (once, even when approved twice), and a password
// reset whose link works — each received by the SMTP server, in the offer's language.
func TestEmailThroughSMTP(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	ib := startInbox(t)
	events := startMailJobs(t, a, ib.URL)
	_, pay := a.checkoutFixture() // Spanish offer, manual system
	const student = "ana@school.test"

	// The student signs up on the offer's pay page and sends the manual payment form.
	c := a.client()
	res := a.postForm(c, "/account/signup", url.Values{"email": {student}, "password": {testPassword},
		"name": {"Ana"}, "field_city": {"Madrid"}, "offer": {"espanol-a1"}, "next": {pay}, "lang": {"es"},
		"form_token": {a.formToken(c, strings.Replace(pay, "/pay?", "/checkout?", 1))}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != pay {
		t.Fatalf("sign up: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	_, doc := a.get(c, pay)
	res = a.postForm(c, pay, url.Values{"form_token": {doc.Find("input[name=form_token]").AttrOr("value", "")},
		"paid_on": {doc.Find("#paid_on").AttrOr("value", "")}, "comment": {"1234"}})
	where := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(where, "/account/orders/") {
		t.Fatalf("pay: %d to %q", res.StatusCode, where)
	}
	number := strings.TrimPrefix(strings.Split(where, "?")[0], "/account/orders/")
	orderID := a.count("SELECT id FROM orders WHERE number = $1", number)

	t.Run("OrderReceived", func(t *testing.T) {
		m := ib.next(t, mailWait)
		emailJobDone(t, events)
		if len(m.EnvelopeTo) != 1 || m.EnvelopeTo[0] != student || !strings.Contains(m.To, student) {
			t.Errorf("to %q (envelope %q), want %s", m.To, m.EnvelopeTo, student)
		}
		if m.EnvelopeFrom != "hola@school.test" || !strings.Contains(m.From, "hola@school.test") {
			t.Errorf("from %q (envelope %q)", m.From, m.EnvelopeFrom)
		}
		if want := "Hemos recibido tu pedido " + number; m.Subject != want || m.Language != "es" {
			t.Errorf("subject %q (language %q), want %q in Spanish", m.Subject, m.Language, want)
		}
		link := "http://127.0.0.1/account/orders/" + number
		if !strings.Contains(m.Text, link) || !strings.Contains(m.HTML, link) {
			t.Fatalf("no link to %s in the e-mail:\n%s", link, m.Text)
		}
		res, doc := a.get(c, linkPath(t, link))
		if res.StatusCode != http.StatusOK || doc.Find("[data-testid=order-number]").Text() != number {
			t.Errorf("the order link: status %d, number %q", res.StatusCode, doc.Find("[data-testid=order-number]").Text())
		}
	})

	// The manager approves; approving again is a conflict that sends nothing.
	admin := a.owner()
	approve := "/admin/orders/" + itoa(int64(orderID)) + "/approve"
	if res := a.postForm(admin, approve, url.Values{}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("approve: status %d", res.StatusCode)
	}
	t.Run("PaymentConfirmed", func(t *testing.T) {
		m := ib.next(t, mailWait)
		emailJobDone(t, events)
		if len(m.EnvelopeTo) != 1 || m.EnvelopeTo[0] != student {
			t.Errorf("envelope to %q, want %s", m.EnvelopeTo, student)
		}
		if want := "Pago confirmado: pedido " + number; m.Subject != want || m.Language != "es" {
			t.Errorf("subject %q (language %q), want %q in Spanish", m.Subject, m.Language, want)
		}
		re := regexp.MustCompile(`http://127\.0\.0\.1/account\S*`)
		link := re.FindString(m.Text)
		if link == "" || strings.HasPrefix(link, "http://127.0.0.1/account/orders/") {
			t.Fatalf("no cabinet link in the e-mail:\n%s", m.Text)
		}
		res, doc := a.get(c, linkPath(t, link))
		if res.StatusCode != http.StatusOK || doc.Find("[data-testid=product-name]").Length() != 1 {
			t.Errorf("the cabinet link: status %d, %d products", res.StatusCode, doc.Find("[data-testid=product-name]").Length())
		}
	})
	if res := a.postForm(admin, approve, url.Values{}); res.StatusCode != http.StatusConflict {
		t.Fatalf("second approve: status %d, want 409", res.StatusCode)
	}
	t.Run("NothingMore", func(t *testing.T) {
		// Whatever the second approval could have queued would be an outbox row or an unfinished River job by now:
		// the 409 came back after its transaction ended.
		if n := a.count("SELECT count(*) FROM outbound_emails"); n != 2 {
			t.Errorf("%d e-mails in the outbox, want 2", n)
		}
		if n := a.count("SELECT count(*) FROM outbound_emails WHERE related_type = 'order' AND related_id = $1 AND status = $2 AND attempts = 1",
			orderID, string(notify.StatusSent)); n != 2 {
			t.Errorf("%d of the order's e-mails sent on the first attempt, want 2", n)
		}
		if n := a.count("SELECT count(*) FROM river_job WHERE kind = 'notify.email' AND state <> 'completed'"); n != 0 {
			t.Errorf("%d e-mail jobs not completed", n)
		}
		if n := ib.pending(); n != 0 {
			t.Errorf("%d unexpected e-mails at the SMTP server", n)
		}
	})

	t.Run("PasswordReset", func(t *testing.T) {
		guest := a.client()
		res, doc := a.postFormDoc(guest, "/account/reset", url.Values{"email": {student}, "lang": {"es"}})
		if res.StatusCode != http.StatusOK || doc.Find("[data-testid=reset-sent]").Length() != 1 {
			t.Fatalf("reset request: status %d", res.StatusCode)
		}
		m := ib.next(t, mailWait)
		emailJobDone(t, events)
		if len(m.EnvelopeTo) != 1 || m.EnvelopeTo[0] != student || m.Subject != "Restablece tu contraseña" || m.Language != "es" {
			t.Fatalf("reset e-mail to %q, subject %q, language %q", m.EnvelopeTo, m.Subject, m.Language)
		}
		link := regexp.MustCompile(`http://127\.0\.0\.1/account/reset/[A-Za-z0-9_-]+`).FindString(m.Text)
		if link == "" {
			t.Fatalf("no reset link in the e-mail:\n%s", m.Text)
		}
		path := linkPath(t, link)
		if res, doc := a.get(guest, path); res.StatusCode != http.StatusOK || doc.Find("[data-testid=new-password-form]").Length() != 1 {
			t.Fatalf("reset link: status %d", res.StatusCode)
		}
		if res := a.postForm(guest, path, url.Values{"password": {"a brand new password"}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("set the new password: status %d", res.StatusCode)
		}
		if res := a.postForm(a.client(), "/account/login", url.Values{"email": {student}, "password": {"a brand new password"}}); res.StatusCode != http.StatusSeeOther {
			t.Errorf("sign in with the new password: status %d", res.StatusCode)
		}
		if res := a.postForm(a.client(), "/account/login", url.Values{"email": {student}, "password": {testPassword}}); res.StatusCode != http.StatusUnauthorized {
			t.Errorf("sign in with the old password: status %d, want 401", res.StatusCode)
		}
		if n := a.count("SELECT count(*) FROM outbound_emails WHERE dedup_key LIKE 'password-reset:%' AND status = $1", string(notify.StatusSent)); n != 1 {
			t.Errorf("%d reset e-mails sent, want 1", n)
		}
		if n := ib.pending(); n != 0 {
			t.Errorf("%d unexpected e-mails at the SMTP server", n)
		}
	})
}
