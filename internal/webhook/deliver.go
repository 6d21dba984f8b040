package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/riverqueue/river"

	"github.com/bursar/bursar/internal/webhook/webhookq"
)

// DeliverArgs is the River job that makes one try of a delivery (and, failing, the next ones by River's retries).
type DeliverArgs struct {
	DeliveryID int64 `json:"delivery_id"`
	// Until is when retries stop (unix seconds): GiveUpAfter after the event. A resend has none: it tries once.
	Until int64 `json:"until,omitempty"`
	// Resend marks a try a person asked for: made whatever the delivery's status and the endpoint's enabled.
	Resend bool `json:"resend,omitempty"`
}

// Kind names the job in River's table.
func (DeliverArgs) Kind() string { return "webhook.deliver" }

// maxAttempts is far above what GiveUpAfter allows with Backoff (about 13 tries): the deadline ends the retries.
const maxAttempts = 25

// InsertOpts are the job's defaults.
func (DeliverArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: maxAttempts} }

// Backoff is the wait after the n-th failed try (n from 1): 5 s, 5 min, 30 min, 2 h, 5 h, then 10 h, as the
// Standard Webhooks specification suggests; the last try comes at GiveUpAfter after the event.
var Backoff = []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour}

func backoff(attempt int) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	return Backoff[min(attempt, len(Backoff))-1]
}

// Worker delivers webhooks (River's webhook.deliver).
type Worker struct {
	river.WorkerDefaults[DeliverArgs]
	s *Service
}

// Worker returns the delivery worker.
func (s *Service) Worker() *Worker { return &Worker{s: s} }

// Register adds the worker to River's registry (internal/jobs calls it).
func (w *Worker) Register(ws *river.Workers) error { return river.AddWorkerSafely(ws, w) }

// Timeout bounds a try with its recording: the HTTP timeout and a margin.
func (w *Worker) Timeout(*river.Job[DeliverArgs]) time.Duration {
	return w.s.cfg.Timeout + 30*time.Second
}

// NextRetry is the next try after a failed one: Backoff by the job's attempt, from the service's clock, and never
// later than the job's Until (the last try is at the deadline).
func (w *Worker) NextRetry(job *river.Job[DeliverArgs]) time.Time {
	return w.s.nextTry(job.Attempt, job.Args.Until)
}

func (s *Service) nextTry(attempt int, until int64) time.Time {
	next := s.clock().Add(backoff(attempt))
	if until > 0 {
		if u := time.Unix(until, 0).UTC(); next.After(u) {
			next = u
		}
	}
	return next
}

// Work makes one try of the delivery and records it. A delivery gone (its endpoint deleted), no longer pending or
// whose endpoint is disabled is left alone, unless the job is a resend. A failed try returns its error so River
// tries again at NextRetry, until the deadline: then the delivery is failed. Every failure extends the endpoint's
// run of failures; a run of GiveUpAfter disables it (see record).
func (w *Worker) Work(ctx context.Context, job *river.Job[DeliverArgs]) error {
	s := w.s
	d, err := webhookq.New(s.db).DeliveryForWork(ctx, job.Args.DeliveryID)
	if err != nil {
		if errors.Is(notFound(err), ErrNotFound) {
			return nil
		}
		return err
	}
	if !job.Args.Resend && (d.Status != StatusPending || (!d.Enabled && d.Type != string(TestEvent))) {
		return nil
	}
	res := s.try(ctx, d)
	// The deadline is the job's Until (the one NextRetry aims the last try at), else GiveUpAfter after the event.
	deadline := d.EventAt.Add(GiveUpAfter)
	if job.Args.Until > 0 {
		deadline = time.Unix(job.Args.Until, 0)
	}
	final := !job.Args.Resend && (job.Attempt >= job.MaxAttempts || !s.clock().Before(deadline))
	var next *time.Time
	if !res.ok() && !final && !job.Args.Resend {
		t := s.nextTry(job.Attempt, job.Args.Until)
		next = &t
	}
	if err := s.record(ctx, d, res, final, next); err != nil {
		return err
	}
	if res.ok() || final || job.Args.Resend {
		return nil
	}
	return fmt.Errorf("webhook delivery %d: %s", d.ID, res.describe())
}

// result is one try's outcome.
type result struct {
	At       time.Time
	Status   int
	Err      string
	Body     string
	Duration time.Duration
}

func (r result) ok() bool { return r.Err == "" && r.Status >= 200 && r.Status < 300 }

func (r result) describe() string {
	switch {
	case r.Err != "" && r.Status != 0:
		return fmt.Sprintf("HTTP %d: %s", r.Status, r.Err)
	case r.Err != "":
		return r.Err
	default:
		return fmt.Sprintf("HTTP %d", r.Status)
	}
}

// try POSTs the delivery's stored body to its endpoint, signed with every active secret, and reads at most
// MaxResponseBody of the answer.
func (s *Service) try(ctx context.Context, d webhookq.DeliveryForWorkRow) result {
	now := s.clock()
	res := result{At: now}
	secrets, err := s.activeSecrets(d.EndpointID, d.SecretSealed, d.PreviousSecretSealed, d.PreviousUntil, now)
	if err != nil {
		res.Err = "secret: " + err.Error()
		return res
	}
	ts := now.Unix()
	sig, err := signatures(secrets, d.MsgID, ts, d.Payload)
	if err != nil {
		res.Err = err.Error()
		return res
	}
	if !s.cfg.AllowPrivate && !strings.HasPrefix(d.Url, "https://") {
		res.Err = "refused: the URL is not https"
		return res
	}
	rctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, d.Url, bytes.NewReader(d.Payload))
	if err != nil {
		res.Err = err.Error()
		return res
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Bursar-Webhooks")
	req.Header.Set("webhook-id", d.MsgID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("webhook-signature", sig)
	start := time.Now()
	resp, err := s.client.Do(req)
	if err != nil {
		res.Duration = time.Since(start)
		res.Err = tryError(err, s.cfg.Timeout)
		return res
	}
	defer resp.Body.Close() //nolint:errcheck
	body, rerr := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBody))
	res.Duration = time.Since(start)
	res.Status, res.Body = resp.StatusCode, validUTF8(body)
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		res.Err = errRedirect.Error()
		if loc := resp.Header.Get("Location"); loc != "" {
			res.Err += " (Location: " + truncate(loc, 200) + ")"
		}
	case rerr != nil && resp.StatusCode >= 200 && resp.StatusCode < 300:
		// The answer's status counts; a body cut short does not fail the delivery.
	}
	return res
}

// tryError is a failed request's note for the log: a refused address, a timeout, or the network error.
func tryError(err error, timeout time.Duration) string {
	var refused *RefusedAddressError
	if errors.As(err, &refused) {
		return refused.Error()
	}
	if errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "Client.Timeout") {
		return fmt.Sprintf("timeout: no answer within %s", timeout)
	}
	return truncate(err.Error(), 500)
}

func validUTF8(b []byte) string {
	return strings.ToValidUTF8(strings.ReplaceAll(string(b), "\x00", ""), "\uFFFD")
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// activeSecrets opens the endpoint's current secret and, until its overlap ends, the previous one.
func (s *Service) activeSecrets(id int64, current, previous []byte, until *time.Time, now time.Time) ([]string, error) {
	cur, err := s.box.Open(current, secretAD(id))
	if err != nil {
		return nil, fmt.Errorf("open the secret of endpoint %d: %w", id, err)
	}
	out := []string{string(cur)}
	if previous != nil && until != nil && now.Before(*until) {
		prev, err := s.box.Open(previous, secretAD(id))
		if err != nil {
			return nil, fmt.Errorf("open the previous secret of endpoint %d: %w", id, err)
		}
		out = append(out, string(prev))
	}
	return out, nil
}
