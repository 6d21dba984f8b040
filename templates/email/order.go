package email

import (
	"context"
	"fmt"
	"strings"
)

// OrderKind names an order e-mail; the values match order.EmailKind.
type OrderKind string

// Order e-mails.
const (
	OrderReceived  OrderKind = "received"
	OrderCompleted OrderKind = "completed"
	OrderRejected  OrderKind = "rejected"
	OrderRefunded  OrderKind = "refunded"
	// OrderWelcome is OrderCompleted for a payer who paid without signing in: Link is a single-use sign-in link.
	OrderWelcome OrderKind = "welcome"
)

// OrderKinds lists every order e-mail.
var OrderKinds = []OrderKind{OrderReceived, OrderCompleted, OrderRejected, OrderRefunded, OrderWelcome}

// OrderEmail is the view model of an e-mail about an order, to the person who placed it.
type OrderEmail struct {
	School     School
	Lang       string
	Kind       OrderKind
	Number     string // the order's number, e.g. "B-000123"
	OfferTitle string
	Amount     string // already formatted for Lang, e.g. "49,90 €"
	Link       string // the order's page, or the cabinet once paid
	Comment    string // the manager's comment on a rejection or refund; may be empty
}

// orderKindTexts are the parts of one order e-mail that differ by kind.
type orderKindTexts struct {
	subject string // %s: order number
	lead    string
	action  string // the link's label
}

// orderTexts are an order e-mail's texts in one language.
type orderTexts struct {
	hello   string
	order   string
	offer   string
	amount  string
	comment string
	kinds   map[OrderKind]orderKindTexts
}

var orderCatalog = map[string]orderTexts{
	"en": {"Hello,", "Order", "Purchase", "Amount", "Comment", map[OrderKind]orderKindTexts{
		OrderReceived:  {"We have received your order %s", "Thank you! We have received your order and will confirm your payment as soon as we have checked it.", "View your order"},
		OrderCompleted: {"Payment confirmed: order %s", "Your payment is confirmed. Your purchase is waiting for you in your account.", "Open your account"},
		OrderRejected:  {"Order %s was not confirmed", "We could not confirm your payment for this order.", "View your order"},
		OrderRefunded:  {"Order %s has been refunded", "Your payment for this order has been refunded.", "View your order"},
		OrderWelcome:   {"Payment confirmed: order %s", "Your payment is confirmed and your purchase is ready. Sign in with the button below; the first time, you will choose a password. The link works once, for 7 days.", "Sign in and open your purchase"},
	}},
	"es": {"Hola:", "Pedido", "Compra", "Importe", "Comentario", map[OrderKind]orderKindTexts{
		OrderReceived:  {"Hemos recibido tu pedido %s", "¡Gracias! Hemos recibido tu pedido y confirmaremos tu pago en cuanto lo hayamos comprobado.", "Ver tu pedido"},
		OrderCompleted: {"Pago confirmado: pedido %s", "Tu pago está confirmado. Tu compra te espera en tu cuenta.", "Abrir tu cuenta"},
		OrderRejected:  {"El pedido %s no se ha confirmado", "No hemos podido confirmar tu pago de este pedido.", "Ver tu pedido"},
		OrderRefunded:  {"El pedido %s ha sido reembolsado", "Te hemos reembolsado el pago de este pedido.", "Ver tu pedido"},
		OrderWelcome:   {"Pago confirmado: pedido %s", "Tu pago está confirmado y tu compra está lista. Entra con el botón de abajo; la primera vez elegirás una contraseña. El enlace funciona una sola vez, durante 7 días.", "Entrar y abrir tu compra"},
	}},
	"fr": {"Bonjour,", "Commande", "Achat", "Montant", "Commentaire", map[OrderKind]orderKindTexts{
		OrderReceived:  {"Nous avons bien reçu votre commande %s", "Merci ! Nous avons bien reçu votre commande et confirmerons votre paiement dès que nous l'aurons vérifié.", "Voir votre commande"},
		OrderCompleted: {"Paiement confirmé : commande %s", "Votre paiement est confirmé. Votre achat vous attend dans votre espace.", "Ouvrir votre espace"},
		OrderRejected:  {"La commande %s n'a pas été confirmée", "Nous n'avons pas pu confirmer votre paiement pour cette commande.", "Voir votre commande"},
		OrderRefunded:  {"La commande %s a été remboursée", "Votre paiement pour cette commande a été remboursé.", "Voir votre commande"},
		OrderWelcome:   {"Paiement confirmé : commande %s", "Votre paiement est confirmé et votre achat est prêt. Connectez-vous avec le bouton ci-dessous ; la première fois, vous choisirez un mot de passe. Le lien fonctionne une seule fois, pendant 7 jours.", "Se connecter et ouvrir votre achat"},
	}},
	"ru": {"Здравствуйте!", "Заказ", "Покупка", "Сумма", "Комментарий", map[OrderKind]orderKindTexts{
		OrderReceived:  {"Мы получили ваш заказ %s", "Спасибо! Мы получили ваш заказ и подтвердим оплату, как только проверим её.", "Посмотреть заказ"},
		OrderCompleted: {"Оплата подтверждена: заказ %s", "Ваша оплата подтверждена. Покупка ждёт вас в личном кабинете.", "Открыть личный кабинет"},
		OrderRejected:  {"Заказ %s не подтверждён", "Мы не смогли подтвердить оплату этого заказа.", "Посмотреть заказ"},
		OrderRefunded:  {"Деньги за заказ %s возвращены", "Мы вернули вам оплату за этот заказ.", "Посмотреть заказ"},
		OrderWelcome:   {"Оплата подтверждена: заказ %s", "Ваша оплата подтверждена, покупка ждёт вас. Войдите по кнопке ниже; в первый раз вы зададите пароль. Ссылка работает один раз в течение 7 дней.", "Войти и открыть покупку"},
	}},
	"uk": {"Вітаємо!", "Замовлення", "Покупка", "Сума", "Коментар", map[OrderKind]orderKindTexts{
		OrderReceived:  {"Ми отримали ваше замовлення %s", "Дякуємо! Ми отримали ваше замовлення й підтвердимо оплату, щойно перевіримо її.", "Переглянути замовлення"},
		OrderCompleted: {"Оплату підтверджено: замовлення %s", "Вашу оплату підтверджено. Покупка чекає на вас в особистому кабінеті.", "Відкрити особистий кабінет"},
		OrderRejected:  {"Замовлення %s не підтверджено", "Ми не змогли підтвердити оплату цього замовлення.", "Переглянути замовлення"},
		OrderRefunded:  {"Кошти за замовлення %s повернено", "Ми повернули вам оплату за це замовлення.", "Переглянути замовлення"},
		OrderWelcome:   {"Оплату підтверджено: замовлення %s", "Вашу оплату підтверджено, покупка чекає на вас. Увійдіть кнопкою нижче; першого разу ви задасте пароль. Посилання працює один раз протягом 7 днів.", "Увійти й відкрити покупку"},
	}},
}

// orderView is what the HTML body of an order e-mail shows.
type orderView struct {
	OrderEmail
	t       orderTexts
	k       orderKindTexts
	subject string
}

// Order renders an order e-mail in v.Lang (English when the language has no texts).
func Order(ctx context.Context, v OrderEmail) (Rendered, error) {
	if v.Lang == "" {
		v.Lang = "en"
	}
	t := pick(orderCatalog, v.Lang)
	k, ok := t.kinds[v.Kind]
	if !ok {
		return Rendered{}, fmt.Errorf("unknown order e-mail kind %q", v.Kind)
	}
	ov := orderView{OrderEmail: v, t: t, k: k, subject: fmt.Sprintf(k.subject, v.Number)}
	return render(ctx, ov.subject, orderHTML(ov), v.School, orderText(ov))
}

func orderText(v orderView) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n%s\n\n", v.t.hello, v.k.lead)
	fmt.Fprintf(&b, "%s: %s\n%s: %s\n%s: %s\n", v.t.order, v.Number, v.t.offer, v.OfferTitle, v.t.amount, v.Amount)
	if c := strings.TrimSpace(v.Comment); c != "" {
		fmt.Fprintf(&b, "\n%s: %s\n", v.t.comment, c)
	}
	fmt.Fprintf(&b, "\n%s: %s\n", v.k.action, v.Link)
	return b.String()
}
