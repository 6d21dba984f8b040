package staff

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/staff/staffq"
)

// APIKey is a key's record; the key itself is shown once, at creation.
type APIKey struct {
	ID         int64
	Name       string
	Prefix     string
	Scopes     Scopes
	ExpiresAt  *time.Time // nil: never expires
	CreatedBy  int64      // the admin user who made it; 0 for the CLI (or a user since deleted)
	CreatedAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// Expired tells whether the key's expiry has passed at now.
func (k APIKey) Expired(now time.Time) bool { return k.ExpiresAt != nil && !now.Before(*k.ExpiresAt) }

// APIGroup is a resource group of the JSON API: a key's scopes grant read or write access per group.
type APIGroup struct {
	Name   string // as written in scopes: "orders" in "orders:read"
	Label  string // for the admin
	Covers string // the endpoints it covers, for the admin and the docs
}

// APIGroups returns the JSON API's resource groups in the order the admin shows them. internal/server maps every
// /api/v1 route to one of them.
func APIGroups() []APIGroup {
	return []APIGroup{
		{Name: "catalog", Label: "Catalog", Covers: "products, offers, payment systems"},
		{Name: "contacts", Label: "Contacts", Covers: "contacts"},
		{Name: "access", Label: "Access", Covers: "access grants, a contact's access list"},
		{Name: "orders", Label: "Orders", Covers: "orders, approvals, refunds, re-checks, manual payments"},
		{Name: "billing", Label: "Enrollments and receipts", Covers: "enrollments, receipts, cash payments against receipts"},
		{Name: "subscriptions", Label: "Subscriptions", Covers: "subscriptions charged by the gateway: cancel, pause, resume, plan changes"},
		{Name: "exceptions", Label: "Payment exceptions", Covers: "payment exceptions"},
		{Name: "transactions", Label: "Transactions", Covers: "the transaction ledger"},
		{Name: "webhooks", Label: "Webhook endpoints", Covers: "outgoing webhook endpoints, their deliveries and resends"},
		{Name: "settings", Label: "Settings", Covers: "the school's settings and exchange rates"},
		{Name: "audit", Label: "Audit log", Covers: "reading the audit log"},
	}
}

// IsAPIGroup tells whether name is one of APIGroups.
func IsAPIGroup(name string) bool {
	return slices.ContainsFunc(APIGroups(), func(g APIGroup) bool { return g.Name == name })
}

// Scope levels and the full-access scope.
const (
	ScopeFull  = "*"     // every group, read and write, including groups added later
	LevelRead  = "read"  // GET and HEAD
	LevelWrite = "write" // every method; implies read
)

// Scope names the scope that gives level on group: "orders:read".
func Scope(group, level string) string { return group + ":" + level }

// Scopes is what a key may do: ScopeFull alone, or "<group>:read" and "<group>:write" scopes, at most one per
// group, in the order of APIGroups. Build it with ParseScopes or NormalizeScopes.
type Scopes []string

// Level returns the access s gives to group: LevelWrite, LevelRead or "" for none.
func (s Scopes) Level(group string) string {
	for _, sc := range s {
		if sc == ScopeFull || sc == Scope(group, LevelWrite) {
			return LevelWrite
		}
		if sc == Scope(group, LevelRead) {
			return LevelRead
		}
	}
	return ""
}

// Full tells whether s is full access.
func (s Scopes) Full() bool { return slices.Contains(s, ScopeFull) }

// Allows tells whether s permits reading group, or writing it when write is set.
func (s Scopes) Allows(group string, write bool) bool {
	switch s.Level(group) {
	case LevelWrite:
		return true
	case LevelRead:
		return !write
	}
	return false
}

// String is s for people: "full access" or "orders:read, contacts:write".
func (s Scopes) String() string {
	if s.Full() {
		return "full access"
	}
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

// NormalizeScopes checks each scope and returns them in canonical form: ScopeFull absorbs every other scope, write
// absorbs read on the same group, duplicates go, groups come in the order of APIGroups. An unknown scope or an empty
// list is a field error on "scopes".
func NormalizeScopes(in []string) (Scopes, error) {
	level := map[string]string{}
	full := false
	for _, raw := range in {
		sc := strings.TrimSpace(raw)
		if sc == "" {
			continue
		}
		if sc == ScopeFull {
			full = true
			continue
		}
		group, lvl, ok := strings.Cut(sc, ":")
		if !ok || !IsAPIGroup(group) || (lvl != LevelRead && lvl != LevelWrite) {
			return nil, check.Field("scopes", fmt.Sprintf("unknown scope %q: use %s (full access) or <group>:read / <group>:write with a group among %s",
				clip(sc, 40), ScopeFull, groupNames()))
		}
		if level[group] != LevelWrite {
			level[group] = lvl
		}
	}
	if full {
		return Scopes{ScopeFull}, nil
	}
	var out Scopes
	for _, g := range APIGroups() {
		if l := level[g.Name]; l != "" {
			out = append(out, Scope(g.Name, l))
		}
	}
	if len(out) == 0 {
		return nil, check.Field("scopes", "choose full access or at least one group to read or write")
	}
	return out, nil
}

// ParseScopes reads a comma-separated list such as "orders:read,contacts:write" or "*" into normalised Scopes.
func ParseScopes(s string) (Scopes, error) { return NormalizeScopes(strings.Split(s, ",")) }

// clip shortens s to n characters for quoting it back in a message.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

func groupNames() string {
	var names []string
	for _, g := range APIGroups() {
		names = append(names, g.Name)
	}
	return strings.Join(names, ", ")
}

// parseExpiry reads an expiry as a date (YYYY-MM-DD: the key stops working at 00:00 UTC that day) or an RFC 3339
// time; "" is no expiry. A bad value is a field error on "expires".
func parseExpiry(s string) (*time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return &t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		t = t.UTC()
		return &t, nil
	}
	return nil, check.Field("expires", fmt.Sprintf("%q is not a date (YYYY-MM-DD) or an RFC 3339 time", clip(s, 40)))
}

// NewAPIKey is the input of CreateAPIKey.
type NewAPIKey struct {
	Name      string
	Scopes    []string // normalised by CreateAPIKey; see NormalizeScopes
	Expires   string   // "" never; else a date (YYYY-MM-DD, from 00:00 UTC) or an RFC 3339 time in the future
	CreatedBy int64    // the admin user; 0 for the CLI
}

// apiKeyPrefix starts every API key, so a leaked key is recognisable in logs and scanners.
const apiKeyPrefix = "bsr_"

// CreateAPIKey makes a key and returns its record and the key, which is never shown again.
func (s *Service) CreateAPIKey(ctx context.Context, n NewAPIKey) (APIKey, string, error) {
	n.Name = strings.TrimSpace(n.Name)
	errs := check.Errors{}
	errs.Text("name", n.Name, true, 100)
	scopes, err := NormalizeScopes(n.Scopes)
	if e, ok := check.AsErrors(err); ok {
		errs.Add("scopes", e["scopes"])
	}
	expires, err := parseExpiry(n.Expires)
	if e, ok := check.AsErrors(err); ok {
		errs.Add("expires", e["expires"])
	} else if expires != nil && !expires.After(s.now()) {
		errs.Add("expires", "must be in the future")
	}
	if err := errs.Err(); err != nil {
		return APIKey{}, "", err
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return APIKey{}, "", err
	}
	key := apiKeyPrefix + base64.RawURLEncoding.EncodeToString(raw)
	sum := sha256.Sum256([]byte(key))
	var by *int64
	if n.CreatedBy != 0 {
		by = &n.CreatedBy
	}
	var k APIKey
	err = pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		r, err := staffq.New(tx).APIKeyCreate(ctx, staffq.APIKeyCreateParams{Name: n.Name, Prefix: key[:len(apiKeyPrefix)+6],
			KeyHash: sum[:], CreatedBy: by, Scopes: scopes, ExpiresAt: expires})
		if err != nil {
			return err
		}
		k = apiKeyFrom(r)
		details := map[string]any{"name": k.Name, "scopes": []string(k.Scopes)}
		if k.ExpiresAt != nil {
			details["expires_at"] = k.ExpiresAt.UTC().Format(time.RFC3339)
		}
		return s.audit.RecordTx(ctx, tx, "api_key.create", "api_key", k.ID, details)
	})
	return k, key, err
}

func apiKeyFrom(r staffq.ApiKey) APIKey {
	k := APIKey{ID: r.ID, Name: r.Name, Prefix: r.Prefix, Scopes: Scopes(r.Scopes), ExpiresAt: r.ExpiresAt,
		CreatedAt: r.CreatedAt, LastUsedAt: r.LastUsedAt, RevokedAt: r.RevokedAt}
	if r.CreatedBy != nil {
		k.CreatedBy = *r.CreatedBy
	}
	return k
}

// ActsAsOwner tells whether key k may do what only an owner may (change the school's settings and exchange
// rates): a key made with the CLI (by whoever runs the server) may, and so may a key made on the admin screens by a
// user who is an owner and not disabled now. Only owners can make keys on the admin, so this withdraws an owner's
// keys' owner rights when the owner is demoted or disabled, without revoking the keys' other scopes.
func (s *Service) ActsAsOwner(ctx context.Context, k APIKey) (bool, error) {
	if k.CreatedBy == 0 {
		return true, nil
	}
	u, err := staffq.New(s.db).UserByID(ctx, k.CreatedBy)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("creator of api key %d: %w", k.ID, err)
	}
	return u.Role == RoleOwner && u.DisabledAt == nil, nil
}

// Errors of AuthenticateAPIKey.
var (
	ErrBadAPIKey     = errors.New("staff: unknown or revoked API key")
	ErrAPIKeyExpired = errors.New("staff: expired API key")
)

// lastUsedEvery throttles the recording of a key's last use: at most one write per key in this interval.
const lastUsedEvery = time.Minute

// AuthenticateAPIKey returns the live key matching key: ErrBadAPIKey when it is unknown or revoked,
// ErrAPIKeyExpired when its expiry has passed. A live key's last use is recorded, at most once a minute.
func (s *Service) AuthenticateAPIKey(ctx context.Context, key string) (APIKey, error) {
	if !strings.HasPrefix(key, apiKeyPrefix) || len(key) > 100 {
		return APIKey{}, ErrBadAPIKey
	}
	sum := sha256.Sum256([]byte(key))
	q := staffq.New(s.db)
	r, err := q.APIKeyByHash(ctx, sum[:])
	if errors.Is(err, pgx.ErrNoRows) {
		return APIKey{}, ErrBadAPIKey
	}
	if err != nil {
		return APIKey{}, err
	}
	k := apiKeyFrom(r)
	now := s.now()
	if k.Expired(now) {
		return APIKey{}, ErrAPIKeyExpired
	}
	// One conditional UPDATE: a busy key writes once a minute, whatever the number of requests or replicas.
	if _, err := q.APIKeyTouch(ctx, staffq.APIKeyTouchParams{ID: k.ID, Now: now, Since: now.Add(-lastUsedEvery)}); err != nil {
		return APIKey{}, err
	}
	return k, nil
}

// APIKeys lists keys, newest first.
func (s *Service) APIKeys(ctx context.Context) ([]APIKey, error) {
	rows, err := staffq.New(s.db).APIKeyList(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]APIKey, len(rows))
	for i, r := range rows {
		out[i] = apiKeyFrom(r)
	}
	return out, nil
}

// RevokeAPIKey stops key id from working at once.
func (s *Service) RevokeAPIKey(ctx context.Context, id int64) error {
	return pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		n, err := staffq.New(tx).APIKeyRevoke(ctx, id)
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("api key %d: %w", id, check.ErrNotFound)
		}
		return s.audit.RecordTx(ctx, tx, "api_key.revoke", "api_key", id, nil)
	})
}
