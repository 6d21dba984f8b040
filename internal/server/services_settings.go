package server

import (
	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/catalogcache"
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

func newSettingsServices(d Deps, al *audit.Log, svc *services, pages *catalogcache.Cache) settingsServices {
	st := settings.NewService(d.Pool, al)
	return settingsServices{
		settings: st,
		rates:    fx.NewService(d.Pool, al),
		mailer:   mailer.New(svc.notify, catalogcache.School{Cache: pages, Settings: st}, d.Config.BaseURL),
	}
}
