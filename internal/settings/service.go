package settings

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/db"
	"github.com/bursar/bursar/internal/settings/settingsq"
)

// key is the settings row that holds School.
const key = "school"

// Service reads and changes the school's settings.
type Service struct {
	db    *pgxpool.Pool
	audit *audit.Log
}

// NewService returns the settings on pool, auditing changes to al.
func NewService(pool *pgxpool.Pool, al *audit.Log) *Service { return &Service{db: pool, audit: al} }

// Get returns the school's settings, with defaults for whatever was never set.
func (s *Service) Get(ctx context.Context) (School, error) { return s.GetTx(ctx, s.db) }

// GetTx is Get inside the caller's transaction.
func (s *Service) GetTx(ctx context.Context, tx db.DBTX) (School, error) {
	row, err := settingsq.New(tx).SettingGet(ctx, key)
	if errors.Is(err, pgx.ErrNoRows) {
		return Defaults(), nil
	}
	if err != nil {
		return School{}, fmt.Errorf("get settings: %w", err)
	}
	var sc School
	if err := json.Unmarshal(row.Value, &sc); err != nil {
		return School{}, fmt.Errorf("decode settings: %w", err)
	}
	sc.UpdatedAt = row.UpdatedAt
	return sc.withDefaults(), nil
}

// Update validates and saves the school's settings, audited; a check.Errors names each bad field.
func (s *Service) Update(ctx context.Context, in School) (School, error) {
	in = in.Normalize()
	if err := in.Validate(); err != nil {
		return School{}, err
	}
	value, err := json.Marshal(in)
	if err != nil {
		return School{}, fmt.Errorf("encode settings: %w", err)
	}
	err = pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		before, err := s.GetTx(ctx, tx)
		if err != nil {
			return err
		}
		updated, err := settingsq.New(tx).SettingPut(ctx, settingsq.SettingPutParams{Key: key, Value: value})
		if err != nil {
			return fmt.Errorf("save settings: %w", err)
		}
		in.UpdatedAt = updated
		return s.audit.RecordTx(ctx, tx, "settings.update", "settings", key, changes(before, in))
	})
	if err != nil {
		return School{}, err
	}
	return in, nil
}

// changes lists the fields that differ, old and new, for the audit log.
func changes(a, b School) map[string]any {
	out := map[string]any{}
	add := func(field, x, y string) {
		if x != y {
			out[field] = map[string]string{"from": x, "to": y}
		}
	}
	add("name", a.Name, b.Name)
	add("contact_email", a.ContactEmail, b.ContactEmail)
	add("phone", a.Phone, b.Phone)
	add("website_url", a.WebsiteURL, b.WebsiteURL)
	add("language", a.Language, b.Language)
	add("timezone", a.Timezone, b.Timezone)
	add("placeholder_domain", a.PlaceholderDomain, b.PlaceholderDomain)
	return out
}
