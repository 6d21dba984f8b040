package notify_test

import (
	"context"
	"fmt"
	"net/mail"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/bursar/bursar/internal/notify"
)

// crashAfterSend is the real SMTP sender with the process "dying" once right after the server accepted an e-mail:
// the worker never records the outcome, as after a SIGKILL between DATA and the commit of "sent". (A panic in a
// worker leaves the job to River's retry, as the rescuer does with a killed process's job.)
type crashAfterSend struct {
	*notify.SMTP
	crashed atomic.Bool
}

func (s *crashAfterSend) Send(ctx context.Context, m notify.Message) error {
	if err := s.SMTP.Send(ctx, m); err != nil {
		return err
	}
	if s.crashed.CompareAndSwap(false, true) {
		panic("killed after the SMTP server accepted the e-mail")
	}
	return nil
}

// messageID reads the Message-ID header of a received e-mail.
func messageID(t *testing.T, r received) string {
	t.Helper()
	msg, err := mail.ReadMessage(strings.NewReader(r.Data))
	if err != nil {
		t.Fatal(err)
	}
	return msg.Header.Get("Message-Id")
}

// TestResendAfterCrashSameMessageID: an attempt that finds its e-mail still sending (maybe sent by an attempt that
// died) sends it again with the Message-ID stored before the first attempt, and the outbox counts one resend. A
// row once sent is never sent again, whatever job runs for it.
func TestResendAfterCrashSameMessageID(t *testing.T) {
	t.Parallel()
	mb := startSMTP(t)
	smtp, err := notify.NewSMTP(mb.URL, "Test School <school@school.test>")
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvSender(t, &crashAfterSend{SMTP: smtp})
	e.enqueue(testEmail(t, "test:crash", "ann@example.test"))
	first := waitMail(t, mb)
	m := e.byKey("test:crash")
	if kind := e.waitJob(m.ID); kind != river.EventKindJobCompleted {
		t.Fatalf("job ended with %s", kind)
	}
	second := waitMail(t, mb)
	m = e.byKey("test:crash")
	if m.Status != notify.StatusSent || m.Attempts != 2 || m.Resends != 1 {
		t.Fatalf("row = %s after %d attempts, %d resends; want sent after 2 attempts, 1 resend", m.Status, m.Attempts, m.Resends)
	}
	if !strings.HasPrefix(m.MessageID, fmt.Sprintf("bursar.%d.", m.ID)) || !strings.HasSuffix(m.MessageID, "@school.test") {
		t.Fatalf("stored Message-ID %q, want bursar.%d.<random>@school.test", m.MessageID, m.ID)
	}
	want := "<" + m.MessageID + ">"
	if a, b := messageID(t, first), messageID(t, second); a != want || b != want {
		t.Fatalf("Message-IDs %q then %q, want both %q", a, b, want)
	}

	// The job again (a duplicate, or a rescue of a job that had in fact finished): the sent row stays sent.
	job := &river.Job[notify.EmailArgs]{JobRow: &rivertype.JobRow{ID: 1 << 40, Attempt: 3, MaxAttempts: notify.MaxAttempts,
		State: rivertype.JobStateRunning}, Args: notify.EmailArgs{EmailID: m.ID}}
	if err := e.worker.Work(context.Background(), job); err != nil {
		t.Fatalf("Work: %v", err)
	}
	if n := len(mb.messages()); n != 2 {
		t.Fatalf("server received %d messages, want 2 (the original and one resend)", n)
	}
	if got := e.byKey("test:crash"); got.Status != notify.StatusSent || got.Attempts != 2 || got.Resends != 1 {
		t.Fatalf("sent row changed: %s, %d attempts, %d resends", got.Status, got.Attempts, got.Resends)
	}
}

// TestResendOfRowTriedBeforeMessageIDsWereStored: a row left sending by a crash before message_id existed (the
// upgrade) is resent with the Message-ID its first attempt used then: bursar.<id>.<created, Unix seconds>@domain.
func TestResendOfRowTriedBeforeMessageIDsWereStored(t *testing.T) {
	t.Parallel()
	mb := startSMTP(t)
	e := newEnv(t, mb.URL)
	ctx := context.Background()
	// The job becomes visible only at commit, after the row looks like an interrupted old attempt.
	err := pgx.BeginFunc(ctx, e.pool, func(tx pgx.Tx) error {
		if err := e.svc.EnqueueTx(ctx, tx, testEmail(t, "test:legacy", "ann@example.test")); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE outbound_emails SET status = 'sending', attempts = 1 WHERE dedup_key = 'test:legacy'`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	got := waitMail(t, mb)
	m := e.byKey("test:legacy")
	e.waitJob(m.ID)
	m = e.byKey("test:legacy")
	legacy := fmt.Sprintf("bursar.%d.%d@school.test", m.ID, m.CreatedAt.Unix())
	if m.MessageID != legacy || messageID(t, got) != "<"+legacy+">" {
		t.Fatalf("Message-ID stored %q, sent %q; want %q", m.MessageID, messageID(t, got), legacy)
	}
	if m.Status != notify.StatusSent || m.Attempts != 2 || m.Resends != 1 {
		t.Fatalf("row = %s after %d attempts, %d resends; want sent after 2, 1 resend", m.Status, m.Attempts, m.Resends)
	}
}
