package i18n

// Texts of the proof of payment a payer uploads for a manual payment (bank transfer) waiting for the school.
const (
	ProofTitle         Key = "proof_title"
	ProofIntro         Key = "proof_intro"
	ProofReference     Key = "proof_reference"
	ProofReferenceHint Key = "proof_reference_hint"
	ProofFile          Key = "proof_file"
	ProofFileHint      Key = "proof_file_hint"
	ProofSend          Key = "proof_send"
	ProofSent          Key = "proof_sent"
	ProofSentList      Key = "proof_sent_list"
	ProofCheckoutNote  Key = "proof_checkout_note"
	ErrProofMissing    Key = "err_proof_missing"
	ErrProofType       Key = "err_proof_type"
	ErrProofTooLarge   Key = "err_proof_too_large"
	ErrProofLimit      Key = "err_proof_limit"
	ProofClosed        Key = "proof_closed"
	ErrProofMismatch   Key = "err_proof_mismatch"
)

var proofKeys = []Key{ProofTitle, ProofIntro, ProofReference, ProofReferenceHint, ProofFile, ProofFileHint, ProofSend,
	ProofSent, ProofSentList, ProofCheckoutNote, ErrProofMissing, ErrProofType, ErrProofTooLarge, ErrProofLimit, ProofClosed,
	ErrProofMismatch}

var proofTexts = map[string]map[Key]string{
	"en": {
		ErrProofMismatch: "The file is not what its name or type says. Send the original JPEG, PNG or PDF file.",
		ProofClosed:      "This order is no longer waiting for its payment to be confirmed, so it takes no more files.",
		ProofTitle:       "Proof of payment", ProofIntro: "Send us the receipt or a screenshot of your transfer: it helps us confirm your payment sooner.",
		ProofReference: "Payment reference", ProofReferenceHint: "As it appears on your transfer, if it has one.",
		ProofFile: "Receipt or screenshot", ProofFileHint: "A JPEG or PNG image or a PDF document, at most 10 MB.",
		ProofSend: "Send proof of payment", ProofSent: "We have received your proof of payment.",
		ProofSentList: "Files you have sent", ProofCheckoutNote: "After sending this form you can upload a receipt or a screenshot of your transfer on the next page.",
		ErrProofMissing: "Choose the file to send.", ErrProofType: "The file must be a JPEG or PNG image or a PDF document.",
		ErrProofTooLarge: "The file must be at most 10 MB.", ErrProofLimit: "This order has as many files as it can take. Contact us to send another one.",
	},
	"es": {
		ErrProofMismatch: "El archivo no es lo que indican su nombre o su tipo. Envía el archivo JPEG, PNG o PDF original.",
		ProofClosed:      "Este pedido ya no está pendiente de confirmar su pago, así que no admite más archivos.",
		ProofTitle:       "Comprobante de pago", ProofIntro: "Envíanos el recibo o una captura de tu transferencia: nos ayuda a confirmar tu pago antes.",
		ProofReference: "Referencia del pago", ProofReferenceHint: "Tal como aparece en tu transferencia, si tiene una.",
		ProofFile: "Recibo o captura", ProofFileHint: "Una imagen JPEG o PNG o un documento PDF, de 10 MB como máximo.",
		ProofSend: "Enviar comprobante", ProofSent: "Hemos recibido tu comprobante de pago.",
		ProofSentList: "Archivos que has enviado", ProofCheckoutNote: "Después de enviar este formulario podrás subir el recibo o una captura de tu transferencia en la página siguiente.",
		ErrProofMissing: "Elige el archivo que quieres enviar.", ErrProofType: "El archivo debe ser una imagen JPEG o PNG o un documento PDF.",
		ErrProofTooLarge: "El archivo debe ocupar 10 MB como máximo.", ErrProofLimit: "Este pedido ya tiene todos los archivos que admite. Contáctanos para enviar otro.",
	},
	"fr": {
		ErrProofMismatch: "Le fichier n'est pas ce qu'indiquent son nom ou son type. Envoyez le fichier JPEG, PNG ou PDF d'origine.",
		ProofClosed:      "Cette commande n'attend plus la confirmation de son paiement : elle ne reçoit plus de fichiers.",
		ProofTitle:       "Preuve de paiement", ProofIntro: "Envoyez-nous le reçu ou une capture d'écran de votre virement : cela nous aide à confirmer votre paiement plus vite.",
		ProofReference: "Référence du paiement", ProofReferenceHint: "Telle qu'elle figure sur votre virement, s'il en a une.",
		ProofFile: "Reçu ou capture d'écran", ProofFileHint: "Une image JPEG ou PNG ou un document PDF, de 10 Mo au plus.",
		ProofSend: "Envoyer la preuve de paiement", ProofSent: "Nous avons bien reçu votre preuve de paiement.",
		ProofSentList: "Fichiers envoyés", ProofCheckoutNote: "Après l'envoi de ce formulaire, vous pourrez joindre le reçu ou une capture d'écran de votre virement à la page suivante.",
		ErrProofMissing: "Choisissez le fichier à envoyer.", ErrProofType: "Le fichier doit être une image JPEG ou PNG ou un document PDF.",
		ErrProofTooLarge: "Le fichier doit faire 10 Mo au plus.", ErrProofLimit: "Cette commande a déjà tous les fichiers qu'elle peut recevoir. Contactez-nous pour en envoyer un autre.",
	},
	"ru": {
		ErrProofMismatch: "Файл не соответствует своему имени или типу. Отправьте исходный файл JPEG, PNG или PDF.",
		ProofClosed:      "Этот заказ больше не ждёт подтверждения оплаты, поэтому файлы к нему не принимаются.",
		ProofTitle:       "Подтверждение оплаты", ProofIntro: "Пришлите квитанцию или снимок экрана с переводом: так мы быстрее подтвердим оплату.",
		ProofReference: "Номер или назначение платежа", ProofReferenceHint: "Как указано в вашем переводе, если есть.",
		ProofFile: "Квитанция или снимок экрана", ProofFileHint: "Изображение JPEG или PNG или документ PDF, не больше 10 МБ.",
		ProofSend: "Отправить подтверждение", ProofSent: "Мы получили ваше подтверждение оплаты.",
		ProofSentList: "Отправленные файлы", ProofCheckoutNote: "После отправки этой формы на следующей странице можно загрузить квитанцию или снимок экрана с переводом.",
		ErrProofMissing: "Выберите файл для отправки.", ErrProofType: "Файл должен быть изображением JPEG или PNG или документом PDF.",
		ErrProofTooLarge: "Файл должен быть не больше 10 МБ.", ErrProofLimit: "К этому заказу уже приложено максимальное число файлов. Свяжитесь с нами, чтобы отправить ещё один.",
	},
	"uk": {
		ErrProofMismatch: "Файл не відповідає своїй назві чи типу. Надішліть оригінальний файл JPEG, PNG або PDF.",
		ProofClosed:      "Це замовлення більше не чекає на підтвердження оплати, тому файли до нього не приймаються.",
		ProofTitle:       "Підтвердження оплати", ProofIntro: "Надішліть квитанцію або знімок екрана з переказом: так ми швидше підтвердимо оплату.",
		ProofReference: "Номер або призначення платежу", ProofReferenceHint: "Як зазначено у вашому переказі, якщо є.",
		ProofFile: "Квитанція або знімок екрана", ProofFileHint: "Зображення JPEG або PNG чи документ PDF, не більше 10 МБ.",
		ProofSend: "Надіслати підтвердження", ProofSent: "Ми отримали ваше підтвердження оплати.",
		ProofSentList: "Надіслані файли", ProofCheckoutNote: "Після надсилання цієї форми на наступній сторінці можна завантажити квитанцію або знімок екрана з переказом.",
		ErrProofMissing: "Виберіть файл для надсилання.", ErrProofType: "Файл має бути зображенням JPEG або PNG чи документом PDF.",
		ErrProofTooLarge: "Файл має бути не більше 10 МБ.", ErrProofLimit: "До цього замовлення вже додано максимальну кількість файлів. Зв'яжіться з нами, щоб надіслати ще один.",
	},
}
