package notify_test

import (
	"crypto/tls"
	"errors"
	"io"
	"log"
	"net"
	"sync"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// received is one message accepted by the test SMTP server.
type received struct {
	From string
	To   []string
	Data string
}

// mailbox is a real SMTP server on 127.0.0.1 (emersion/go-smtp) that records what it accepts and can refuse on
// demand: the next tempFails DATA commands get a 451, every RCPT gets a 550 while rejectRcpt is set.
type mailbox struct {
	URL string
	ch  chan received

	mu         sync.Mutex
	msgs       []received
	tempFails  int
	rejectRcpt bool
	user, pass string // when set, MAIL requires AUTH PLAIN with these
}

func startSMTP(t *testing.T) *mailbox { return startSMTPAuth(t, nil, "", "") }

// startSMTPAuth starts a server offering STARTTLS with tlsConf (when not nil) that accepts mail only after
// AUTH PLAIN as user with pass (when user is set).
func startSMTPAuth(t *testing.T, tlsConf *tls.Config, user, pass string) *mailbox {
	t.Helper()
	mb := &mailbox{ch: make(chan received, 32), user: user, pass: pass}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{mb: mb}, nil }))
	srv.Domain = "localhost"
	srv.TLSConfig = tlsConf
	srv.ErrorLog = log.New(io.Discard, "", 0)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	mb.URL = "smtp://" + ln.Addr().String()
	return mb
}

func (mb *mailbox) failNext(n int) {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	mb.tempFails = n
}

func (mb *mailbox) setRejectRcpt(v bool) {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	mb.rejectRcpt = v
}

func (mb *mailbox) messages() []received {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	return append([]received(nil), mb.msgs...)
}

type session struct {
	mb     *mailbox
	authed bool
	from   string
	to     []string
}

func (s *session) AuthMechanisms() []string {
	if s.mb.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != s.mb.user || pass != s.mb.pass {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "bad credentials"}
		}
		s.authed = true
		return nil
	}), nil
}

func (s *session) Reset()        { s.from, s.to = "", nil }
func (s *session) Logout() error { return nil }

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.mb.user != "" && !s.authed {
		return smtp.ErrAuthRequired
	}
	s.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.mb.mu.Lock()
	defer s.mb.mu.Unlock()
	if s.mb.rejectRcpt {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such mailbox"}
	}
	s.to = append(s.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.mb.mu.Lock()
	defer s.mb.mu.Unlock()
	if s.mb.tempFails > 0 {
		s.mb.tempFails--
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	m := received{From: s.from, To: s.to, Data: string(b)}
	s.mb.msgs = append(s.mb.msgs, m)
	select {
	case s.mb.ch <- m:
	default:
		return errors.New("test mailbox full")
	}
	return nil
}
