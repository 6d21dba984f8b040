// Package gateway is the payment systems a school configures (one gateway account each: manual, Stripe, PayPal,
// Redsys, WayForPay, Fondy) and, later, the Gateway interface with one subpackage per provider.
package gateway

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/bursar/bursar/internal/audit"
)

// System is one configured payment system. Credentials are never part of it: they stay sealed in the database.
type System struct {
	ID          int64
	Type        string // manual, stripe, paypal, redsys, wayforpay, fondy
	Name        string
	Description string
	ImageURL    string
	Mode        string // test or live
	Settings    map[string]any
	Enabled     bool
	CreatedAt   time.Time
}

// Service manages payment systems.
type Service struct {
	db     *pgxpool.Pool
	audit  *audit.Log
	secret []byte
}

// NewService returns a Service on pool; secretKey (32 bytes) seals credentials.
func NewService(pool *pgxpool.Pool, al *audit.Log, secretKey []byte) *Service {
	return &Service{db: pool, audit: al, secret: secretKey}
}

var errTODO = errors.New("gateway: not implemented yet")

// Systems returns the payment systems with the given ids, in that order; unknown ids are left out.
func (s *Service) Systems(ctx context.Context, ids []int64) ([]System, error) {
	return nil, errTODO
}
