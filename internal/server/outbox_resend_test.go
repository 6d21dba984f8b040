package server

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/bursar/bursar/internal/notify"
)

// TestAdminOutboxShowsResends: an e-mail sent again after a crash ("maybe sent") shows its resend count in the
// outbox list and, with the Message-ID every attempt carried, on its page.
func TestAdminOutboxShowsResends(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	svc, events := startJobs(a)
	ctx := context.Background()
	if err := svc.Enqueue(ctx, notify.Email{DedupKey: "test:resent", To: "ann@example.test", Subject: "Hi",
		Text: "Hello"}); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-events:
		if ev.Kind != river.EventKindJobCompleted {
			t.Fatalf("job ended with %s", ev.Kind)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the e-mail job did not run")
	}
	m, err := svc.ByDedupKey(ctx, "test:resent")
	if err != nil {
		t.Fatal(err)
	}
	if m.MessageID == "" {
		t.Fatal("no Message-ID stored by the attempt")
	}
	// As the worker leaves it after one attempt that found the row still sending.
	if _, err := a.pool.Exec(ctx, `UPDATE outbound_emails SET attempts = 2, resends = 1 WHERE id = $1`, m.ID); err != nil {
		t.Fatal(err)
	}
	c := a.owner()
	_, doc := a.get(c, "/admin/outbox")
	if got := doc.Find(`[data-testid="outbox-resends"]`).Text(); got != "(1 resent after a crash)" {
		t.Errorf("list resends %q", got)
	}
	res, doc := a.get(c, "/admin/outbox/"+strconv.FormatInt(m.ID, 10))
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET e-mail: %d", res.StatusCode)
	}
	if got := doc.Find(`[data-testid="email-resends"]`).Text(); got != "1" {
		t.Errorf("resends %q, want 1", got)
	}
	if got := doc.Find(`[data-testid="email-message-id"]`).Text(); got != "<"+m.MessageID+">" {
		t.Errorf("Message-ID %q, want <%s>", got, m.MessageID)
	}
}
