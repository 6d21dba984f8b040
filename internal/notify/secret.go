package notify

import (
	"context"
	"fmt"
	"html"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/bursar/bursar/internal/db"
	"github.com/bursar/bursar/internal/notify/notifyq"
)

// Secrets are the values in an e-mail that only its recipient may read: single-use links and their tokens
// (password reset, welcome, a later payment link). A sender names them in Email.Secrets. The outbox never stores them
// in the bodies: each one is replaced there by a marker and kept apart, only until the e-mail is sent or logged.
// Whatever reads the outbox (the admin screens, any API) gets the bodies with SecretMask in place of each secret;
// only the worker puts the secrets back, for the SMTP server.

// SecretMask is what staff see in an e-mail in place of each of its secrets.
const SecretMask = "•••••• (single-use link hidden)"

// Limits on an e-mail's secrets.
const (
	MaxSecrets = 10
	// MinSecret keeps a secret from being a word that also occurs in the e-mail's ordinary text.
	MinSecret = 16
)

// secretMarker stands for secret i in a stored body. U+E000 and U+E001 are private-use characters no template
// writes; should user text carry a marker anyway, it only ever shows the recipient their own secret.
func secretMarker(i int) string { return "\uE000secret " + strconv.Itoa(i) + "\uE001" }

// markerRE matches every marker, whether or not its secret is still kept.
var markerRE = regexp.MustCompile("\uE000secret [0-9]+\uE001")

// sealed returns e with each secret in its bodies replaced by its marker. Longer secrets go first, so a link
// containing a token that is also a secret becomes one marker. The HTML body holds a secret HTML-escaped, as
// templ writes it into attributes and text.
func (e Email) sealed() Email {
	order := make([]int, len(e.Secrets))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return len(e.Secrets[b]) - len(e.Secrets[a]) })
	for _, i := range order {
		s, m := e.Secrets[i], secretMarker(i)
		e.Text = strings.ReplaceAll(e.Text, s, m)
		e.HTML = strings.ReplaceAll(e.HTML, html.EscapeString(s), m)
		e.HTML = strings.ReplaceAll(e.HTML, s, m)
	}
	return e
}

// validateSecrets names what is wrong with the secrets, into errs.
func validateSecrets(secrets []string, add func(field, msg string)) {
	if len(secrets) > MaxSecrets {
		add("secrets", fmt.Sprintf("must be at most %d", MaxSecrets))
	}
	for _, s := range secrets {
		if len(s) < MinSecret {
			add("secrets", fmt.Sprintf("must each be at least %d characters", MinSecret))
			return
		}
	}
}

// masked is m as staff may see it: every secret's marker shows SecretMask, and the secrets are gone.
func (m Message) masked() Message {
	m.Text = markerRE.ReplaceAllLiteralString(m.Text, SecretMask)
	m.HTML = markerRE.ReplaceAllLiteralString(m.HTML, html.EscapeString(SecretMask))
	m.secrets = nil
	return m
}

// revealed is m as its recipient gets it: each marker replaced by its secret (HTML-escaped in the HTML body).
// A marker whose secret is no longer kept shows SecretMask.
func (m Message) revealed() Message {
	for i, s := range m.secrets {
		m.Text = strings.ReplaceAll(m.Text, secretMarker(i), s)
		m.HTML = strings.ReplaceAll(m.HTML, secretMarker(i), html.EscapeString(s))
	}
	return m.masked()
}

// forgetSecrets drops the secrets of e-mail id once it has been sent or logged, in the transaction that records
// it: nothing readable remains of its single-use links. The worker calls it next to markDone.
func forgetSecrets(ctx context.Context, tx db.DBTX, id int64) error {
	if err := notifyq.New(tx).EmailForgetSecrets(ctx, id); err != nil {
		return fmt.Errorf("forget secrets of e-mail %d: %w", id, err)
	}
	return nil
}
