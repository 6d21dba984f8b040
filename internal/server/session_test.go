package server

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bursar/bursar/internal/db/dbtest"
)

// testClock is a clock tests move.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// A session is written when it changes and at most once per sessionTouchEvery otherwise, not on every request; one
// idle for longer than sessionIdle is ended, however recent its last write.
func TestSessionIdle(t *testing.T) {
	t.Parallel()
	pool, counter := dbtest.NewCounted(t)
	a := newTestAppOn(t, pool)
	clock := &testClock{t: time.Now()}
	a.srv.now = clock.Now
	c := a.student("ana@example.com")
	writes := func() int {
		var n int
		counter.Trace = func(l string) {
			if strings.Contains(l, "INSERT INTO sessions") {
				n++
			}
		}
		if res, _ := a.get(c, "/account"); res.StatusCode != http.StatusOK {
			t.Fatalf("cabinet: status %d, want 200 (still signed in)", res.StatusCode)
		}
		counter.Trace = nil
		return n
	}

	if n := writes(); n != 1 {
		t.Errorf("first page after sign-up wrote the session %d times, want 1 (its first use recorded)", n)
	}
	for range 3 {
		clock.add(time.Minute)
		if n := writes(); n != 0 {
			t.Fatalf("a page a minute later wrote the session %d times, want 0", n)
		}
	}
	clock.add(sessionTouchEvery)
	if n := writes(); n != 1 {
		t.Errorf("a page after %s wrote the session %d times, want 1", sessionTouchEvery, n)
	}
	clock.add(sessionIdle - time.Second)
	if n := writes(); n != 1 {
		t.Errorf("a page just within the idle timeout wrote the session %d times, want 1", n)
	}

	clock.add(sessionIdle + time.Second)
	res, _ := a.get(c, "/account")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/account/login") {
		t.Fatalf("after %s idle: status %d to %q, want the sign-in page", sessionIdle, res.StatusCode, res.Header.Get("Location"))
	}
}
