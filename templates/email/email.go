// Package email holds Bursar's e-mail templates. Each e-mail has a view model, an HTML body (a templ component inside
// Layout) and a plain-text body, both in the recipient's language; its function renders all three parts into a
// Rendered that the caller turns into a notify.Email. Test is the example to copy.
package email

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/a-h/templ"
)

// School is the sender shown in every e-mail.
type School struct {
	Name  string
	URL   string // the school's site or cabinet; optional
	Email string // the school's contact e-mail; optional
	Phone string // the school's contact phone; optional
}

// Rendered is an e-mail ready for the outbox.
type Rendered struct {
	Subject string
	Text    string
	HTML    string
}

// render turns an HTML component and a plain-text body into a Rendered, adding the text footer.
func render(ctx context.Context, subject string, html templ.Component, s School, text string) (Rendered, error) {
	var buf bytes.Buffer
	if err := html.Render(ctx, &buf); err != nil {
		return Rendered{}, fmt.Errorf("render e-mail %q: %w", subject, err)
	}
	return Rendered{Subject: subject, HTML: buf.String(), Text: textLayout(s, text)}, nil
}

// textLayout is the plain-text counterpart of Layout: the body, then a signature with the school's name and URL.
func textLayout(s School, body string) string {
	var b strings.Builder
	b.WriteString(strings.TrimSpace(body))
	b.WriteString("\n\n-- \n")
	b.WriteString(s.Name)
	for _, v := range []string{s.URL, s.Email, s.Phone} {
		if v != "" {
			b.WriteString("\n" + v)
		}
	}
	b.WriteString("\n")
	return b.String()
}

// pick returns the texts for lang, falling back to English.
func pick[T any](texts map[string]T, lang string) T {
	if t, ok := texts[lang]; ok {
		return t
	}
	if i := strings.IndexByte(lang, '-'); i > 0 {
		if t, ok := texts[lang[:i]]; ok {
			return t
		}
	}
	return texts["en"]
}
