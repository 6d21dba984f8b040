package mailer

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/notify"
	"github.com/bursar/bursar/internal/webhook"
)

var _ webhook.Mailer = (*Mailer)(nil)

// webhookDisabled is the owners' e-mail about an endpoint Bursar disabled, in one language. %s are, in order: the
// subject's school; the body's endpoint URL, the time failures began, the admin page.
type webhookDisabled struct {
	subject, hello, body, deliveries, action string
}

var webhookDisableds = map[string]webhookDisabled{
	"en": {"%s: a webhook endpoint was disabled", "Hello,",
		"Bursar disabled the webhook endpoint %s: its deliveries have been failing since %s (3 days).",
		"Its pending deliveries were cancelled; new events are not sent to it until it is enabled again.",
		"Check the endpoint and its delivery log, fix the receiver, then enable it:"},
	"es": {"%s: se ha desactivado un endpoint de webhooks", "Hola:",
		"Bursar ha desactivado el endpoint de webhooks %s: sus entregas fallan desde el %s (3 días).",
		"Sus entregas pendientes se han cancelado; los nuevos eventos no se le envían hasta que se vuelva a activar.",
		"Revisa el endpoint y su registro de entregas, corrige el receptor y actívalo de nuevo:"},
	"fr": {"%s : un point de terminaison de webhooks a été désactivé", "Bonjour,",
		"Bursar a désactivé le point de terminaison de webhooks %s : ses envois échouent depuis le %s (3 jours).",
		"Ses envois en attente ont été annulés ; les nouveaux événements ne lui sont plus envoyés tant qu'il n'est pas réactivé.",
		"Vérifiez le point de terminaison et son journal d'envois, corrigez le récepteur, puis réactivez-le :"},
	"ru": {"%s: вебхук-эндпоинт отключён", "Здравствуйте!",
		"Bursar отключил вебхук-эндпоинт %s: доставки на него не проходят с %s (3 дня).",
		"Его ожидающие доставки отменены; новые события не отправляются, пока его снова не включат.",
		"Проверьте эндпоинт и журнал доставок, исправьте получатель и включите его снова:"},
	"uk": {"%s: вебхук-ендпоінт вимкнено", "Вітаємо!",
		"Bursar вимкнув вебхук-ендпоінт %s: доставки на нього не проходять з %s (3 дні).",
		"Його доставки, що очікували, скасовано; нові події не надсилаються, доки його знову не ввімкнуть.",
		"Перевірте ендпоінт і журнал доставок, виправте отримувача та ввімкніть його знову:"},
}

// WebhookDisabledTx e-mails each owner in d.To that Bursar disabled d.Endpoint, in the school's language, once per
// endpoint, disabling and owner (dedup key "webhook-disabled:<id>:<unix time>:<address>").
func (m *Mailer) WebhookDisabledTx(ctx context.Context, tx pgx.Tx, d webhook.Disabled) error {
	s, err := m.settings.GetTx(ctx, tx)
	if err != nil {
		return err
	}
	lng := lang(s.Language)
	t := webhookDisableds[lng]
	page := fmt.Sprintf("%s/admin/webhooks/%d", m.baseURL, d.Endpoint.ID)
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n%s\n\n%s\n\n%s\n%s\n\n%s\n", t.hello,
		fmt.Sprintf(t.body, d.Endpoint.URL, d.Endpoint.FailingSince.UTC().Format(time.RFC3339)), t.deliveries, t.action,
		page, s.Name)
	out := make([]notify.Email, 0, len(d.To))
	for _, to := range d.To {
		if placeholder(to, s.PlaceholderDomain) {
			continue
		}
		out = append(out, notify.Email{DedupKey: fmt.Sprintf("webhook-disabled:%d:%d:%s", d.Endpoint.ID, d.At.Unix(), to),
			To: to, Language: lng, RelatedType: "webhook_endpoint", RelatedID: d.Endpoint.ID,
			Subject: fmt.Sprintf(t.subject, s.Name), Text: b.String()})
	}
	if err := m.notify.EnqueueManyTx(ctx, tx, out); err != nil {
		return fmt.Errorf("enqueue the webhook-disabled e-mails of endpoint %d: %w", d.Endpoint.ID, err)
	}
	return nil
}
