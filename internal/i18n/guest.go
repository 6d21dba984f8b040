package i18n

// Texts of paying without signing in (F2): the visitor's pay page and the first visit of the sign-in link.
const (
	GuestNote         Key = "guest_note"
	GuestSignIn       Key = "guest_sign_in"
	WelcomeTitle      Key = "welcome_title"
	WelcomeIntro      Key = "welcome_intro" // %s: e-mail
	WelcomeSubmit     Key = "welcome_submit"
	WelcomeBackTitle  Key = "welcome_back_title"
	WelcomeBackIntro  Key = "welcome_back_intro" // %s: e-mail
	WelcomeBackSubmit Key = "welcome_back_submit"
	WelcomeInvalid    Key = "welcome_invalid"
)

var guestKeys = []Key{GuestNote, GuestSignIn, WelcomeTitle, WelcomeIntro, WelcomeSubmit, WelcomeBackTitle,
	WelcomeBackIntro, WelcomeBackSubmit, WelcomeInvalid}

var guestTexts = map[string]map[Key]string{
	"en": {
		GuestNote:    "No account needed: after paying, we e-mail you a link to your purchase at the address you give the payment service.",
		GuestSignIn:  "Already have an account? Sign in",
		WelcomeTitle: "Welcome! Choose your password", WelcomeIntro: "Your purchase is ready. Choose a password for %s to open it now and sign in later.",
		WelcomeSubmit: "Save and open my purchase", WelcomeBackTitle: "Welcome back",
		WelcomeBackIntro: "Your purchase is in the account of %s.", WelcomeBackSubmit: "Sign in and open my purchase",
		WelcomeInvalid: "This link has been used already or has expired. Sign in with your password, or ask for a new link with \"Forgot your password?\".",
	},
	"es": {
		GuestNote:    "No necesitas cuenta: después de pagar te enviamos un enlace a tu compra a la dirección que des al servicio de pago.",
		GuestSignIn:  "¿Ya tienes cuenta? Entra",
		WelcomeTitle: "¡Bienvenido! Elige tu contraseña", WelcomeIntro: "Tu compra está lista. Elige una contraseña para %s para abrirla ahora y entrar más tarde.",
		WelcomeSubmit: "Guardar y abrir mi compra", WelcomeBackTitle: "Hola de nuevo",
		WelcomeBackIntro: "Tu compra está en la cuenta de %s.", WelcomeBackSubmit: "Entrar y abrir mi compra",
		WelcomeInvalid: "Este enlace ya se ha usado o ha caducado. Entra con tu contraseña o pide un enlace nuevo con «¿Olvidaste tu contraseña?».",
	},
	"fr": {
		GuestNote:    "Pas besoin de compte : après le paiement, nous vous envoyons un lien vers votre achat à l'adresse donnée au service de paiement.",
		GuestSignIn:  "Vous avez déjà un compte ? Connectez-vous",
		WelcomeTitle: "Bienvenue ! Choisissez votre mot de passe", WelcomeIntro: "Votre achat est prêt. Choisissez un mot de passe pour %s pour l'ouvrir maintenant et vous connecter plus tard.",
		WelcomeSubmit: "Enregistrer et ouvrir mon achat", WelcomeBackTitle: "Bon retour",
		WelcomeBackIntro: "Votre achat est dans le compte de %s.", WelcomeBackSubmit: "Se connecter et ouvrir mon achat",
		WelcomeInvalid: "Ce lien a déjà servi ou a expiré. Connectez-vous avec votre mot de passe ou demandez un nouveau lien avec « Mot de passe oublié ? ».",
	},
	"ru": {
		GuestNote:    "Аккаунт не нужен: после оплаты мы пришлём ссылку на покупку на адрес, который вы укажете платёжному сервису.",
		GuestSignIn:  "Уже есть аккаунт? Войдите",
		WelcomeTitle: "Добро пожаловать! Задайте пароль", WelcomeIntro: "Покупка готова. Задайте пароль для %s, чтобы открыть её сейчас и входить потом.",
		WelcomeSubmit: "Сохранить и открыть покупку", WelcomeBackTitle: "С возвращением",
		WelcomeBackIntro: "Покупка добавлена в аккаунт %s.", WelcomeBackSubmit: "Войти и открыть покупку",
		WelcomeInvalid: "Эта ссылка уже использована или устарела. Войдите с паролем или запросите новую ссылку через «Забыли пароль?».",
	},
	"uk": {
		GuestNote:    "Акаунт не потрібен: після оплати ми надішлемо посилання на покупку на адресу, яку ви вкажете платіжному сервісу.",
		GuestSignIn:  "Уже маєте акаунт? Увійдіть",
		WelcomeTitle: "Ласкаво просимо! Задайте пароль", WelcomeIntro: "Покупка готова. Задайте пароль для %s, щоб відкрити її зараз і входити згодом.",
		WelcomeSubmit: "Зберегти й відкрити покупку", WelcomeBackTitle: "З поверненням",
		WelcomeBackIntro: "Покупку додано до акаунта %s.", WelcomeBackSubmit: "Увійти й відкрити покупку",
		WelcomeInvalid: "Це посилання вже використано або воно застаріло. Увійдіть із паролем або попросіть нове посилання через «Забули пароль?».",
	},
}
