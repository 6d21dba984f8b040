// Package load drives HTTP endpoints on loopback with a closed loop of concurrent workers for a bounded time and
// summarizes what it measured: requests per second and latency percentiles. cmd/bursar-load uses it to measure
// the real binary against a bare handler (docs/PERFORMANCE.md).
package load

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"
)

// ErrExhausted is returned by a request function that has nothing left to send (every prepared order used): its
// worker stops, and the run ends when every worker has stopped or the time is up.
var ErrExhausted = errors.New("load: nothing left to send")

// Stats is what one or more runs measured.
type Stats struct {
	Requests  int           // requests answered as expected
	Elapsed   time.Duration // wall time of the run(s)
	Latencies []time.Duration
	Exhausted bool // the run ended before its time because the requests ran out
}

// Run calls do from workers concurrent goroutines, each sending its next request as soon as the previous one is
// answered, until d has passed, ctx ends, or every worker's do returned ErrExhausted. Each call's duration is
// recorded. Any other error from do ends the run and is returned with what was measured until then.
func Run(ctx context.Context, d time.Duration, workers int, do func(context.Context) error) (Stats, error) {
	if workers < 1 || d <= 0 {
		return Stats{}, fmt.Errorf("load: %d workers for %s: want at least one worker and a positive duration", workers, d)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		firstErr  error
		exhausted int
		all       = make([][]time.Duration, workers)
	)
	start := time.Now()
	deadline := start.Add(d)
	for i := range workers {
		wg.Go(func() {
			lat := make([]time.Duration, 0, 4096)
			defer func() { all[i] = lat }()
			for ctx.Err() == nil {
				t0 := time.Now()
				if !t0.Before(deadline) {
					return
				}
				err := do(ctx)
				if errors.Is(err, ErrExhausted) {
					mu.Lock()
					exhausted++
					mu.Unlock()
					return
				}
				if err != nil {
					if ctx.Err() != nil && errors.Is(err, context.Canceled) {
						return // the run was stopped while this request was under way
					}
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					cancel()
					return
				}
				lat = append(lat, time.Since(t0))
			}
		})
	}
	wg.Wait()
	s := Stats{Elapsed: time.Since(start), Exhausted: exhausted == workers}
	for _, l := range all {
		s.Latencies = append(s.Latencies, l...)
	}
	s.Requests = len(s.Latencies)
	slices.Sort(s.Latencies)
	return s, firstErr
}

// Merge adds runs together: their requests, their elapsed times and their latencies (sorted).
func Merge(runs ...Stats) Stats {
	var m Stats
	for _, r := range runs {
		m.Requests += r.Requests
		m.Elapsed += r.Elapsed
		m.Latencies = append(m.Latencies, r.Latencies...)
		m.Exhausted = m.Exhausted || r.Exhausted
	}
	slices.Sort(m.Latencies)
	return m
}

// Rate is requests per second.
func (s Stats) Rate() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Requests) / s.Elapsed.Seconds()
}

// Percentile is the nearest-rank p-th percentile (0 < p ≤ 100) of the latencies, which must be sorted (Run and
// Merge sort them): the smallest latency that at least p % of the requests did not exceed. 0 when there are none.
func (s Stats) Percentile(p float64) time.Duration {
	return Percentile(s.Latencies, p)
}

// Percentile is the nearest-rank p-th percentile of sorted.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 || p <= 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

// Median is the median of xs (the mean of the middle two for an even count); 0 for none.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// String is one line: requests, rate and the percentiles.
func (s Stats) String() string {
	return fmt.Sprintf("%7d req in %5.1fs  %8.0f req/s  p50 %s  p95 %s  p99 %s  max %s", s.Requests,
		s.Elapsed.Seconds(), s.Rate(), millis(s.Percentile(50)), millis(s.Percentile(95)), millis(s.Percentile(99)),
		millis(s.Percentile(100)))
}

func millis(d time.Duration) string {
	return fmt.Sprintf("%7.2fms", float64(d)/float64(time.Millisecond))
}
