// Package offer is the catalog: products (what access is granted to) and offers (the price plans that sell them).
package offer

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/bursar/bursar/internal/audit"
)

// Product is what access is granted to.
type Product struct {
	ID          int64
	Name        string
	Kind        string
	Description string
	ParentID    int64 // 0 when none
	ExternalURL string
	ExternalID  string
	ArchivedAt  *time.Time
	CreatedAt   time.Time
}

// ProductFilter narrows Products.
type ProductFilter struct {
	Query           string // matches the name, case-insensitively
	IncludeArchived bool
	AfterID         int64 // keyset cursor
	Limit           int
}

// Service manages products and offers.
type Service struct {
	db    *pgxpool.Pool
	audit *audit.Log
}

// NewService returns a Service on pool.
func NewService(pool *pgxpool.Pool, al *audit.Log) *Service { return &Service{db: pool, audit: al} }

var errTODO = errors.New("offer: not implemented yet")

// ProductNames maps product ids to names (archived included); unknown ids are left out.
func (s *Service) ProductNames(ctx context.Context, ids []int64) (map[int64]string, error) {
	return nil, errTODO
}

// Products lists products by id.
func (s *Service) Products(ctx context.Context, f ProductFilter) ([]Product, error) {
	return nil, errTODO
}

// Product returns product id or an error wrapping check.ErrNotFound.
func (s *Service) Product(ctx context.Context, id int64) (Product, error) {
	return Product{}, errTODO
}
