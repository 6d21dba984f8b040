// Package migrations embeds Bursar's goose SQL migrations: one timeline, numbered, each with Up and Down.
package migrations

import "embed"

// FS holds every migration file.
//
//go:embed *.sql
var FS embed.FS
