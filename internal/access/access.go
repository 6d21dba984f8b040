// Package access is who may use which product: grants with their source, start, end and revocation.
package access

import (
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/bursar/bursar/internal/audit"
)

// Service manages access grants.
type Service struct {
	db    *pgxpool.Pool
	audit *audit.Log
}

// NewService returns a Service on pool.
func NewService(pool *pgxpool.Pool, al *audit.Log) *Service { return &Service{db: pool, audit: al} }
