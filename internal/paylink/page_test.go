package paylink_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/paylink"
)

// TestOpenView records the first opening and the last one to the minute: a reload within OpenedResolution writes
// nothing, one after it moves last opened; the first opening alone is on the timeline.
func TestOpenView(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	l := f.link()
	ctx := context.Background()
	opened := func() (first, last time.Time) {
		t.Helper()
		got := f.get(l.ID)
		if got.FirstOpenedAt == nil || got.LastOpenedAt == nil {
			t.Fatal("not recorded as opened")
		}
		return *got.FirstOpenedAt, *got.LastOpenedAt
	}
	v, err := f.links.OpenView(ctx, l.Token)
	if err != nil || v.Status != paylink.StatusActive || v.Title != l.Title || len(v.Systems) == 0 {
		t.Fatalf("view %+v, %v", v, err)
	}
	first, last := opened()
	f.clock.Add(paylink.OpenedResolution - time.Second)
	if _, err := f.links.OpenView(ctx, l.Token); err != nil {
		t.Fatal(err)
	}
	if _, again := opened(); !again.Equal(last) {
		t.Errorf("a reload within %v moved last opened from %v to %v", paylink.OpenedResolution, last, again)
	}
	f.clock.Add(time.Second)
	if _, err := f.links.OpenView(ctx, l.Token); err != nil {
		t.Fatal(err)
	}
	if f1, again := opened(); !f1.Equal(first) || !again.After(last) {
		t.Errorf("after %v: first %v (was %v), last %v (was %v)", paylink.OpenedResolution, f1, first, again, last)
	}
	if n := f.count(`SELECT count(*) FROM payment_link_events WHERE link_id = $1 AND kind = 'link.opened'`, l.ID); n != 1 {
		t.Errorf("%d opened events; want the first only", n)
	}
	last1 := "A"
	if l.Token[len(l.Token)-1] == 'A' {
		last1 = "B"
	}
	if _, err := f.links.OpenView(ctx, l.Token[:len(l.Token)-1]+last1); !isNotFound(err) {
		t.Errorf("a tampered token: %v", err)
	}
}

func isNotFound(err error) bool { return errors.Is(err, check.ErrNotFound) }
