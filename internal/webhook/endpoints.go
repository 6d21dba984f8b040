package webhook

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/events"
	"github.com/bursar/bursar/internal/webhook/webhookq"
)

// maxDescription bounds an endpoint's description.
const maxDescription = 500

// normalize trims in and drops repeated types.
func (in Input) normalize() Input {
	in.URL = strings.TrimSpace(in.URL)
	in.Description = strings.TrimSpace(in.Description)
	seen := map[events.Type]bool{}
	types := make([]events.Type, 0, len(in.Types))
	for _, t := range in.Types {
		t = events.Type(strings.TrimSpace(string(t)))
		if !seen[t] {
			seen[t] = true
			types = append(types, t)
		}
	}
	in.Types = types
	return in
}

// validate checks in: the URL (checkURL), the description's length and every type known (field "types").
func (in Input) validate(allowPrivate bool) error {
	e := check.Errors{}
	checkURL(e, in.URL, allowPrivate)
	e.Text("description", in.Description, false, maxDescription)
	for _, t := range in.Types {
		if _, ok := events.KindOf(t); !ok {
			e.Add("types", fmt.Sprintf("%q is not an event type", t))
			break
		}
	}
	return e.Err()
}

func typeStrings(ts []events.Type) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = string(t)
	}
	return out
}

// secretAD binds a sealed secret to its endpoint's row (current and previous alike).
func secretAD(id int64) []byte {
	return []byte("webhook_endpoints.secret:" + strconv.FormatInt(id, 10))
}

// Create validates in and makes the endpoint with a new secret, returned once (the endpoint keeps it sealed).
func (s *Service) Create(ctx context.Context, in Input) (Endpoint, string, error) {
	in = in.normalize()
	if err := in.validate(s.cfg.AllowPrivate); err != nil {
		return Endpoint{}, "", err
	}
	sec := NewSecret()
	var out Endpoint
	err := s.change(ctx, func(tx pgx.Tx, q *webhookq.Queries) error {
		id, err := q.EndpointNextID(ctx)
		if err != nil {
			return err
		}
		sealed, err := s.box.Seal([]byte(sec), secretAD(id))
		if err != nil {
			return err
		}
		row, err := q.EndpointInsert(ctx, webhookq.EndpointInsertParams{ID: id, Url: in.URL, Description: in.Description,
			Types: typeStrings(in.Types), Enabled: in.Enabled, SecretSealed: sealed, SecretPrefix: shownPrefix(sec),
			Now: s.clock()})
		if err != nil {
			return fmt.Errorf("insert webhook endpoint: %w", err)
		}
		out = endpoint(row)
		return s.audit.RecordTx(ctx, tx, "webhook_endpoint.create", "webhook_endpoint", id,
			map[string]any{"url": out.URL, "types": in.Types, "enabled": out.Enabled})
	})
	if err != nil {
		return Endpoint{}, "", err
	}
	return out, sec, nil
}

// Update changes an endpoint's URL, description, types and enabled; enabling one Bursar disabled clears its reason
// and its run of failures.
func (s *Service) Update(ctx context.Context, id int64, in Input) (Endpoint, error) {
	return s.Patch(ctx, id, Patch{URL: &in.URL, Description: &in.Description, Types: &in.Types, Enabled: &in.Enabled})
}

// Patch is a change to some of an endpoint's settings (PATCH in the API): nil fields stay as they are.
type Patch struct {
	URL         *string
	Description *string
	Types       *[]events.Type
	Enabled     *bool
}

// Patch changes the fields p sets, validated as Create validates them; see Update.
func (s *Service) Patch(ctx context.Context, id int64, p Patch) (Endpoint, error) {
	var out Endpoint
	err := s.change(ctx, func(tx pgx.Tx, q *webhookq.Queries) error {
		row, err := q.EndpointLock(ctx, id)
		if err != nil {
			return notFound(err)
		}
		cur := endpoint(row)
		in := Input{URL: cur.URL, Description: cur.Description, Types: cur.Types, Enabled: cur.Enabled}
		if p.URL != nil {
			in.URL = *p.URL
		}
		if p.Description != nil {
			in.Description = *p.Description
		}
		if p.Types != nil {
			in.Types = *p.Types
		}
		if p.Enabled != nil {
			in.Enabled = *p.Enabled
		}
		in = in.normalize()
		if err := in.validate(s.cfg.AllowPrivate); err != nil {
			return err
		}
		row, err = q.EndpointUpdate(ctx, webhookq.EndpointUpdateParams{ID: id, Url: in.URL, Description: in.Description,
			Types: typeStrings(in.Types), Enabled: in.Enabled, Now: s.clock()})
		if err != nil {
			return err
		}
		out = endpoint(row)
		return s.audit.RecordTx(ctx, tx, "webhook_endpoint.update", "webhook_endpoint", id,
			map[string]any{"url": out.URL, "types": in.Types, "enabled": out.Enabled})
	})
	return out, err
}

// Delete removes an endpoint with its delivery log; jobs left for its deliveries find nothing to do.
func (s *Service) Delete(ctx context.Context, id int64) error {
	return s.change(ctx, func(tx pgx.Tx, q *webhookq.Queries) error {
		row, err := q.EndpointLock(ctx, id)
		if err != nil {
			return notFound(err)
		}
		if _, err := q.EndpointDelete(ctx, id); err != nil {
			return err
		}
		return s.audit.RecordTx(ctx, tx, "webhook_endpoint.delete", "webhook_endpoint", id, map[string]any{"url": row.Url})
	})
}

// RotateSecret makes a new secret (returned once); the old one keeps signing alongside until now + overlap (none
// when overlap is 0). overlap must be from 0 to MaxOverlap (field "overlap").
func (s *Service) RotateSecret(ctx context.Context, id int64, overlap time.Duration) (Endpoint, string, error) {
	if overlap < 0 || overlap > MaxOverlap {
		return Endpoint{}, "", check.Field("overlap", fmt.Sprintf("must be from 0 to %d hours", int(MaxOverlap.Hours())))
	}
	sec := NewSecret()
	var out Endpoint
	err := s.change(ctx, func(tx pgx.Tx, q *webhookq.Queries) error {
		if _, err := q.EndpointLock(ctx, id); err != nil {
			return notFound(err)
		}
		sealed, err := s.box.Seal([]byte(sec), secretAD(id))
		if err != nil {
			return err
		}
		now := s.clock()
		row, err := q.EndpointRotate(ctx, webhookq.EndpointRotateParams{ID: id, KeepPrevious: overlap > 0,
			PreviousUntil: now.Add(overlap), SecretSealed: sealed, SecretPrefix: shownPrefix(sec), Now: now})
		if err != nil {
			return err
		}
		out = endpoint(row)
		return s.audit.RecordTx(ctx, tx, "webhook_endpoint.rotate_secret", "webhook_endpoint", id,
			map[string]any{"overlap_seconds": int64(overlap.Seconds())})
	})
	if err != nil {
		return Endpoint{}, "", err
	}
	return out, sec, nil
}

// Get reads one endpoint.
func (s *Service) Get(ctx context.Context, id int64) (Endpoint, error) {
	row, err := webhookq.New(s.db).EndpointByID(ctx, id)
	if err != nil {
		return Endpoint{}, notFound(err)
	}
	return endpoint(row), nil
}

// List reads every endpoint, oldest first.
func (s *Service) List(ctx context.Context) ([]Endpoint, error) {
	rows, err := webhookq.New(s.db).EndpointList(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Endpoint, 0, len(rows))
	for _, r := range rows {
		out = append(out, endpoint(r))
	}
	return out, nil
}

// change runs fn in a transaction on the endpoints and, once it commits, refreshes this process's cache of
// subscribed types at once (other processes hear the commit's notification).
func (s *Service) change(ctx context.Context, fn func(tx pgx.Tx, q *webhookq.Queries) error) error {
	if err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error { return fn(tx, webhookq.New(tx)) }); err != nil {
		return err
	}
	s.refresh(ctx)
	return nil
}
