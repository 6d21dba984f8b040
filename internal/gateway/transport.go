package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"time"
)

// The transport every provider shares: one client shape (a timeout covering the answer's reading), one bounded
// read of an answer, and one rule for "unavailable" — a network error, a timeout, a 5xx or a 429 wraps
// ErrUnavailable (retry later); any other answer is the provider's to judge.

// DefaultTimeout bounds each HTTP request to a provider, reading the answer included, when its options set none.
const DefaultTimeout = 15 * time.Second

// NewHTTPClient returns the client a provider calls its gateway with: timeout bounds each request, reading the
// answer included (DefaultTimeout when 0 or less); tr carries the requests (a clone of http.DefaultTransport when
// nil).
func NewHTTPClient(timeout time.Duration, tr http.RoundTripper) *http.Client {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	if tr == nil {
		tr = http.DefaultTransport.(*http.Transport).Clone()
	}
	return &http.Client{Timeout: timeout, Transport: tr}
}

// UnavailableStatus reports whether an HTTP status means "try again later": a 5xx or a 429.
func UnavailableStatus(code int) bool {
	return code >= 500 || code == http.StatusTooManyRequests
}

// Unreachable reports whether err is a failure to reach a gateway or to read its whole answer: a network error,
// a timeout, a cancelled request or a cut-off answer.
func Unreachable(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) ||
		errors.Is(err, io.ErrUnexpectedEOF)
}

// Exchange sends req with c and reads the answer's body, at most limit bytes. A network error, a timeout, a 5xx
// or a 429 wraps ErrUnavailable; an answer larger than limit is a plain error. Any other answer is returned with
// its status, for the provider to judge.
func Exchange(c *http.Client, req *http.Request, limit int) (status int, body []byte, err error) {
	res, err := c.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, int64(limit)+1))
	if err != nil {
		return 0, nil, fmt.Errorf("reading the answer: %w: %w", ErrUnavailable, err)
	}
	if UnavailableStatus(res.StatusCode) {
		return 0, nil, fmt.Errorf("HTTP %d: %w", res.StatusCode, ErrUnavailable)
	}
	if len(raw) > limit {
		return 0, nil, fmt.Errorf("HTTP %d, answer larger than %d bytes", res.StatusCode, limit)
	}
	return res.StatusCode, raw, nil
}

// Probe is an http.RoundTripper over Base that remembers whether any exchange failed at the network or answered
// "unavailable", for SDKs (stripe-go, plutov/paypal) that report an unparsable 5xx body as a bare error without
// its status. One Probe serves one operation.
type Probe struct {
	Base   http.RoundTripper
	failed atomic.Bool
}

// RoundTrip implements http.RoundTripper.
func (p *Probe) RoundTrip(r *http.Request) (*http.Response, error) {
	res, err := p.Base.RoundTrip(r)
	if err != nil || UnavailableStatus(res.StatusCode) {
		p.failed.Store(true)
	}
	return res, err
}

// Failed reports whether any exchange through p failed at the network or answered a 5xx or a 429.
func (p *Probe) Failed() bool { return p.failed.Load() }
