package email

import (
	"context"
	"fmt"
)

// TestEmail is the view model of the test e-mail an admin sends to check the mail settings.
type TestEmail struct {
	School School
	Lang   string
	Name   string // the recipient's name; may be empty
}

type testTexts struct {
	subject  string
	hello    string // %s: name
	helloAll string // without a name
	body     string
}

func (t testTexts) greeting(name string) string {
	if name == "" {
		return t.helloAll
	}
	return fmt.Sprintf(t.hello, name)
}

var testCatalog = map[string]testTexts{
	"en": {"Test e-mail", "Hello %s,", "Hello,", "This is a test e-mail. If you can read it, e-mail delivery works."},
	"es": {"Correo de prueba", "Hola %s:", "Hola:", "Este es un correo de prueba. Si puedes leerlo, el envío de correo funciona."},
	"fr": {"E-mail de test", "Bonjour %s,", "Bonjour,", "Ceci est un e-mail de test. Si vous pouvez le lire, l'envoi d'e-mails fonctionne."},
	"ru": {"Тестовое письмо", "Здравствуйте, %s!", "Здравствуйте!", "Это тестовое письмо. Если вы его читаете, отправка почты работает."},
	"uk": {"Тестовий лист", "Вітаємо, %s!", "Вітаємо!", "Це тестовий лист. Якщо ви його читаєте, надсилання пошти працює."},
}

// Test renders the test e-mail in v.Lang (English when the language has no texts).
func Test(ctx context.Context, v TestEmail) (Rendered, error) {
	if v.Lang == "" {
		v.Lang = "en"
	}
	t := pick(testCatalog, v.Lang)
	text := t.greeting(v.Name) + "\n\n" + t.body
	return render(ctx, t.subject, testHTML(v, t), v.School, text)
}
