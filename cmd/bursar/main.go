// Command bursar is Bursar's one binary: the server and its administrative commands.
//
//	bursar serve                                   run the HTTP server (migrates first)
//	bursar migrate up|status                       apply or list schema migrations
//	bursar admin create --email E --password P     add an admin user (owner unless --role manager)
//	bursar apikey create --name N                  create an API key and print only the key
//	  [--scopes '*'|GROUP:read|GROUP:write,...]    what it may do (default '*', full access)
//	  [--expires YYYY-MM-DD]                       when it stops working (default never)
//	bursar demo                                    create the demo school (idempotent) and print its admin login
//	bursar scale --orders N [--contacts N]         fill the database with made-up data for measuring
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintln(os.Stderr, "bursar:", err)
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "bursar:", err)
		os.Exit(1)
	}
}

// usageError is bad input on the command line.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

const usage = `usage: bursar <command>
  serve                                   run the HTTP server
  migrate up|status                       apply or list schema migrations
  admin create --email E --password P     add an admin user [--name N] [--role owner|manager]
  apikey create --name N                  create an API key; prints only the key
                [--scopes S] [--expires D]  S: '*' (default, full access) or GROUP:read|GROUP:write,...;
                                          D: YYYY-MM-DD (stops at 00:00 UTC) or an RFC 3339 time
  demo                                    create the demo school and print its admin login
  scale --orders N [--contacts N]         fill an empty database with N made-up orders (contacts: N/5) and
                [--append]                their payments, refunds, grants and timelines, for measuring`

// run is the whole program, with its environment passed in so tests can call it.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usagef("no command given\n%s", usage)
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: logLevel(getenv("BURSAR_LOG_LEVEL"))}))
	switch args[0] {
	case "serve":
		return cmdServe(ctx, args[1:], getenv, stdout, log)
	case "migrate":
		return cmdMigrate(ctx, args[1:], getenv, stdout, log)
	case "admin":
		return cmdAdmin(ctx, args[1:], getenv, stdout, log)
	case "apikey":
		return cmdAPIKey(ctx, args[1:], getenv, stdout, log)
	case "demo":
		return cmdDemo(ctx, args[1:], getenv, stdout, log)
	case "scale":
		return cmdScale(ctx, args[1:], getenv, stdout, log)
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	return usagef("unknown command %q\n%s", args[0], usage)
}

func logLevel(s string) slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return slog.LevelInfo
	}
	return l
}
