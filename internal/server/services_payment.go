package server

import (
	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/gateway"
)

type paymentServices struct {
	paymentSystems *gateway.Service
}

func newPaymentServices(d Deps, al *audit.Log) paymentServices {
	return paymentServices{paymentSystems: gateway.NewService(d.Pool, al, d.Config.SecretKey)}
}
