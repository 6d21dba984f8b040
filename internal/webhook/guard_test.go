package webhook_test

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/events"
	"github.com/bursar/bursar/internal/webhook"
)

func TestRefused(t *testing.T) {
	refused := []string{"127.0.0.1", "127.8.9.10", "::1", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254",
		"169.254.1.1", "fd00:ec2::254", "fc00::1", "fe80::1", "0.0.0.0", "::", "224.0.0.1", "ff02::1", "100.64.0.1",
		"0.1.2.3", "255.255.255.255", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254",
		"64:ff9b::a00:1", "2002:7f00:1::1"}
	for _, s := range refused {
		if !webhook.Refused(netip.MustParseAddr(s)) {
			t.Errorf("Refused(%s) = false", s)
		}
	}
	for _, s := range []string{"93.184.216.34", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8", "100.128.0.1"} {
		if webhook.Refused(netip.MustParseAddr(s)) {
			t.Errorf("Refused(%s) = true", s)
		}
	}
}

// TestSSRFCreate: without AllowPrivate, an endpoint URL that is not https, carries user info, or names a refused
// literal address or localhost is a field error on url, and nothing is written.
func TestSSRFCreate(t *testing.T) {
	f := newFixture(t, strict())
	ctx := context.Background()
	for _, u := range []string{"http://hooks.example.com/", "https://127.0.0.1/h", "https://localhost/h",
		"https://api.localhost/h", "https://169.254.169.254/latest/meta-data", "https://[::1]/h", "https://10.1.2.3/h",
		"https://[::ffff:127.0.0.1]/h", "https://user:pw@hooks.example.com/h", "ftp://hooks.example.com/",
		"https://2130706433/h", "hooks.example.com/h", ""} {
		_, _, err := f.svc.Create(ctx, webhook.Input{URL: u, Types: []events.Type{events.OrderCreated}, Enabled: true})
		fe, ok := check.AsErrors(err)
		if !ok || fe["url"] == "" {
			t.Errorf("Create(%q) = %v; want a field error on url", u, err)
		}
	}
	if _, _, err := f.svc.Create(ctx, webhook.Input{URL: "https://hooks.example.com/bursar", Enabled: true}); err != nil {
		t.Fatalf("a public https URL: %v", err)
	}
	list, _ := f.svc.List(ctx)
	if len(list) != 1 {
		t.Fatalf("%d endpoints, want 1", len(list))
	}
}

// TestSSRFDelivery: without AllowPrivate, a delivery to an endpoint whose name resolves to a refused address
// (localhost, 127.0.0.1 reached by a name) or to a refused literal (stored while private addresses were allowed)
// never connects; the refused address is the try's error.
func TestSSRFDelivery(t *testing.T) {
	open := newFixture(t)
	strictSvc := newFixtureOn(t, open.pool, open.clock, strict())
	rc := newReceiver(t, nil)
	port := rc.URL[strings.LastIndexByte(rc.URL, ':'):]
	// Stored while private addresses were allowed (or a name that resolves privately): https so only the address
	// is refused.
	for _, u := range []string{"https://127.0.0.1" + port, "https://localhost" + port, "https://[::1]" + port,
		"https://169.254.169.254/latest", "https://10.0.0.1/h"} {
		open.create(t, u, events.OrderCreated)
	}
	open.emit(t, events.Event{Type: events.OrderCreated, ID: 1})
	strictSvc.work(t)
	ctx := context.Background()
	rows, err := open.pool.Query(ctx, `SELECT e.url, a.status_code, a.error FROM webhook_attempts a
		JOIN webhook_deliveries d ON d.id = a.delivery_id JOIN webhook_endpoints e ON e.id = d.endpoint_id`)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rows.Next() {
		var u, msg string
		var code int
		if err := rows.Scan(&u, &code, &msg); err != nil {
			t.Fatal(err)
		}
		n++
		if code != 0 || !strings.HasPrefix(msg, "refused address ") {
			t.Errorf("%s: status %d, error %q; want a refused address", u, code, msg)
		}
	}
	if _, _, calls := rc.snapshot(); n != 5 || calls != 0 {
		t.Fatalf("%d tries, %d calls reached the receiver; want 5, 0", n, calls)
	}
	// A plain http URL stored while allowed is refused too, before any connection.
	e, _ := open.create(t, rc.URL, events.OrderExpired)
	open.emit(t, events.Event{Type: events.OrderExpired, ID: 1})
	strictSvc.work(t)
	ds, _ := open.svc.Deliveries(ctx, e.ID, webhook.DeliveryFilter{})
	d, _ := open.svc.Delivery(ctx, ds[0].ID)
	if len(d.Tries) != 1 || !strings.Contains(d.Tries[0].Error, "not https") {
		t.Fatalf("http delivery tries = %+v", d.Tries)
	}
}
