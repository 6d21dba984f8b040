package gateway_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/bursar/bursar/internal/gateway"
)

// TestExchange is the one "unavailable" rule every provider shares: a network error, a 5xx or a 429 wraps
// ErrUnavailable; any other answer comes back with its status; an answer past the limit is a plain error.
func TestExchange(t *testing.T) {
	cases := []struct {
		name        string
		status      int
		body        string
		unavailable bool
		err         string
	}{
		{"OK", http.StatusOK, `{"ok":true}`, false, ""},
		{"BadRequest", http.StatusBadRequest, `{"error":"x"}`, false, ""},
		{"ServerError", http.StatusInternalServerError, "", true, "HTTP 500"},
		{"BadGateway", http.StatusBadGateway, "<html>", true, "HTTP 502"},
		{"TooManyRequests", http.StatusTooManyRequests, "", true, "HTTP 429"},
		{"TooLarge", http.StatusOK, strings.Repeat("x", 65), false, "answer larger than 64 bytes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			}))
			defer srv.Close()
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL, nil)
			status, body, err := gateway.Exchange(gateway.NewHTTPClient(0, nil), req, 64)
			if got := errors.Is(err, gateway.ErrUnavailable); got != tc.unavailable {
				t.Fatalf("unavailable = %v, want %v (err %v)", got, tc.unavailable, err)
			}
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want it to say %q", err, tc.err)
				}
				return
			}
			if err != nil || status != tc.status || string(body) != tc.body {
				t.Fatalf("got %d %q %v, want %d %q", status, body, err, tc.status, tc.body)
			}
		})
	}
}

// TestExchangeUnreachable: a gateway that cannot be reached is unavailable, and so is a cut-off answer.
func TestExchangeUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if _, _, err := gateway.Exchange(gateway.NewHTTPClient(0, nil), req, 64); !errors.Is(err, gateway.ErrUnavailable) {
		t.Fatalf("closed server: err = %v, want ErrUnavailable", err)
	}
	if !gateway.Unreachable(cutOffErr(t)) {
		t.Fatal("a cut-off answer is not unreachable")
	}
}

// cutOffErr is the error of reading an answer that promises more bytes than it sends.
func cutOffErr(t *testing.T) error {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Length", "100")
		_, _ = w.Write([]byte("short"))
	}))
	defer srv.Close()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL, nil)
	_, _, err := gateway.Exchange(gateway.NewHTTPClient(0, nil), req, 1000)
	if !errors.Is(err, gateway.ErrUnavailable) {
		t.Fatalf("cut-off answer: err = %v, want ErrUnavailable", err)
	}
	return err
}

// TestProbe: the probe remembers a 5xx or a 429 that an SDK may report without its status.
func TestProbe(t *testing.T) {
	for _, tc := range []struct {
		status int
		failed bool
	}{{200, false}, {404, false}, {429, true}, {503, true}} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(tc.status) }))
		pr := &gateway.Probe{Base: http.DefaultTransport}
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL, nil)
		res, err := gateway.NewHTTPClient(0, pr).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = res.Body.Close()
		srv.Close()
		if pr.Failed() != tc.failed {
			t.Errorf("HTTP %d: Failed() = %v, want %v", tc.status, pr.Failed(), tc.failed)
		}
	}
}
