package mailer

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/notify"
	"github.com/bursar/bursar/internal/receiptdoc"
	"github.com/bursar/bursar/internal/subscription"
)

var _ subscription.Mailer = (*Mailer)(nil)

// subscriptionText is a subscription e-mail in one language. In subject, %s are the school and the subscription's
// offer; in body, the offer, the subscription's number and the amount; until has the date access lasts to.
type subscriptionText struct {
	subject, hello, body, until, action, cabinet string
}

// subscriptionTexts are the subscription e-mails by kind and language.
var subscriptionTexts = map[string]map[string]subscriptionText{
	subscription.EmailPastDue: {
		"en": {"%s: the payment for %s did not go through", "Hello,",
			"We could not charge your card for %s (subscription %s, %s).",
			"Your access lasts until %s; after that it stops unless the payment goes through.",
			"Update your card or pay here:", "Your subscriptions:"},
		"es": {"%s: no se pudo cobrar %s", "Hola:",
			"No hemos podido cobrar en tu tarjeta %s (suscripción %s, %s).",
			"Tu acceso dura hasta el %s; después se detiene si el pago no se realiza.",
			"Actualiza tu tarjeta o paga aquí:", "Tus suscripciones:"},
		"fr": {"%s : le paiement de %s n'a pas abouti", "Bonjour,",
			"Nous n'avons pas pu débiter votre carte pour %s (abonnement %s, %s).",
			"Votre accès dure jusqu'au %s ; ensuite il s'arrête si le paiement n'aboutit pas.",
			"Mettez à jour votre carte ou payez ici :", "Vos abonnements :"},
		"ru": {"%s: не удалось оплатить %s", "Здравствуйте!",
			"Нам не удалось списать оплату с вашей карты за %s (подписка %s, %s).",
			"Доступ сохраняется до %s; после этого он прекратится, если оплата не пройдёт.",
			"Обновите карту или оплатите здесь:", "Ваши подписки:"},
		"uk": {"%s: не вдалося оплатити %s", "Вітаємо!",
			"Нам не вдалося списати оплату з вашої картки за %s (підписка %s, %s).",
			"Доступ зберігається до %s; після цього він припиниться, якщо оплата не пройде.",
			"Оновіть картку або сплатіть тут:", "Ваші підписки:"},
	},
	subscription.EmailCancelled: {
		"en": {"%s: your subscription to %s has ended", "Hello,",
			"Your subscription to %s (%s, %s) is cancelled: you will not be charged again.",
			"Your access lasts until %s.", "", "Your subscriptions:"},
		"es": {"%s: tu suscripción a %s ha terminado", "Hola:",
			"Tu suscripción a %s (%s, %s) está cancelada: no se te cobrará de nuevo.",
			"Tu acceso dura hasta el %s.", "", "Tus suscripciones:"},
		"fr": {"%s : votre abonnement à %s est terminé", "Bonjour,",
			"Votre abonnement à %s (%s, %s) est annulé : vous ne serez plus débité.",
			"Votre accès dure jusqu'au %s.", "", "Vos abonnements :"},
		"ru": {"%s: ваша подписка на %s завершена", "Здравствуйте!",
			"Ваша подписка на %s (%s, %s) отменена: новых списаний не будет.",
			"Доступ сохраняется до %s.", "", "Ваши подписки:"},
		"uk": {"%s: вашу підписку на %s завершено", "Вітаємо!",
			"Вашу підписку на %s (%s, %s) скасовано: нових списань не буде.",
			"Доступ зберігається до %s.", "", "Ваші підписки:"},
	},
}

// SubscriptionEmailTx queues a subscription e-mail (past due with the update link, cancelled) in tx, in the
// subscription's language, once per subscription, kind and e.Key (dedup key "subscription:<id>:<kind>[:<key>]").
// The update link is the gateway's page (not a secret of Bursar's); dates are in the school's time zone.
func (m *Mailer) SubscriptionEmailTx(ctx context.Context, tx pgx.Tx, e subscription.Email) error {
	texts, ok := subscriptionTexts[e.Kind]
	if !ok {
		return fmt.Errorf("subscription e-mail of kind %q: unknown", e.Kind)
	}
	s, err := m.settings.GetTx(ctx, tx)
	if err != nil {
		return err
	}
	lng := lang(e.Language)
	t := texts[lng]
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n%s\n", t.hello, fmt.Sprintf(t.body, e.OfferTitle, e.Number, e.Amount))
	if e.AccessUntil != nil {
		fmt.Fprintf(&b, "%s\n", fmt.Sprintf(t.until, receiptdoc.Date(lng, *e.AccessUntil, receiptdoc.Location(s.Timezone))))
	}
	if e.Kind == subscription.EmailPastDue && e.UpdateURL != "" {
		fmt.Fprintf(&b, "\n%s\n%s\n", t.action, e.UpdateURL)
	}
	cabinet := e.CabinetURL
	if cabinet == "" {
		cabinet = m.baseURL + "/account"
	}
	fmt.Fprintf(&b, "\n%s\n%s\n\n%s\n", t.cabinet, cabinet, s.Name)
	key := fmt.Sprintf("subscription:%d:%s", e.SubscriptionID, e.Kind)
	if e.Key != "" {
		key += ":" + e.Key
	}
	return m.enqueueRendered(ctx, tx, notify.Email{DedupKey: key, To: e.To, Language: lng,
		RelatedType: "subscription", RelatedID: e.SubscriptionID,
		Subject: fmt.Sprintf(t.subject, s.Name, e.OfferTitle), Text: b.String()}, s.PlaceholderDomain)
}
