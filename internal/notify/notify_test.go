package notify_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/db/dbtest"
	"github.com/bursar/bursar/internal/jobs"
	"github.com/bursar/bursar/internal/notify"
	"github.com/bursar/bursar/templates/email"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

const waitFor = 15 * time.Second

// quickRetry retries a failed job after 50 ms instead of River's attempt⁴ seconds.
type quickRetry struct{}

func (quickRetry) NextRetry(*rivertype.JobRow) time.Time {
	return time.Now().Add(50 * time.Millisecond)
}

// env is a fresh database, the outbox service and a running River client with the e-mail worker.
type env struct {
	t      *testing.T
	pool   *pgxpool.Pool
	svc    *notify.Service
	worker *notify.Worker
	events <-chan *river.Event
}

// newEnv starts the jobs client; smtpURL "" runs the worker without SMTP (e-mails are logged).
func newEnv(t *testing.T, smtpURL string) *env {
	t.Helper()
	if smtpURL == "" {
		return newEnvSender(t, nil)
	}
	s, err := notify.NewSMTP(smtpURL, "Test School <school@school.test>")
	if err != nil {
		t.Fatal(err)
	}
	return newEnvSender(t, s)
}

// newEnvSender starts the jobs client with sender (nil: e-mails are logged).
func newEnvSender(t *testing.T, sender notify.Sender) *env {
	t.Helper()
	pool := dbtest.New(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	w := notify.NewWorker(pool, sender, log)
	jc, err := jobs.New(pool, log, jobs.Config{FetchPollInterval: 20 * time.Millisecond, RetryPolicy: quickRetry{}}, w)
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
		if err := jc.Stop(ctx); err != nil {
			t.Errorf("stop jobs: %v", err)
		}
	})
	return &env{t: t, pool: pool, svc: notify.NewService(pool), worker: w, events: events}
}

// testEmail renders the example template for key.
func testEmail(t *testing.T, key, to string) notify.Email {
	t.Helper()
	r, err := email.Test(context.Background(), email.TestEmail{School: email.School{Name: "Test School", URL: "https://school.test"}, Lang: "en", Name: "Ann <b>"})
	if err != nil {
		t.Fatal(err)
	}
	return notify.Email{DedupKey: key, To: to, Subject: r.Subject + " " + key, Text: r.Text, HTML: r.HTML,
		Language: "en", RelatedType: "test", RelatedID: 7}
}

// enqueue adds e in a committed transaction.
func (e *env) enqueue(m notify.Email) {
	e.t.Helper()
	if err := e.svc.Enqueue(context.Background(), m); err != nil {
		e.t.Fatal(err)
	}
}

// waitJob waits for the e-mail job of outbox row id to end and returns the event's kind.
func (e *env) waitJob(id int64) river.EventKind {
	e.t.Helper()
	timeout := time.After(waitFor)
	for {
		select {
		case ev := <-e.events:
			var args notify.EmailArgs
			if ev.Job.Kind == (notify.EmailArgs{}).Kind() && jsonArgs(ev.Job, &args) && args.EmailID == id {
				if ev.Kind == river.EventKindJobFailed && ev.Job.State != rivertype.JobStateDiscarded {
					continue // an attempt failed, a retry follows
				}
				return ev.Kind
			}
		case <-timeout:
			e.t.Fatalf("job for e-mail %d did not end within %s", id, waitFor)
		}
	}
}

// waitMail waits for the next message the SMTP server accepts.
func waitMail(t *testing.T, mb *mailbox) received {
	t.Helper()
	select {
	case m := <-mb.ch:
		return m
	case <-time.After(waitFor):
		t.Fatalf("no e-mail arrived within %s", waitFor)
	}
	return received{}
}

func (e *env) byKey(key string) notify.Message {
	e.t.Helper()
	m, err := e.svc.ByDedupKey(context.Background(), key)
	if err != nil {
		e.t.Fatal(err)
	}
	return m
}

func (e *env) count(query string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.pool.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

func TestEnqueueDeliversOnce(t *testing.T) {
	t.Parallel()
	mb := startSMTP(t)
	e := newEnv(t, mb.URL)
	e.enqueue(testEmail(t, "test:1", "Ann@Example.test"))
	got := waitMail(t, mb)
	m := e.byKey("test:1")
	if kind := e.waitJob(m.ID); kind != river.EventKindJobCompleted {
		t.Fatalf("job ended with %s", kind)
	}
	m = e.byKey("test:1")
	if m.Status != notify.StatusSent || m.Attempts != 1 || m.SentAt.IsZero() || m.LastError != "" {
		t.Fatalf("row = %+v, want sent after 1 attempt", m)
	}
	if n := len(mb.messages()); n != 1 {
		t.Fatalf("server received %d messages, want 1", n)
	}
	if len(got.To) != 1 || got.To[0] != "ann@example.test" || got.From != "school@school.test" {
		t.Fatalf("envelope from %q to %v", got.From, got.To)
	}
	msg, err := mail.ReadMessage(strings.NewReader(got.Data))
	if err != nil {
		t.Fatal(err)
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if subject != "Test e-mail test:1" {
		t.Errorf("Subject = %q", subject)
	}
	if id := msg.Header.Get("Message-Id"); !strings.Contains(id, "bursar.") || !strings.HasSuffix(id, "@school.test>") {
		t.Errorf("Message-ID = %q, want the outbox's stable id", id)
	}
	ct := msg.Header.Get("Content-Type")
	if !strings.HasPrefix(ct, "multipart/alternative") {
		t.Fatalf("Content-Type = %q, want multipart/alternative", ct)
	}
	body, _ := io.ReadAll(msg.Body)
	for _, want := range []string{"text/plain", "text/html", "Hello Ann", "Ann &lt;b&gt;"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
}

// TestSMTPStartTLSAuth sends through a server that offers STARTTLS and requires AUTH PLAIN: the URL's credentials
// are used, and only after the connection is encrypted.
func TestSMTPStartTLSAuth(t *testing.T) {
	t.Parallel()
	// httptest's certificate is valid for 127.0.0.1; its client trusts it.
	hts := httptest.NewTLSServer(http.NotFoundHandler())
	t.Cleanup(hts.Close)
	serverTLS := &tls.Config{Certificates: hts.TLS.Certificates}
	clientTLS := hts.Client().Transport.(*http.Transport).TLSClientConfig
	mb := startSMTPAuth(t, serverTLS, "mailer", "p@ss word")
	url := "smtp://mailer:p%40ss%20word@" + strings.TrimPrefix(mb.URL, "smtp://")
	sender, err := notify.NewSMTP(url, "school@school.test")
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvSender(t, sender.WithTLSConfig(clientTLS))
	e.enqueue(testEmail(t, "test:auth", "ann@example.test"))
	waitMail(t, mb)
	m := e.byKey("test:auth")
	e.waitJob(m.ID)
	if m = e.byKey("test:auth"); m.Status != notify.StatusSent {
		t.Fatalf("row %s (%s), want sent", m.Status, m.LastError)
	}
}

func TestEnqueueRolledBackSendsNothing(t *testing.T) {
	t.Parallel()
	mb := startSMTP(t)
	e := newEnv(t, mb.URL)
	ctx := context.Background()
	errAbort := errors.New("abort")
	err := pgx.BeginFunc(ctx, e.pool, func(tx pgx.Tx) error {
		if err := e.svc.EnqueueTx(ctx, tx, testEmail(t, "test:rollback", "ann@example.test")); err != nil {
			return err
		}
		return errAbort
	})
	if !errors.Is(err, errAbort) {
		t.Fatalf("tx: %v", err)
	}
	// A committed e-mail after the rolled-back one: once it is delivered, the queue has been worked.
	e.enqueue(testEmail(t, "test:after", "bob@example.test"))
	got := waitMail(t, mb)
	e.waitJob(e.byKey("test:after").ID)
	if len(got.To) != 1 || got.To[0] != "bob@example.test" || len(mb.messages()) != 1 {
		t.Fatalf("received %+v, want only bob's e-mail", mb.messages())
	}
	if _, err := e.svc.ByDedupKey(ctx, "test:rollback"); !errors.Is(err, check.ErrNotFound) {
		t.Fatalf("rolled-back row: %v, want not found", err)
	}
	if n := e.count(`SELECT count(*) FROM river_job WHERE kind = 'notify.email'`); n != 1 {
		t.Fatalf("%d e-mail jobs, want 1", n)
	}
}

func TestEnqueueSameDedupKeyOnce(t *testing.T) {
	t.Parallel()
	mb := startSMTP(t)
	e := newEnv(t, mb.URL)
	ctx := context.Background()
	e.enqueue(testEmail(t, "order:1:completed", "ann@example.test"))
	// Again in another transaction, and twice inside one: still nothing new.
	e.enqueue(testEmail(t, "order:1:completed", "ann@example.test"))
	err := pgx.BeginFunc(ctx, e.pool, func(tx pgx.Tx) error {
		for range 2 {
			if err := e.svc.EnqueueTx(ctx, tx, testEmail(t, "order:1:completed", "other@example.test")); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	waitMail(t, mb)
	e.waitJob(e.byKey("order:1:completed").ID)
	if n := e.count(`SELECT count(*) FROM outbound_emails`); n != 1 {
		t.Fatalf("%d outbox rows, want 1", n)
	}
	if n := e.count(`SELECT count(*) FROM river_job WHERE kind = 'notify.email'`); n != 1 {
		t.Fatalf("%d e-mail jobs, want 1", n)
	}
	if msgs := mb.messages(); len(msgs) != 1 || msgs[0].To[0] != "ann@example.test" {
		t.Fatalf("received %+v, want one e-mail to ann", msgs)
	}
}

func TestRetryAfterRefusal(t *testing.T) {
	t.Parallel()
	mb := startSMTP(t)
	mb.failNext(1)
	e := newEnv(t, mb.URL)
	e.enqueue(testEmail(t, "test:retry", "ann@example.test"))
	waitMail(t, mb)
	m := e.byKey("test:retry")
	if kind := e.waitJob(m.ID); kind != river.EventKindJobCompleted {
		t.Fatalf("job ended with %s", kind)
	}
	m = e.byKey("test:retry")
	if m.Status != notify.StatusSent || m.Attempts != 2 {
		t.Fatalf("row = %s after %d attempts, want sent after 2", m.Status, m.Attempts)
	}
	if n := len(mb.messages()); n != 1 {
		t.Fatalf("server accepted %d messages, want 1", n)
	}
}

func TestFailedAfterLastAttempt(t *testing.T) {
	t.Parallel()
	mb := startSMTP(t)
	mb.failNext(notify.MaxAttempts)
	e := newEnv(t, mb.URL)
	e.enqueue(testEmail(t, "test:fail", "ann@example.test"))
	m := e.byKey("test:fail")
	if kind := e.waitJob(m.ID); kind != river.EventKindJobFailed {
		t.Fatalf("job ended with %s, want failed (discarded)", kind)
	}
	m = e.byKey("test:fail")
	if m.Status != notify.StatusFailed || m.Attempts != notify.MaxAttempts || !strings.Contains(m.LastError, "451") {
		t.Fatalf("row = %s, %d attempts, last error %q; want failed after %d with the 451", m.Status, m.Attempts, m.LastError, notify.MaxAttempts)
	}
	if n := len(mb.messages()); n != 0 {
		t.Fatalf("server accepted %d messages, want 0", n)
	}
}

func TestRefusedRecipientFailsAtOnce(t *testing.T) {
	t.Parallel()
	mb := startSMTP(t)
	mb.setRejectRcpt(true)
	e := newEnv(t, mb.URL)
	e.enqueue(testEmail(t, "test:550", "nobody@example.test"))
	m := e.byKey("test:550")
	if kind := e.waitJob(m.ID); kind != river.EventKindJobCancelled {
		t.Fatalf("job ended with %s, want cancelled", kind)
	}
	m = e.byKey("test:550")
	if m.Status != notify.StatusFailed || m.Attempts != 1 || !strings.Contains(m.LastError, "550") {
		t.Fatalf("row = %s, %d attempts, %q; want failed after 1 with the 550", m.Status, m.Attempts, m.LastError)
	}
}

func TestWithoutSMTPLogged(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "")
	e.enqueue(testEmail(t, "test:log", "ann@example.test"))
	m := e.byKey("test:log")
	if kind := e.waitJob(m.ID); kind != river.EventKindJobCompleted {
		t.Fatalf("job ended with %s", kind)
	}
	m = e.byKey("test:log")
	if m.Status != notify.StatusLogged || m.SentAt.IsZero() || m.Attempts != 1 {
		t.Fatalf("row = %+v, want logged", m)
	}
	page, err := e.svc.List(context.Background(), notify.Filter{Status: notify.StatusLogged})
	if err != nil || len(page.Messages) != 1 || page.Messages[0].ID != m.ID {
		t.Fatalf("List(logged) = %+v, %v", page, err)
	}
}

// TestWorkAlreadySentSendsNothing replays the job of a delivered e-mail, as River does after a crash between the
// commit of "sent" and the job's completion: nothing is sent again.
func TestWorkAlreadySentSendsNothing(t *testing.T) {
	t.Parallel()
	mb := startSMTP(t)
	e := newEnv(t, mb.URL)
	e.enqueue(testEmail(t, "test:replay", "ann@example.test"))
	waitMail(t, mb)
	m := e.byKey("test:replay")
	e.waitJob(m.ID)
	job := &river.Job[notify.EmailArgs]{JobRow: &rivertype.JobRow{ID: 1 << 40, Attempt: 2, MaxAttempts: notify.MaxAttempts,
		State: rivertype.JobStateRunning}, Args: notify.EmailArgs{EmailID: m.ID}}
	if err := e.worker.Work(context.Background(), job); err != nil {
		t.Fatalf("Work: %v", err)
	}
	if n := len(mb.messages()); n != 1 {
		t.Fatalf("server received %d messages, want 1", n)
	}
	if got := e.byKey("test:replay"); got.Attempts != 1 || got.Status != notify.StatusSent {
		t.Fatalf("row = %s after %d attempts, want untouched", got.Status, got.Attempts)
	}
}

func TestEnqueueBadInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "")
	ok := notify.Email{DedupKey: "k", To: "ann@example.test", Subject: "Hi", Text: "Hello"}
	tests := []struct {
		name  string
		edit  func(*notify.Email)
		field string
	}{
		{"EmptyKey", func(m *notify.Email) { m.DedupKey = " " }, "dedup_key"},
		{"LongKey", func(m *notify.Email) { m.DedupKey = strings.Repeat("k", notify.MaxDedupKey+1) }, "dedup_key"},
		{"EmptyTo", func(m *notify.Email) { m.To = "" }, "to"},
		{"BadTo", func(m *notify.Email) { m.To = "not an address" }, "to"},
		{"EmptySubject", func(m *notify.Email) { m.Subject = "" }, "subject"},
		{"HeaderInjection", func(m *notify.Email) { m.Subject = "Hi\r\nBcc: x@example.test" }, "subject"},
		{"LongSubject", func(m *notify.Email) { m.Subject = strings.Repeat("s", notify.MaxSubject+1) }, "subject"},
		{"EmptyText", func(m *notify.Email) { m.Text = "\n" }, "text"},
		{"LongHTML", func(m *notify.Email) { m.HTML = strings.Repeat("h", notify.MaxBody+1) }, "html"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := ok
			tt.edit(&m)
			err := e.svc.Enqueue(context.Background(), m)
			if errs, isErrs := check.AsErrors(err); !isErrs || errs[tt.field] == "" {
				t.Fatalf("err = %v, want a message on %q", err, tt.field)
			}
		})
	}
	if n := e.count(`SELECT count(*) FROM outbound_emails`); n != 0 {
		t.Fatalf("%d rows written by bad input", n)
	}
	if _, err := e.svc.List(context.Background(), notify.Filter{Status: "bogus"}); err == nil {
		t.Fatal("List with an unknown status: no error")
	}
	if _, err := e.svc.Message(context.Background(), 12345); !errors.Is(err, check.ErrNotFound) {
		t.Fatalf("Message(unknown) = %v, want not found", err)
	}
}

func jsonArgs(j *rivertype.JobRow, v *notify.EmailArgs) bool {
	return json.Unmarshal(j.EncodedArgs, v) == nil
}

func TestNewSMTPBadInput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, url, from string
	}{
		{"WrongScheme", "http://mail.example.test", "a@example.test"},
		{"NoHost", "smtp://", "a@example.test"},
		{"BadPort", "smtp://mail.example.test:99999", "a@example.test"},
		{"NotAURL", "::", "a@example.test"},
		{"BadFrom", "smtp://mail.example.test:587", "not an address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := notify.NewSMTP(tt.url, tt.from); err == nil {
				t.Fatalf("NewSMTP(%q, %q): no error", tt.url, tt.from)
			}
		})
	}
	for _, ok := range []string{"smtp://user:p%40ss@mail.example.test:2525", "smtps://mail.example.test", "smtp://127.0.0.1"} {
		if _, err := notify.NewSMTP(ok, "School <school@example.test>"); err != nil {
			t.Errorf("NewSMTP(%q): %v", ok, err)
		}
	}
}

// TestWorkerTimeout: the SMTP conversation is bounded by DefaultTimeout, or by a shorter rescue window given to
// WithTimeout (River waits for a job's own timeout before it rescues the job of a process that died).
func TestWorkerTimeout(t *testing.T) {
	t.Parallel()
	w := notify.NewWorker(nil, nil, slog.New(slog.DiscardHandler))
	if got := w.Timeout(nil); got != notify.DefaultTimeout {
		t.Errorf("default timeout %s, want %s", got, notify.DefaultTimeout)
	}
	if got := w.WithTimeout(15 * time.Second).Timeout(nil); got != 15*time.Second {
		t.Errorf("timeout %s, want 15s", got)
	}
	if got := w.WithTimeout(0).Timeout(nil); got != 15*time.Second {
		t.Errorf("a zero timeout changed it to %s", got)
	}
}

// TestEmailJobRow: the job EnqueueTx writes with its outbox row (one statement, no River insert) is the row River's
// own client writes for the same EmailArgs — kind, args, attempts, queue, state, priority, metadata, tags, a
// schedule of now — apart from the unique key (the outbox's dedup key makes one job per e-mail, so none is needed),
// and a second EnqueueTx with the same dedup key adds no job.
func TestEmailJobRow(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.New(t)
	ins, err := jobs.NewInserter(pool, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	svc := notify.NewService(pool)
	e := notify.Email{DedupKey: "test:job-row", To: "ana@example.com", Subject: "Hello", Text: "Hi"}
	for range 2 {
		if err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error { return svc.EnqueueTx(ctx, tx, e) }); err != nil {
			t.Fatal(err)
		}
	}
	var emailID int64
	if err := pool.QueryRow(ctx, `SELECT id FROM outbound_emails WHERE dedup_key = $1`, e.DedupKey).Scan(&emailID); err != nil {
		t.Fatal(err)
	}
	// River's own insert of the same job, beside it (its unique key aside, the rows must agree).
	if err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		_, err := ins.InsertTx(ctx, tx, notify.EmailArgs{EmailID: emailID}, &river.InsertOpts{UniqueOpts: river.UniqueOpts{}})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	rows, err := pool.Query(ctx, `
SELECT kind, args::text, max_attempts, queue, state::text, priority, metadata::text, tags::text, attempt,
       scheduled_at <= now() AND scheduled_at > now() - interval '1 minute', errors IS NULL, attempted_by IS NULL,
       unique_key IS NULL
FROM river_job WHERE kind = $1 ORDER BY id`, notify.EmailArgs{}.Kind())
	if err != nil {
		t.Fatal(err)
	}
	type jobRow struct {
		Kind, Args                   string
		MaxAttempts                  int16
		Queue, State                 string
		Priority                     int16
		Metadata, Tags               string
		Attempt                      int16
		ScheduledNow, NoErrors, NoBy bool
		NoUnique                     bool
	}
	got, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (jobRow, error) {
		var j jobRow
		err := r.Scan(&j.Kind, &j.Args, &j.MaxAttempts, &j.Queue, &j.State, &j.Priority, &j.Metadata, &j.Tags,
			&j.Attempt, &j.ScheduledNow, &j.NoErrors, &j.NoBy, &j.NoUnique)
		return j, err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("%d e-mail jobs, want the outbox's one and River's: %+v", len(got), got)
	}
	var ours, rivers map[string]any
	if json.Unmarshal([]byte(got[0].Args), &ours) != nil || json.Unmarshal([]byte(got[1].Args), &rivers) != nil ||
		ours["email_id"] != rivers["email_id"] || len(ours) != len(rivers) {
		t.Errorf("args %s, River's %s", got[0].Args, got[1].Args)
	}
	got[0].Args, got[1].Args = "", ""
	got[1].NoUnique = true // River's row may carry a unique key; ours never needs one
	if got[0] != got[1] {
		t.Errorf("the outbox's job row\n%+v\nRiver's\n%+v", got[0], got[1])
	}
	if got[0].MaxAttempts != notify.MaxAttempts || !got[0].NoUnique {
		t.Errorf("job row %+v: want %d attempts, no unique key", got[0], notify.MaxAttempts)
	}
}
