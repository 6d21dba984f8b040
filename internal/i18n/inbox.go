package i18n

// Texts of the payment-exceptions inbox's apply-to-another-order and reinstate actions and of the replay of a
// stored gateway notification on the admin order page, shown in the school's language.
const (
	InboxApplyTitle      Key = "inbox_apply_title"
	InboxApplyHint       Key = "inbox_apply_hint" // %s: the amount, %s: the order it arrived for
	InboxApplyNone       Key = "inbox_apply_none" // %s: the amount
	InboxApplyOrder      Key = "inbox_apply_order"
	InboxApplyButton     Key = "inbox_apply_button"
	InboxApplied         Key = "inbox_applied" // %s: the order completed
	InboxReinstateTitle  Key = "inbox_reinstate_title"
	InboxReinstateHint   Key = "inbox_reinstate_hint" // %s: the order, %s: its status, %s: the amount
	InboxReinstateButton Key = "inbox_reinstate_button"
	InboxReinstated      Key = "inbox_reinstated" // %s: the order
	InboxNote            Key = "inbox_note"
	ReplayButton         Key = "replay_button"
	ReplayFailedNote     Key = "replay_failed_note" // %d: how many times it failed
	ReplayDone           Key = "replay_done"        // %s: what applying it did
	ReplayAlready        Key = "replay_already"     // %s: what applying it did the first time
)

var inboxKeys = []Key{InboxApplyTitle, InboxApplyHint, InboxApplyNone, InboxApplyOrder, InboxApplyButton, InboxApplied,
	InboxReinstateTitle, InboxReinstateHint, InboxReinstateButton, InboxReinstated, InboxNote, ReplayButton,
	ReplayFailedNote, ReplayDone, ReplayAlready}

var inboxTexts = map[string]map[Key]string{
	"en": {
		InboxApplyTitle: "Apply to another order",
		InboxApplyHint: "%s arrived for order %s. Choose an open order of the same contact that costs exactly this " +
			"amount: it is completed with this payment, its access granted and the confirmation e-mailed.",
		InboxApplyNone:       "No open order of this contact costs exactly %s through this payment system.",
		InboxApplyOrder:      "Order to complete",
		InboxApplyButton:     "Apply to the chosen order",
		InboxApplied:         "Payment applied: order %s is completed and the exception resolved.",
		InboxReinstateTitle:  "Reinstate the order",
		InboxReinstateHint:   "Order %s is %s. Complete it again with this payment of %s: its access is granted again and the confirmation e-mailed.",
		InboxReinstateButton: "Reinstate and complete",
		InboxReinstated:      "Order %s is reinstated and the exception resolved.",
		InboxNote:            "Note (required)",
		ReplayButton:         "Replay",
		ReplayFailedNote:     "Failed to apply (%d times): replay it once the cause is fixed.",
		ReplayDone:           "Gateway event replayed: %s.",
		ReplayAlready:        "This gateway event was already applied (%s): nothing changed.",
	},
	"es": {
		InboxApplyTitle: "Aplicar a otro pedido",
		InboxApplyHint: "Llegaron %s para el pedido %s. Elige un pedido abierto del mismo contacto que cueste " +
			"exactamente este importe: se completa con este pago, se concede su acceso y se envía la confirmación.",
		InboxApplyNone:       "Ningún pedido abierto de este contacto cuesta exactamente %s con este sistema de pago.",
		InboxApplyOrder:      "Pedido que completar",
		InboxApplyButton:     "Aplicar al pedido elegido",
		InboxApplied:         "Pago aplicado: el pedido %s está completado y la excepción resuelta.",
		InboxReinstateTitle:  "Restablecer el pedido",
		InboxReinstateHint:   "El pedido %s está en estado %s. Complétalo de nuevo con este pago de %s: se vuelve a conceder su acceso y se envía la confirmación.",
		InboxReinstateButton: "Restablecer y completar",
		InboxReinstated:      "El pedido %s está restablecido y la excepción resuelta.",
		InboxNote:            "Nota (obligatoria)",
		ReplayButton:         "Reprocesar",
		ReplayFailedNote:     "No se pudo aplicar (%d veces): reprocésalo cuando la causa esté corregida.",
		ReplayDone:           "Evento de la pasarela reprocesado: %s.",
		ReplayAlready:        "Este evento de la pasarela ya estaba aplicado (%s): no ha cambiado nada.",
	},
	"fr": {
		InboxApplyTitle: "Affecter à une autre commande",
		InboxApplyHint: "%s sont arrivés pour la commande %s. Choisissez une commande ouverte du même contact qui " +
			"coûte exactement ce montant : elle est finalisée avec ce paiement, son accès accordé et la confirmation envoyée.",
		InboxApplyNone:       "Aucune commande ouverte de ce contact ne coûte exactement %s avec ce moyen de paiement.",
		InboxApplyOrder:      "Commande à finaliser",
		InboxApplyButton:     "Affecter à la commande choisie",
		InboxApplied:         "Paiement affecté : la commande %s est finalisée et l’exception résolue.",
		InboxReinstateTitle:  "Rétablir la commande",
		InboxReinstateHint:   "La commande %s est à l’état %s. Finalisez-la de nouveau avec ce paiement de %s : son accès est de nouveau accordé et la confirmation envoyée.",
		InboxReinstateButton: "Rétablir et finaliser",
		InboxReinstated:      "La commande %s est rétablie et l’exception résolue.",
		InboxNote:            "Note (obligatoire)",
		ReplayButton:         "Rejouer",
		ReplayFailedNote:     "Échec de l’application (%d fois) : rejouez-le une fois la cause corrigée.",
		ReplayDone:           "Événement de la passerelle rejoué : %s.",
		ReplayAlready:        "Cet événement de la passerelle était déjà appliqué (%s) : rien n’a changé.",
	},
	"ru": {
		InboxApplyTitle: "Зачесть в другой заказ",
		InboxApplyHint: "%s поступили за заказ %s. Выберите открытый заказ того же контакта ровно на эту сумму: он " +
			"будет завершён этим платежом, доступ выдан, подтверждение отправлено.",
		InboxApplyNone:       "У этого контакта нет открытого заказа ровно на %s через эту платёжную систему.",
		InboxApplyOrder:      "Заказ, который завершить",
		InboxApplyButton:     "Зачесть в выбранный заказ",
		InboxApplied:         "Платёж зачтён: заказ %s завершён, исключение закрыто.",
		InboxReinstateTitle:  "Восстановить заказ",
		InboxReinstateHint:   "Заказ %s в статусе %s. Завершите его снова этим платежом на %s: доступ будет выдан снова, подтверждение отправлено.",
		InboxReinstateButton: "Восстановить и завершить",
		InboxReinstated:      "Заказ %s восстановлен, исключение закрыто.",
		InboxNote:            "Комментарий (обязательно)",
		ReplayButton:         "Применить повторно",
		ReplayFailedNote:     "Не удалось применить (раз: %d): примените повторно, когда причина устранена.",
		ReplayDone:           "Событие платёжной системы применено повторно: %s.",
		ReplayAlready:        "Это событие платёжной системы уже применено (%s): ничего не изменилось.",
	},
	"uk": {
		InboxApplyTitle: "Зарахувати в інше замовлення",
		InboxApplyHint: "%s надійшли за замовлення %s. Оберіть відкрите замовлення того самого контакту рівно на цю " +
			"суму: його буде завершено цим платежем, доступ надано, підтвердження надіслано.",
		InboxApplyNone:       "У цього контакту немає відкритого замовлення рівно на %s через цю платіжну систему.",
		InboxApplyOrder:      "Замовлення, яке завершити",
		InboxApplyButton:     "Зарахувати в обране замовлення",
		InboxApplied:         "Платіж зараховано: замовлення %s завершено, виняток закрито.",
		InboxReinstateTitle:  "Відновити замовлення",
		InboxReinstateHint:   "Замовлення %s у статусі %s. Завершіть його знову цим платежем на %s: доступ буде надано знову, підтвердження надіслано.",
		InboxReinstateButton: "Відновити й завершити",
		InboxReinstated:      "Замовлення %s відновлено, виняток закрито.",
		InboxNote:            "Коментар (обов’язково)",
		ReplayButton:         "Застосувати повторно",
		ReplayFailedNote:     "Не вдалося застосувати (разів: %d): застосуйте повторно, коли причину усунено.",
		ReplayDone:           "Подію платіжної системи застосовано повторно: %s.",
		ReplayAlready:        "Цю подію платіжної системи вже застосовано (%s): нічого не змінилося.",
	},
}
