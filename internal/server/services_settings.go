package server

import (
	"github.com/bursar/bursar/internal/audit"
)

// settingsServices: the school's settings, exchange rates and the e-mail renderer.
type settingsServices struct{}

func newSettingsServices(d Deps, al *audit.Log, svc *services) settingsServices {
	return settingsServices{}
}
