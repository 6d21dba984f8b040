package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// SMTP sends e-mail through one SMTP server with go-mail: smtp:// with opportunistic STARTTLS, smtps:// with
// implicit TLS, authenticated only when the URL carries a user.
type SMTP struct {
	host     string
	port     int
	implicit bool // smtps://
	user     string
	pass     string
	from     string
	domain   string // of the From address, for Message-IDs
	timeout  time.Duration
	tls      *tls.Config // nil: the system's roots, ServerName from the URL
}

// NewSMTP reads rawURL (smtp://user:pass@host:port or smtps://…) and the From address (a bare address or
// "Name <address>").
func NewSMTP(rawURL, from string) (*SMTP, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
		return nil, errors.New("notify: SMTP URL must look like smtp://user:pass@host:port or smtps://…")
	}
	addr, err := mail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("notify: From address %q: %w", from, err)
	}
	s := &SMTP{host: u.Hostname(), implicit: u.Scheme == "smtps", from: from, timeout: 30 * time.Second}
	s.domain = addr.Address[strings.LastIndex(addr.Address, "@")+1:]
	s.port = 587
	if s.implicit {
		s.port = 465
	}
	if p := u.Port(); p != "" {
		if s.port, err = strconv.Atoi(p); err != nil || s.port < 1 || s.port > 65535 {
			return nil, fmt.Errorf("notify: SMTP port %q is not a port number", p)
		}
	}
	if u.User != nil {
		s.user = u.User.Username()
		s.pass, _ = u.User.Password()
	}
	return s, nil
}

// WithTLSConfig trusts the roots of c (a relay with a private CA) instead of the system's; it returns s.
func (s *SMTP) WithTLSConfig(c *tls.Config) *SMTP {
	s.tls = c.Clone()
	if s.tls.ServerName == "" {
		s.tls.ServerName = s.host
	}
	return s
}

// Domain is the right-hand side of the Message-IDs of its e-mails: the From address's domain.
func (s *SMTP) Domain() string { return s.domain }

// Send delivers m in one SMTP conversation, with m.MessageID (stored on the outbox row by the worker before the
// first attempt, so every attempt of one e-mail carries the same one).
func (s *SMTP) Send(ctx context.Context, m Message) error {
	msg, err := s.message(m)
	if err != nil {
		return err
	}
	opts := []gomail.Option{gomail.WithPort(s.port), gomail.WithTimeout(s.timeout)}
	if s.implicit {
		opts = append(opts, gomail.WithSSL())
	} else {
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	}
	if s.tls != nil {
		opts = append(opts, gomail.WithTLSConfig(s.tls))
	}
	if s.user != "" {
		// Auto-discovery never offers PLAIN or LOGIN over an unencrypted connection.
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(s.user), gomail.WithPassword(s.pass))
	}
	c, err := gomail.NewClient(s.host, opts...)
	if err != nil {
		return fmt.Errorf("smtp client: %w", err)
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("smtp %s:%d: %w", s.host, s.port, err)
	}
	return nil
}

func (s *SMTP) message(m Message) (*gomail.Msg, error) {
	msg := gomail.NewMsg()
	if err := msg.From(s.from); err != nil {
		return nil, fmt.Errorf("from: %w", err)
	}
	if err := msg.To(m.To); err != nil {
		return nil, permanent(fmt.Errorf("to %q: %w", m.To, err))
	}
	msg.Subject(m.Subject)
	if m.MessageID == "" {
		return nil, fmt.Errorf("e-mail %d has no Message-ID", m.ID)
	}
	msg.SetMessageIDWithValue(m.MessageID) // go-mail adds the angle brackets
	msg.SetDate()
	msg.SetGenHeader(gomail.HeaderContentLang, m.Language)
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	for _, a := range m.Attachments {
		if err := msg.AttachReader(a.Filename, bytes.NewReader(a.Data),
			gomail.WithFileContentType(gomail.ContentType(a.ContentType))); err != nil {
			return nil, permanent(fmt.Errorf("attach %q: %w", a.Filename, err))
		}
	}
	return msg, nil
}

// permanentError is a failure that retrying cannot fix (a malformed or refused recipient).
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

func permanent(err error) error { return permanentError{err} }

// isPermanent reports whether err cannot succeed on retry: ours, or a 5xx reply of the SMTP server.
func isPermanent(err error) bool {
	var pe permanentError
	if errors.As(err, &pe) {
		return true
	}
	var se *gomail.SendError
	return errors.As(err, &se) && se.ErrorCode() >= 500 && se.ErrorCode() < 600
}
