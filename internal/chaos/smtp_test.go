package chaos

import (
	"bytes"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// flakyInbox is a real SMTP server (emersion/go-smtp) on 127.0.0.1 that is slow (each DATA takes minDelay to
// maxDelay before its answer) and refuses a share of the messages with a temporary 451, as a busy relay does. It
// records every message it accepts by Message-ID and recipient.
type flakyInbox struct {
	URL string

	failRate           float64
	minDelay, maxDelay time.Duration

	mu       sync.Mutex
	rng      *rand.Rand
	byID     map[string]int             // Message-ID → times accepted
	byRcpt   map[string]map[string]bool // recipient → its distinct Message-IDs
	accepted int
	refused  int // 451s injected
	noID     int // accepted messages without a Message-ID
}

func startFlakyInbox(t *testing.T, seed uint64, failRate float64, minDelay, maxDelay time.Duration) *flakyInbox {
	t.Helper()
	ib := &flakyInbox{failRate: failRate, minDelay: minDelay, maxDelay: maxDelay,
		rng: rand.New(rand.NewPCG(seed, 0x5e7d)), byID: map[string]int{}, byRcpt: map[string]map[string]bool{}}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &flakySession{ib: ib}, nil }))
	srv.Domain = "localhost"
	srv.ErrorLog = log.New(io.Discard, "", 0)
	srv.ReadTimeout, srv.WriteTimeout = time.Minute, time.Minute
	srv.MaxMessageBytes = 1 << 20
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	ib.URL = "smtp://" + ln.Addr().String()
	return ib
}

// decide draws this DATA's delay and whether it is refused.
func (ib *flakyInbox) decide() (time.Duration, bool) {
	ib.mu.Lock()
	defer ib.mu.Unlock()
	d := ib.minDelay + time.Duration(ib.rng.Int64N(int64(ib.maxDelay-ib.minDelay)+1))
	return d, ib.rng.Float64() < ib.failRate
}

func (ib *flakyInbox) record(id string, to []string) {
	ib.mu.Lock()
	defer ib.mu.Unlock()
	ib.accepted++
	if id == "" {
		ib.noID++
		return
	}
	ib.byID[id]++
	for _, r := range to {
		r = strings.ToLower(r)
		if ib.byRcpt[r] == nil {
			ib.byRcpt[r] = map[string]bool{}
		}
		ib.byRcpt[r][id] = true
	}
}

// inboxCounts is what the SMTP server accepted.
type inboxCounts struct {
	Accepted   int // messages accepted, resends included
	Distinct   int // distinct Message-IDs
	Resends    int // accepted again with a Message-ID already accepted
	Refused    int // 451s injected
	NoID       int // accepted without a Message-ID
	Recipients int
	// Doubled lists recipients that received more than one distinct Message-ID.
	Doubled []string
}

func (ib *flakyInbox) counts() inboxCounts {
	ib.mu.Lock()
	defer ib.mu.Unlock()
	c := inboxCounts{Accepted: ib.accepted, Distinct: len(ib.byID), Refused: ib.refused, NoID: ib.noID,
		Recipients: len(ib.byRcpt)}
	for _, n := range ib.byID {
		c.Resends += n - 1
	}
	for r, ids := range ib.byRcpt {
		if len(ids) > 1 {
			c.Doubled = append(c.Doubled, r)
		}
	}
	return c
}

// has reports how many distinct Message-IDs reached rcpt.
func (ib *flakyInbox) has(rcpt string) int {
	ib.mu.Lock()
	defer ib.mu.Unlock()
	return len(ib.byRcpt[strings.ToLower(rcpt)])
}

type flakySession struct {
	ib *flakyInbox
	to []string
}

func (s *flakySession) Reset()                               { s.to = nil }
func (s *flakySession) Logout() error                        { return nil }
func (s *flakySession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *flakySession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

func (s *flakySession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	delay, refuse := s.ib.decide()
	// The server's own latency before it answers: the window in which a SIGKILLed sender leaves an e-mail that
	// was accepted but not recorded as sent.
	time.Sleep(delay)
	if refuse {
		s.ib.mu.Lock()
		s.ib.refused++
		s.ib.mu.Unlock()
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "chaos: try again later"}
	}
	id := ""
	if m, err := mail.ReadMessage(bytes.NewReader(raw)); err == nil {
		id = strings.TrimSpace(m.Header.Get("Message-Id"))
	}
	s.ib.record(id, s.to)
	return nil
}
