package i18n

// Texts of the student's account, the cabinet and the checkout pages.
const (
	SignUpTitle      Key = "signup_title"
	SignUpIntro      Key = "signup_intro" // %s: offer title
	SignInTitle      Key = "signin_title"
	SignInIntro      Key = "signin_intro" // %s: offer title
	Password         Key = "password"
	PasswordHint     Key = "password_hint"
	Name             Key = "name"
	Optional         Key = "optional"
	CreateAccount    Key = "create_account"
	HaveAccount      Key = "have_account"
	NoAccount        Key = "no_account"
	ForgotPassword   Key = "forgot_password"
	WrongCredentials Key = "wrong_credentials"
	LockedOut        Key = "locked_out" // %d minutes
	ResetTitle       Key = "reset_title"
	ResetIntro       Key = "reset_intro"
	SendLink         Key = "send_link"
	ResetSent        Key = "reset_sent"
	ClaimSent        Key = "claim_sent"
	NewPassword      Key = "new_password"
	SavePassword     Key = "save_password"
	ResetInvalid     Key = "reset_invalid"
	PasswordChanged  Key = "password_changed"
	SignOut          Key = "sign_out"
	SignedOut        Key = "signed_out"
	SignedInAs       Key = "signed_in_as" // %s: e-mail
	FormHasErrors    Key = "form_has_errors"
	ErrRequired      Key = "err_required"
	ErrEmail         Key = "err_email"
	ErrPasswordShort Key = "err_password_short"
	ErrTooLong       Key = "err_too_long"
	ErrAccountExists Key = "err_account_exists"
	ErrPhone         Key = "err_phone"
	ErrChoice        Key = "err_choice"
	ErrInvalid       Key = "err_invalid"
	ErrDate          Key = "err_date"
	ErrFutureDate    Key = "err_future_date"
	TooManyTitle     Key = "too_many_title"
	TooManyBody      Key = "too_many_body"
	PayFor           Key = "pay_for" // %s: offer title
	Amount           Key = "amount"
	CurrencyNote     Key = "currency_note" // %s: offer currency, %s: currency paid in
	PaymentDate      Key = "payment_date"
	PaymentDateHint  Key = "payment_date_hint"
	Comment          Key = "comment"
	SubmitPayment    Key = "submit_payment"
	NotAvailable     Key = "not_available"
	NotAvailableBody Key = "not_available_body" // %s: payment system name
	BackToOffer      Key = "back_to_offer"
	Processing       Key = "processing"
	OrderNumber      Key = "order_number"
	Status           Key = "status"
	Offer            Key = "offer"
	NextSteps        Key = "next_steps"
	NextManual       Key = "next_manual" // %d days
	StatusOpen       Key = "status_open"
	StatusCompleted  Key = "status_completed"
	StatusRejected   Key = "status_rejected"
	StatusExpired    Key = "status_expired"
	StatusCancelled  Key = "status_cancelled"
	StatusRefunded   Key = "status_refunded"
	CabinetTitle     Key = "cabinet_title"
	MyProducts       Key = "my_products"
	NoProducts       Key = "no_products"
	OpenProduct      Key = "open_product"
	AccessUntil      Key = "access_until" // %s: date
	MyOrders         Key = "my_orders"
	NoOrders         Key = "no_orders"
	Date             Key = "date"
	Language         Key = "language"
	OrderSent        Key = "order_sent"
	BackToAccount    Key = "back_to_account"
)

var accountKeys = []Key{SignUpTitle, SignUpIntro, SignInTitle, SignInIntro, Password, PasswordHint, Name, Optional,
	CreateAccount, HaveAccount, NoAccount, ForgotPassword, WrongCredentials, LockedOut, ResetTitle, ResetIntro,
	SendLink, ResetSent, ClaimSent, NewPassword, SavePassword, ResetInvalid, PasswordChanged, SignOut,
	SignedOut, SignedInAs, FormHasErrors, ErrRequired, ErrEmail, ErrPasswordShort, ErrTooLong, ErrAccountExists,
	ErrPhone, ErrChoice, ErrInvalid, ErrDate, ErrFutureDate, TooManyTitle, TooManyBody, PayFor, Amount, CurrencyNote,
	PaymentDate, PaymentDateHint, Comment, SubmitPayment, NotAvailable, NotAvailableBody, BackToOffer, Processing,
	OrderNumber, Status, Offer, NextSteps, NextManual, StatusOpen, StatusCompleted, StatusRejected, StatusExpired,
	StatusCancelled, StatusRefunded, CabinetTitle, MyProducts, NoProducts, OpenProduct, AccessUntil, MyOrders,
	NoOrders, Date, Language, OrderSent, BackToAccount}

var accountTexts = map[string]map[Key]string{
	"en": {
		SignUpTitle: "Create your account", SignUpIntro: "To pay for “%s”, create an account or sign in.",
		SignInTitle: "Sign in", SignInIntro: "Sign in to pay for “%s”.", Password: "Password",
		PasswordHint: "At least 8 characters.", Name: "Your name", Optional: "(optional)",
		CreateAccount: "Create account", HaveAccount: "Already have an account?", NoAccount: "No account yet?",
		ForgotPassword: "Forgot your password?", WrongCredentials: "Wrong e-mail or password.",
		LockedOut:   "Too many failed sign-ins. For your security, sign-in is locked; try again in %d minutes.",
		ResetTitle:  "Reset your password",
		ResetIntro:  "Enter the e-mail of your account and we will send you a link to choose a new password.",
		SendLink:    "Send link",
		ResetSent:   "If an account exists for this e-mail, we have sent a link to it. The link works for one hour.",
		ClaimSent:   "The school already knows this e-mail. We have sent a link to it: open it within an hour to set your password and finish creating your account.",
		NewPassword: "New password", SavePassword: "Save password",
		ResetInvalid:    "This link is invalid, was used already or has expired. Request a new one.",
		PasswordChanged: "Your password has been changed.", SignOut: "Sign out", SignedOut: "You have signed out.",
		SignedInAs: "Signed in as %s", FormHasErrors: "Please correct the fields marked below.",
		ErrRequired: "This field is required.", ErrEmail: "Enter a valid e-mail address.",
		ErrPasswordShort: "The password must have 8 to 200 characters.", ErrTooLong: "This text is too long.",
		ErrAccountExists: "An account with this e-mail exists — sign in.", ErrPhone: "Enter a valid phone number.",
		ErrChoice: "Choose one of the options.", ErrInvalid: "Check this field.", ErrDate: "Enter the date of payment.",
		ErrFutureDate: "The date cannot be in the future.", TooManyTitle: "Too many attempts",
		TooManyBody: "You have sent this form too many times. Please wait a few minutes and try again.",
		PayFor:      "Pay for “%s”", Amount: "Amount",
		CurrencyNote: "This payment method does not accept %s: you will pay in %s at the school’s exchange rate. The exact amount is shown after you submit.",
		PaymentDate:  "Payment date", PaymentDateHint: "The day you made the payment.", Comment: "Comment",
		SubmitPayment: "Send payment for confirmation", NotAvailable: "Not available yet",
		NotAvailableBody: "Paying with %s is not available yet. Please choose another way to pay or contact the school.",
		BackToOffer:      "Back to the offer", Processing: "Your payment is being processed", OrderNumber: "Order number",
		Status: "Status", Offer: "Offer", NextSteps: "What happens next",
		NextManual: "The school will check your payment and confirm it within %d days. We will e-mail you when it is confirmed, and your course will appear in your account.",
		StatusOpen: "Awaiting confirmation", StatusCompleted: "Paid", StatusRejected: "Rejected",
		StatusExpired: "Expired", StatusCancelled: "Cancelled", StatusRefunded: "Refunded",
		CabinetTitle: "My account", MyProducts: "My courses", NoProducts: "You have no courses yet.",
		OpenProduct: "Open", AccessUntil: "until %s", MyOrders: "My orders", NoOrders: "You have no orders yet.",
		Date: "Date", Language: "Language", OrderSent: "Thank you! Your payment has been sent for confirmation.",
		BackToAccount: "Back to my account",
	},
	"es": {
		SignUpTitle: "Crea tu cuenta", SignUpIntro: "Para pagar «%s», crea una cuenta o inicia sesión.",
		SignInTitle: "Iniciar sesión", SignInIntro: "Inicia sesión para pagar «%s».", Password: "Contraseña",
		PasswordHint: "Al menos 8 caracteres.", Name: "Tu nombre", Optional: "(opcional)",
		CreateAccount: "Crear cuenta", HaveAccount: "¿Ya tienes cuenta?", NoAccount: "¿Aún no tienes cuenta?",
		ForgotPassword: "¿Olvidaste tu contraseña?", WrongCredentials: "Correo o contraseña incorrectos.",
		LockedOut:   "Demasiados intentos fallidos. Por seguridad, el acceso está bloqueado; inténtalo de nuevo en %d minutos.",
		ResetTitle:  "Restablecer la contraseña",
		ResetIntro:  "Escribe el correo de tu cuenta y te enviaremos un enlace para elegir una contraseña nueva.",
		SendLink:    "Enviar enlace",
		ResetSent:   "Si existe una cuenta con este correo, le hemos enviado un enlace. El enlace funciona durante una hora.",
		ClaimSent:   "La escuela ya conoce este correo. Le hemos enviado un enlace: ábralo en el plazo de una hora para elegir su contraseña y terminar de crear su cuenta.",
		NewPassword: "Contraseña nueva", SavePassword: "Guardar contraseña",
		ResetInvalid:    "Este enlace no es válido, ya se usó o ha caducado. Solicita uno nuevo.",
		PasswordChanged: "Tu contraseña se ha cambiado.", SignOut: "Cerrar sesión", SignedOut: "Has cerrado la sesión.",
		SignedInAs: "Sesión iniciada como %s", FormHasErrors: "Corrige los campos marcados abajo.",
		ErrRequired: "Este campo es obligatorio.", ErrEmail: "Escribe un correo electrónico válido.",
		ErrPasswordShort: "La contraseña debe tener entre 8 y 200 caracteres.", ErrTooLong: "Este texto es demasiado largo.",
		ErrAccountExists: "Ya existe una cuenta con este correo: inicia sesión.", ErrPhone: "Escribe un teléfono válido.",
		ErrChoice: "Elige una de las opciones.", ErrInvalid: "Revisa este campo.", ErrDate: "Indica la fecha del pago.",
		ErrFutureDate: "La fecha no puede ser futura.", TooManyTitle: "Demasiados intentos",
		TooManyBody: "Has enviado este formulario demasiadas veces. Espera unos minutos y vuelve a intentarlo.",
		PayFor:      "Pagar «%s»", Amount: "Importe",
		CurrencyNote: "Este método de pago no acepta %s: pagarás en %s al tipo de cambio de la escuela. El importe exacto se muestra al enviar.",
		PaymentDate:  "Fecha del pago", PaymentDateHint: "El día en que hiciste el pago.", Comment: "Comentario",
		SubmitPayment: "Enviar el pago para su confirmación", NotAvailable: "Aún no disponible",
		NotAvailableBody: "El pago con %s aún no está disponible. Elige otra forma de pago o contacta con la escuela.",
		BackToOffer:      "Volver a la oferta", Processing: "Tu pago se está procesando", OrderNumber: "Número de pedido",
		Status: "Estado", Offer: "Oferta", NextSteps: "Qué pasa ahora",
		NextManual: "La escuela revisará tu pago y lo confirmará en un plazo de %d días. Te avisaremos por correo y el curso aparecerá en tu cuenta.",
		StatusOpen: "Pendiente de confirmación", StatusCompleted: "Pagado", StatusRejected: "Rechazado",
		StatusExpired: "Caducado", StatusCancelled: "Cancelado", StatusRefunded: "Reembolsado",
		CabinetTitle: "Mi cuenta", MyProducts: "Mis cursos", NoProducts: "Aún no tienes cursos.",
		OpenProduct: "Abrir", AccessUntil: "hasta el %s", MyOrders: "Mis pedidos", NoOrders: "Aún no tienes pedidos.",
		Date: "Fecha", Language: "Idioma", OrderSent: "¡Gracias! Tu pago se ha enviado para su confirmación.",
		BackToAccount: "Volver a mi cuenta",
	},
	"fr": {
		SignUpTitle: "Créez votre compte", SignUpIntro: "Pour payer « %s », créez un compte ou connectez-vous.",
		SignInTitle: "Se connecter", SignInIntro: "Connectez-vous pour payer « %s ».", Password: "Mot de passe",
		PasswordHint: "Au moins 8 caractères.", Name: "Votre nom", Optional: "(facultatif)",
		CreateAccount: "Créer le compte", HaveAccount: "Vous avez déjà un compte ?", NoAccount: "Pas encore de compte ?",
		ForgotPassword: "Mot de passe oublié ?", WrongCredentials: "E-mail ou mot de passe incorrect.",
		LockedOut:   "Trop de tentatives échouées. Par sécurité, la connexion est bloquée ; réessayez dans %d minutes.",
		ResetTitle:  "Réinitialiser le mot de passe",
		ResetIntro:  "Saisissez l’e-mail de votre compte : nous vous enverrons un lien pour choisir un nouveau mot de passe.",
		SendLink:    "Envoyer le lien",
		ResetSent:   "Si un compte existe pour cet e-mail, nous lui avons envoyé un lien. Le lien est valable une heure.",
		ClaimSent:   "L'école connaît déjà cet e-mail. Nous lui avons envoyé un lien : ouvrez-le dans l'heure pour choisir votre mot de passe et terminer la création de votre compte.",
		NewPassword: "Nouveau mot de passe", SavePassword: "Enregistrer le mot de passe",
		ResetInvalid:    "Ce lien n’est pas valide, a déjà servi ou a expiré. Demandez-en un nouveau.",
		PasswordChanged: "Votre mot de passe a été modifié.", SignOut: "Se déconnecter", SignedOut: "Vous êtes déconnecté.",
		SignedInAs: "Connecté en tant que %s", FormHasErrors: "Corrigez les champs signalés ci-dessous.",
		ErrRequired: "Ce champ est obligatoire.", ErrEmail: "Saisissez une adresse e-mail valide.",
		ErrPasswordShort: "Le mot de passe doit compter de 8 à 200 caractères.", ErrTooLong: "Ce texte est trop long.",
		ErrAccountExists: "Un compte existe avec cet e-mail : connectez-vous.", ErrPhone: "Saisissez un numéro de téléphone valide.",
		ErrChoice: "Choisissez l’une des options.", ErrInvalid: "Vérifiez ce champ.", ErrDate: "Indiquez la date du paiement.",
		ErrFutureDate: "La date ne peut pas être dans le futur.", TooManyTitle: "Trop de tentatives",
		TooManyBody: "Vous avez envoyé ce formulaire trop souvent. Patientez quelques minutes et réessayez.",
		PayFor:      "Payer « %s »", Amount: "Montant",
		CurrencyNote: "Ce moyen de paiement n’accepte pas %s : vous paierez en %s au taux de change de l’école. Le montant exact s’affiche après l’envoi.",
		PaymentDate:  "Date du paiement", PaymentDateHint: "Le jour où vous avez payé.", Comment: "Commentaire",
		SubmitPayment: "Envoyer le paiement pour confirmation", NotAvailable: "Pas encore disponible",
		NotAvailableBody: "Le paiement avec %s n’est pas encore disponible. Choisissez un autre moyen de paiement ou contactez l’école.",
		BackToOffer:      "Retour à l’offre", Processing: "Votre paiement est en cours de traitement", OrderNumber: "Numéro de commande",
		Status: "Statut", Offer: "Offre", NextSteps: "Et ensuite ?",
		NextManual: "L’école vérifiera votre paiement et le confirmera sous %d jours. Vous recevrez un e-mail à la confirmation et le cours apparaîtra dans votre compte.",
		StatusOpen: "En attente de confirmation", StatusCompleted: "Payée", StatusRejected: "Refusée",
		StatusExpired: "Expirée", StatusCancelled: "Annulée", StatusRefunded: "Remboursée",
		CabinetTitle: "Mon compte", MyProducts: "Mes cours", NoProducts: "Vous n’avez pas encore de cours.",
		OpenProduct: "Ouvrir", AccessUntil: "jusqu’au %s", MyOrders: "Mes commandes", NoOrders: "Vous n’avez pas encore de commande.",
		Date: "Date", Language: "Langue", OrderSent: "Merci ! Votre paiement a été envoyé pour confirmation.",
		BackToAccount: "Retour à mon compte",
	},
	"ru": {
		SignUpTitle: "Создайте аккаунт", SignUpIntro: "Чтобы оплатить «%s», создайте аккаунт или войдите.",
		SignInTitle: "Вход", SignInIntro: "Войдите, чтобы оплатить «%s».", Password: "Пароль",
		PasswordHint: "Не менее 8 символов.", Name: "Ваше имя", Optional: "(необязательно)",
		CreateAccount: "Создать аккаунт", HaveAccount: "Уже есть аккаунт?", NoAccount: "Ещё нет аккаунта?",
		ForgotPassword: "Забыли пароль?", WrongCredentials: "Неверная эл. почта или пароль.",
		LockedOut:   "Слишком много неудачных попыток. Для вашей безопасности вход заблокирован; попробуйте через %d мин.",
		ResetTitle:  "Сброс пароля",
		ResetIntro:  "Введите эл. почту вашего аккаунта, и мы пришлём ссылку для выбора нового пароля.",
		SendLink:    "Отправить ссылку",
		ResetSent:   "Если аккаунт с этой почтой существует, мы отправили на неё ссылку. Ссылка действует один час.",
		ClaimSent:   "Школа уже знает эту почту. Мы отправили на неё ссылку: откройте её в течение часа, чтобы задать пароль и завершить создание аккаунта.",
		NewPassword: "Новый пароль", SavePassword: "Сохранить пароль",
		ResetInvalid:    "Ссылка недействительна, уже использована или устарела. Запросите новую.",
		PasswordChanged: "Пароль изменён.", SignOut: "Выйти", SignedOut: "Вы вышли из аккаунта.",
		SignedInAs: "Вы вошли как %s", FormHasErrors: "Исправьте отмеченные ниже поля.",
		ErrRequired: "Это поле обязательно.", ErrEmail: "Введите правильный адрес эл. почты.",
		ErrPasswordShort: "Пароль должен содержать от 8 до 200 символов.", ErrTooLong: "Слишком длинный текст.",
		ErrAccountExists: "Аккаунт с этой почтой уже есть — войдите.", ErrPhone: "Введите правильный номер телефона.",
		ErrChoice: "Выберите один из вариантов.", ErrInvalid: "Проверьте это поле.", ErrDate: "Укажите дату оплаты.",
		ErrFutureDate: "Дата не может быть в будущем.", TooManyTitle: "Слишком много попыток",
		TooManyBody: "Вы отправили эту форму слишком много раз. Подождите несколько минут и попробуйте снова.",
		PayFor:      "Оплата: «%s»", Amount: "Сумма",
		CurrencyNote: "Этот способ оплаты не принимает %s: вы заплатите в %s по курсу школы. Точная сумма будет показана после отправки.",
		PaymentDate:  "Дата оплаты", PaymentDateHint: "День, когда вы оплатили.", Comment: "Комментарий",
		SubmitPayment: "Отправить оплату на подтверждение", NotAvailable: "Пока недоступно",
		NotAvailableBody: "Оплата через %s пока недоступна. Выберите другой способ оплаты или свяжитесь со школой.",
		BackToOffer:      "Вернуться к предложению", Processing: "Ваш платёж обрабатывается", OrderNumber: "Номер заказа",
		Status: "Статус", Offer: "Предложение", NextSteps: "Что дальше",
		NextManual: "Школа проверит платёж и подтвердит его в течение %d дн. Мы сообщим по почте, и курс появится в вашем аккаунте.",
		StatusOpen: "Ожидает подтверждения", StatusCompleted: "Оплачен", StatusRejected: "Отклонён",
		StatusExpired: "Истёк", StatusCancelled: "Отменён", StatusRefunded: "Возвращён",
		CabinetTitle: "Мой аккаунт", MyProducts: "Мои курсы", NoProducts: "У вас пока нет курсов.",
		OpenProduct: "Открыть", AccessUntil: "до %s", MyOrders: "Мои заказы", NoOrders: "У вас пока нет заказов.",
		Date: "Дата", Language: "Язык", OrderSent: "Спасибо! Оплата отправлена на подтверждение.",
		BackToAccount: "В мой аккаунт",
	},
	"uk": {
		SignUpTitle: "Створіть акаунт", SignUpIntro: "Щоб оплатити «%s», створіть акаунт або увійдіть.",
		SignInTitle: "Вхід", SignInIntro: "Увійдіть, щоб оплатити «%s».", Password: "Пароль",
		PasswordHint: "Щонайменше 8 символів.", Name: "Ваше ім’я", Optional: "(необов’язково)",
		CreateAccount: "Створити акаунт", HaveAccount: "Вже маєте акаунт?", NoAccount: "Ще не маєте акаунта?",
		ForgotPassword: "Забули пароль?", WrongCredentials: "Неправильна ел. пошта або пароль.",
		LockedOut:   "Забагато невдалих спроб. Задля безпеки вхід заблоковано; спробуйте за %d хв.",
		ResetTitle:  "Скидання пароля",
		ResetIntro:  "Введіть ел. пошту свого акаунта, і ми надішлемо посилання для вибору нового пароля.",
		SendLink:    "Надіслати посилання",
		ResetSent:   "Якщо акаунт із цією поштою існує, ми надіслали на неї посилання. Посилання діє одну годину.",
		ClaimSent:   "Школа вже знає цю пошту. Ми надіслали на неї посилання: відкрийте його протягом години, щоб задати пароль і завершити створення акаунта.",
		NewPassword: "Новий пароль", SavePassword: "Зберегти пароль",
		ResetInvalid:    "Посилання недійсне, вже використане або застаріле. Запросіть нове.",
		PasswordChanged: "Пароль змінено.", SignOut: "Вийти", SignedOut: "Ви вийшли з акаунта.",
		SignedInAs: "Ви увійшли як %s", FormHasErrors: "Виправте позначені нижче поля.",
		ErrRequired: "Це поле обов’язкове.", ErrEmail: "Введіть правильну адресу ел. пошти.",
		ErrPasswordShort: "Пароль має містити від 8 до 200 символів.", ErrTooLong: "Занадто довгий текст.",
		ErrAccountExists: "Акаунт із цією поштою вже існує — увійдіть.", ErrPhone: "Введіть правильний номер телефону.",
		ErrChoice: "Оберіть один із варіантів.", ErrInvalid: "Перевірте це поле.", ErrDate: "Вкажіть дату оплати.",
		ErrFutureDate: "Дата не може бути в майбутньому.", TooManyTitle: "Забагато спроб",
		TooManyBody: "Ви надіслали цю форму забагато разів. Зачекайте кілька хвилин і спробуйте знову.",
		PayFor:      "Оплата: «%s»", Amount: "Сума",
		CurrencyNote: "Цей спосіб оплати не приймає %s: ви заплатите в %s за курсом школи. Точну суму буде показано після надсилання.",
		PaymentDate:  "Дата оплати", PaymentDateHint: "День, коли ви оплатили.", Comment: "Коментар",
		SubmitPayment: "Надіслати оплату на підтвердження", NotAvailable: "Поки недоступно",
		NotAvailableBody: "Оплата через %s поки недоступна. Оберіть інший спосіб оплати або зв’яжіться зі школою.",
		BackToOffer:      "Повернутися до пропозиції", Processing: "Ваш платіж обробляється", OrderNumber: "Номер замовлення",
		Status: "Статус", Offer: "Пропозиція", NextSteps: "Що далі",
		NextManual: "Школа перевірить платіж і підтвердить його протягом %d дн. Ми повідомимо поштою, і курс з’явиться у вашому акаунті.",
		StatusOpen: "Очікує підтвердження", StatusCompleted: "Оплачено", StatusRejected: "Відхилено",
		StatusExpired: "Прострочено", StatusCancelled: "Скасовано", StatusRefunded: "Повернено",
		CabinetTitle: "Мій акаунт", MyProducts: "Мої курси", NoProducts: "У вас поки немає курсів.",
		OpenProduct: "Відкрити", AccessUntil: "до %s", MyOrders: "Мої замовлення", NoOrders: "У вас поки немає замовлень.",
		Date: "Дата", Language: "Мова", OrderSent: "Дякуємо! Оплату надіслано на підтвердження.",
		BackToAccount: "До мого акаунта",
	},
}
