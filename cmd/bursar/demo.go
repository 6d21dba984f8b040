package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/bursar/bursar/internal/demo"
)

func cmdDemo(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer, log *slog.Logger) error {
	if err := flags("demo", args, func(*flag.FlagSet) {}); err != nil {
		return err
	}
	e, err := setup(ctx, getenv, log, true)
	if err != nil {
		return err
	}
	defer e.close(log)
	if err := demo.Seed(cliCtx(ctx), e.pool, e.cfg.SecretKey); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Demo school ready.\n  Admin:    %s/admin\n  E-mail:   %s\n  Password: %s\n",
		e.cfg.BaseURL, demo.AdminEmail, demo.AdminPassword(e.cfg.SecretKey))
	return nil
}
