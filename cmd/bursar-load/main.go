// Command bursar-load measures the real bursar binary through HTTP on loopback, for a bounded time (make load;
// docs/PERFORMANCE.md). It builds the binary (or takes -bin), creates a database of its own, migrates it, sets up a
// school through the API, starts `bursar serve` on a free 127.0.0.1 port as its child, then drives in turn:
//
//	offer     GET /o/{slug}, interleaved with a bare Go handler serving the same bytes and headers (the baseline)
//	checkout  POST /api/v1/manual-payments: an order opened for a new contact per request
//	webhook   POST /webhooks/{id}: a signed Stripe checkout.session.completed per open order
//
// and prints requests per second with p50/p95/p99 for each. It stops the child it started (by its pid) and drops
// the database it created. Every address it connects to must be on loopback.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	if path := os.Getenv(bareEnv); path != "" {
		// The bare baseline's own process (started by startBare).
		if err := serveBare(path, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "bursar-load bare:", err)
			os.Exit(1)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bursar-load:", err)
		os.Exit(1)
	}
}

// options are the command line.
type options struct {
	bin        string        // the bursar binary; "" builds one
	dbURL      string        // a database on the PostgreSQL server to create the measured database on
	dbPrefix   string        // the created database's name prefix
	duration   time.Duration // per target and phase
	rounds     int           // the offer phase's interleaved rounds
	warmup     time.Duration
	workers    int
	orders     int // prepared per write phase
	phases     map[string]bool
	bareInline bool
	serverEnv  []string // GO*=… variables for both servers, for experiments (GOGC, GOMAXPROCS, ...)
	gctrace    bool     // the servers run with GODEBUG=gctrace=1 and their collections are reported
	logs       string   // a directory to keep the servers' logs in; "" drops them with the temporary directory
}

func parse(args []string, getenv func(string) string) (options, error) {
	o := options{}
	var phases string
	fs := flag.NewFlagSet("bursar-load", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.bin, "bin", "", "the bursar binary to run (default: go build ./cmd/bursar into a temporary directory)")
	fs.StringVar(&o.dbURL, "db", getenv("TEST_DATABASE_URL"), "PostgreSQL server (loopback) to create the database on "+
		"(default TEST_DATABASE_URL; unset: a private temporary cluster)")
	fs.StringVar(&o.dbPrefix, "db-prefix", "bursar_load", "name prefix of the database created (and dropped)")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "measuring time per target in each phase")
	fs.IntVar(&o.rounds, "rounds", 5, "offer phase: alternating rounds of bare and bursar the duration is split into")
	fs.DurationVar(&o.warmup, "warmup", time.Second, "unmeasured load on each target before its phase")
	fs.IntVar(&o.workers, "c", 8, "concurrent clients, each with its own keep-alive connection")
	fs.IntVar(&o.orders, "orders", 20000, "orders prepared for each write phase; the phase ends early when they run out")
	fs.StringVar(&phases, "phases", "offer,checkout,webhook", "phases to run, comma separated")
	fs.BoolVar(&o.bareInline, "bare-inline", false, "serve the bare baseline from this process instead of a child process")
	fs.Func("server-env", "a Go runtime variable for both servers, bursar serve and the bare baseline, for "+
		"experiments: GOGC=…, GOMEMLIMIT=… or GOMAXPROCS=… (repeatable)", func(kv string) error {
		if k, _, ok := strings.Cut(kv, "="); !ok || (k != "GOGC" && k != "GOMEMLIMIT" && k != "GOMAXPROCS") {
			return fmt.Errorf("%q: only GOGC, GOMEMLIMIT or GOMAXPROCS=…", kv)
		}
		o.serverEnv = append(o.serverEnv, kv)
		return nil
	})
	fs.StringVar(&o.logs, "logs", "", "keep the servers' logs (serve.log, bare.log) in this existing directory")
	fs.BoolVar(&o.gctrace, "gctrace", true, "run the servers with GODEBUG=gctrace=1 and report their garbage collections")
	if err := fs.Parse(args); err != nil {
		return o, fmt.Errorf("%w\nusage: bursar-load [flags]\n%s", err, usage(fs))
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	o.phases = map[string]bool{}
	for p := range strings.SplitSeq(phases, ",") {
		switch p = strings.TrimSpace(p); p {
		case "offer", "checkout", "webhook":
			o.phases[p] = true
		default:
			return o, fmt.Errorf("-phases: unknown phase %q (offer, checkout, webhook)", p)
		}
	}
	switch {
	case o.duration <= 0 || o.duration > 10*time.Minute:
		return o, fmt.Errorf("-duration %s: from 1ms to 10m", o.duration)
	case o.warmup < 0 || o.warmup > time.Minute:
		return o, fmt.Errorf("-warmup %s: from 0 to 1m", o.warmup)
	case o.rounds < 1 || o.duration/time.Duration(o.rounds) < time.Millisecond:
		return o, fmt.Errorf("-rounds %d: at least 1, and at least 1ms each", o.rounds)
	case o.workers < 1 || o.workers > 256:
		return o, fmt.Errorf("-c %d: from 1 to 256", o.workers)
	case o.orders < 1 || o.orders > 1_000_000:
		return o, fmt.Errorf("-orders %d: from 1 to 1000000", o.orders)
	case !validIdent(o.dbPrefix):
		return o, fmt.Errorf("-db-prefix %q: lower-case letters, digits and _, starting with a letter", o.dbPrefix)
	}
	return o, nil
}

func usage(fs *flag.FlagSet) string {
	var b strings.Builder
	fs.SetOutput(&b)
	fs.PrintDefaults()
	return b.String()
}

func validIdent(s string) bool {
	if s == "" || len(s) > 40 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// run is the whole program.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	o, err := parse(args, getenv)
	if errors.Is(err, flag.ErrHelp) {
		_, after, _ := strings.Cut(err.Error(), "\n")
		fmt.Fprint(stdout, after)
		return nil
	}
	if err != nil {
		return err
	}
	r, err := setUp(ctx, o, getenv, stdout)
	// What was started is stopped and what was created is dropped, whatever happened.
	defer r.tearDown(stdout)
	if err != nil {
		return err
	}
	return r.measure(ctx, stdout)
}
