package mailer

import (
	"strings"
	"testing"

	"github.com/bursar/bursar/internal/settings"
)

// TestWebhookDisabledLanguages: the owners' e-mail about a disabled webhook endpoint is written in every language
// Bursar speaks, each with the school in its subject and the URL and time in its body.
func TestWebhookDisabledLanguages(t *testing.T) {
	for _, l := range settings.Languages {
		w, ok := webhookDisableds[l]
		if !ok || w.hello == "" || w.deliveries == "" || w.action == "" || strings.Count(w.subject, "%s") != 1 ||
			strings.Count(w.body, "%s") != 2 {
			t.Errorf("%s: %+v", l, w)
		}
	}
}
