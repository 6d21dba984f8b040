package load

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// ErrNotLoopback is wrapped by CheckLoopback's refusals.
var ErrNotLoopback = errors.New("load: not on loopback (127.0.0.0/8, ::1, localhost)")

// LoopbackHost reports whether host (a name or an IP literal, without a port) is this machine's loopback:
// "localhost", 127.0.0.0/8 or ::1.
func LoopbackHost(host string) bool {
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// CheckLoopback returns an error unless target — "host:port", or an http:// URL — names a loopback host.
func CheckLoopback(target string) error {
	hostport := target
	if strings.Contains(target, "://") {
		u, err := url.Parse(target)
		if err != nil {
			return fmt.Errorf("load: target %q: %w", target, err)
		}
		if u.Scheme != "http" {
			return fmt.Errorf("load: target %q: only plain http on loopback", target)
		}
		hostport = u.Host
	}
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return fmt.Errorf("load: target %q: %w", target, err)
	}
	if !LoopbackHost(host) {
		return fmt.Errorf("target %q refused: %w", target, ErrNotLoopback)
	}
	return nil
}

// NewClient is the HTTP client every target is measured with: keep-alive with one idle connection per worker, no
// compression, no proxy, no redirects followed, and a dialer that refuses any address that is not loopback.
func NewClient(workers int) *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second}
	tr := &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if err := CheckLoopback(addr); err != nil {
				return nil, err
			}
			return d.DialContext(ctx, network, addr)
		},
		MaxIdleConns:        workers,
		MaxIdleConnsPerHost: workers,
		MaxConnsPerHost:     workers,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
	}
	return &http.Client{Transport: tr, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// Do sends req with c, reads the whole answer and returns an error unless its status is want.
func Do(c *http.Client, req *http.Request, want int) error {
	res, err := c.Do(req)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return err
	}
	if res.StatusCode != want {
		return fmt.Errorf("%s %s: status %d, want %d: %.300s", req.Method, req.URL.Path, res.StatusCode, want, body)
	}
	return nil
}

// Get returns a request function that GETs url and expects 200, reading the whole body.
func Get(c *http.Client, url string) func(context.Context) error {
	return func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		res, err := c.Do(req)
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if err == nil && res.StatusCode != http.StatusOK {
			err = fmt.Errorf("GET %s: status %d", req.URL.Path, res.StatusCode)
		}
		return err
	}
}
