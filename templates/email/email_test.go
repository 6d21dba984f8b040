package email

import (
	"context"
	"strings"
	"testing"
)

func TestTestEmailLanguages(t *testing.T) {
	t.Parallel()
	tests := []struct {
		lang, subject, greeting string
	}{
		{"en", "Test e-mail", "Hello Ann,"},
		{"uk", "Тестовий лист", "Вітаємо, Ann!"},
		{"es-MX", "Correo de prueba", "Hola Ann:"},
		{"de", "Test e-mail", "Hello Ann,"}, // no German texts: English
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			r, err := Test(context.Background(), TestEmail{School: School{Name: "A & B School", URL: "https://school.test"}, Lang: tt.lang, Name: "Ann"})
			if err != nil {
				t.Fatal(err)
			}
			if r.Subject != tt.subject {
				t.Errorf("subject %q, want %q", r.Subject, tt.subject)
			}
			if !strings.HasPrefix(r.Text, tt.greeting) || !strings.HasSuffix(r.Text, "-- \nA & B School\nhttps://school.test\n") {
				t.Errorf("text %q", r.Text)
			}
			for _, want := range []string{`<html lang="` + tt.lang + `">`, tt.greeting, "A &amp; B School", `href="https://school.test"`} {
				if !strings.Contains(r.HTML, want) {
					t.Errorf("HTML lacks %q:\n%s", want, r.HTML)
				}
			}
		})
	}
}

func TestTestEmailEscapesName(t *testing.T) {
	t.Parallel()
	r, err := Test(context.Background(), TestEmail{School: School{Name: "S"}, Name: `<img src=x onerror=alert(1)>`})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(r.HTML, "<img") || !strings.Contains(r.HTML, "&lt;img") {
		t.Fatalf("name not escaped:\n%s", r.HTML)
	}
}
