package server

import (
	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/fx"
	"github.com/bursar/bursar/internal/mailer"
	"github.com/bursar/bursar/internal/settings"
)

// settingsServices: the school's settings, exchange rates and the e-mail renderer.
type settingsServices struct {
	settings *settings.Service
	rates    *fx.Service
	mailer   *mailer.Mailer
}

func newSettingsServices(d Deps, al *audit.Log, svc *services, pages *pageCache) settingsServices {
	st := settings.NewService(d.Pool, al)
	return settingsServices{
		settings: st,
		rates:    fx.NewService(d.Pool, al),
		mailer:   mailer.New(svc.notify, cachedSchool{c: pages, svc: st}, d.Config.BaseURL),
	}
}
