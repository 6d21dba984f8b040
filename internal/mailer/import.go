package mailer

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/importer"
	"github.com/bursar/bursar/internal/notify"
)

// importWelcome is the welcome e-mail of an import in one language: subject, greeting, what was given, the link's
// use and its validity. %s are, in order: the school; the products.
type importWelcome struct {
	subject, hello, helloName, given, link, valid string
}

var importWelcomes = map[string]importWelcome{
	"en": {"%s: your access is ready", "Hello,", "Hello %s,", "%s has given you access to: %s.",
		"Sign in with this link to set your password and start:", "The link works once, for 7 days."},
	"es": {"%s: tu acceso está listo", "Hola:", "Hola, %s:", "%s te ha dado acceso a: %s.",
		"Entra con este enlace para crear tu contraseña y empezar:", "El enlace funciona una sola vez, durante 7 días."},
	"fr": {"%s : votre accès est prêt", "Bonjour,", "Bonjour %s,", "%s vous a donné accès à : %s.",
		"Connectez-vous avec ce lien pour choisir votre mot de passe et commencer :", "Le lien ne fonctionne qu'une fois, pendant 7 jours."},
	"ru": {"%s: ваш доступ открыт", "Здравствуйте!", "Здравствуйте, %s!", "%s открыл(а) вам доступ к: %s.",
		"Войдите по этой ссылке, чтобы задать пароль и начать:", "Ссылка работает один раз в течение 7 дней."},
	"uk": {"%s: ваш доступ відкрито", "Вітаємо!", "Вітаємо, %s!", "%s відкрив(ла) вам доступ до: %s.",
		"Увійдіть за цим посиланням, щоб задати пароль і почати:", "Посилання діє один раз упродовж 7 днів."},
}

// ImportWelcomeTx renders the welcome e-mail of an import (what was given, the single-use sign-in link) in the
// school's language and enqueues it once per import and contact (w.DedupKey). The link is a secret of the e-mail.
func (m *Mailer) ImportWelcomeTx(ctx context.Context, tx pgx.Tx, w importer.Welcome) error {
	return m.ImportWelcomesTx(ctx, tx, []importer.Welcome{w})
}

// ImportWelcomesTx is ImportWelcomeTx for a batch of an import's contacts: the settings read once, each e-mail
// rendered, all enqueued with their jobs in one statement (notify.EnqueueManyTx), each once per w.DedupKey.
func (m *Mailer) ImportWelcomesTx(ctx context.Context, tx pgx.Tx, ws []importer.Welcome) error {
	if len(ws) == 0 {
		return nil
	}
	school, placeholderDomain, err := m.school(ctx, tx)
	if err != nil {
		return err
	}
	out := make([]notify.Email, 0, len(ws))
	for _, w := range ws {
		if placeholder(w.To, placeholderDomain) {
			continue
		}
		lng := lang(w.Language)
		t := importWelcomes[lng]
		hello := t.hello
		if w.Name != "" {
			hello = fmt.Sprintf(t.helloName, w.Name)
		}
		var b strings.Builder
		fmt.Fprintf(&b, "%s\n\n%s\n\n%s\n%s\n\n%s\n\n%s\n", hello, fmt.Sprintf(t.given, school.Name, strings.Join(w.Products, ", ")),
			t.link, w.SignInURL, t.valid, school.Name)
		out = append(out, notify.Email{DedupKey: w.DedupKey(), To: w.To, Language: lng, RelatedType: "contact",
			RelatedID: w.ContactID, Secrets: linkSecrets(w.SignInURL), Subject: fmt.Sprintf(t.subject, school.Name),
			Text: b.String()})
	}
	if err := m.notify.EnqueueManyTx(ctx, tx, out); err != nil {
		return fmt.Errorf("enqueue %d welcome e-mails: %w", len(out), err)
	}
	return nil
}
