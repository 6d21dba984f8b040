package app

import (
	"go/build"
	"strings"
	"testing"
)

const module = "github.com/bursar/bursar/"

// imports are pkg's imports (test files excluded); with all, every package of this module it depends on.
func imports(t *testing.T, pkg string, all bool) map[string]bool {
	t.Helper()
	seen := map[string]bool{}
	var walk func(string)
	walk = func(p string) {
		bp, err := build.Default.Import(p, ".", 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range bp.Imports {
			if !strings.HasPrefix(imp, module) || seen[imp] {
				continue
			}
			seen[imp] = true
			if all {
				walk(imp)
			}
		}
	}
	walk(pkg)
	return seen
}

// TestWiringInOnePlace: the HTTP server imports no gateway provider (app.New builds them), and the wiring — with
// River's workers — never depends on the HTTP server.
func TestWiringInOnePlace(t *testing.T) {
	for imp := range imports(t, module+"internal/server", false) {
		if strings.HasPrefix(imp, module+"internal/gateway/") {
			t.Errorf("internal/server imports %s", imp)
		}
	}
	if imports(t, module+"internal/app", true)[module+"internal/server"] {
		t.Error("internal/app depends on internal/server")
	}
	if !imports(t, module+"cmd/bursar", false)[module+"internal/app"] {
		t.Error("cmd/bursar does not wire through internal/app")
	}
}
