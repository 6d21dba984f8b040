package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/db"
	"github.com/bursar/bursar/internal/gateway/gatewayq"
	"github.com/bursar/bursar/internal/secret"
)

// store is the SQL side of the Service.
type store struct{}

func (store) get(ctx context.Context, q db.DBTX, id int64, forUpdate bool) (gatewayq.PaymentSystem, error) {
	var row gatewayq.PaymentSystem
	var err error
	if forUpdate {
		row, err = gatewayq.New(q).PaymentSystemGetForUpdate(ctx, id)
	} else {
		row, err = gatewayq.New(q).PaymentSystemGet(ctx, id)
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return row, NotFoundError(id)
	}
	if err != nil {
		return row, fmt.Errorf("get payment system %d: %w", id, err)
	}
	return row, nil
}

// fromRow maps a row to a System; settings are decoded by their field kinds so amounts stay int64.
func fromRow(r gatewayq.PaymentSystem) (System, error) {
	settings, err := decodeSettings(r.Type, r.Settings)
	if err != nil {
		return System{}, fmt.Errorf("payment system %d: %w", r.ID, err)
	}
	names := slices.Clone(r.CredentialNames)
	slices.Sort(names)
	return System{
		ID: r.ID, Type: r.Type, Name: r.Name, Description: r.Description, ImageURL: r.ImageUrl, Mode: r.Mode,
		Settings: settings, CredentialNames: names, Enabled: r.Enabled, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}, nil
}

func decodeSettings(typ string, b []byte) (map[string]any, error) {
	raw := map[string]any{}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("decode settings: %w", err)
	}
	spec, _ := Spec(typ)
	out := make(map[string]any, len(raw))
	for k, v := range raw {
		f, _ := spec.Field(k)
		switch f.Kind {
		case KindAmount:
			n, _ := v.(json.Number)
			i, err := strconv.ParseInt(n.String(), 10, 64)
			if err != nil {
				return nil, fmt.Errorf("setting %s: %w", k, err)
			}
			out[k] = i
		case KindCurrencies:
			list, _ := v.([]any)
			codes := make([]string, 0, len(list))
			for _, c := range list {
				s, _ := c.(string)
				codes = append(codes, s)
			}
			out[k] = codes
		default:
			s, _ := v.(string)
			out[k] = s
		}
	}
	return out, nil
}

// credentialsAD binds a sealed blob to its row.
func credentialsAD(id int64) []byte {
	return []byte("payment_systems.credentials:" + strconv.FormatInt(id, 10))
}

// sealCredentials returns the sealed blob (nil when there are none) and the sorted credential names.
func sealCredentials(box *secret.Box, id int64, creds map[string]string) ([]byte, []string, error) {
	if len(creds) == 0 {
		return nil, []string{}, nil
	}
	pt, err := json.Marshal(creds)
	if err != nil {
		return nil, nil, fmt.Errorf("encode credentials: %w", err)
	}
	sealed, err := box.Seal(pt, credentialsAD(id))
	if err != nil {
		return nil, nil, fmt.Errorf("seal credentials of payment system %d: %w", id, err)
	}
	return sealed, slices.Sorted(maps.Keys(creds)), nil
}

func openCredentials(box *secret.Box, id int64, sealed []byte) (map[string]string, error) {
	creds := map[string]string{}
	if len(sealed) == 0 {
		return creds, nil
	}
	pt, err := box.Open(sealed, credentialsAD(id))
	if err != nil {
		return nil, fmt.Errorf("open credentials of payment system %d: %w", id, err)
	}
	if err := json.Unmarshal(pt, &creds); err != nil {
		return nil, fmt.Errorf("decode credentials of payment system %d: %w", id, err)
	}
	return creds, nil
}
