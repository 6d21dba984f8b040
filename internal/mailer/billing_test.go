package mailer_test

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
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/billing"
	"github.com/bursar/bursar/internal/crm"
	"github.com/bursar/bursar/internal/db/dbtest"
	"github.com/bursar/bursar/internal/jobs"
	"github.com/bursar/bursar/internal/mailer"
	"github.com/bursar/bursar/internal/money"
	"github.com/bursar/bursar/internal/notify"
	"github.com/bursar/bursar/internal/receiptdoc"
	"github.com/bursar/bursar/internal/settings"
)

const (
	payURL    = "https://pay.sol.test/pay/AAAAAAAAAAxR3m0aFh0b8WvQJk2rYl9e"
	signInURL = "https://pay.sol.test/account/welcome/wel-Ab9_kQ2mZx7LpR4sT0uVwY1cD3eF"
)

// billingEmail is e-mail kind about the second of three monthly parts of "Guitar", due 1 March 2027 in Madrid,
// suspended unpaid from 8 March.
func billingEmail(kind billing.EmailKind, lang string) billing.Email {
	madrid, _ := time.LoadLocation("Europe/Madrid")
	due := time.Date(2027, 3, 1, 0, 0, 0, 0, madrid)
	e := billing.Email{Kind: kind, To: "Ana@Example.test", Language: lang, DedupKey: "billing:test:" + string(kind) + ":" + lang,
		Enrollment: billing.Enrollment{ID: 5, Kind: billing.KindInstallments, Title: "Guitar <b>2</b>",
			Schedule: billing.Schedule{First: due.AddDate(0, -1, 0), Every: 1, Unit: billing.Month, Periods: 3, Location: madrid}},
		Receipt: billing.Receipt{ID: 9, Number: "R-2027-000123", Title: "Guitar <b>2</b>", Period: 1,
			Amount: money.New(4990, "EUR"), Paid: 1000, DueAt: due, GraceUntil: due.AddDate(0, 0, 8), PeriodStart: due,
			PeriodEnd: due.AddDate(0, 1, 0), Status: billing.ReceiptPartiallyPaid, PayURL: payURL}}
	switch kind {
	case billing.EmailWelcome:
		e.Receipt, e.SignInURL = billing.Receipt{}, signInURL
	case billing.EmailResumed:
		e.Receipt = billing.Receipt{}
	case billing.EmailPaid:
		e.Receipt.Paid, e.Receipt.Status, e.Receipt.PayURL = 4990, billing.ReceiptPaid, ""
		e.Document = &billing.Document{School: settings.School{Name: "Escuela Sol", Timezone: "Europe/Madrid"},
			Payer: crm.Contact{ID: 1, Name: "Ana Ковальчук", Email: "ana@example.test"}, Learner: crm.Contact{ID: 1},
			Enrollment: e.Enrollment, Receipt: e.Receipt, Language: lang,
			Payments: []billing.Payment{{Method: billing.MethodOrder, Amount: money.New(4990, "EUR"), PaidOn: due}}}
	}
	return e
}

// TestBillingEmails: every billing e-mail in every language is enqueued once per dedup key, about its receipt (or
// enrollment), with the school's dates and amounts, its links masked in the outbox, and the paid one with its PDF.
func TestBillingEmails(t *testing.T) {
	t.Parallel()
	e := madridEnv(t)
	madrid, _ := time.LoadLocation("Europe/Madrid")
	for _, lang := range receiptdoc.Languages {
		for _, kind := range []billing.EmailKind{billing.EmailIssued, billing.EmailDueSoon, billing.EmailDueToday,
			billing.EmailOverdue, billing.EmailPaid, billing.EmailWelcome, billing.EmailSuspended, billing.EmailResumed} {
			t.Run(lang+"/"+string(kind), func(t *testing.T) {
				em := billingEmail(kind, lang)
				for range 2 {
					e.inTx(t, func(tx pgx.Tx) error { return e.mailer.BillingEmailTx(context.Background(), tx, em) })
				}
				if n := e.count(t, em.DedupKey); n != 1 {
					t.Fatalf("%d outbox rows, want 1", n)
				}
				m, err := e.notify.ByDedupKey(context.Background(), em.DedupKey)
				if err != nil {
					t.Fatal(err)
				}
				if m.To != "ana@example.test" || m.Language != lang || strings.Contains(m.Subject, "{") {
					t.Fatalf("message %+v", m)
				}
				wantRelated := "receipt"
				if kind == billing.EmailWelcome || kind == billing.EmailResumed {
					wantRelated = "enrollment"
				}
				if m.RelatedType != wantRelated {
					t.Errorf("about %s %d", m.RelatedType, m.RelatedID)
				}
				if strings.Contains(m.Text+m.HTML, "AAAAAAAAAAxR3m0aFh0b8WvQJk2rYl9e") || strings.Contains(m.Text+m.HTML, "wel-Ab9_kQ2mZx7LpR4sT0uVwY1cD3eF") {
					t.Fatalf("the outbox shows a payment or sign-in link:\n%s", m.Text)
				}
				secret := kind != billing.EmailPaid && kind != billing.EmailResumed
				if strings.Contains(m.Text, notify.SecretMask) != secret {
					t.Errorf("masked link %v, want %v:\n%s", !secret, secret, m.Text)
				}
				if !secret && !strings.Contains(m.Text, "https://pay.sol.test/account\n") {
					t.Errorf("no link to the cabinet:\n%s", m.Text)
				}
				if strings.Contains(m.HTML, "<b>2</b>") || !strings.Contains(m.Text, "Guitar <b>2</b>") {
					t.Errorf("the title is not escaped in HTML or missing in the text")
				}
				if kind != billing.EmailWelcome && kind != billing.EmailResumed && !strings.Contains(m.Text, "R-2027-000123") {
					t.Errorf("text lacks the receipt's number:\n%s", m.Text)
				}
				switch kind {
				case billing.EmailIssued, billing.EmailDueSoon, billing.EmailDueToday, billing.EmailOverdue:
					// Due at midnight in Madrid, 23:00 UTC the day before: the school's day is the 1st.
					if want := receiptdoc.Date(lang, time.Date(2027, 3, 1, 12, 0, 0, 0, time.UTC), time.UTC); !strings.Contains(m.Text, want) {
						t.Errorf("text lacks the due date %q:\n%s", want, m.Text)
					}
				}
				if kind == billing.EmailOverdue {
					// Suspended from 9 March (local midnight): the last day to pay is the 8th.
					if want := receiptdoc.Date(lang, time.Date(2027, 3, 8, 12, 0, 0, 0, madrid), madrid); !strings.Contains(m.Text, want) {
						t.Errorf("overdue text lacks the grace's last day %q:\n%s", want, m.Text)
					}
				}
				if got := len(m.Attachments); (got == 1) != (kind == billing.EmailPaid) {
					t.Fatalf("%d attachments", got)
				}
				if kind == billing.EmailPaid && (m.Attachments[0].Filename != "R-2027-000123.pdf" || m.Attachments[0].ContentType != "application/pdf" || m.Attachments[0].Size < 1000) {
					t.Errorf("attachment %+v", m.Attachments[0])
				}
			})
		}
	}
}

// madridEnv is newEnv with a school in Madrid.
func madridEnv(t *testing.T) env {
	t.Helper()
	pool := dbtest.New(t)
	n := notify.NewService(pool)
	st := settings.NewService(pool, audit.New(pool))
	if _, err := st.Update(context.Background(), settings.School{Name: "Escuela <Sol>", Timezone: "Europe/Madrid"}); err != nil {
		t.Fatal(err)
	}
	return env{pool: pool, notify: n, mailer: mailer.New(n, st, "https://pay.sol.test/")}
}

// TestBillingPaidDelivered: the paid e-mail reaches a real SMTP server with the receipt's PDF as an attachment
// named after its number, and the issued one with its payment link that the outbox hides.
func TestBillingPaidDelivered(t *testing.T) {
	t.Parallel()
	pool := dbtest.New(t)
	ib := startInbox(t)
	n := notify.NewService(pool)
	st := settings.NewService(pool, audit.New(pool))
	if _, err := st.Update(context.Background(), settings.School{Name: "Escuela Sol", Timezone: "Europe/Madrid"}); err != nil {
		t.Fatal(err)
	}
	m := mailer.New(n, st, "https://pay.sol.test")
	sender, err := notify.NewSMTP(ib.url, "school@sol.test")
	if err != nil {
		t.Fatal(err)
	}
	lg := slog.New(slog.DiscardHandler)
	jc, err := jobs.New(pool, lg, jobs.Config{FetchPollInterval: 20 * time.Millisecond}, notify.NewWorker(pool, sender, lg))
	if err != nil {
		t.Fatal(err)
	}
	if err := jc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = jc.Stop(ctx)
	})
	paid := billingEmail(billing.EmailPaid, "ru")
	if err := pgx.BeginFunc(context.Background(), pool, func(tx pgx.Tx) error { return m.BillingEmailTx(context.Background(), tx, paid) }); err != nil {
		t.Fatal(err)
	}
	want, err := receiptdoc.PDF(*paid.Document)
	if err != nil {
		t.Fatal(err)
	}
	msg := ib.next(t)
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/mixed" {
		t.Fatalf("Content-Type %q", msg.Header.Get("Content-Type"))
	}
	var pdf []byte
	var body string
	r := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := r.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(p)
		disp, dp, _ := mime.ParseMediaType(p.Header.Get("Content-Disposition"))
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		if disp == "attachment" {
			if dp["filename"] != "R-2027-000123.pdf" || ct != "application/pdf" {
				t.Errorf("attachment headers %v", p.Header)
			}
			if pdf, err = base64.StdEncoding.DecodeString(strings.NewReplacer("\r", "", "\n", "").Replace(string(raw))); err != nil {
				t.Fatal(err)
			}
		} else {
			body += string(raw)
		}
	}
	if !bytes.Equal(pdf, want) || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("the attachment is not the receipt's PDF (%d bytes, want %d)", len(pdf), len(want))
	}
	if !strings.Contains(body, "multipart/alternative") && !strings.Contains(body, "text/plain") {
		t.Errorf("no text part:\n%s", body)
	}

	issued := billingEmail(billing.EmailIssued, "es")
	if err := pgx.BeginFunc(context.Background(), pool, func(tx pgx.Tx) error { return m.BillingEmailTx(context.Background(), tx, issued) }); err != nil {
		t.Fatal(err)
	}
	msg = ib.next(t)
	raw, _ := io.ReadAll(msg.Body)
	if !strings.Contains(string(raw), "AAAAAAAAAAxR3m0aFh0b8WvQJk2rYl9e") && !strings.Contains(decodeQP(string(raw)), payURL) {
		t.Errorf("the payer did not get the payment link:\n%s", raw)
	}
}

// decodeQP undoes quoted-printable soft line breaks, enough to find a URL in a body.
func decodeQP(s string) string {
	return strings.NewReplacer("=\r\n", "", "=\n", "", "=3D", "=").Replace(s)
}

// inbox is a real SMTP server (emersion/go-smtp) on 127.0.0.1 that hands each message it accepts to ch.
type inbox struct {
	url string
	ch  chan []byte
}

func startInbox(t *testing.T) *inbox {
	t.Helper()
	ib := &inbox{ch: make(chan []byte, 8)}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return inboxSession{ib}, nil }))
	srv.Domain = "localhost"
	srv.ErrorLog = log.New(io.Discard, "", 0)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	ib.url = "smtp://" + ln.Addr().String()
	return ib
}

// next waits for the next message.
func (ib *inbox) next(t *testing.T) *mail.Message {
	t.Helper()
	select {
	case raw := <-ib.ch:
		m, err := mail.ReadMessage(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		return m
	case <-time.After(15 * time.Second):
		t.Fatal("no e-mail arrived within 15 s")
	}
	return nil
}

type inboxSession struct{ ib *inbox }

func (inboxSession) Mail(string, *smtp.MailOptions) error { return nil }
func (inboxSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (inboxSession) Reset()                               {}
func (inboxSession) Logout() error                        { return nil }
func (s inboxSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.ib.ch <- b
	return nil
}
