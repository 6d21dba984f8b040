package server

import (
	"github.com/bursar/bursar/internal/audit"
)

// accountServices: students' accounts.
type accountServices struct{}

func newAccountServices(d Deps, al *audit.Log, svc *services) accountServices {
	return accountServices{}
}
