package notify_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"testing"

	"github.com/riverqueue/river"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/notify"
)

// TestAttachmentDelivered: an e-mail with a file reaches the SMTP server as multipart/mixed with the file as a
// MIME attachment (its name, type and exact bytes), and the outbox reads back its name and size, not its data.
func TestAttachmentDelivered(t *testing.T) {
	t.Parallel()
	mb := startSMTP(t)
	e := newEnv(t, mb.URL)
	pdf := append([]byte("%PDF-1.3\n"), bytes.Repeat([]byte{0, 0xff, '(', ')', '\n'}, 300)...)
	m := testEmail(t, "test:attach", "ann@example.test")
	m.Attachments = []notify.Attachment{{Filename: "R-2027-000123.pdf", ContentType: "application/pdf", Data: pdf}}
	e.enqueue(m)
	got := waitMail(t, mb)
	msg, err := mail.ReadMessage(strings.NewReader(got.Data))
	if err != nil {
		t.Fatal(err)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/mixed" {
		t.Fatalf("Content-Type %q (%v), want multipart/mixed", msg.Header.Get("Content-Type"), err)
	}
	r := multipart.NewReader(msg.Body, params["boundary"])
	var found, alternative bool
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		if ct == "multipart/alternative" {
			alternative = true
			continue
		}
		disp, dp, _ := mime.ParseMediaType(p.Header.Get("Content-Disposition"))
		if disp != "attachment" {
			continue
		}
		found = true
		if dp["filename"] != "R-2027-000123.pdf" || ct != "application/pdf" ||
			!strings.EqualFold(p.Header.Get("Content-Transfer-Encoding"), "base64") {
			t.Errorf("attachment headers %v", p.Header)
		}
		raw, _ := io.ReadAll(p)
		data, err := base64.StdEncoding.DecodeString(strings.NewReplacer("\r", "", "\n", "").Replace(string(raw)))
		if err != nil || !bytes.Equal(data, pdf) {
			t.Errorf("attachment's bytes differ (%v)", err)
		}
	}
	if !found || !alternative {
		t.Fatalf("attachment %v, text and HTML part %v:\n%s", found, alternative, got.Data)
	}

	row := e.byKey("test:attach")
	if kind := e.waitJob(row.ID); kind != river.EventKindJobCompleted {
		t.Fatalf("job ended with %s", kind)
	}
	for _, m := range []notify.Message{e.byKey("test:attach"), e.list()[0]} {
		if len(m.Attachments) != 1 || m.Attachments[0].Filename != "R-2027-000123.pdf" ||
			m.Attachments[0].ContentType != "application/pdf" || m.Attachments[0].Size != len(pdf) || m.Attachments[0].Data != nil {
			t.Errorf("outbox attachments %+v", m.Attachments)
		}
	}
}

// TestAttachmentsDedup: an e-mail enqueued twice under one key keeps the first one's attachments only.
func TestAttachmentsDedup(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "")
	m := testEmail(t, "test:dup", "ann@example.test")
	m.Attachments = []notify.Attachment{{Filename: "a.pdf", ContentType: "application/pdf", Data: []byte("%PDF-a")}}
	e.enqueue(m)
	m.Attachments = []notify.Attachment{{Filename: "b.pdf", ContentType: "application/pdf", Data: []byte("%PDF-b")},
		{Filename: "c.txt", ContentType: "text/plain; charset=utf-8", Data: []byte("c")}}
	e.enqueue(m)
	if n := e.count(`SELECT count(*) FROM outbound_email_attachments`); n != 1 {
		t.Fatalf("%d attachments stored, want the first e-mail's one", n)
	}
	if got := e.byKey("test:dup").Attachments; len(got) != 1 || got[0].Filename != "a.pdf" || got[0].Size != 6 {
		t.Fatalf("attachments %+v", got)
	}
	plain := testEmail(t, "test:plain", "ann@example.test")
	e.enqueue(plain)
	if got := e.byKey("test:plain").Attachments; got != nil {
		t.Fatalf("an e-mail without files reads %+v", got)
	}
}

func TestAttachmentBadInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "")
	file := notify.Attachment{Filename: "r.pdf", ContentType: "application/pdf", Data: []byte("%PDF-")}
	tests := []struct {
		name string
		edit func(*notify.Attachment)
	}{
		{"NoName", func(a *notify.Attachment) { a.Filename = " " }},
		{"Path", func(a *notify.Attachment) { a.Filename = "../r.pdf" }},
		{"LineBreak", func(a *notify.Attachment) { a.Filename = "r\r\nBcc: x@example.test.pdf" }},
		{"LongName", func(a *notify.Attachment) { a.Filename = strings.Repeat("r", notify.MaxFilename+1) }},
		{"BadType", func(a *notify.Attachment) { a.ContentType = "pdf" }},
		{"Empty", func(a *notify.Attachment) { a.Data = nil }},
		{"TooLarge", func(a *notify.Attachment) { a.Data = make([]byte, notify.MaxAttachmentBytes+1) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := file
			tt.edit(&a)
			m := testEmail(t, "test:bad", "ann@example.test")
			m.Attachments = []notify.Attachment{a}
			err := e.svc.Enqueue(context.Background(), m)
			if errs, ok := check.AsErrors(err); !ok || errs["attachments"] == "" {
				t.Fatalf("err = %v, want a message on attachments", err)
			}
		})
	}
	m := testEmail(t, "test:many", "ann@example.test")
	for range notify.MaxAttachments + 1 {
		m.Attachments = append(m.Attachments, file)
	}
	if errs, ok := check.AsErrors(e.svc.Enqueue(context.Background(), m)); !ok || errs["attachments"] == "" {
		t.Fatal("too many attachments accepted")
	}
	if n := e.count(`SELECT count(*) FROM outbound_emails`); n != 0 {
		t.Fatalf("%d rows written by bad input", n)
	}
}

func (e *env) list() []notify.Message {
	e.t.Helper()
	p, err := e.svc.List(context.Background(), notify.Filter{})
	if err != nil {
		e.t.Fatal(err)
	}
	return p.Messages
}
