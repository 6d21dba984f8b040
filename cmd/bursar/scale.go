package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"sort"

	"github.com/bursar/bursar/internal/scale"
)

// cmdScale fills the database with a school's worth of made-up data for measuring (internal/scale). It refuses a
// database that already has orders unless --append is given: it is not for a school's real database.
func cmdScale(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer, log *slog.Logger) error {
	var (
		size scale.Size
		add  bool
	)
	if err := flags("scale", args, func(fs *flag.FlagSet) {
		fs.IntVar(&size.Orders, "orders", 1000, "")
		fs.IntVar(&size.Contacts, "contacts", 0, "")
		fs.BoolVar(&add, "append", false, "")
	}); err != nil {
		return err
	}
	if size.Orders <= 0 || size.Contacts < 0 {
		return usagef("scale: --orders must be greater than zero and --contacts not negative")
	}
	e, err := setup(ctx, getenv, log, true)
	if err != nil {
		return err
	}
	defer e.close(log)
	var orders int64
	if err := e.pool.QueryRow(ctx, "SELECT count(*) FROM (SELECT 1 FROM orders LIMIT 1) o").Scan(&orders); err != nil {
		return err
	}
	if orders > 0 && !add {
		return usagef("scale: the database already has orders; add --append to add the fixture to them")
	}
	st, err := scale.Fill(ctx, e.pool, size)
	if err != nil {
		return err
	}
	tables := make([]string, 0, len(st.Rows))
	for t := range st.Rows {
		tables = append(tables, t)
	}
	sort.Strings(tables)
	fmt.Fprintf(stdout, "Filled in %s:\n", st.Duration.Round(100_000_000))
	for _, t := range tables {
		fmt.Fprintf(stdout, "  %-22s %10d rows\n", t, st.Rows[t])
	}
	for _, s := range st.Steps {
		log.Info("scale step", "step", s.Name, "ms", s.Duration.Milliseconds())
	}
	return nil
}
