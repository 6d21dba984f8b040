package i18n

// Texts of the public enrollment form (F5) and of the cabinet's enrollments and receipts.
const (
	EnrollTitle         Key = "enroll_title"        // %s: offer title
	EnrollSignUpIntro   Key = "enroll_signup_intro" // %s: offer title
	EnrollSignInIntro   Key = "enroll_signin_intro" // %s: offer title
	EnrollTerms         Key = "enroll_terms"
	EnrollAboutLearner  Key = "enroll_about_learner"
	EnrollForOther      Key = "enroll_for_other"
	EnrollForOtherHint  Key = "enroll_for_other_hint"
	EnrollLearnerName   Key = "enroll_learner_name"
	EnrollLearnerEmail  Key = "enroll_learner_email"
	EnrollLearnerHint   Key = "enroll_learner_hint"
	EnrollPayerNote     Key = "enroll_payer_note" // %s: the payer's e-mail
	EnrollSubmit        Key = "enroll_submit"
	EnrollNotAvailable  Key = "enroll_not_available"
	ErrChooseMethod     Key = "err_choose_method"
	MyEnrollments       Key = "my_enrollments"
	EnrollmentFor       Key = "enrollment_for"        // %s: the learner's name
	EnrollmentPaidBy    Key = "enrollment_paid_by"    // %s: the payer's name
	EnrollmentPaidUntil Key = "enrollment_paid_until" // %s: date
	AccessPausedOverdue Key = "access_paused_overdue" // %s: receipt number
	AccessPaused        Key = "access_paused"
	EnrollPending       Key = "enroll_pending"
	EnrollActive        Key = "enroll_active"
	EnrollSuspended     Key = "enroll_suspended"
	EnrollPaused        Key = "enroll_paused"
	EnrollCancelled     Key = "enroll_cancelled"
	EnrollCompleted     Key = "enroll_completed"
	EnrollDropped       Key = "enroll_dropped"
	ReceiptsIPay        Key = "receipts_i_pay"
	ReceiptNumber       Key = "receipt_number"
	ReceiptLearner      Key = "receipt_learner"
	ReceiptPeriod       Key = "receipt_period"
	ReceiptDueDate      Key = "receipt_due_date"
	ReceiptPaid         Key = "receipt_paid"
	ReceiptPay          Key = "receipt_pay" // %s: the amount due
	ReceiptHTML         Key = "receipt_html"
	ReceiptPDF          Key = "receipt_pdf"
	ReceiptIssued       Key = "receipt_issued"
	ReceiptPartlyPaid   Key = "receipt_partly_paid"
	ReceiptPaidStatus   Key = "receipt_paid_status"
	ReceiptOverdue      Key = "receipt_overdue"
	ReceiptWaived       Key = "receipt_waived"
	ReceiptCancelled    Key = "receipt_cancelled"
)

var enrollKeys = []Key{EnrollTitle, EnrollSignUpIntro, EnrollSignInIntro, EnrollTerms, EnrollAboutLearner,
	EnrollForOther, EnrollForOtherHint, EnrollLearnerName, EnrollLearnerEmail, EnrollLearnerHint, EnrollPayerNote,
	EnrollSubmit, EnrollNotAvailable, ErrChooseMethod, MyEnrollments, EnrollmentFor, EnrollmentPaidBy,
	EnrollmentPaidUntil, AccessPausedOverdue, AccessPaused, EnrollPending, EnrollActive, EnrollSuspended, EnrollPaused,
	EnrollCancelled, EnrollCompleted, EnrollDropped, ReceiptsIPay, ReceiptNumber, ReceiptLearner,
	ReceiptPeriod, ReceiptDueDate, ReceiptPaid, ReceiptPay, ReceiptHTML, ReceiptPDF, ReceiptIssued, ReceiptPartlyPaid,
	ReceiptPaidStatus, ReceiptOverdue, ReceiptWaived, ReceiptCancelled}

var enrollTexts = map[string]map[Key]string{
	"en": {
		EnrollTitle: "Enroll in “%s”", EnrollSignUpIntro: "To enroll in “%s”, create an account or sign in.",
		EnrollSignInIntro: "Sign in to enroll in “%s”.", EnrollTerms: "What you will pay",
		EnrollAboutLearner: "About the learner", EnrollForOther: "I am paying for someone else",
		EnrollForOtherHint: "For a child or an employee: they get the access and the welcome e-mail, you get the receipts.",
		EnrollLearnerName:  "Learner’s name", EnrollLearnerEmail: "Learner’s e-mail",
		EnrollLearnerHint:  "Only when you pay for someone else.",
		EnrollPayerNote:    "Receipts and payment links are sent to %s.",
		EnrollSubmit:       "Enroll and go to payment",
		EnrollNotAvailable: "Enrollment is not available right now. Please contact the school.",
		ErrChooseMethod:    "Choose a payment method.",
		MyEnrollments:      "My enrollments",
		EnrollmentFor:      "for %s", EnrollmentPaidBy: "paid by %s", EnrollmentPaidUntil: "paid until %s",
		AccessPausedOverdue: "Access paused: receipt %s is overdue.", AccessPaused: "Access paused",
		EnrollPending: "Awaiting the first payment", EnrollActive: "Active", EnrollSuspended: "Suspended",
		EnrollPaused: "Paused", EnrollCancelled: "Cancelled", EnrollCompleted: "Completed",
		EnrollDropped: "Not started: the first payment was not made",
		ReceiptsIPay:  "Receipts I pay",
		ReceiptNumber: "Receipt", ReceiptLearner: "Learner", ReceiptPeriod: "Period", ReceiptDueDate: "Due",
		ReceiptPaid: "Paid", ReceiptPay: "Pay %s", ReceiptHTML: "View receipt", ReceiptPDF: "Download PDF",
		ReceiptIssued: "To pay", ReceiptPartlyPaid: "Partly paid", ReceiptPaidStatus: "Paid",
		ReceiptOverdue: "Overdue", ReceiptWaived: "Waived", ReceiptCancelled: "Cancelled",
	},
	"es": {
		EnrollTitle: "Inscripción en «%s»", EnrollSignUpIntro: "Para inscribirte en «%s», crea una cuenta o inicia sesión.",
		EnrollSignInIntro: "Inicia sesión para inscribirte en «%s».", EnrollTerms: "Lo que pagarás",
		EnrollAboutLearner: "Sobre el alumno", EnrollForOther: "Pago por otra persona",
		EnrollForOtherHint: "Para un hijo o un empleado: el acceso y el correo de bienvenida son para él; los recibos, para ti.",
		EnrollLearnerName:  "Nombre del alumno", EnrollLearnerEmail: "Correo del alumno",
		EnrollLearnerHint:  "Solo si pagas por otra persona.",
		EnrollPayerNote:    "Los recibos y los enlaces de pago se envían a %s.",
		EnrollSubmit:       "Inscribirme e ir al pago",
		EnrollNotAvailable: "La inscripción no está disponible ahora. Contacta con la escuela.",
		ErrChooseMethod:    "Elige un método de pago.",
		MyEnrollments:      "Mis inscripciones",
		EnrollmentFor:      "para %s", EnrollmentPaidBy: "pagada por %s", EnrollmentPaidUntil: "pagada hasta el %s",
		AccessPausedOverdue: "Acceso en pausa: el recibo %s está vencido.", AccessPaused: "Acceso en pausa",
		EnrollPending: "Pendiente del primer pago", EnrollActive: "Activa", EnrollSuspended: "Suspendida",
		EnrollPaused: "En pausa", EnrollCancelled: "Cancelada", EnrollCompleted: "Terminada",
		EnrollDropped: "No iniciada: no se hizo el primer pago",
		ReceiptsIPay:  "Recibos que pago",
		ReceiptNumber: "Recibo", ReceiptLearner: "Alumno", ReceiptPeriod: "Periodo", ReceiptDueDate: "Vence",
		ReceiptPaid: "Pagado", ReceiptPay: "Pagar %s", ReceiptHTML: "Ver recibo", ReceiptPDF: "Descargar PDF",
		ReceiptIssued: "Por pagar", ReceiptPartlyPaid: "Pagado en parte", ReceiptPaidStatus: "Pagado",
		ReceiptOverdue: "Vencido", ReceiptWaived: "Condonado", ReceiptCancelled: "Anulado",
	},
	"fr": {
		EnrollTitle: "Inscription à « %s »", EnrollSignUpIntro: "Pour vous inscrire à « %s », créez un compte ou connectez-vous.",
		EnrollSignInIntro: "Connectez-vous pour vous inscrire à « %s ».", EnrollTerms: "Ce que vous paierez",
		EnrollAboutLearner: "À propos de l’élève", EnrollForOther: "Je paie pour quelqu’un d’autre",
		EnrollForOtherHint: "Pour un enfant ou un salarié : l’accès et l’e-mail de bienvenue sont pour lui, les reçus pour vous.",
		EnrollLearnerName:  "Nom de l’élève", EnrollLearnerEmail: "E-mail de l’élève",
		EnrollLearnerHint:  "Seulement si vous payez pour quelqu’un d’autre.",
		EnrollPayerNote:    "Les reçus et les liens de paiement sont envoyés à %s.",
		EnrollSubmit:       "M’inscrire et passer au paiement",
		EnrollNotAvailable: "L’inscription n’est pas possible pour le moment. Contactez l’école.",
		ErrChooseMethod:    "Choisissez un moyen de paiement.",
		MyEnrollments:      "Mes inscriptions",
		EnrollmentFor:      "pour %s", EnrollmentPaidBy: "payée par %s", EnrollmentPaidUntil: "payée jusqu’au %s",
		AccessPausedOverdue: "Accès suspendu : le reçu %s est en retard.", AccessPaused: "Accès suspendu",
		EnrollPending: "En attente du premier paiement", EnrollActive: "Active", EnrollSuspended: "Suspendue",
		EnrollPaused: "En pause", EnrollCancelled: "Annulée", EnrollCompleted: "Terminée",
		EnrollDropped: "Non commencée : le premier paiement n’a pas été fait",
		ReceiptsIPay:  "Reçus que je paie",
		ReceiptNumber: "Reçu", ReceiptLearner: "Élève", ReceiptPeriod: "Période", ReceiptDueDate: "Échéance",
		ReceiptPaid: "Payé", ReceiptPay: "Payer %s", ReceiptHTML: "Voir le reçu", ReceiptPDF: "Télécharger le PDF",
		ReceiptIssued: "À payer", ReceiptPartlyPaid: "Payé en partie", ReceiptPaidStatus: "Payé",
		ReceiptOverdue: "En retard", ReceiptWaived: "Remis", ReceiptCancelled: "Annulé",
	},
	"ru": {
		EnrollTitle: "Запись на «%s»", EnrollSignUpIntro: "Чтобы записаться на «%s», создайте аккаунт или войдите.",
		EnrollSignInIntro: "Войдите, чтобы записаться на «%s».", EnrollTerms: "Что и когда вы платите",
		EnrollAboutLearner: "Об ученике", EnrollForOther: "Я плачу за другого человека",
		EnrollForOtherHint: "За ребёнка или сотрудника: доступ и приветственное письмо получит он, квитанции — вы.",
		EnrollLearnerName:  "Имя ученика", EnrollLearnerEmail: "Эл. почта ученика",
		EnrollLearnerHint:  "Только если вы платите за другого человека.",
		EnrollPayerNote:    "Квитанции и ссылки на оплату приходят на %s.",
		EnrollSubmit:       "Записаться и перейти к оплате",
		EnrollNotAvailable: "Запись сейчас недоступна. Свяжитесь со школой.",
		ErrChooseMethod:    "Выберите способ оплаты.",
		MyEnrollments:      "Мои записи на обучение",
		EnrollmentFor:      "за: %s", EnrollmentPaidBy: "оплачивает: %s", EnrollmentPaidUntil: "оплачено до %s",
		AccessPausedOverdue: "Доступ приостановлен: квитанция %s просрочена.", AccessPaused: "Доступ приостановлен",
		EnrollPending: "Ожидает первого платежа", EnrollActive: "Активна", EnrollSuspended: "Приостановлена",
		EnrollPaused: "На паузе", EnrollCancelled: "Отменена", EnrollCompleted: "Завершена",
		EnrollDropped: "Не начата: первый платёж не поступил",
		ReceiptsIPay:  "Квитанции, которые я оплачиваю",
		ReceiptNumber: "Квитанция", ReceiptLearner: "Ученик", ReceiptPeriod: "Период", ReceiptDueDate: "Оплатить до",
		ReceiptPaid: "Оплачено", ReceiptPay: "Оплатить %s", ReceiptHTML: "Открыть квитанцию", ReceiptPDF: "Скачать PDF",
		ReceiptIssued: "К оплате", ReceiptPartlyPaid: "Оплачена частично", ReceiptPaidStatus: "Оплачена",
		ReceiptOverdue: "Просрочена", ReceiptWaived: "Списана", ReceiptCancelled: "Аннулирована",
	},
	"uk": {
		EnrollTitle: "Запис на «%s»", EnrollSignUpIntro: "Щоб записатися на «%s», створіть акаунт або увійдіть.",
		EnrollSignInIntro: "Увійдіть, щоб записатися на «%s».", EnrollTerms: "Що і коли ви платите",
		EnrollAboutLearner: "Про учня", EnrollForOther: "Я плачу за іншу людину",
		EnrollForOtherHint: "За дитину чи працівника: доступ і вітальний лист отримає він, квитанції — ви.",
		EnrollLearnerName:  "Ім’я учня", EnrollLearnerEmail: "Ел. пошта учня",
		EnrollLearnerHint:  "Лише якщо ви платите за іншу людину.",
		EnrollPayerNote:    "Квитанції та посилання на оплату надходять на %s.",
		EnrollSubmit:       "Записатися й перейти до оплати",
		EnrollNotAvailable: "Запис зараз недоступний. Зв’яжіться зі школою.",
		ErrChooseMethod:    "Оберіть спосіб оплати.",
		MyEnrollments:      "Мої записи на навчання",
		EnrollmentFor:      "за: %s", EnrollmentPaidBy: "оплачує: %s", EnrollmentPaidUntil: "оплачено до %s",
		AccessPausedOverdue: "Доступ призупинено: квитанцію %s прострочено.", AccessPaused: "Доступ призупинено",
		EnrollPending: "Очікує першого платежу", EnrollActive: "Активний", EnrollSuspended: "Призупинений",
		EnrollPaused: "На паузі", EnrollCancelled: "Скасований", EnrollCompleted: "Завершений",
		EnrollDropped: "Не розпочато: перший платіж не надійшов",
		ReceiptsIPay:  "Квитанції, які я оплачую",
		ReceiptNumber: "Квитанція", ReceiptLearner: "Учень", ReceiptPeriod: "Період", ReceiptDueDate: "Сплатити до",
		ReceiptPaid: "Сплачено", ReceiptPay: "Оплатити %s", ReceiptHTML: "Відкрити квитанцію", ReceiptPDF: "Завантажити PDF",
		ReceiptIssued: "До сплати", ReceiptPartlyPaid: "Сплачено частково", ReceiptPaidStatus: "Сплачено",
		ReceiptOverdue: "Прострочено", ReceiptWaived: "Списано", ReceiptCancelled: "Анульовано",
	},
}
