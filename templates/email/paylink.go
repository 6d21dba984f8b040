package email

import (
	"context"
	"fmt"
	"strings"
)

// LinkKind names a payment-link e-mail; the values match paylink.EmailKind.
type LinkKind string

// Payment-link e-mails.
const (
	LinkRequest  LinkKind = "link"     // the link, to the payer
	LinkPaid     LinkKind = "paid"     // to the operator who made it
	LinkDeclined LinkKind = "declined" // to the operator who made it
)

// LinkKinds lists every payment-link e-mail.
var LinkKinds = []LinkKind{LinkRequest, LinkPaid, LinkDeclined}

// LinkEmail is the view model of an e-mail about a payment link.
type LinkEmail struct {
	School  School
	Lang    string
	Kind    LinkKind
	Title   string // what is being paid
	Amount  string // formatted for Lang
	Expires string // formatted date and time, with its zone
	Note    string // the operator's note (to the payer) or the payer's reason (declined); may be empty
	Link    string // the payer's page (LinkRequest), or the link's admin page (to the operator)
}

type linkKindTexts struct {
	subject string // %s: what is being paid
	lead    string
	action  string
}

type linkTexts struct {
	hello, what, amount, expires, note, reason string
	kinds                                      map[LinkKind]linkKindTexts
}

var linkCatalog = map[string]linkTexts{
	"en": {"Hello,", "For", "Amount", "Pay by", "Note", "Reason", map[LinkKind]linkKindTexts{
		LinkRequest:  {"Payment request: %s", "You have been sent a request to pay. Open the link to pay it, or to decline it.", "Pay now"},
		LinkPaid:     {"Payment link paid: %s", "The payment link you created has been paid.", "Open the payment link"},
		LinkDeclined: {"Payment link declined: %s", "The payer declined the payment link you created.", "Open the payment link"},
	}},
	"es": {"Hola:", "Concepto", "Importe", "Pagar antes de", "Nota", "Motivo", map[LinkKind]linkKindTexts{
		LinkRequest:  {"Solicitud de pago: %s", "Te han enviado una solicitud de pago. Abre el enlace para pagarla o rechazarla.", "Pagar ahora"},
		LinkPaid:     {"Enlace de pago pagado: %s", "El enlace de pago que creaste ha sido pagado.", "Abrir el enlace de pago"},
		LinkDeclined: {"Enlace de pago rechazado: %s", "El pagador ha rechazado el enlace de pago que creaste.", "Abrir el enlace de pago"},
	}},
	"fr": {"Bonjour,", "Objet", "Montant", "À payer avant le", "Note", "Motif", map[LinkKind]linkKindTexts{
		LinkRequest:  {"Demande de paiement : %s", "Vous avez reçu une demande de paiement. Ouvrez le lien pour la payer ou la refuser.", "Payer maintenant"},
		LinkPaid:     {"Lien de paiement payé : %s", "Le lien de paiement que vous avez créé a été payé.", "Ouvrir le lien de paiement"},
		LinkDeclined: {"Lien de paiement refusé : %s", "Le payeur a refusé le lien de paiement que vous avez créé.", "Ouvrir le lien de paiement"},
	}},
	"ru": {"Здравствуйте!", "За что", "Сумма", "Оплатить до", "Примечание", "Причина", map[LinkKind]linkKindTexts{
		LinkRequest:  {"Запрос на оплату: %s", "Вам отправили запрос на оплату. Откройте ссылку, чтобы оплатить или отклонить его.", "Оплатить"},
		LinkPaid:     {"Платёжная ссылка оплачена: %s", "Созданная вами платёжная ссылка оплачена.", "Открыть платёжную ссылку"},
		LinkDeclined: {"Платёжная ссылка отклонена: %s", "Плательщик отклонил созданную вами платёжную ссылку.", "Открыть платёжную ссылку"},
	}},
	"uk": {"Вітаємо!", "За що", "Сума", "Сплатити до", "Примітка", "Причина", map[LinkKind]linkKindTexts{
		LinkRequest:  {"Запит на оплату: %s", "Вам надіслали запит на оплату. Відкрийте посилання, щоб сплатити або відхилити його.", "Сплатити"},
		LinkPaid:     {"Платіжне посилання сплачено: %s", "Створене вами платіжне посилання сплачено.", "Відкрити платіжне посилання"},
		LinkDeclined: {"Платіжне посилання відхилено: %s", "Платник відхилив створене вами платіжне посилання.", "Відкрити платіжне посилання"},
	}},
}

// linkView is what the HTML body of a payment-link e-mail shows.
type linkView struct {
	LinkEmail
	t       linkTexts
	k       linkKindTexts
	subject string
	noteTag string // the note's label: the operator's note, or the payer's reason
}

// PaymentLink renders a payment-link e-mail in v.Lang (English when the language has no texts).
func PaymentLink(ctx context.Context, v LinkEmail) (Rendered, error) {
	if v.Lang == "" {
		v.Lang = "en"
	}
	t := pick(linkCatalog, v.Lang)
	k, ok := t.kinds[v.Kind]
	if !ok {
		return Rendered{}, fmt.Errorf("unknown payment-link e-mail kind %q", v.Kind)
	}
	lv := linkView{LinkEmail: v, t: t, k: k, subject: fmt.Sprintf(k.subject, v.Title), noteTag: t.note}
	if v.Kind == LinkDeclined {
		lv.noteTag = t.reason
	}
	return render(ctx, lv.subject, linkHTML(lv), v.School, linkText(lv))
}

func linkText(v linkView) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n%s\n\n", v.t.hello, v.k.lead)
	fmt.Fprintf(&b, "%s: %s\n%s: %s\n", v.t.what, v.Title, v.t.amount, v.Amount)
	if v.Kind == LinkRequest {
		fmt.Fprintf(&b, "%s: %s\n", v.t.expires, v.Expires)
	}
	if n := strings.TrimSpace(v.Note); n != "" {
		fmt.Fprintf(&b, "\n%s: %s\n", v.noteTag, n)
	}
	fmt.Fprintf(&b, "\n%s: %s\n", v.k.action, v.Link)
	return b.String()
}
