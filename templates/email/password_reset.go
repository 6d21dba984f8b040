package email

import (
	"context"
	"fmt"
)

// PasswordResetEmail is the view model of the e-mail carrying a student's password-reset link.
type PasswordResetEmail struct {
	School School
	Lang   string
	Link   string // single-use, valid for one hour
}

type resetTexts struct {
	subject string
	hello   string
	lead    string
	action  string
	expiry  string
	ignore  string
}

var resetCatalog = map[string]resetTexts{
	"en": {"Reset your password", "Hello,", "Someone, hopefully you, asked to reset the password of your account.", "Choose a new password",
		"The link is valid for 1 hour and works once.", "If you did not ask for this, ignore this e-mail: your password stays the same."},
	"es": {"Restablece tu contraseña", "Hola:", "Alguien, esperamos que tú, ha pedido restablecer la contraseña de tu cuenta.", "Elegir una nueva contraseña",
		"El enlace es válido durante 1 hora y solo funciona una vez.", "Si no lo has pedido tú, ignora este correo: tu contraseña no cambia."},
	"fr": {"Réinitialisez votre mot de passe", "Bonjour,", "Quelqu'un, vous sans doute, a demandé à réinitialiser le mot de passe de votre compte.", "Choisir un nouveau mot de passe",
		"Le lien est valable 1 heure et ne fonctionne qu'une fois.", "Si vous n'êtes pas à l'origine de cette demande, ignorez cet e-mail : votre mot de passe reste le même."},
	"ru": {"Сброс пароля", "Здравствуйте!", "Кто-то, надеемся, что вы, попросил сбросить пароль вашей учётной записи.", "Задать новый пароль",
		"Ссылка действует 1 час и срабатывает один раз.", "Если вы этого не просили, просто проигнорируйте письмо: ваш пароль не изменится."},
	"uk": {"Скидання пароля", "Вітаємо!", "Хтось, сподіваємося, що ви, попросив скинути пароль вашого облікового запису.", "Задати новий пароль",
		"Посилання дійсне 1 годину й спрацьовує один раз.", "Якщо ви цього не просили, просто проігноруйте лист: ваш пароль не зміниться."},
}

// PasswordReset renders the password-reset e-mail in v.Lang (English when the language has no texts).
func PasswordReset(ctx context.Context, v PasswordResetEmail) (Rendered, error) {
	if v.Lang == "" {
		v.Lang = "en"
	}
	t := pick(resetCatalog, v.Lang)
	text := fmt.Sprintf("%s\n\n%s\n\n%s: %s\n\n%s\n%s\n", t.hello, t.lead, t.action, v.Link, t.expiry, t.ignore)
	return render(ctx, t.subject, passwordResetHTML(v, t), v.School, text)
}
