// Package demo creates the demo school: an owner to sign in with, products, offers, a manual payment system and a
// few contacts. Running it again changes nothing.
package demo

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/crm"
	"github.com/bursar/bursar/internal/fx"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/offer"
	"github.com/bursar/bursar/internal/settings"
	"github.com/bursar/bursar/internal/staff"
)

// AdminEmail is the demo owner's e-mail.
const AdminEmail = "admin@demo.bursar.test"

// AdminPassword is the demo owner's password: derived from the secret key, so it is stable across runs of one
// installation and unknown to anyone without the key.
func AdminPassword(secret []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("bursar demo admin password"))
	return "demo-" + base64.RawURLEncoding.EncodeToString(m.Sum(nil))[:12]
}

// Seed creates whatever of the demo school is missing.
func Seed(ctx context.Context, pool *pgxpool.Pool, secret []byte) error {
	al := audit.New(pool)
	st := staff.NewService(pool, al)
	_, err := st.CreateUser(ctx, staff.NewUser{Email: AdminEmail, Name: "Demo Owner", Role: staff.RoleOwner, Password: AdminPassword(secret)})
	if e, ok := check.AsErrors(err); ok && e["email"] != "" && len(e) == 1 {
		err = nil // already there
	}
	if err != nil {
		return fmt.Errorf("demo admin: %w", err)
	}
	if err := seedSchool(ctx, pool, al); err != nil {
		return fmt.Errorf("demo settings: %w", err)
	}
	return seedCatalog(ctx, pool, al, secret)
}

// seedSchool names the demo school and adds an exchange rate, once: settings someone already saved are kept.
func seedSchool(ctx context.Context, pool *pgxpool.Pool, al *audit.Log) error {
	st := settings.NewService(pool, al)
	cur, err := st.Get(ctx)
	if err != nil {
		return err
	}
	if cur.UpdatedAt.IsZero() {
		if _, err := st.Update(ctx, settings.School{Name: "Demo Academy", ContactEmail: "hello@demo-academy.example",
			Phone: "+34 910 000 000", WebsiteURL: "https://demo-academy.example", Language: "en", Timezone: "Europe/Madrid"}); err != nil {
			return err
		}
	}
	rates := fx.NewService(pool, al)
	have, err := rates.List(ctx)
	if err != nil || len(have) > 0 {
		return err
	}
	_, _, err = rates.Save(ctx, fx.NewRate{Base: "EUR", Quote: "UAH", Rate: "41.25"})
	return err
}

// seedCatalog creates the demo products, a manual payment system, offers and contacts, each only when missing.
func seedCatalog(ctx context.Context, pool *pgxpool.Pool, al *audit.Log, secret []byte) error {
	systems := gateway.NewService(pool, al, secret)
	catalog, err := offer.NewService(pool, al, systems)
	if err != nil {
		return err
	}
	contacts := crm.NewService(pool, al, nil) // demo data: no events

	bank, err := demoSystem(ctx, systems)
	if err != nil {
		return fmt.Errorf("demo payment system: %w", err)
	}
	products := map[string]int64{}
	for _, p := range []offer.ProductInput{
		{Name: "Spanish A1", Kind: "course", Description: "Twelve weeks of beginner Spanish.", ExternalURL: "https://lms.example.org/courses/spanish-a1", ExternalID: "es-a1"},
		{Name: "Conversation club", Kind: "webinar", Description: "A weekly live session."},
		{Name: "Private lesson", Kind: "consultation", Description: "Sixty minutes with a tutor."},
	} {
		id, err := demoProduct(ctx, catalog, p)
		if err != nil {
			return fmt.Errorf("demo product %s: %w", p.Name, err)
		}
		products[p.Name] = id
	}
	offers := []offer.Input{
		demoOffer("Spanish A1 — full course", "spanish-a1", "en", 14900, []int64{products["Spanish A1"], products["Conversation club"]}, bank, 0,
			"Learn the basics of **Spanish** in twelve weeks:\n\n- 24 video lessons\n- weekly conversation club\n- a certificate at the end"),
		demoOffer("Curso de español A1", "curso-espanol-a1", "es", 14900, []int64{products["Spanish A1"]}, bank, 365,
			"Aprende **español** desde cero en doce semanas."),
		demoOffer("Clase particular", "clase-particular", "es", 3500, []int64{products["Private lesson"]}, bank, 30,
			"Una hora con un profesor nativo."),
	}
	for _, in := range offers {
		if err := demoOfferCreate(ctx, catalog, in); err != nil {
			return fmt.Errorf("demo offer %s: %w", in.Slug, err)
		}
	}
	for _, c := range []crm.Input{
		{Email: "ana.garcia@example.org", Name: "Ana García", Phone: "+34 600 000 001"},
		{Email: "pierre.martin@example.org", Name: "Pierre Martin"},
		{Email: "olena.shevchenko@example.org", Name: "Olena Shevchenko", CustomFields: map[string]string{"company": "Kyiv Tutors"}},
	} {
		if _, err := contacts.ByEmail(ctx, c.Email); err == nil {
			continue
		} else if !errors.Is(err, check.ErrNotFound) {
			return err
		}
		if _, err := contacts.Create(ctx, c); err != nil {
			return fmt.Errorf("demo contact %s: %w", c.Email, err)
		}
	}
	return nil
}

func demoSystem(ctx context.Context, systems *gateway.Service) (int64, error) {
	const name = "Bank transfer"
	all, err := systems.All(ctx)
	if err != nil {
		return 0, err
	}
	for _, s := range all {
		if s.Type == "manual" && s.Name == name {
			return s.ID, nil
		}
	}
	s, err := systems.Create(ctx, gateway.Input{
		Type: "manual", Name: name, Enabled: true,
		Description: "Pay by bank transfer to IBAN ES00 0000 0000 0000 0000 0000 (Demo Academy). We confirm within two working days.",
		Settings: map[string]any{
			"fee_percent": "1.5", "fixed_fee": 30, "fixed_fee_currency": "EUR",
			"account_currency": "EUR", "fallback_currency": "EUR", "supported_currencies": []any{"EUR", "USD"},
			"comment_hint": "Write the transfer reference and the name of the account holder.",
		},
	})
	return s.ID, err
}

func demoProduct(ctx context.Context, catalog *offer.Service, in offer.ProductInput) (int64, error) {
	found, err := catalog.Products(ctx, offer.ProductFilter{Query: in.Name, IncludeArchived: true})
	if err != nil {
		return 0, err
	}
	for _, p := range found {
		if p.Name == in.Name {
			return p.ID, nil
		}
	}
	p, err := catalog.CreateProduct(ctx, in)
	return p.ID, err
}

func demoOffer(title, slug, lang string, amount int64, products []int64, system int64, accessDays int, desc string) offer.Input {
	in := offer.NewInput()
	in.Title, in.Slug, in.Language, in.Description = title, slug, lang, desc
	in.Status = offer.StatusPublished
	in.Amount, in.Currency = amount, "EUR"
	in.ProductIDs, in.PaymentSystemIDs = products, []int64{system}
	in.AccessDays = accessDays
	in.Contact = offer.Contact{Email: "hello@demo-academy.example", Phone: "+34 910 000 000", Note: "Monday to Friday, 9:00–18:00 CET"}
	in.RegistrationFields = []offer.RegistrationField{{Key: "country", Label: "Country", Type: "text", Required: false}}
	return in
}

func demoOfferCreate(ctx context.Context, catalog *offer.Service, in offer.Input) error {
	found, err := catalog.Offers(ctx, offer.Filter{Query: in.Slug})
	if err != nil {
		return err
	}
	for _, o := range found {
		if o.Slug == in.Slug {
			return nil
		}
	}
	_, err = catalog.Create(ctx, in)
	return err
}
