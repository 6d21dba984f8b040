package webhook_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bursar/bursar/internal/events"
	"github.com/bursar/bursar/internal/webhook"
)

// TestSignReferenceVector is the Standard Webhooks specification's test vector (its reference libraries' tests):
// this secret, id, timestamp and body sign to exactly this, and the test's verification accepts it.
func TestSignReferenceVector(t *testing.T) {
	const (
		secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
		id     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
		ts     = int64(1614265330)
		body   = `{"test": 2432232314}`
		want   = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
	)
	got, err := webhook.Sign(secret, id, ts, []byte(body))
	if err != nil || got != want {
		t.Fatalf("Sign = %q, %v; want %q", got, err, want)
	}
	h := http.Header{}
	h.Set("webhook-id", id)
	h.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	h.Set("webhook-signature", "v1,bm90IGl0 "+want)
	if err := verify(secret, h, []byte(body), time.Unix(ts, 0)); err != nil {
		t.Fatalf("verify the reference vector: %v", err)
	}
	if err := verify(secret, h, []byte(body+" "), time.Unix(ts, 0)); err == nil {
		t.Fatal("verify accepted a changed body")
	}
	if err := verify(secret, h, []byte(body), time.Unix(ts+600, 0)); err == nil {
		t.Fatal("verify accepted a timestamp 10 minutes old")
	}
}

// TestDeliverSigned: an event emitted in a transaction reaches the subscribed endpoint once, signed (verified by the
// receiver), with the Standard Webhooks payload; the other endpoint (another type) gets nothing.
func TestDeliverSigned(t *testing.T) {
	f := newFixture(t)
	rc := newReceiver(t, nil)
	rc.now = f.clock.Now
	other := newReceiver(t, nil)
	e, sec := f.create(t, rc.URL, events.OrderCompleted)
	f.create(t, other.URL, events.ContactCreated)
	rc.setSecrets(sec)
	f.emit(t, events.Event{Type: events.OrderCompleted, ID: 42}, events.Event{Type: events.OrderCreated, ID: 42})
	if n := f.work(t); n != 1 {
		t.Fatalf("jobs = %d, want 1", n)
	}
	got, bad, _ := rc.snapshot()
	_, _, otherCalls := other.snapshot()
	if len(got) != 1 || len(bad) != 0 || otherCalls != 0 {
		t.Fatalf("received %d (bad %v), other %d; want 1, none, 0", len(got), bad, otherCalls)
	}
	var p struct {
		Type      string          `json:"type"`
		Timestamp time.Time       `json:"timestamp"`
		Data      json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(got[0].body, &p); err != nil {
		t.Fatal(err)
	}
	if p.Type != "order.completed" || !p.Timestamp.Equal(f.clock.Now()) || string(p.Data) != `{"object":"order","id":42}` {
		t.Fatalf("payload = %s", got[0].body)
	}
	ds, err := f.svc.Deliveries(context.Background(), e.ID, webhook.DeliveryFilter{})
	if err != nil || len(ds) != 1 || ds[0].Status != webhook.StatusSucceeded || ds[0].Attempts != 1 || ds[0].EventID != got[0].id {
		t.Fatalf("deliveries = %+v, %v", ds, err)
	}
	if f.work(t) != 0 {
		t.Fatal("a job left after the success")
	}
}

// TestDocListsEveryType: docs/WEBHOOKS.md's event table names every type in events.Types.
func TestDocListsEveryType(t *testing.T) {
	doc, err := os.ReadFile("../../docs/WEBHOOKS.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range events.Types {
		if !strings.Contains(string(doc), "| `"+string(e.Type)+"` | `"+string(e.Kind)+"` |") {
			t.Errorf("docs/WEBHOOKS.md does not list %s (%s)", e.Type, e.Kind)
		}
	}
}
