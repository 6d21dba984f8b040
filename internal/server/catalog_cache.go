package server

import (
	"context"
	"fmt"
	"strconv"

	"github.com/bursar/bursar/internal/catalogcache"
	"github.com/bursar/bursar/internal/gateway"
)

// systemAccount is a payment system with what its provider needs to call the gateway.
type systemAccount struct {
	sys  gateway.System
	acct gateway.Account
}

// webhookAccount is payment system id with its opened credentials, for verifying its notifications.
func (s *Server) webhookAccount(ctx context.Context, id int64) (gateway.System, gateway.Account, error) {
	sa, err := catalogcache.Cached(s.pages, "payment-system:"+strconv.FormatInt(id, 10), func() (systemAccount, error) {
		sys, err := s.paymentSystems.Get(ctx, id)
		if err != nil {
			return systemAccount{}, err
		}
		acct, err := s.gatewayAccount(ctx, sys)
		if err != nil {
			return systemAccount{}, fmt.Errorf("payment system %d: %w", id, err)
		}
		return systemAccount{sys: sys, acct: acct}, nil
	})
	return sa.sys, sa.acct, err
}
