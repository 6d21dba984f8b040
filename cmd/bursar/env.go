package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/bursar/bursar/internal/config"
	"github.com/bursar/bursar/internal/db"
)

// env is what every command needs: the configuration and a migrated database.
type env struct {
	cfg     config.Config
	pool    *pgxpool.Pool
	cluster *db.Cluster // the private PostgreSQL, when DATABASE_URL is unset
}

// setup reads the configuration, opens the database (starting the private cluster when DATABASE_URL is unset)
// and, when migrate is set, applies migrations.
func setup(ctx context.Context, getenv func(string) string, log *slog.Logger, migrate bool) (*env, error) {
	cfg, err := config.FromEnv(getenv).WithDefaults()
	if err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	e := &env{cfg: cfg}
	url := cfg.DatabaseURL
	if url == "" {
		c, err := db.NewCluster(filepath.Join(cfg.DataDir, "postgres"))
		if err != nil {
			return nil, err
		}
		if err := c.Start(ctx); err != nil {
			return nil, err
		}
		e.cluster = c
		if err := c.EnsureDatabase(ctx, "bursar"); err != nil {
			e.close(log)
			return nil, fmt.Errorf("create database: %w", err)
		}
		url = c.URL("bursar")
		log.Info("private PostgreSQL", "dir", c.Dir, "url", url)
	}
	pool, err := db.Open(ctx, url)
	if err != nil {
		e.close(log)
		return nil, err
	}
	e.pool = pool
	if !migrate {
		return e, nil
	}
	if err := db.Migrate(ctx, pool, log); err != nil {
		e.close(log)
		return nil, err
	}
	return e, nil
}

// close releases the pool and stops the private cluster if this process started it.
func (e *env) close(log *slog.Logger) {
	if e.pool != nil {
		e.pool.Close()
	}
	if e.cluster != nil {
		if err := e.cluster.Stop(); err != nil {
			log.Error("stop private PostgreSQL", "err", err)
		}
	}
}
