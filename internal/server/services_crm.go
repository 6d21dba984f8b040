package server

import (
	"github.com/bursar/bursar/internal/access"
	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/crm"
)

type crmServices struct {
	contacts *crm.Service
	access   *access.Service
}

func newCRMServices(d Deps, al *audit.Log) crmServices {
	return crmServices{contacts: crm.NewService(d.Pool, al), access: access.NewService(d.Pool, al)}
}
