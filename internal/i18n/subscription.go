package i18n

// Texts of subscriptions (issue 15): the recurring offer's terms and Subscribe button, the return from the
// gateway, and the cabinet's subscriptions page with its actions and retry page.
const (
	PerDay            Key = "per_day"
	SubTrial          Key = "sub_trial"   // %d days
	SubCharges        Key = "sub_charges" // %d charges
	SubUntilCancelled Key = "sub_until_cancelled"
	SubCancelAnyTime  Key = "sub_cancel_any_time"
	SubscribeWith     Key = "subscribe_with" // %s: payment system name
	Subscribe         Key = "subscribe"
	SubscribeTo       Key = "subscribe_to" // %s: offer title
	SubSignInNote     Key = "sub_sign_in_note"
	SubConfirmTitle   Key = "sub_confirm_title"
	SubConfirmBody    Key = "sub_confirm_body" // %s: the gateway's name
	MySubscriptions   Key = "my_subscriptions"
	NoSubscriptions   Key = "no_subscriptions"
	SubPending        Key = "sub_status_pending"
	SubTrialing       Key = "sub_status_trialing"
	SubActive         Key = "sub_status_active"
	SubPastDue        Key = "sub_status_past_due"
	SubPaused         Key = "sub_status_paused"
	SubCancelled      Key = "sub_status_cancelled"
	SubEnded          Key = "sub_status_ended"
	SubNextCharge     Key = "sub_next_charge"
	SubAccessUntil    Key = "sub_access_until"
	SubEndsOn         Key = "sub_ends_on" // %s: date
	SubPastCharges    Key = "sub_past_charges"
	SubNoCharges      Key = "sub_no_charges"
	SubChargePaid     Key = "sub_charge_paid"
	SubChargeFailed   Key = "sub_charge_failed"
	SubCancelAtEnd    Key = "sub_cancel_at_end"
	SubCancelHint     Key = "sub_cancel_hint"
	SubKeep           Key = "sub_keep"
	SubChangeCard     Key = "sub_change_card"
	SubPastDueBanner  Key = "sub_past_due_banner"
	SubUpdatePayment  Key = "sub_update_payment"
	SubCancelledFlash Key = "sub_cancelled_flash"
	SubKeptFlash      Key = "sub_kept_flash"
	SubNotLive        Key = "sub_not_live"
	SubNotSupported   Key = "sub_not_supported"
	SubProviderTitle  Key = "sub_provider_title"
	SubPortalDown     Key = "sub_portal_down"
	SubActionDown     Key = "sub_action_down"
	SubDate           Key = "sub_date"
	SubNumber         Key = "sub_number"
	SubAlready        Key = "sub_already"
	// Subscriptions Bursar charges on its own schedule (WayForPay, Fondy): the payer pays a failed charge on the
	// gateway's page.
	SubPastDuePay Key = "sub_past_due_pay"
	SubPayNow     Key = "sub_pay_now"
	SubPayNowHint Key = "sub_pay_now_hint"
	SubRetryOn    Key = "sub_retry_on" // %s: date
	SubNothingDue Key = "sub_nothing_due"
	SubPayBusy    Key = "sub_pay_busy"
)

var subscriptionKeys = []Key{PerDay, SubTrial, SubCharges, SubUntilCancelled, SubCancelAnyTime, SubscribeWith, Subscribe,
	SubscribeTo, SubSignInNote, SubConfirmTitle, SubConfirmBody, MySubscriptions, NoSubscriptions, SubPending,
	SubTrialing, SubActive, SubPastDue, SubPaused, SubCancelled, SubEnded, SubNextCharge, SubAccessUntil, SubEndsOn,
	SubPastCharges, SubNoCharges, SubChargePaid, SubChargeFailed, SubCancelAtEnd, SubCancelHint, SubKeep,
	SubChangeCard, SubPastDueBanner, SubUpdatePayment, SubCancelledFlash, SubKeptFlash, SubNotLive, SubNotSupported,
	SubProviderTitle, SubPortalDown, SubActionDown, SubDate, SubNumber, SubAlready, SubPastDuePay, SubPayNow,
	SubPayNowHint, SubRetryOn, SubNothingDue, SubPayBusy}

var subscriptionTexts = map[string]map[Key]string{
	"en": {
		PerDay: "per day", SubTrial: "Free trial: %d days before the first charge.", SubCharges: "Number of charges: %d, then it ends.",
		SubUntilCancelled: "Charged every period until you cancel.", SubCancelAnyTime: "Cancel any time in your account.",
		SubscribeWith: "Subscribe with %s", Subscribe: "Subscribe", SubscribeTo: "Subscribe to %s",
		SubSignInNote:   "A subscription belongs to your account: you manage it there.",
		SubConfirmTitle: "Thank you! We are confirming your subscription",
		SubConfirmBody:  "We're confirming your subscription with %s; it appears in your account within a minute.",
		MySubscriptions: "My subscriptions", NoSubscriptions: "You have no subscriptions.",
		SubPending: "waiting for confirmation", SubTrialing: "free trial", SubActive: "active", SubPastDue: "payment failed",
		SubPaused: "paused", SubCancelled: "cancelled", SubEnded: "ended",
		SubNextCharge: "Next charge", SubAccessUntil: "Access until", SubEndsOn: "Ends on %s",
		SubPastCharges: "Past charges", SubNoCharges: "No charges yet.", SubChargePaid: "paid", SubChargeFailed: "failed",
		SubCancelAtEnd: "Cancel at the end of the period",
		SubCancelHint:  "No more charges; you keep access until the paid period ends.",
		SubKeep:        "Keep my subscription", SubChangeCard: "Change card",
		SubPastDueBanner:  "Your last payment did not go through. Update your card to keep your access.",
		SubUpdatePayment:  "Update payment details",
		SubCancelledFlash: "Your subscription will end at the end of the paid period. You keep access until then.",
		SubKeptFlash:      "Your subscription continues.",
		SubNotLive:        "This subscription has ended and can no longer be changed.",
		SubNotSupported:   "This payment system does not allow this change. Please contact the school.",
		SubProviderTitle:  "The payment provider is not available",
		SubPortalDown:     "The payment provider's page is not available right now; try again in a few minutes.",
		SubActionDown:     "The payment provider did not answer, so nothing was changed; try again in a few minutes.",
		SubDate:           "Date",
		SubNumber:         "Subscription",
		SubAlready:        "You are subscribed to this offer already: here it is.",
		SubPastDuePay:     "Your last payment did not go through. Pay the charge due to keep your access.",
		SubPayNow:         "Pay now",
		SubPayNowHint:     "You pay on the payment provider's page, with the same card or another one; the card you pay with is charged from then on.",
		SubRetryOn:        "We will try your card again on %s.",
		SubNothingDue:     "There is nothing to pay now: your subscription is up to date.",
		SubPayBusy:        "A payment of this subscription is being made right now; try again in a few minutes.",
	},
	"es": {
		PerDay: "al día", SubTrial: "Prueba gratuita: %d días antes del primer cobro.", SubCharges: "Número de cobros: %d; después termina.",
		SubUntilCancelled: "Se cobra cada periodo hasta que canceles.", SubCancelAnyTime: "Cancela cuando quieras desde tu cuenta.",
		SubscribeWith: "Suscribirme con %s", Subscribe: "Suscribirme", SubscribeTo: "Suscribirse a %s",
		SubSignInNote:   "La suscripción queda en tu cuenta: la gestionas allí.",
		SubConfirmTitle: "¡Gracias! Estamos confirmando tu suscripción",
		SubConfirmBody:  "Estamos confirmando tu suscripción con %s; aparecerá en tu cuenta en menos de un minuto.",
		MySubscriptions: "Mis suscripciones", NoSubscriptions: "No tienes suscripciones.",
		SubPending: "pendiente de confirmación", SubTrialing: "prueba gratuita", SubActive: "activa", SubPastDue: "pago fallido",
		SubPaused: "en pausa", SubCancelled: "cancelada", SubEnded: "terminada",
		SubNextCharge: "Próximo cobro", SubAccessUntil: "Acceso hasta", SubEndsOn: "Termina el %s",
		SubPastCharges: "Cobros anteriores", SubNoCharges: "Todavía no hay cobros.", SubChargePaid: "pagado", SubChargeFailed: "fallido",
		SubCancelAtEnd: "Cancelar al final del periodo",
		SubCancelHint:  "No habrá más cobros; conservas el acceso hasta el final del periodo pagado.",
		SubKeep:        "Mantener mi suscripción", SubChangeCard: "Cambiar tarjeta",
		SubPastDueBanner:  "Tu último pago no se pudo cobrar. Actualiza tu tarjeta para conservar el acceso.",
		SubUpdatePayment:  "Actualizar datos de pago",
		SubCancelledFlash: "Tu suscripción terminará al final del periodo pagado. Conservas el acceso hasta entonces.",
		SubKeptFlash:      "Tu suscripción continúa.",
		SubNotLive:        "Esta suscripción ha terminado y ya no se puede cambiar.",
		SubNotSupported:   "Este sistema de pago no permite este cambio. Contacta con la escuela.",
		SubProviderTitle:  "El proveedor de pagos no está disponible",
		SubPortalDown:     "La página del proveedor de pagos no está disponible ahora; inténtalo de nuevo en unos minutos.",
		SubActionDown:     "El proveedor de pagos no respondió, así que no se cambió nada; inténtalo de nuevo en unos minutos.",
		SubDate:           "Fecha",
		SubNumber:         "Suscripción",
		SubAlready:        "Ya estás suscrito a esta oferta: aquí la tienes.",
		SubPastDuePay:     "Tu último pago no se pudo cobrar. Paga el cobro pendiente para conservar el acceso.",
		SubPayNow:         "Pagar ahora",
		SubPayNowHint:     "Pagas en la página del proveedor de pagos, con la misma tarjeta u otra; a partir de entonces se cobra la tarjeta con la que pagues.",
		SubRetryOn:        "Volveremos a intentar el cobro en tu tarjeta el %s.",
		SubNothingDue:     "No hay nada que pagar ahora: tu suscripción está al día.",
		SubPayBusy:        "Ahora mismo se está haciendo un pago de esta suscripción; inténtalo de nuevo en unos minutos.",
	},
	"fr": {
		PerDay: "par jour", SubTrial: "Essai gratuit : %d jours avant le premier prélèvement.",
		SubCharges:        "Nombre de prélèvements : %d, puis l’abonnement prend fin.",
		SubUntilCancelled: "Prélevé à chaque période jusqu’à votre résiliation.",
		SubCancelAnyTime:  "Résiliable à tout moment depuis votre compte.",
		SubscribeWith:     "S’abonner avec %s", Subscribe: "S’abonner", SubscribeTo: "S’abonner à %s",
		SubSignInNote:   "L’abonnement est lié à votre compte : vous le gérez depuis celui-ci.",
		SubConfirmTitle: "Merci ! Nous confirmons votre abonnement",
		SubConfirmBody:  "Nous confirmons votre abonnement avec %s ; il apparaîtra dans votre compte d’ici une minute.",
		MySubscriptions: "Mes abonnements", NoSubscriptions: "Vous n’avez aucun abonnement.",
		SubPending: "en attente de confirmation", SubTrialing: "essai gratuit", SubActive: "actif", SubPastDue: "paiement échoué",
		SubPaused: "en pause", SubCancelled: "résilié", SubEnded: "terminé",
		SubNextCharge: "Prochain prélèvement", SubAccessUntil: "Accès jusqu’au", SubEndsOn: "Prend fin le %s",
		SubPastCharges: "Prélèvements passés", SubNoCharges: "Aucun prélèvement pour l’instant.", SubChargePaid: "payé",
		SubChargeFailed: "échoué",
		SubCancelAtEnd:  "Résilier à la fin de la période",
		SubCancelHint:   "Plus aucun prélèvement ; vous gardez l’accès jusqu’à la fin de la période payée.",
		SubKeep:         "Garder mon abonnement", SubChangeCard: "Changer de carte",
		SubPastDueBanner:  "Votre dernier paiement n’est pas passé. Mettez à jour votre carte pour garder votre accès.",
		SubUpdatePayment:  "Mettre à jour le moyen de paiement",
		SubCancelledFlash: "Votre abonnement prendra fin à la fin de la période payée. Vous gardez l’accès jusque-là.",
		SubKeptFlash:      "Votre abonnement continue.",
		SubNotLive:        "Cet abonnement est terminé et ne peut plus être modifié.",
		SubNotSupported:   "Ce moyen de paiement ne permet pas cette modification. Contactez l’école.",
		SubProviderTitle:  "Le prestataire de paiement n’est pas disponible",
		SubPortalDown:     "La page du prestataire de paiement n’est pas disponible pour le moment ; réessayez dans quelques minutes.",
		SubActionDown:     "Le prestataire de paiement n’a pas répondu, rien n’a donc été modifié ; réessayez dans quelques minutes.",
		SubDate:           "Date",
		SubNumber:         "Abonnement",
		SubAlready:        "Vous êtes déjà abonné à cette offre : la voici.",
		SubPastDuePay:     "Votre dernier paiement n’est pas passé. Réglez le montant dû pour garder votre accès.",
		SubPayNow:         "Payer maintenant",
		SubPayNowHint:     "Vous payez sur la page du prestataire de paiement, avec la même carte ou une autre ; la carte utilisée sera prélevée ensuite.",
		SubRetryOn:        "Nous réessaierons de prélever votre carte le %s.",
		SubNothingDue:     "Il n’y a rien à payer pour le moment : votre abonnement est à jour.",
		SubPayBusy:        "Un paiement de cet abonnement est en cours ; réessayez dans quelques minutes.",
	},
	"ru": {
		PerDay: "в день", SubTrial: "Бесплатный пробный период: %d дн. до первого списания.",
		SubCharges:        "Число списаний: %d, затем подписка завершится.",
		SubUntilCancelled: "Списывается каждый период, пока вы не отмените.",
		SubCancelAnyTime:  "Отменить можно в любой момент в личном кабинете.",
		SubscribeWith:     "Подписаться через %s", Subscribe: "Подписаться", SubscribeTo: "Подписка: %s",
		SubSignInNote:   "Подписка привязана к вашему аккаунту: управляйте ею в кабинете.",
		SubConfirmTitle: "Спасибо! Мы подтверждаем подписку",
		SubConfirmBody:  "Мы подтверждаем вашу подписку в %s; в течение минуты она появится в вашем кабинете.",
		MySubscriptions: "Мои подписки", NoSubscriptions: "У вас нет подписок.",
		SubPending: "ожидает подтверждения", SubTrialing: "пробный период", SubActive: "активна", SubPastDue: "платёж не прошёл",
		SubPaused: "приостановлена", SubCancelled: "отменена", SubEnded: "завершена",
		SubNextCharge: "Следующее списание", SubAccessUntil: "Доступ до", SubEndsOn: "Завершится %s",
		SubPastCharges: "Прошлые списания", SubNoCharges: "Списаний пока не было.", SubChargePaid: "оплачено",
		SubChargeFailed: "не прошло",
		SubCancelAtEnd:  "Отменить в конце периода",
		SubCancelHint:   "Списаний больше не будет; доступ сохранится до конца оплаченного периода.",
		SubKeep:         "Сохранить подписку", SubChangeCard: "Сменить карту",
		SubPastDueBanner:  "Последний платёж не прошёл. Обновите карту, чтобы сохранить доступ.",
		SubUpdatePayment:  "Обновить платёжные данные",
		SubCancelledFlash: "Подписка завершится в конце оплаченного периода. До тех пор доступ сохраняется.",
		SubKeptFlash:      "Подписка продолжается.",
		SubNotLive:        "Эта подписка завершена, изменить её нельзя.",
		SubNotSupported:   "Эта платёжная система не позволяет такое изменение. Свяжитесь со школой.",
		SubProviderTitle:  "Платёжный сервис недоступен",
		SubPortalDown:     "Страница платёжного сервиса сейчас недоступна; попробуйте ещё раз через несколько минут.",
		SubActionDown:     "Платёжный сервис не ответил, поэтому ничего не изменилось; попробуйте ещё раз через несколько минут.",
		SubDate:           "Дата",
		SubNumber:         "Подписка",
		SubAlready:        "Вы уже подписаны на это предложение — вот подписка.",
		SubPastDuePay:     "Последний платёж не прошёл. Оплатите задолженность, чтобы сохранить доступ.",
		SubPayNow:         "Оплатить сейчас",
		SubPayNowHint:     "Оплата проходит на странице платёжного сервиса — той же картой или другой; дальше списания будут с карты, которой вы оплатите.",
		SubRetryOn:        "Мы снова попробуем списать оплату с вашей карты %s.",
		SubNothingDue:     "Сейчас платить нечего: подписка оплачена.",
		SubPayBusy:        "Прямо сейчас по этой подписке проходит платёж; попробуйте ещё раз через несколько минут.",
	},
	"uk": {
		PerDay: "на день", SubTrial: "Безкоштовний пробний період: %d дн. до першого списання.",
		SubCharges:        "Кількість списань: %d, потім підписка завершиться.",
		SubUntilCancelled: "Списується щоперіоду, доки ви не скасуєте.",
		SubCancelAnyTime:  "Скасувати можна будь-коли в особистому кабінеті.",
		SubscribeWith:     "Підписатися через %s", Subscribe: "Підписатися", SubscribeTo: "Підписка: %s",
		SubSignInNote:   "Підписка прив’язана до вашого акаунта: керуйте нею в кабінеті.",
		SubConfirmTitle: "Дякуємо! Ми підтверджуємо підписку",
		SubConfirmBody:  "Ми підтверджуємо вашу підписку в %s; протягом хвилини вона з’явиться у вашому кабінеті.",
		MySubscriptions: "Мої підписки", NoSubscriptions: "У вас немає підписок.",
		SubPending: "очікує підтвердження", SubTrialing: "пробний період", SubActive: "активна", SubPastDue: "платіж не пройшов",
		SubPaused: "призупинена", SubCancelled: "скасована", SubEnded: "завершена",
		SubNextCharge: "Наступне списання", SubAccessUntil: "Доступ до", SubEndsOn: "Завершиться %s",
		SubPastCharges: "Попередні списання", SubNoCharges: "Списань ще не було.", SubChargePaid: "оплачено",
		SubChargeFailed: "не пройшло",
		SubCancelAtEnd:  "Скасувати наприкінці періоду",
		SubCancelHint:   "Списань більше не буде; доступ збережеться до кінця оплаченого періоду.",
		SubKeep:         "Зберегти підписку", SubChangeCard: "Змінити картку",
		SubPastDueBanner:  "Останній платіж не пройшов. Оновіть картку, щоб зберегти доступ.",
		SubUpdatePayment:  "Оновити платіжні дані",
		SubCancelledFlash: "Підписка завершиться наприкінці оплаченого періоду. До того часу доступ зберігається.",
		SubKeptFlash:      "Підписка триває.",
		SubNotLive:        "Ця підписка завершена, змінити її не можна.",
		SubNotSupported:   "Ця платіжна система не дозволяє такої зміни. Зв’яжіться зі школою.",
		SubProviderTitle:  "Платіжний сервіс недоступний",
		SubPortalDown:     "Сторінка платіжного сервісу зараз недоступна; спробуйте ще раз за кілька хвилин.",
		SubActionDown:     "Платіжний сервіс не відповів, тож нічого не змінилося; спробуйте ще раз за кілька хвилин.",
		SubDate:           "Дата",
		SubNumber:         "Підписка",
		SubAlready:        "Ви вже підписані на цю пропозицію — ось підписка.",
		SubPastDuePay:     "Останній платіж не пройшов. Сплатіть заборгованість, щоб зберегти доступ.",
		SubPayNow:         "Сплатити зараз",
		SubPayNowHint:     "Оплата відбувається на сторінці платіжного сервісу — тією ж карткою або іншою; далі списання будуть з картки, якою ви сплатите.",
		SubRetryOn:        "Ми знову спробуємо списати оплату з вашої картки %s.",
		SubNothingDue:     "Зараз сплачувати нічого: підписку оплачено.",
		SubPayBusy:        "Саме зараз за цією підпискою проходить платіж; спробуйте ще раз за кілька хвилин.",
	},
}

// Registered here rather than in i18n.go's lists, so that this file alone carries the subscriptions' texts.
func init() {
	Keys = append(Keys, subscriptionKeys...)
	catalog = merge(catalog, subscriptionTexts)
}
