package i18n

import (
	"strings"
	"testing"
)

func TestEveryKeyInEveryLanguage(t *testing.T) {
	t.Parallel()
	for _, lang := range Languages {
		for _, k := range Keys {
			s, ok := catalog[lang][k]
			if !ok || strings.TrimSpace(s) == "" {
				t.Errorf("%s: no text for %q", lang, k)
			}
			if strings.Count(s, "%") != strings.Count(catalog["en"][k], "%") {
				t.Errorf("%s %q: %q has other verbs than English %q", lang, k, s, catalog["en"][k])
			}
		}
		if len(catalog[lang]) != len(Keys) {
			t.Errorf("%s has %d texts for %d keys: a key is missing from Keys", lang, len(catalog[lang]), len(Keys))
		}
	}
	if len(catalog) != len(Languages) {
		t.Errorf("catalog has %d languages, Languages lists %d", len(catalog), len(Languages))
	}
}

func TestT(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, lang string
		key        Key
		want       string
	}{
		{"Spanish", "es", PerMonth, "al mes"},
		{"Ukrainian", "uk", Pay, "Оплатити"},
		{"UnknownLanguageIsEnglish", "de", Pay, "Pay"},
		{"UnknownKeyIsItself", "en", Key("nope"), "nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := T(tt.lang, tt.key); got != tt.want {
				t.Fatalf("T(%q, %q) = %q, want %q", tt.lang, tt.key, got, tt.want)
			}
		})
	}
	if got := F("fr", InNInstallments, 3); got != "en 3 versements" {
		t.Fatalf("F = %q", got)
	}
}
