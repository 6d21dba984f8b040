package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/db"
	"github.com/bursar/bursar/internal/gateway/gatewayq"
	"github.com/bursar/bursar/internal/secret"
)

// Service manages payment systems.
type Service struct {
	db     *pgxpool.Pool
	audit  *audit.Log
	box    *secret.Box
	boxErr error
	store  store
}

// NewService returns a Service on pool; secretKey (32 bytes) seals credentials. A key of the wrong size makes every
// method that needs credentials fail (config.Validate rejects such keys before this is reached).
func NewService(pool *pgxpool.Pool, al *audit.Log, secretKey []byte) *Service {
	box, err := secret.New(secretKey)
	return &Service{db: pool, audit: al, box: box, boxErr: err}
}

// Systems returns the payment systems with the given ids, in that order; unknown ids are left out. Disabled systems
// are included (Enabled false): callers decide.
func (s *Service) Systems(ctx context.Context, ids []int64) ([]System, error) {
	if len(ids) == 0 {
		return []System{}, nil
	}
	rows, err := gatewayq.New(s.db).PaymentSystemsByIDs(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("payment systems %v: %w", ids, err)
	}
	byID := make(map[int64]System, len(rows))
	for _, r := range rows {
		sys, err := fromRow(r)
		if err != nil {
			return nil, err
		}
		byID[r.ID] = sys
	}
	out := make([]System, 0, len(rows))
	seen := map[int64]bool{}
	for _, id := range ids {
		if sys, ok := byID[id]; ok && !seen[id] {
			seen[id] = true
			out = append(out, sys)
		}
	}
	return out, nil
}

// Get returns the payment system id.
func (s *Service) Get(ctx context.Context, id int64) (System, error) {
	row, err := s.store.get(ctx, s.db, id, false)
	if err != nil {
		return System{}, err
	}
	return fromRow(row)
}

// GetTx is Get inside the caller's transaction tx (internal/apiview renders a subscription.* event's object with
// its payment system's schedule inside the emitting transaction).
func (s *Service) GetTx(ctx context.Context, tx db.DBTX, id int64) (System, error) {
	row, err := s.store.get(ctx, tx, id, false)
	if err != nil {
		return System{}, err
	}
	return fromRow(row)
}

// List returns up to limit payment systems with ids after afterID, by id (keyset pagination).
func (s *Service) List(ctx context.Context, afterID int64, limit int) ([]System, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	rows, err := gatewayq.New(s.db).PaymentSystemsList(ctx, gatewayq.PaymentSystemsListParams{
		AfterID: afterID, MaxRows: int32(limit),
	})
	if err != nil {
		return nil, fmt.Errorf("list payment systems: %w", err)
	}
	out := make([]System, 0, len(rows))
	for _, r := range rows {
		sys, err := fromRow(r)
		if err != nil {
			return nil, err
		}
		out = append(out, sys)
	}
	return out, nil
}

// All returns every payment system, by id (a school has a handful).
func (s *Service) All(ctx context.Context) ([]System, error) { return s.List(ctx, 0, 1000) }

// Create validates in and creates the payment system with its credentials sealed to its id, all in one transaction.
func (s *Service) Create(ctx context.Context, in Input) (System, error) {
	if s.boxErr != nil {
		return System{}, s.boxErr
	}
	d := &draft{typ: in.Type, name: in.Name, description: in.Description, imageURL: in.ImageURL, mode: in.Mode,
		settings: map[string]any{}, creds: map[string]string{}}
	if d.mode == "" {
		d.mode = ModeTest
	}
	if err := d.validate(in.Settings, in.Credentials).Err(); err != nil {
		return System{}, err
	}
	settings, err := json.Marshal(d.settings)
	if err != nil {
		return System{}, fmt.Errorf("encode settings: %w", err)
	}
	var id int64
	err = pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		q := gatewayq.New(tx)
		row, err := q.PaymentSystemCreate(ctx, gatewayq.PaymentSystemCreateParams{
			Type: d.typ, Name: d.name, Description: d.description, ImageUrl: d.imageURL, Mode: d.mode,
			Settings: settings, Enabled: in.Enabled,
		})
		if err != nil {
			return fmt.Errorf("insert payment system: %w", err)
		}
		id = row.ID
		// Sealed only now: the additional data is the id the INSERT returned.
		sealed, names, err := sealCredentials(s.box, id, d.creds)
		if err != nil {
			return err
		}
		if sealed != nil {
			if _, err := q.PaymentSystemSetCredentials(ctx, gatewayq.PaymentSystemSetCredentialsParams{
				ID: id, CredentialsSealed: sealed, Names: names,
			}); err != nil {
				return fmt.Errorf("store credentials of payment system %d: %w", id, err)
			}
		}
		return s.audit.RecordTx(ctx, tx, "payment_system.create", "payment_system", id, map[string]any{
			"type": d.typ, "name": d.name, "mode": d.mode, "enabled": in.Enabled, "settings": d.settings,
			"credentials_set": names,
		})
	})
	if err != nil {
		return System{}, err
	}
	return s.Get(ctx, id)
}

// Update applies p to the payment system id. The type never changes. Credentials left empty keep their values.
func (s *Service) Update(ctx context.Context, id int64, p Patch) (System, error) {
	if s.boxErr != nil {
		return System{}, s.boxErr
	}
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		row, err := s.store.get(ctx, tx, id, true)
		if err != nil {
			return err
		}
		cur, err := fromRow(row)
		if err != nil {
			return err
		}
		creds, err := openCredentials(s.box, id, row.CredentialsSealed)
		if err != nil {
			return err
		}
		d := &draft{typ: cur.Type, name: cur.Name, description: cur.Description, imageURL: cur.ImageURL,
			mode: cur.Mode, settings: maps.Clone(cur.Settings), creds: maps.Clone(creds)}
		enabled := cur.Enabled
		applyPatch(d, &enabled, p)
		if err := d.validate(p.Settings, p.Credentials).Err(); err != nil {
			return err
		}
		return s.write(ctx, tx, cur, d, enabled, creds)
	})
	if err != nil {
		return System{}, err
	}
	return s.Get(ctx, id)
}

func applyPatch(d *draft, enabled *bool, p Patch) {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&d.name, p.Name)
	set(&d.description, p.Description)
	set(&d.imageURL, p.ImageURL)
	set(&d.mode, p.Mode)
	if p.Enabled != nil {
		*enabled = *p.Enabled
	}
}

// write stores the validated draft d over cur and audits what changed (credential names only, never values).
func (s *Service) write(ctx context.Context, tx pgx.Tx, cur System, d *draft, enabled bool, oldCreds map[string]string) error {
	settings, err := json.Marshal(d.settings)
	if err != nil {
		return fmt.Errorf("encode settings: %w", err)
	}
	sealed, names, err := sealCredentials(s.box, cur.ID, d.creds)
	if err != nil {
		return err
	}
	if _, err := gatewayq.New(tx).PaymentSystemUpdate(ctx, gatewayq.PaymentSystemUpdateParams{
		ID: cur.ID, Name: d.name, Description: d.description, ImageUrl: d.imageURL, Mode: d.mode,
		Settings: settings, Enabled: enabled, CredentialsSealed: sealed, Names: names,
	}); err != nil {
		return fmt.Errorf("update payment system %d: %w", cur.ID, err)
	}
	var credsChanged []string
	for k, v := range d.creds {
		if oldCreds[k] != v {
			credsChanged = append(credsChanged, k)
		}
	}
	slices.Sort(credsChanged)
	return s.audit.RecordTx(ctx, tx, "payment_system.update", "payment_system", cur.ID, map[string]any{
		"name": d.name, "mode": d.mode, "enabled": enabled, "settings": d.settings,
		"credentials_changed": credsChanged,
	})
}

// SetEnabled enables or disables the payment system id. Setting the state it already has changes nothing.
func (s *Service) SetEnabled(ctx context.Context, id int64, enabled bool) error {
	return pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		q := gatewayq.New(tx)
		n, err := q.PaymentSystemSetEnabled(ctx, gatewayq.PaymentSystemSetEnabledParams{ID: id, Enabled: enabled})
		if err != nil {
			return fmt.Errorf("set payment system %d enabled: %w", id, err)
		}
		if n == 0 {
			ok, err := q.PaymentSystemExists(ctx, id)
			if err != nil {
				return fmt.Errorf("payment system %d: %w", id, err)
			}
			if !ok {
				return NotFoundError(id)
			}
			return nil
		}
		action := "payment_system.disable"
		if enabled {
			action = "payment_system.enable"
		}
		return s.audit.RecordTx(ctx, tx, action, "payment_system", id, nil)
	})
}

// Credentials returns the payment system's credentials in clear, for server-side gateway code only: never render,
// return or log them.
func (s *Service) Credentials(ctx context.Context, id int64) (map[string]string, error) {
	if s.boxErr != nil {
		return nil, s.boxErr
	}
	row, err := s.store.get(ctx, s.db, id, false)
	if err != nil {
		return nil, err
	}
	return openCredentials(s.box, id, row.CredentialsSealed)
}

// NotRecurring returns the names of the payment systems among ids whose type cannot charge a saved card on schedule
// (Recurring), in the order of ids; unknown ids are left out (offer.PayerEmails).
func (s *Service) NotRecurring(ctx context.Context, ids []int64) ([]string, error) {
	var names []string
	for _, id := range ids {
		sys, err := s.Get(ctx, id)
		if errors.Is(err, check.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if !sys.Can(Recurring) {
			names = append(names, sys.Name)
		}
	}
	return names, nil
}

// NoTrial returns the names of the payment systems among ids whose type cannot start a free trial (SavedCards: the
// first payment, on the gateway's page, saves the card), in the order of ids; unknown ids are left out
// (offer.PayerEmails).
func (s *Service) NoTrial(ctx context.Context, ids []int64) ([]string, error) {
	var names []string
	for _, id := range ids {
		sys, err := s.Get(ctx, id)
		if errors.Is(err, check.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if sys.Can(SavedCards) {
			names = append(names, sys.Name)
		}
	}
	return names, nil
}

// ReportPayerEmail tells whether any of the payment systems ids reports the payer's e-mail (its type can take
// payments without authorization); unknown ids count as not.
func (s *Service) ReportPayerEmail(ctx context.Context, ids []int64) (bool, error) {
	for _, id := range ids {
		sys, err := s.Get(ctx, id)
		if errors.Is(err, check.ErrNotFound) {
			continue
		}
		if err != nil {
			return false, err
		}
		if sys.Can(PayWithoutAuthorization) {
			return true, nil
		}
	}
	return false, nil
}
