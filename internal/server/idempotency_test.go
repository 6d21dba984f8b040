package server

import (
	"crypto/sha256"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// TestIdempotencyKey runs the real middleware around a handler that counts its effects.
func TestIdempotencyKey(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	key := a.apiKey()
	var effects atomic.Int64
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	h := a.srv.requireAPIKey(a.srv.idempotent(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if strings.Contains(string(body), "slow") {
			entered <- struct{}{}
			<-release
		}
		if strings.Contains(string(body), "boom") {
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		}
		n := effects.Add(1)
		writeJSON(w, http.StatusCreated, map[string]any{"n": n, "body": string(body)})
	})))
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	post := func(idem, body string) (int, string, http.Header) {
		req, _ := http.NewRequest("POST", ts.URL+"/x", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		if idem != "" {
			req.Header.Set("Idempotency-Key", idem)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		raw, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(raw), res.Header
	}

	t.Run("ReplaysFirstResponse", func(t *testing.T) {
		st1, b1, _ := post("k1", `{"a":1}`)
		st2, b2, h2 := post("k1", `{"a":1}`)
		if st1 != 201 || st2 != 201 || b1 != b2 || h2.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("first %d %s, second %d %s", st1, b1, st2, b2)
		}
	})
	t.Run("OtherBodySameKey", func(t *testing.T) {
		st, _, _ := post("k1", `{"a":2}`)
		if st != http.StatusUnprocessableEntity {
			t.Fatalf("status %d", st)
		}
	})
	t.Run("ServerErrorReleasesKey", func(t *testing.T) {
		if st, _, _ := post("k2", `boom`); st != 500 {
			t.Fatalf("status %d", st)
		}
		if st, _, h := post("k2", `boom`); st != 500 || h.Get("Idempotent-Replayed") != "" {
			t.Fatalf("retry after 500: %d replayed=%q", st, h.Get("Idempotent-Replayed"))
		}
	})
	t.Run("ConcurrentRetriesOneEffect", func(t *testing.T) {
		before := effects.Load()
		var wg sync.WaitGroup
		codes := make(chan int, 8)
		wg.Add(1)
		go func() { defer wg.Done(); st, _, _ := post("k3", `slow`); codes <- st }()
		// Once the first request holds the key and runs, a retry is refused while it is in flight.
		<-entered
		if st, _, _ := post("k3", `slow`); st != http.StatusConflict {
			t.Errorf("retry in flight: %d, want 409", st)
		}
		close(release)
		wg.Wait()
		if got := <-codes; got != 201 {
			t.Fatalf("first request: %d", got)
		}
		if st, _, _ := post("k3", `slow`); st != 201 {
			t.Fatalf("replay: %d", st)
		}
		if effects.Load() != before+1 {
			t.Fatalf("effects %d, want %d", effects.Load(), before+1)
		}
	})
	t.Run("CrashedFirstRequestTakenOver", func(t *testing.T) {
		// A first request whose process died left its key claimed and unanswered three minutes ago.
		k, err := a.srv.staff.AuthenticateAPIKey(a.ctx(), key)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256([]byte("POST /x\n" + `{"a":5}`))
		if _, err := a.pool.Exec(a.ctx(), `INSERT INTO idempotency_keys (api_key_id, key, method, path, request_hash, created_at)
			VALUES ($1, 'k5', 'POST', '/x', $2, now() - interval '3 minutes')`, k.ID, sum[:]); err != nil {
			t.Fatal(err)
		}
		if st, _, _ := post("k5", `{"a":5}`); st != 201 {
			t.Fatalf("retry after a crash: %d, want the request to run", st)
		}
		// A different body never takes the key over.
		if st, _, _ := post("k5", `{"a":6}`); st != http.StatusUnprocessableEntity {
			t.Fatalf("other body: %d", st)
		}
	})
	t.Run("NoKeyNoReplay", func(t *testing.T) {
		before := effects.Load()
		post("", `{}`)
		post("", `{}`)
		if effects.Load() != before+2 {
			t.Fatal("requests without a key must each run")
		}
	})
}
