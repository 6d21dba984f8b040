package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/bursar/bursar/internal/db"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/gateway/stripe"
	"github.com/bursar/bursar/internal/load"
)

// TestMain lets the test binary serve as the bare baseline's process, as the real binary does: startBare starts
// os.Executable(), which under go test is this binary.
func TestMain(m *testing.M) {
	if path := os.Getenv(bareEnv); path != "" {
		if err := serveBare(path, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestParse(t *testing.T) {
	t.Parallel()
	env := func(k string) string {
		if k == "TEST_DATABASE_URL" {
			return "postgres://postgres@127.0.0.1:5432/postgres"
		}
		return ""
	}
	o, err := parse(nil, env)
	if err != nil {
		t.Fatal(err)
	}
	if o.dbURL != "postgres://postgres@127.0.0.1:5432/postgres" || o.duration != 10*time.Second || o.workers != 8 ||
		!o.phases["offer"] || !o.phases["checkout"] || !o.phases["webhook"] || !o.gctrace {
		t.Fatalf("defaults %+v", o)
	}
	o, err = parse([]string{"-phases", "offer", "-server-env", "GOGC=400", "-server-env", "GOMAXPROCS=1"}, env)
	if err != nil {
		t.Fatal(err)
	}
	if len(o.phases) != 1 || strings.Join(o.serverEnv, " ") != "GOGC=400 GOMAXPROCS=1" {
		t.Fatalf("parsed %+v", o)
	}
	for _, bad := range [][]string{
		{"-phases", "offer,admin"},
		{"-server-env", "PATH=/tmp"},
		{"-server-env", "GODEBUG=x=1"},
		{"-duration", "0s"},
		{"-duration", "1h"},
		{"-c", "0"},
		{"-rounds", "0"},
		{"-orders", "0"},
		{"-db-prefix", "Robert'); DROP"},
		{"extra"},
	} {
		if _, err := parse(bad, env); err == nil {
			t.Errorf("parse(%q) accepted", bad)
		}
	}
}

func TestHelp(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	if err := run(t.Context(), []string{"-h"}, func(string) string { return "" }, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "usage: bursar-load [flags]") || !strings.Contains(out.String(), "-duration") {
		t.Fatalf("help:\n%s", out.String())
	}
}

func TestCheckDatabaseURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		url string
		ok  bool
	}{
		{"postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", true},
		{"postgres://postgres@localhost/postgres", true},
		{"postgres://postgres@[::1]:5432/postgres", true},
		{"postgres:///postgres?host=/var/run/postgresql", true},
		{"postgres://postgres@db.example.org/postgres", false},
		{"postgres://postgres@10.1.2.3:5432/postgres", false},
		{"postgres://postgres@127.0.0.1,db.example.org/postgres", false},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			err := checkDatabaseURL(tt.url)
			if (err == nil) != tt.ok {
				t.Fatalf("checkDatabaseURL = %v, want ok %v", err, tt.ok)
			}
			if err != nil && !tt.ok && !errors.Is(err, load.ErrNotLoopback) {
				t.Fatalf("refusal %v does not wrap load.ErrNotLoopback", err)
			}
		})
	}
}

// TestPaidEventVerifies: what the webhook phase sends is what Bursar's Stripe provider accepts as a paid
// notification for the order, with the amount and the payer.
func TestPaidEventVerifies(t *testing.T) {
	t.Parallel()
	body := paidEvent("evt_load_42", "cs_load_42", 42, 14900, "EUR", "payer42@example.org")
	now := time.Now()
	sig := stripeSignature(webhookSecret, now, body)
	acct := gateway.Account{Credentials: map[string]string{stripe.CredWebhookSecret: webhookSecret}}
	ev, err := stripe.New(stripe.Options{}).Verify(context.Background(), acct, gateway.Inbound{
		Header: func(name string) string {
			if name == stripe.SignatureHeader {
				return sig
			}
			return ""
		},
		Body: body, Received: now})
	if err != nil {
		t.Fatal(err)
	}
	if ev.Kind != gateway.EventPaid || ev.OrderID != 42 || ev.Ref != "cs_load_42" || ev.Amount.Amount != 14900 ||
		ev.Amount.Currency != "EUR" || ev.PayerEmail != "payer42@example.org" {
		t.Fatalf("event %+v", ev)
	}
}

func TestParseGCLine(t *testing.T) {
	t.Parallel()
	var s gcStats
	for _, line := range []string{
		"gc 45 @8.031s 1%: 1.4+4.0+0.004 ms clock, 2.8+0.11/4.3/0.94+0.008 ms cpu, 4->4->1 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 2 P\n",
		"Bursar is serving on 127.0.0.1:1\n",
		"gc 46 @8.114s 1%: 2.2+2.3+9.3 ms clock, 4.5+0.18/2.4/0+18 ms cpu, 5->6->2 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 2 P\n",
		"gc 47 @8.2s 1%: garbled\n",
	} {
		parseGCLine(line, &s)
	}
	if s.cycles != 2 || s.liveMB != 2 || s.heapMB != 5 || s.maxSTW != 9300*time.Microsecond ||
		s.mark != 6300*time.Microsecond || s.stw != (1400+4+2200+9300)*time.Microsecond {
		t.Fatalf("stats %+v", s)
	}
	if got := s.add(gcStats{cycles: 1, liveMB: 3, maxSTW: time.Millisecond}); got.cycles != 3 || got.liveMB != 3 || got.maxSTW != s.maxSTW {
		t.Fatalf("add: %+v", got)
	}
	if got := s.add(gcStats{unknown: true}); !got.unknown {
		t.Fatal("add of an unknown stretch is known")
	}
}

func TestSamePage(t *testing.T) {
	t.Parallel()
	a := page{Header: map[string][]string{"Content-Type": {"text/html"}, "Vary": {"Cookie"}}, Body: []byte("<p>hi</p>")}
	if err := samePage(a, nil, a, nil); err != nil {
		t.Fatal(err)
	}
	b := page{Header: map[string][]string{"Content-Type": {"text/html"}}, Body: a.Body}
	if samePage(a, nil, b, nil) == nil {
		t.Fatal("a missing header was not noticed")
	}
	c := page{Header: a.Header, Body: []byte("<p>ho</p>")}
	if samePage(a, nil, c, nil) == nil {
		t.Fatal("another body was not noticed")
	}
	if samePage(a, []string{"chunked"}, a, nil) == nil {
		t.Fatal("another transfer encoding was not noticed")
	}
}

// TestShortRun runs the whole program for a moment against the real binary: it builds it, creates a database,
// serves, sets up the school, drives the three phases, and cleans up after itself. Nothing about its figures is
// checked, only that each phase ran and the database is gone.
func TestShortRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the real binary")
	}
	if _, err := db.NewCluster(t.TempDir()); errors.Is(err, db.ErrNoPostgres) && os.Getenv("TEST_DATABASE_URL") == "" && os.Getenv("CI") == "" {
		t.Skip(err)
	}
	var out bytes.Buffer
	err := run(t.Context(), []string{"-duration", "200ms", "-rounds", "2", "-warmup", "50ms", "-orders", "200",
		"-c", "2", "-db-prefix", "bursar_load_test"}, os.Getenv, &out)
	t.Log(out.String())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`(?m)^  all      bare .* req/s`,
		`(?m)^  all      bursar .* req/s`,
		`offer page at [0-9.]+% of the bare handler's rate`,
		`(?m)^  [0-9]+ orders in the database, one per request`,
		`(?m)^  [0-9]+ orders completed in the database, one per request`,
		`(?m)^database bursar_load_test_[0-9a-f]+ dropped$`,
	} {
		if !regexp.MustCompile(want).MatchString(out.String()) {
			t.Errorf("output lacks %s", want)
		}
	}
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		pool, err := db.Open(t.Context(), u)
		if err != nil {
			t.Fatal(err)
		}
		defer pool.Close()
		name := regexp.MustCompile(`database (bursar_load_test_[0-9a-f]+) dropped`).FindStringSubmatch(out.String())
		if name == nil {
			t.Fatal("no database named as dropped")
		}
		var n int
		if err := pool.QueryRow(t.Context(), `SELECT count(*) FROM pg_database WHERE datname = $1`, name[len(name)-1]).Scan(&n); err != nil || n != 0 {
			t.Fatalf("database %s still there (%d, %v)", name[len(name)-1], n, err)
		}
	}
}
