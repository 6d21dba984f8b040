package i18n

// Texts of the payer's page of a payment link (/pay/{token}).
const (
	LinkTitle         Key = "link_title"
	LinkFrom          Key = "link_from" // %s: the school's name
	LinkFor           Key = "link_for"
	LinkValidUntil    Key = "link_valid_until"
	LinkNote          Key = "link_note"
	LinkPayNow        Key = "link_pay_now" // %s: the payment system's name
	LinkDecline       Key = "link_decline"
	LinkDeclineIntro  Key = "link_decline_intro"
	LinkDeclineReason Key = "link_decline_reason"
	LinkDeclineSubmit Key = "link_decline_submit"
	LinkPaid          Key = "link_paid"
	LinkCancelled     Key = "link_cancelled"
	LinkDeclined      Key = "link_declined"
	LinkExpired       Key = "link_expired"
	LinkExpiredBody   Key = "link_expired_body"
	LinkBankTitle     Key = "link_bank_title"
	LinkBankIntro     Key = "link_bank_intro"
	LinkOrderWaiting  Key = "link_order_waiting" // %s: the order's number
	LinkBack          Key = "link_back"
)

var linkKeys = []Key{LinkTitle, LinkFrom, LinkFor, LinkValidUntil, LinkNote, LinkPayNow, LinkDecline, LinkDeclineIntro,
	LinkDeclineReason, LinkDeclineSubmit, LinkPaid, LinkCancelled, LinkDeclined, LinkExpired, LinkExpiredBody,
	LinkBankTitle, LinkBankIntro, LinkOrderWaiting, LinkBack}

var linkTexts = map[string]map[Key]string{
	"en": {
		LinkTitle: "Payment request", LinkFrom: "%s asks you to pay", LinkFor: "For", LinkValidUntil: "Pay by",
		LinkNote: "Message from the school", LinkPayNow: "Pay now: %s", LinkDecline: "I will not pay this",
		LinkDeclineIntro:  "Let the school know you decline this payment request. This cannot be undone.",
		LinkDeclineReason: "Reason", LinkDeclineSubmit: "Decline the payment request",
		LinkPaid:         "This payment request has been paid. Thank you!",
		LinkCancelled:    "The school cancelled this payment request: there is nothing to pay.",
		LinkDeclined:     "You declined this payment request. The school has been told.",
		LinkExpired:      "This payment request has expired.",
		LinkExpiredBody:  "Contact the school if you still want to pay: they can send you a new one.",
		LinkBankTitle:    "Bank transfer details",
		LinkBankIntro:    "Pay by bank transfer to these details, then tell us when you paid and send the receipt below.",
		LinkOrderWaiting: "Your order %s is waiting for the school to confirm your transfer.",
		LinkBack:         "Back to the payment request",
	},
	"es": {
		LinkTitle: "Solicitud de pago", LinkFrom: "%s te pide un pago", LinkFor: "Concepto", LinkValidUntil: "Paga antes del",
		LinkNote: "Mensaje de la escuela", LinkPayNow: "Pagar ahora: %s", LinkDecline: "No voy a pagar esto",
		LinkDeclineIntro:  "Avisa a la escuela de que rechazas esta solicitud de pago. No se puede deshacer.",
		LinkDeclineReason: "Motivo", LinkDeclineSubmit: "Rechazar la solicitud de pago",
		LinkPaid:         "Esta solicitud de pago ya está pagada. ¡Gracias!",
		LinkCancelled:    "La escuela ha cancelado esta solicitud de pago: no hay nada que pagar.",
		LinkDeclined:     "Has rechazado esta solicitud de pago. La escuela ya lo sabe.",
		LinkExpired:      "Esta solicitud de pago ha caducado.",
		LinkExpiredBody:  "Si todavía quieres pagar, contacta con la escuela: te puede enviar una nueva.",
		LinkBankTitle:    "Datos para la transferencia",
		LinkBankIntro:    "Paga por transferencia a estos datos y después indícanos cuándo pagaste y envía el justificante abajo.",
		LinkOrderWaiting: "Tu pedido %s está pendiente de que la escuela confirme tu transferencia.",
		LinkBack:         "Volver a la solicitud de pago",
	},
	"fr": {
		LinkTitle: "Demande de paiement", LinkFrom: "%s vous demande un paiement", LinkFor: "Objet", LinkValidUntil: "À payer avant le",
		LinkNote: "Message de l'école", LinkPayNow: "Payer maintenant : %s", LinkDecline: "Je ne paierai pas",
		LinkDeclineIntro:  "Indiquez à l'école que vous refusez cette demande de paiement. C'est définitif.",
		LinkDeclineReason: "Motif", LinkDeclineSubmit: "Refuser la demande de paiement",
		LinkPaid:         "Cette demande de paiement a été payée. Merci !",
		LinkCancelled:    "L'école a annulé cette demande de paiement : il n'y a rien à payer.",
		LinkDeclined:     "Vous avez refusé cette demande de paiement. L'école en a été informée.",
		LinkExpired:      "Cette demande de paiement a expiré.",
		LinkExpiredBody:  "Si vous souhaitez toujours payer, contactez l'école : elle peut vous en envoyer une nouvelle.",
		LinkBankTitle:    "Coordonnées bancaires",
		LinkBankIntro:    "Payez par virement à ces coordonnées, puis indiquez-nous la date du paiement et envoyez le reçu ci-dessous.",
		LinkOrderWaiting: "Votre commande %s attend que l'école confirme votre virement.",
		LinkBack:         "Retour à la demande de paiement",
	},
	"ru": {
		LinkTitle: "Запрос на оплату", LinkFrom: "%s просит вас оплатить", LinkFor: "За что", LinkValidUntil: "Оплатить до",
		LinkNote: "Сообщение от школы", LinkPayNow: "Оплатить сейчас: %s", LinkDecline: "Я не буду это оплачивать",
		LinkDeclineIntro:  "Сообщите школе, что отказываетесь от этого запроса на оплату. Отменить это нельзя.",
		LinkDeclineReason: "Причина", LinkDeclineSubmit: "Отказаться от оплаты",
		LinkPaid:         "Этот запрос на оплату уже оплачен. Спасибо!",
		LinkCancelled:    "Школа отменила этот запрос на оплату: платить ничего не нужно.",
		LinkDeclined:     "Вы отказались от этого запроса на оплату. Школа уведомлена.",
		LinkExpired:      "Срок действия этого запроса на оплату истёк.",
		LinkExpiredBody:  "Если вы всё ещё хотите оплатить, свяжитесь со школой: вам пришлют новый запрос.",
		LinkBankTitle:    "Реквизиты для перевода",
		LinkBankIntro:    "Оплатите банковским переводом по этим реквизитам, затем укажите дату оплаты и отправьте квитанцию ниже.",
		LinkOrderWaiting: "Ваш заказ %s ждёт, пока школа подтвердит перевод.",
		LinkBack:         "Вернуться к запросу на оплату",
	},
	"uk": {
		LinkTitle: "Запит на оплату", LinkFrom: "%s просить вас оплатити", LinkFor: "За що", LinkValidUntil: "Оплатити до",
		LinkNote: "Повідомлення від школи", LinkPayNow: "Оплатити зараз: %s", LinkDecline: "Я не буду це оплачувати",
		LinkDeclineIntro:  "Повідомте школу, що відмовляєтеся від цього запиту на оплату. Скасувати це не можна.",
		LinkDeclineReason: "Причина", LinkDeclineSubmit: "Відмовитися від оплати",
		LinkPaid:         "Цей запит на оплату вже оплачено. Дякуємо!",
		LinkCancelled:    "Школа скасувала цей запит на оплату: нічого платити не потрібно.",
		LinkDeclined:     "Ви відмовилися від цього запиту на оплату. Школу повідомлено.",
		LinkExpired:      "Термін дії цього запиту на оплату минув.",
		LinkExpiredBody:  "Якщо ви все ще хочете оплатити, зв’яжіться зі школою: вам надішлють новий запит.",
		LinkBankTitle:    "Реквізити для переказу",
		LinkBankIntro:    "Оплатіть банківським переказом за цими реквізитами, потім вкажіть дату оплати й надішліть квитанцію нижче.",
		LinkOrderWaiting: "Ваше замовлення %s чекає, доки школа підтвердить переказ.",
		LinkBack:         "Повернутися до запиту на оплату",
	},
}
