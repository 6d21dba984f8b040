package mailer

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/billing"
	"github.com/bursar/bursar/internal/notify"
	"github.com/bursar/bursar/templates/email"
)

// BillingEmailTx renders the billing e-mail e (a receipt to its payer, the welcome to a learner) in e.Language and
// enqueues it once per e.DedupKey.
//
// This first version writes a plain English line; the localized templates and the paid receipt's PDF replace it.
func (m *Mailer) BillingEmailTx(ctx context.Context, tx pgx.Tx, e billing.Email) error {
	school, placeholder, err := m.school(ctx, tx)
	if err != nil {
		return err
	}
	subject := fmt.Sprintf("%s: %s %s", school.Name, strings.ReplaceAll(string(e.Kind), "_", " "), e.Receipt.Number)
	text := subject + "\n"
	var secrets []string
	if e.Receipt.PayURL != "" {
		text += e.Receipt.PayURL + "\n"
		secrets = linkSecrets(e.Receipt.PayURL)
	}
	if e.SignInURL != "" {
		text += e.SignInURL + "\n"
		secrets = append(secrets, linkSecrets(e.SignInURL)...)
	}
	related, id := "enrollment", e.Enrollment.ID
	if e.Receipt.ID != 0 {
		related, id = "receipt", e.Receipt.ID
	}
	return m.enqueue(ctx, tx, notify.Email{DedupKey: e.DedupKey, To: e.To, Language: lang(e.Language),
		RelatedType: related, RelatedID: id, Secrets: secrets}, email.Rendered{Subject: subject, Text: text}, placeholder)
}
