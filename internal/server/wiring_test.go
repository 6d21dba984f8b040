package server

import (
	"context"
	"testing"

	"github.com/bursar/bursar/internal/app"
)

// newServer builds the app from d's configuration, log and pool, starts its background work (the catalog cache's
// listener) until t ends, and returns the server on the app's services: the wiring `bursar serve` does.
func newServer(t testing.TB, d Deps) (*Server, *app.App) {
	t.Helper()
	ap, err := app.New(app.Deps{Config: d.Config, Log: d.Log, Pool: d.Pool})
	if err != nil {
		t.Fatal(err)
	}
	ap.Start(context.Background())
	t.Cleanup(ap.Close)
	d.Services = ap.Services
	srv, err := New(d)
	if err != nil {
		t.Fatal(err)
	}
	return srv, ap
}

// TestNewNeedsBuiltServices: the server builds no service; without app.New's services it refuses to start.
func TestNewNeedsBuiltServices(t *testing.T) {
	t.Parallel()
	if _, err := New(Deps{}); err == nil {
		t.Fatal("New without services returned no error")
	}
}
