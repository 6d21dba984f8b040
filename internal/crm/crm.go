// Package crm is the school's contacts: payers and students, their custom fields, notes and internal timeline.
package crm

import (
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/bursar/bursar/internal/audit"
)

// Service manages contacts.
type Service struct {
	db    *pgxpool.Pool
	audit *audit.Log
}

// NewService returns a Service on pool.
func NewService(pool *pgxpool.Pool, al *audit.Log) *Service { return &Service{db: pool, audit: al} }
