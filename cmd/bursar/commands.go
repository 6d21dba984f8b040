package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/bursar/bursar/internal/app"
	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/db"
	"github.com/bursar/bursar/internal/notify"
	"github.com/bursar/bursar/internal/server"
	"github.com/bursar/bursar/internal/staff"
)

// cliCtx makes the CLI the audit actor.
func cliCtx(ctx context.Context) context.Context {
	return audit.WithActor(ctx, audit.Actor{Type: audit.ActorCLI, Label: "bursar CLI"})
}

// flags parses args with a flag set whose errors are one-line usage errors.
func flags(name string, args []string, define func(*flag.FlagSet)) error {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	define(fs)
	if err := fs.Parse(args); err != nil {
		return usagef("%s: %v", name, err)
	}
	if fs.NArg() > 0 {
		return usagef("%s: unexpected argument %q", name, fs.Arg(0))
	}
	return nil
}

// fieldErr turns a validation error into one line for the terminal.
func fieldErr(err error) error {
	if e, ok := check.AsErrors(err); ok {
		return usageError{e.Error()}
	}
	return err
}

func cmdServe(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer, log *slog.Logger) error {
	if err := flags("serve", args, func(*flag.FlagSet) {}); err != nil {
		return err
	}
	e, err := setup(ctx, getenv, log, true)
	if err != nil {
		return err
	}
	defer e.close(log)
	var sender notify.Sender // nil: e-mails are logged and kept in the admin outbox
	if e.cfg.SMTPURL != "" {
		smtp, err := notify.NewSMTP(e.cfg.SMTPURL, e.cfg.MailFrom)
		if err != nil {
			return err
		}
		sender = smtp
	}
	// The app builds every service; they enqueue jobs with an insert-only client, and this process works them with
	// every module's worker (app.Jobs). The HTTP server only routes to the built services.
	a, err := app.New(app.Deps{Config: e.cfg, Log: log, Pool: e.pool})
	if err != nil {
		return err
	}
	jc, err := a.Jobs(sender)
	if err != nil {
		return err
	}
	srv, err := server.New(server.Deps{Config: e.cfg, Log: log, Pool: e.pool, SessionCleanup: 5 * time.Minute,
		Services: a.Services})
	if err != nil {
		return err
	}
	a.Start(ctx)
	defer a.Close()
	ln, err := net.Listen("tcp", e.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", e.cfg.Addr, err)
	}
	hs := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	log.Info("serving", "addr", ln.Addr().String(), "base_url", e.cfg.BaseURL)
	fmt.Fprintf(stdout, "Bursar is serving on %s (admin: %s/admin)\n", ln.Addr(), e.cfg.BaseURL)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	// River's working client starts while the server already answers (its connections and queries are half of a
	// start, issue 12): no request needs it, since the services enqueue with the insert-only client (app.New).
	// Jobs run until shutdown; a job cancelled then is retried later by any process.
	jobsCtx, stopJobs := context.WithCancel(context.WithoutCancel(ctx))
	defer stopJobs()
	if err := jc.Start(jobsCtx); err != nil {
		sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_ = hs.Shutdown(sctx)
		return err
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	herr := hs.Shutdown(sctx)
	if err := jc.Stop(sctx); err != nil {
		log.Error("stop jobs", "err", err)
	}
	if herr != nil {
		return herr
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func cmdMigrate(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer, log *slog.Logger) error {
	if len(args) != 1 || (args[0] != "up" && args[0] != "status") {
		return usagef("usage: bursar migrate up|status")
	}
	e, err := setup(ctx, getenv, log, args[0] == "up")
	if err != nil {
		return err
	}
	defer e.close(log)
	st, err := db.Status(ctx, e.pool)
	if err != nil {
		return err
	}
	for _, m := range st {
		state := "pending"
		if !m.AppliedAt.IsZero() {
			state = "applied " + m.AppliedAt.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(stdout, "%05d  %-32s  %s\n", m.Version, m.File, state)
	}
	return nil
}

func cmdAdmin(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer, log *slog.Logger) error {
	if len(args) == 0 || args[0] != "create" {
		return usagef("usage: bursar admin create --email E --password P [--name N] [--role owner|manager]")
	}
	var n staff.NewUser
	if err := flags("admin create", args[1:], func(fs *flag.FlagSet) {
		fs.StringVar(&n.Email, "email", "", "")
		fs.StringVar(&n.Password, "password", "", "")
		fs.StringVar(&n.Name, "name", "", "")
		fs.StringVar(&n.Role, "role", staff.RoleOwner, "")
	}); err != nil {
		return err
	}
	n.Email = check.NormalizeEmail(n.Email)
	if err := n.Validate(); err != nil {
		return fieldErr(err)
	}
	e, err := setup(ctx, getenv, log, true)
	if err != nil {
		return err
	}
	defer e.close(log)
	u, err := staff.NewService(e.pool, audit.New(e.pool)).CreateUser(cliCtx(ctx), n)
	if err != nil {
		return fieldErr(err)
	}
	fmt.Fprintf(stdout, "admin user %s (%s) created\n", u.Email, u.Role)
	return nil
}

func cmdAPIKey(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer, log *slog.Logger) error {
	const use = "usage: bursar apikey create --name N [--scopes '*'|GROUP:read|GROUP:write,...] [--expires YYYY-MM-DD]"
	if len(args) == 0 || args[0] != "create" {
		return usagef(use)
	}
	n := staff.NewAPIKey{}
	var scopes string
	if err := flags("apikey create", args[1:], func(fs *flag.FlagSet) {
		fs.StringVar(&n.Name, "name", "", "")
		fs.StringVar(&scopes, "scopes", staff.ScopeFull, "")
		fs.StringVar(&n.Expires, "expires", "", "")
	}); err != nil {
		return err
	}
	if n.Name == "" {
		return usagef("apikey create: --name is required")
	}
	// Checked before connecting, so a typo costs no database round trip; the service checks again.
	sc, err := staff.ParseScopes(scopes)
	if err != nil {
		return fieldErr(err)
	}
	n.Scopes = sc
	e, err := setup(ctx, getenv, log, true)
	if err != nil {
		return err
	}
	defer e.close(log)
	_, key, err := staff.NewService(e.pool, audit.New(e.pool)).CreateAPIKey(cliCtx(ctx), n)
	if err != nil {
		return fieldErr(err)
	}
	fmt.Fprintln(stdout, key)
	return nil
}
