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
)

// OrderKinds lists every order e-mail.
var OrderKinds = []OrderKind{OrderReceived, OrderCompleted, OrderRejected, OrderRefunded}

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
	}},
	"es": {"Hola:", "Pedido", "Compra", "Importe", "Comentario", map[OrderKind]orderKindTexts{
		OrderReceived:  {"Hemos recibido tu pedido %s", "¡Gracias! Hemos recibido tu pedido y confirmaremos tu pago en cuanto lo hayamos comprobado.", "Ver tu pedido"},
		OrderCompleted: {"Pago confirmado: pedido %s", "Tu pago está confirmado. Tu compra te espera en tu cuenta.", "Abrir tu cuenta"},
		OrderRejected:  {"El pedido %s no se ha confirmado", "No hemos podido confirmar tu pago de este pedido.", "Ver tu pedido"},
		OrderRefunded:  {"El pedido %s ha sido reembolsado", "Te hemos reembolsado el pago de este pedido.", "Ver tu pedido"},
	}},
	"fr": {"Bonjour,", "Commande", "Achat", "Montant", "Commentaire", map[OrderKind]orderKindTexts{
		OrderReceived:  {"Nous avons bien reçu votre commande %s", "Merci ! Nous avons bien reçu votre commande et confirmerons votre paiement dès que nous l'aurons vérifié.", "Voir votre commande"},
		OrderCompleted: {"Paiement confirmé : commande %s", "Votre paiement est confirmé. Votre achat vous attend dans votre espace.", "Ouvrir votre espace"},
		OrderRejected:  {"La commande %s n'a pas été confirmée", "Nous n'avons pas pu confirmer votre paiement pour cette commande.", "Voir votre commande"},
		OrderRefunded:  {"La commande %s a été remboursée", "Votre paiement pour cette commande a été remboursé.", "Voir votre commande"},
	}},
	"ru": {"Здравствуйте!", "Заказ", "Покупка", "Сумма", "Комментарий", map[OrderKind]orderKindTexts{
		OrderReceived:  {"Мы получили ваш заказ %s", "Спасибо! Мы получили ваш заказ и подтвердим оплату, как только проверим её.", "Посмотреть заказ"},
		OrderCompleted: {"Оплата подтверждена: заказ %s", "Ваша оплата подтверждена. Покупка ждёт вас в личном кабинете.", "Открыть личный кабинет"},
		OrderRejected:  {"Заказ %s не подтверждён", "Мы не смогли подтвердить оплату этого заказа.", "Посмотреть заказ"},
		OrderRefunded:  {"Деньги за заказ %s возвращены", "Мы вернули вам оплату за этот заказ.", "Посмотреть заказ"},
	}},
	"uk": {"Вітаємо!", "Замовлення", "Покупка", "Сума", "Коментар", map[OrderKind]orderKindTexts{
		OrderReceived:  {"Ми отримали ваше замовлення %s", "Дякуємо! Ми отримали ваше замовлення й підтвердимо оплату, щойно перевіримо її.", "Переглянути замовлення"},
		OrderCompleted: {"Оплату підтверджено: замовлення %s", "Вашу оплату підтверджено. Покупка чекає на вас в особистому кабінеті.", "Відкрити особистий кабінет"},
		OrderRejected:  {"Замовлення %s не підтверджено", "Ми не змогли підтвердити оплату цього замовлення.", "Переглянути замовлення"},
		OrderRefunded:  {"Кошти за замовлення %s повернено", "Ми повернули вам оплату за це замовлення.", "Переглянути замовлення"},
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
