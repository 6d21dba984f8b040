package load

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync/atomic"
	"testing"
	"time"
)

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

func TestPercentile(t *testing.T) {
	t.Parallel()
	ten := []time.Duration{ms(1), ms(2), ms(3), ms(4), ms(5), ms(6), ms(7), ms(8), ms(9), ms(10)}
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = ms(i + 1)
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"Empty", nil, 50, 0},
		{"One", []time.Duration{ms(7)}, 99, ms(7)},
		{"MedianOfTen", ten, 50, ms(5)}, // nearest rank: ceil(0.5 × 10) = 5th
		{"P95OfTen", ten, 95, ms(10)},   // ceil(9.5) = 10th
		{"P90OfTen", ten, 90, ms(9)},
		{"P99OfHundred", hundred, 99, ms(99)},
		{"P50OfHundred", hundred, 50, ms(50)},
		{"Max", hundred, 100, ms(100)},
		{"TinyP", hundred, 0.001, ms(1)},
		{"ZeroP", hundred, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Percentile(tt.sorted, tt.p); got != tt.want {
				t.Fatalf("Percentile(p%v) = %v, want %v", tt.p, got, tt.want)
			}
		})
	}
}

func TestMedian(t *testing.T) {
	t.Parallel()
	if got := Median([]float64{3, 1, 2}); got != 2 {
		t.Fatalf("odd: %v", got)
	}
	in := []float64{4, 1, 3, 2}
	if got := Median(in); got != 2.5 {
		t.Fatalf("even: %v", got)
	}
	if !slices.Equal(in, []float64{4, 1, 3, 2}) {
		t.Fatalf("Median reordered its input: %v", in)
	}
	if got := Median(nil); got != 0 {
		t.Fatalf("empty: %v", got)
	}
}

func TestMerge(t *testing.T) {
	t.Parallel()
	a := Stats{Requests: 2, Elapsed: time.Second, Latencies: []time.Duration{ms(1), ms(5)}}
	b := Stats{Requests: 1, Elapsed: time.Second, Latencies: []time.Duration{ms(3)}, Exhausted: true}
	m := Merge(a, b)
	if m.Requests != 3 || m.Elapsed != 2*time.Second || !m.Exhausted {
		t.Fatalf("merged %+v", m)
	}
	if !slices.Equal(m.Latencies, []time.Duration{ms(1), ms(3), ms(5)}) {
		t.Fatalf("latencies %v, want sorted", m.Latencies)
	}
	if m.Rate() != 1.5 {
		t.Fatalf("rate %v", m.Rate())
	}
}

func TestCheckLoopback(t *testing.T) {
	t.Parallel()
	tests := []struct {
		target string
		ok     bool
	}{
		{"127.0.0.1:8080", true},
		{"127.3.2.1:1", true},
		{"[::1]:8080", true},
		{"localhost:80", true},
		{"http://127.0.0.1:8080/o/curso", true},
		{"http://localhost:1/", true},
		{"10.0.0.1:8080", false},
		{"192.0.2.1:80", false},
		{"0.0.0.0:8080", false},
		{"[::]:8080", false},
		{"example.org:80", false},
		{"localhost.example.org:80", false},
		{"http://example.org/", false},
		{"https://127.0.0.1:443/", false}, // plain http only
		{"127.0.0.1", false},              // no port
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			err := CheckLoopback(tt.target)
			if (err == nil) != tt.ok {
				t.Fatalf("CheckLoopback(%q) = %v, want ok %v", tt.target, err, tt.ok)
			}
		})
	}
	if err := CheckLoopback("10.0.0.1:80"); !errors.Is(err, ErrNotLoopback) {
		t.Fatalf("refusal %v does not wrap ErrNotLoopback", err)
	}
}

// TestClientRefusesOtherHosts: the client dials nothing but loopback, and follows no redirect.
func TestClientRefusesOtherHosts(t *testing.T) {
	t.Parallel()
	c := NewClient(1)
	// 192.0.2.0/24 is TEST-NET-1: refused before any packet is sent.
	if _, err := c.Get("http://192.0.2.1:80/"); !errors.Is(err, ErrNotLoopback) {
		t.Fatalf("GET a TEST-NET address: %v, want ErrNotLoopback", err)
	}
	ts := httptest.NewServer(http.RedirectHandler("http://192.0.2.1/", http.StatusFound))
	t.Cleanup(ts.Close)
	res, err := c.Get(ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusFound {
		t.Fatalf("status %d: the redirect was followed", res.StatusCode)
	}
}

func TestRun(t *testing.T) {
	t.Parallel()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/fail" {
			http.Error(w, "no", http.StatusTeapot)
			return
		}
		_, _ = w.Write([]byte("ok"))
	}))
	t.Cleanup(ts.Close)
	c := NewClient(2)

	t.Run("OK", func(t *testing.T) {
		s, err := Run(t.Context(), 50*time.Millisecond, 2, Get(c, ts.URL+"/"))
		if err != nil {
			t.Fatal(err)
		}
		if s.Requests == 0 || s.Requests != len(s.Latencies) || s.Exhausted || s.Elapsed <= 0 {
			t.Fatalf("stats %d requests, %d latencies, exhausted %v, elapsed %v", s.Requests, len(s.Latencies), s.Exhausted, s.Elapsed)
		}
		if !slices.IsSorted(s.Latencies) {
			t.Fatal("latencies not sorted")
		}
	})
	t.Run("Exhausted", func(t *testing.T) {
		var left atomic.Int64
		left.Store(5)
		get := Get(c, ts.URL+"/")
		s, err := Run(t.Context(), time.Hour, 2, func(ctx context.Context) error {
			if left.Add(-1) < 0 {
				return ErrExhausted
			}
			return get(ctx)
		})
		if err != nil {
			t.Fatal(err)
		}
		if s.Requests != 5 || !s.Exhausted {
			t.Fatalf("%d requests, exhausted %v; want 5 and true", s.Requests, s.Exhausted)
		}
	})
	t.Run("ErrStatus", func(t *testing.T) {
		_, err := Run(t.Context(), time.Hour, 2, Get(c, ts.URL+"/fail"))
		if err == nil {
			t.Fatal("a 418 did not end the run with an error")
		}
	})
	t.Run("Cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if _, err := Run(ctx, time.Hour, 2, Get(c, ts.URL+"/")); err != nil {
			t.Fatalf("a cancelled run: %v", err)
		}
	})
	t.Run("BadArguments", func(t *testing.T) {
		if _, err := Run(t.Context(), time.Second, 0, Get(c, ts.URL+"/")); err == nil {
			t.Fatal("no workers accepted")
		}
		if _, err := Run(t.Context(), 0, 1, Get(c, ts.URL+"/")); err == nil {
			t.Fatal("no duration accepted")
		}
	})
}
