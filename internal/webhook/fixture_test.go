package webhook_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/db/dbtest"
	"github.com/bursar/bursar/internal/events"
	"github.com/bursar/bursar/internal/mailer"
	"github.com/bursar/bursar/internal/notify"
	"github.com/bursar/bursar/internal/settings"
	"github.com/bursar/bursar/internal/staff"
	"github.com/bursar/bursar/internal/webhook"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// clock is a test's clock: it moves only when the test moves it.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type fixture struct {
	pool  *pgxpool.Pool
	clock *clock
	svc   *webhook.Service
	al    *audit.Log
	// rendered counts Render's calls.
	mu       sync.Mutex
	rendered int
}

type option func(*webhook.Config)

func withTimeout(d time.Duration) option { return func(c *webhook.Config) { c.Timeout = d } }
func strict() option                     { return func(c *webhook.Config) { c.AllowPrivate = false } }

var testKey = []byte("0123456789abcdef0123456789abcdef")

// newFixture is a service on a fresh database whose clock starts now, allowing private addresses (the receivers are
// httptest servers on loopback) unless strict.
func newFixture(t *testing.T, opts ...option) *fixture {
	t.Helper()
	pool := dbtest.New(t)
	return newFixtureOn(t, pool, &clock{t: time.Now().UTC().Truncate(time.Second)}, opts...)
}

func newFixtureOn(t *testing.T, pool *pgxpool.Pool, c *clock, opts ...option) *fixture {
	t.Helper()
	f := &fixture{pool: pool, clock: c, al: audit.New(pool)}
	cfg := webhook.Config{SecretKey: testKey, AllowPrivate: true, Now: c.Now}
	for _, o := range opts {
		o(&cfg)
	}
	m := mailer.New(notify.NewService(pool), settings.NewService(pool, f.al), "https://school.example")
	svc, err := webhook.NewService(pool, f.al, cfg, webhook.Deps{Render: f.render, Owners: staff.NewService(pool, f.al),
		Mailer: m})
	if err != nil {
		t.Fatal(err)
	}
	f.svc = svc
	return f
}

func (f *fixture) render(_ context.Context, _ pgx.Tx, k events.Kind, id int64) (json.RawMessage, error) {
	f.mu.Lock()
	f.rendered++
	f.mu.Unlock()
	return json.RawMessage(fmt.Sprintf(`{"object":%q,"id":%d}`, k, id)), nil
}

// emit emits evs in a transaction of their own.
func (f *fixture) emit(t *testing.T, evs ...events.Event) {
	t.Helper()
	ctx := context.Background()
	if err := pgx.BeginFunc(ctx, f.pool, func(tx pgx.Tx) error { return f.svc.EmitTx(ctx, tx, evs...) }); err != nil {
		t.Fatal(err)
	}
}

// create makes an enabled endpoint on url for types and returns it with its secret.
func (f *fixture) create(t *testing.T, url string, types ...events.Type) (webhook.Endpoint, string) {
	t.Helper()
	e, sec, err := f.svc.Create(context.Background(), webhook.Input{URL: url, Types: types, Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	return e, sec
}

// jobRow is a webhook.deliver job in River's table.
type jobRow struct {
	id      int64
	args    webhook.DeliverArgs
	attempt int
	max     int
}

// work runs, in the test's goroutine, every webhook.deliver job River's table holds as available or retryable —
// as River's client would, the next try whatever its schedule (the test moves the clock instead) — once each, and
// marks each completed or retryable as River does, eight at a time; it returns how many it ran. No River client
// runs: the rounds of tries are the test's.
func (f *fixture) work(t *testing.T) int {
	t.Helper()
	ctx := context.Background()
	rows, err := f.pool.Query(ctx, `SELECT id, args, attempt, max_attempts FROM river_job
		WHERE kind = 'webhook.deliver' AND state IN ('available', 'retryable', 'scheduled') ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	var jobs []jobRow
	for rows.Next() {
		var j jobRow
		var raw []byte
		if err := rows.Scan(&j.id, &raw, &j.attempt, &j.max); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, &j.args); err != nil {
			t.Fatal(err)
		}
		jobs = append(jobs, j)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	w := f.svc.Worker()
	// Eight at a time, as a River client with several workers runs them.
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	errs := make(chan error, len(jobs))
	for _, j := range jobs {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			job := &river.Job[webhook.DeliverArgs]{JobRow: &rivertype.JobRow{ID: j.id, Attempt: j.attempt + 1,
				MaxAttempts: j.max, Kind: webhook.DeliverArgs{}.Kind()}, Args: j.args}
			err := w.Work(ctx, job)
			state := "completed"
			if err != nil {
				state = "retryable"
				if job.Attempt >= j.max {
					state = "discarded"
				}
			}
			if _, err := f.pool.Exec(ctx, `UPDATE river_job SET state = $2::river_job_state, attempt = attempt + 1,
				finalized_at = CASE WHEN $2 IN ('completed', 'discarded') THEN now() END WHERE id = $1`, j.id, state); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	return len(jobs)
}

// received is a delivery a receiver got, verified.
type received struct {
	id, ts string
	body   []byte
	sigs   []string
}

// receiver is an httptest server that verifies every request with the Standard Webhooks verification (verify) for
// the secrets it is given, and answers with answer.
type receiver struct {
	*httptest.Server
	mu      sync.Mutex
	secrets []string
	got     []received
	bad     []string // verification failures
	calls   int
	answer  func(n int, w http.ResponseWriter, r *http.Request)
	now     func() time.Time // the clock the timestamps are checked against
}

func newReceiver(t *testing.T, answer func(n int, w http.ResponseWriter, r *http.Request)) *receiver {
	rc := &receiver{answer: answer}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.calls++
		n := rc.calls
		secrets := rc.secrets
		now := time.Time{}
		if rc.now != nil {
			now = rc.now()
		}
		rc.mu.Unlock()
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" ||
			r.Header.Get("User-Agent") != "Bursar-Webhooks" {
			rc.fail(fmt.Sprintf("method %s, content type %q, user agent %q", r.Method, r.Header.Get("Content-Type"), r.Header.Get("User-Agent")))
		}
		if len(secrets) > 0 {
			if err := verify(secrets[0], r.Header, body, now); err != nil && !verifiesWithAny(secrets, r.Header, body, now) {
				rc.fail(err.Error())
			}
		}
		rc.mu.Lock()
		rc.got = append(rc.got, received{id: r.Header.Get("webhook-id"), ts: r.Header.Get("webhook-timestamp"), body: body,
			sigs: strings.Fields(r.Header.Get("webhook-signature"))})
		rc.mu.Unlock()
		if rc.answer != nil {
			rc.answer(n, w, r)
		}
	}))
	t.Cleanup(rc.Close)
	return rc
}

// snapshot returns what the receiver got so far, the verification failures and the number of calls.
func (rc *receiver) snapshot() ([]received, []string, int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...), append([]string(nil), rc.bad...), rc.calls
}

func (rc *receiver) fail(s string) {
	rc.mu.Lock()
	rc.bad = append(rc.bad, s)
	rc.mu.Unlock()
}

func (rc *receiver) setSecrets(s ...string) {
	rc.mu.Lock()
	rc.secrets = s
	rc.mu.Unlock()
}

func verifiesWithAny(secrets []string, h http.Header, body []byte, now time.Time) bool {
	for _, s := range secrets {
		if verify(s, h, body, now) == nil {
			return true
		}
	}
	return false
}

// verify is the Standard Webhooks verification, written from the specification: the three headers present, the
// timestamp within five minutes of now (the receiver's clock is the
// service's test clock; a zero now skips the check), and one of the space-separated "v1,<base64>" signatures equal (in constant time) to the
// base64 of HMAC-SHA256, keyed with the base64-decoded secret after "whsec_", of "<id>.<timestamp>.<body>".
func verify(secret string, h http.Header, body []byte, now time.Time) error {
	id, ts, sigs := h.Get("webhook-id"), h.Get("webhook-timestamp"), h.Get("webhook-signature")
	if id == "" || ts == "" || sigs == "" {
		return errors.New("missing webhook headers")
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("bad timestamp %q", ts)
	}
	if !now.IsZero() && (now.Sub(time.Unix(sec, 0)) > 5*time.Minute || time.Unix(sec, 0).Sub(now) > 5*time.Minute) {
		return fmt.Errorf("timestamp %s too far from now", ts)
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return err
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id + "." + ts + "." + string(body)))
	want := m.Sum(nil)
	for _, s := range strings.Fields(sigs) {
		v, b64, ok := strings.Cut(s, ",")
		if !ok || v != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(b64)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return errors.New("no valid signature")
}
