package server

import (
	"github.com/bursar/bursar/internal/audit"
)

// services are the domain modules the handlers call. Each module adds its service here.
type services struct{}

func newServices(d Deps, al *audit.Log) services {
	return services{}
}
