package i18n

// Texts of paying through a gateway (Stripe, …): the pay page, the return pages and the retry page.
const (
	GatewayIntro       Key = "gateway_intro" // %s: payment system name
	GoToPay            Key = "go_to_pay"
	RedirectingTitle   Key = "redirecting_title"
	RedirectingBody    Key = "redirecting_body"
	UnavailableTitle   Key = "gateway_unavailable_title"
	UnavailableBody    Key = "gateway_unavailable_body"
	TryAgain           Key = "try_again"
	ConfirmingTitle    Key = "confirming_title"
	ConfirmingBody     Key = "confirming_body"
	CancelledTitle     Key = "cancelled_title"
	CancelledBody      Key = "cancelled_body"
	OrderStatusNow     Key = "order_status_now" // %s: order number
	ContinueToCourse   Key = "continue_to_course"
	SchoolContactIntro Key = "school_contact_intro"
)

var gatewayKeys = []Key{GatewayIntro, GoToPay, RedirectingTitle, RedirectingBody, UnavailableTitle, UnavailableBody,
	TryAgain, ConfirmingTitle, ConfirmingBody, CancelledTitle, CancelledBody, OrderStatusNow, ContinueToCourse,
	SchoolContactIntro}

var gatewayTexts = map[string]map[Key]string{
	"en": {
		GatewayIntro: "You will pay securely on the %s page and come back here.", GoToPay: "Go to payment",
		RedirectingTitle: "Taking you to the payment page", RedirectingBody: "If nothing happens, press the button.",
		UnavailableTitle: "The payment service did not answer",
		UnavailableBody:  "The payment service did not answer. Nothing was charged. Please try again in a moment.",
		TryAgain:         "Try again",
		ConfirmingTitle:  "Thank you! Your payment is being confirmed",
		ConfirmingBody: "We are waiting for the payment service to confirm your payment. This usually takes a few " +
			"seconds; we will e-mail you as soon as it is confirmed.",
		CancelledTitle: "Payment cancelled", CancelledBody: "You left the payment page before paying. Nothing was charged.",
		OrderStatusNow: "Order %s", ContinueToCourse: "Continue",
		SchoolContactIntro: "Questions about your payment? Contact us:",
	},
	"es": {
		GatewayIntro: "Pagarás de forma segura en la página de %s y volverás aquí.", GoToPay: "Ir al pago",
		RedirectingTitle: "Te llevamos a la página de pago", RedirectingBody: "Si no pasa nada, pulsa el botón.",
		UnavailableTitle: "El servicio de pago no respondió",
		UnavailableBody:  "El servicio de pago no respondió. No se ha cobrado nada. Inténtalo de nuevo en un momento.",
		TryAgain:         "Intentar de nuevo",
		ConfirmingTitle:  "¡Gracias! Estamos confirmando tu pago",
		ConfirmingBody: "Esperamos que el servicio de pago confirme tu pago. Suele tardar unos segundos; te " +
			"escribiremos en cuanto se confirme.",
		CancelledTitle: "Pago cancelado", CancelledBody: "Saliste de la página de pago sin pagar. No se ha cobrado nada.",
		OrderStatusNow: "Pedido %s", ContinueToCourse: "Continuar",
		SchoolContactIntro: "¿Dudas sobre tu pago? Escríbenos:",
	},
	"fr": {
		GatewayIntro: "Vous paierez en toute sécurité sur la page %s, puis reviendrez ici.", GoToPay: "Aller au paiement",
		RedirectingTitle: "Redirection vers la page de paiement", RedirectingBody: "Si rien ne se passe, appuyez sur le bouton.",
		UnavailableTitle: "Le service de paiement n’a pas répondu",
		UnavailableBody:  "Le service de paiement n’a pas répondu. Rien n’a été débité. Réessayez dans un instant.",
		TryAgain:         "Réessayer",
		ConfirmingTitle:  "Merci ! Votre paiement est en cours de confirmation",
		ConfirmingBody: "Nous attendons la confirmation du service de paiement. Cela prend en général quelques " +
			"secondes ; vous recevrez un e-mail dès qu’il sera confirmé.",
		CancelledTitle: "Paiement annulé", CancelledBody: "Vous avez quitté la page de paiement sans payer. Rien n’a été débité.",
		OrderStatusNow: "Commande %s", ContinueToCourse: "Continuer",
		SchoolContactIntro: "Une question sur votre paiement ? Contactez-nous :",
	},
	"ru": {
		GatewayIntro: "Вы оплатите на защищённой странице %s и вернётесь сюда.", GoToPay: "Перейти к оплате",
		RedirectingTitle: "Переходим на страницу оплаты", RedirectingBody: "Если ничего не происходит, нажмите кнопку.",
		UnavailableTitle: "Платёжный сервис не ответил",
		UnavailableBody:  "Платёжный сервис не ответил. Деньги не списаны. Попробуйте ещё раз через минуту.",
		TryAgain:         "Попробовать снова",
		ConfirmingTitle:  "Спасибо! Платёж подтверждается",
		ConfirmingBody: "Мы ждём подтверждения от платёжного сервиса. Обычно это занимает несколько секунд; мы " +
			"напишем вам, как только платёж будет подтверждён.",
		CancelledTitle: "Оплата отменена", CancelledBody: "Вы ушли со страницы оплаты, не заплатив. Деньги не списаны.",
		OrderStatusNow: "Заказ %s", ContinueToCourse: "Продолжить",
		SchoolContactIntro: "Вопросы об оплате? Свяжитесь с нами:",
	},
	"uk": {
		GatewayIntro: "Ви сплатите на захищеній сторінці %s і повернетеся сюди.", GoToPay: "Перейти до оплати",
		RedirectingTitle: "Переходимо на сторінку оплати", RedirectingBody: "Якщо нічого не відбувається, натисніть кнопку.",
		UnavailableTitle: "Платіжний сервіс не відповів",
		UnavailableBody:  "Платіжний сервіс не відповів. Кошти не списано. Спробуйте ще раз за хвилину.",
		TryAgain:         "Спробувати знову",
		ConfirmingTitle:  "Дякуємо! Платіж підтверджується",
		ConfirmingBody: "Ми чекаємо підтвердження від платіжного сервісу. Зазвичай це кілька секунд; ми напишемо " +
			"вам, щойно платіж буде підтверджено.",
		CancelledTitle: "Оплату скасовано", CancelledBody: "Ви пішли зі сторінки оплати, не сплативши. Кошти не списано.",
		OrderStatusNow: "Замовлення %s", ContinueToCourse: "Продовжити",
		SchoolContactIntro: "Питання щодо оплати? Зв’яжіться з нами:",
	},
}
