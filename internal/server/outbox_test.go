package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/bursar/bursar/internal/jobs"
	"github.com/bursar/bursar/internal/notify"
	"github.com/bursar/bursar/templates/email"
)

// startJobs runs River with the e-mail worker and no SMTP server, as `bursar serve` does without BURSAR_SMTP_URL.
func startJobs(a *testApp) (*notify.Service, <-chan *river.Event) {
	a.t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	jc, err := jobs.New(a.pool, log, jobs.Config{FetchPollInterval: 20 * time.Millisecond}, notify.NewWorker(a.pool, nil, log))
	if err != nil {
		a.t.Fatal(err)
	}
	events, cancel := jc.River().Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed)
	a.t.Cleanup(cancel)
	if err := jc.Start(context.Background()); err != nil {
		a.t.Fatal(err)
	}
	a.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = jc.Stop(ctx)
	})
	return notify.NewService(a.pool), events
}

func TestAdminOutboxLoggedEmail(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	svc, events := startJobs(a)
	c := a.owner()
	r, err := email.Test(context.Background(), email.TestEmail{School: email.School{Name: "Test School"}, Lang: "en", Name: "Ann"})
	if err != nil {
		t.Fatal(err)
	}
	// The HTML carries a script that must never run in the admin page.
	html := strings.Replace(r.HTML, "</body>", `<script id="evil">alert(1)</script></body>`, 1)
	err = svc.Enqueue(context.Background(), notify.Email{DedupKey: "test:outbox", To: "ann@example.test",
		Subject: r.Subject, Text: r.Text, HTML: html, RelatedType: "order", RelatedID: 42,
		Attachments: []notify.Attachment{{Filename: "R-2027-000123.pdf", ContentType: "application/pdf", Data: make([]byte, 12600)}}})
	if err != nil {
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

	res, doc := a.get(c, "/admin/outbox")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /admin/outbox: %d", res.StatusCode)
	}
	rows := doc.Find(`[data-testid="outbox-row"]`)
	if rows.Length() != 1 {
		t.Fatalf("%d rows, want 1", rows.Length())
	}
	if st := rows.Find(`[data-testid="outbox-status"]`).Text(); st != "logged" {
		t.Errorf("status %q, want logged", st)
	}
	if to := rows.Find(`[data-testid="outbox-to"]`).Text(); to != "ann@example.test" {
		t.Errorf("to %q", to)
	}
	if doc.Find(`[data-testid="smtp-off"]`).Length() != 1 {
		t.Error("no notice that SMTP is not configured")
	}
	href, _ := rows.Find(`[data-testid="outbox-subject"]`).Attr("href")

	res, doc = a.get(c, href)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", href, res.StatusCode)
	}
	if got := doc.Find(`[data-testid="email-text"]`).Text(); !strings.Contains(got, "Hello Ann,") || !strings.Contains(got, "Test School") {
		t.Errorf("text body %q", got)
	}
	if doc.Find("script#evil").Length() != 0 {
		t.Fatal("the e-mail's HTML was injected into the admin page")
	}
	frame := doc.Find(`iframe[data-testid="email-html"]`)
	sandbox, hasSandbox := frame.Attr("sandbox")
	srcdoc, _ := frame.Attr("srcdoc")
	if !hasSandbox || sandbox != "" || !strings.Contains(srcdoc, `<script id="evil">`) {
		t.Fatalf("iframe sandbox=%q (set %v), srcdoc=%q", sandbox, hasSandbox, srcdoc)
	}
	if got := doc.Find(`[data-testid="email-html-source"]`).Text(); !strings.Contains(got, `<script id="evil">`) {
		t.Error("HTML source not shown as text")
	}
	if got := doc.Find(`[data-testid="email-status"]`).Text(); got != "logged" {
		t.Errorf("status %q", got)
	}
	if got := doc.Find(`[data-testid="email-attachment"]`).Text(); got != "R-2027-000123.pdf (application/pdf, 12.3 KB)" {
		t.Errorf("attachment %q", got)
	}
}

func TestAdminOutboxFilterAndPages(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	svc := notify.NewService(a.pool) // nobody works the queue: the e-mails stay queued
	const n = outboxPageSize + 3
	for i := range n {
		err := svc.Enqueue(context.Background(), notify.Email{DedupKey: fmt.Sprintf("test:%d", i),
			To: fmt.Sprintf("s%d@example.test", i), Subject: fmt.Sprintf("Mail %d", i), Text: "Hi"})
		if err != nil {
			t.Fatal(err)
		}
	}
	c := a.owner()

	_, doc := a.get(c, "/admin/outbox?status=queued")
	rows := doc.Find(`[data-testid="outbox-row"]`)
	if rows.Length() != outboxPageSize {
		t.Fatalf("first page: %d rows, want %d", rows.Length(), outboxPageSize)
	}
	if got := rows.First().Find(`[data-testid="outbox-subject"]`).Text(); got != fmt.Sprintf("Mail %d", n-1) {
		t.Errorf("first row %q, want the newest", got)
	}
	next, ok := doc.Find(`[data-testid="next-page"]`).Attr("href")
	if !ok || !strings.Contains(next, "status=queued") {
		t.Fatalf("next link %q", next)
	}
	_, doc = a.get(c, next)
	if got := doc.Find(`[data-testid="outbox-row"]`).Length(); got != 3 {
		t.Fatalf("second page: %d rows, want 3", got)
	}
	if doc.Find(`[data-testid="next-page"]`).Length() != 0 {
		t.Error("next link on the last page")
	}

	_, doc = a.get(c, "/admin/outbox?status=sent")
	if doc.Find(`[data-testid="outbox-row"]`).Length() != 0 || doc.Find(`[data-testid="no-emails"]`).Length() != 1 {
		t.Error("status=sent lists queued e-mails")
	}

	tests := []struct {
		name string
		path string
		want int
	}{
		{"UnknownStatus", "/admin/outbox?status=bogus", http.StatusUnprocessableEntity},
		{"UnknownID", "/admin/outbox/999999", http.StatusNotFound},
		{"MalformedID", "/admin/outbox/abc", http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, doc := a.get(c, tt.path)
			if res.StatusCode != tt.want {
				t.Fatalf("GET %s: %d, want %d", tt.path, res.StatusCode, tt.want)
			}
			if tt.want == http.StatusUnprocessableEntity && doc.Find(`[data-testid="status-error"]`).Length() != 1 {
				t.Error("no message on the status filter")
			}
		})
	}

	res, _ := a.get(a.client(), "/admin/outbox")
	if res.StatusCode != http.StatusSeeOther && res.StatusCode != http.StatusFound {
		t.Fatalf("signed out: %d, want a redirect to sign-in", res.StatusCode)
	}
}
