package staff

import (
	"context"
	"crypto/sha256"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/db/dbtest"
	"github.com/bursar/bursar/migrations"
)

func TestNormalizeScopes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   []string
		want Scopes
		err  string // part of the "scopes" field message
	}{
		{"Full", []string{"*"}, Scopes{"*"}, ""},
		{"FullAbsorbsOthers", []string{"orders:read", "*"}, Scopes{"*"}, ""},
		{"WriteAbsorbsRead", []string{"orders:read", "orders:write", "orders:read"}, Scopes{"orders:write"}, ""},
		{"GroupOrder", []string{" transactions:read", "catalog:write ", "", "contacts:read"}, Scopes{"catalog:write", "contacts:read", "transactions:read"}, ""},
		{"ErrUnknownGroup", []string{"orders:read", "refunds:write"}, nil, `unknown scope "refunds:write"`},
		{"ErrUnknownLevel", []string{"orders:admin"}, nil, `unknown scope "orders:admin"`},
		{"ErrNoLevel", []string{"orders"}, nil, `unknown scope "orders"`},
		{"ErrEmpty", []string{"", " "}, nil, "choose full access or at least one group"},
		{"ErrNone", nil, nil, "choose full access or at least one group"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := NormalizeScopes(tt.in)
			if tt.err != "" {
				e, ok := check.AsErrors(err)
				if !ok || !strings.Contains(e["scopes"], tt.err) {
					t.Fatalf("err %v, want a scopes field error containing %q", err, tt.err)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Fatalf("got %v %v, want %v", got, err, tt.want)
			}
		})
	}
}

func TestScopesAllow(t *testing.T) {
	t.Parallel()
	s := Scopes{"contacts:write", "orders:read"}
	for _, tt := range []struct {
		group string
		write bool
		want  bool
	}{
		{"contacts", false, true}, {"contacts", true, true},
		{"orders", false, true}, {"orders", true, false},
		{"catalog", false, false}, {"catalog", true, false},
	} {
		if got := s.Allows(tt.group, tt.write); got != tt.want {
			t.Errorf("%v allows %s write=%v: %v, want %v", s, tt.group, tt.write, got, tt.want)
		}
	}
	for _, g := range APIGroups() {
		if !(Scopes{ScopeFull}).Allows(g.Name, true) {
			t.Errorf("full access does not write %s", g.Name)
		}
	}
}

func newTestService(t *testing.T) *Service {
	t.Helper()
	pool := dbtest.New(t)
	return NewService(pool, audit.New(pool))
}

func testCtx() context.Context {
	return audit.WithActor(context.Background(), audit.Actor{Type: audit.ActorSystem, Label: "test"})
}

func TestCreateAPIKeyValidation(t *testing.T) {
	t.Parallel()
	s := newTestService(t)
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	s.now = func() time.Time { return now }
	tests := []struct {
		name string
		in   NewAPIKey
		want map[string]string // field → part of its message
	}{
		{"ErrEverything", NewAPIKey{Name: " ", Scopes: []string{"orders:delete"}, Expires: "next week"},
			map[string]string{"name": "is required", "scopes": `unknown scope "orders:delete"`, "expires": `"next week" is not a date`}},
		{"ErrPastDate", NewAPIKey{Name: "LMS", Scopes: []string{"*"}, Expires: "2026-12-03"},
			map[string]string{"expires": "must be in the future"}},
		{"ErrPastTime", NewAPIKey{Name: "LMS", Scopes: []string{"*"}, Expires: "2026-12-03T09:59:59Z"},
			map[string]string{"expires": "must be in the future"}},
		{"ErrNoScopes", NewAPIKey{Name: "LMS"}, map[string]string{"scopes": "choose full access"}},
	}
	for _, tt := range tests {
		_, key, err := s.CreateAPIKey(testCtx(), tt.in)
		e, ok := check.AsErrors(err)
		if !ok || key != "" || len(e) != len(tt.want) {
			t.Errorf("%s: key %q err %v, want field errors on %v", tt.name, key, err, tt.want)
			continue
		}
		for f, msg := range tt.want {
			if !strings.Contains(e[f], msg) {
				t.Errorf("%s: %s: %q, want %q", tt.name, f, e[f], msg)
			}
		}
	}
	keys, err := s.APIKeys(testCtx())
	if err != nil || len(keys) != 0 {
		t.Fatalf("bad input wrote %d keys (%v)", len(keys), err)
	}
}

// TestAPIKeyExpiry moves the service's clock past a key's expiry: the key is refused from that instant on.
func TestAPIKeyExpiry(t *testing.T) {
	t.Parallel()
	s := newTestService(t)
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	s.now = func() time.Time { return now }
	k, key, err := s.CreateAPIKey(testCtx(), NewAPIKey{Name: "LMS", Scopes: []string{"orders:read"}, Expires: "2026-12-10"})
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 12, 10, 0, 0, 0, 0, time.UTC); k.ExpiresAt == nil || !k.ExpiresAt.Equal(want) {
		t.Fatalf("expires at %v, want %v", k.ExpiresAt, want)
	}
	now = time.Date(2026, 12, 9, 23, 59, 59, 0, time.UTC)
	if got, err := s.AuthenticateAPIKey(testCtx(), key); err != nil || !slices.Equal(got.Scopes, Scopes{"orders:read"}) {
		t.Fatalf("before expiry: %v %v", got, err)
	}
	now = time.Date(2026, 12, 10, 0, 0, 0, 0, time.UTC)
	if _, err := s.AuthenticateAPIKey(testCtx(), key); !errors.Is(err, ErrAPIKeyExpired) {
		t.Fatalf("at expiry: %v, want ErrAPIKeyExpired", err)
	}
}

// TestAPIKeyLastUsed records a key's use at most once a minute.
func TestAPIKeyLastUsed(t *testing.T) {
	t.Parallel()
	s := newTestService(t)
	start := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	now := start
	s.now = func() time.Time { return now }
	_, key, err := s.CreateAPIKey(testCtx(), NewAPIKey{Name: "LMS", Scopes: []string{"*"}})
	if err != nil {
		t.Fatal(err)
	}
	lastUsed := func() *time.Time {
		t.Helper()
		keys, err := s.APIKeys(testCtx())
		if err != nil {
			t.Fatal(err)
		}
		return keys[0].LastUsedAt
	}
	if lastUsed() != nil {
		t.Fatal("a new key has a last use")
	}
	for _, tt := range []struct {
		at   time.Duration // after start
		want time.Duration
	}{
		{0, 0},
		{30 * time.Second, 0}, // throttled
		{61 * time.Second, 61 * time.Second},
		{90 * time.Second, 61 * time.Second}, // throttled again
	} {
		now = start.Add(tt.at)
		if _, err := s.AuthenticateAPIKey(testCtx(), key); err != nil {
			t.Fatal(err)
		}
		if got := lastUsed(); got == nil || !got.Equal(start.Add(tt.want)) {
			t.Fatalf("after a use at +%v: last used %v, want +%v", tt.at, got, tt.want)
		}
	}
}

// TestMigrationKeepsKeysFullAccess rolls the scopes migration back, makes a key as before it, and migrates again:
// the old key has full access and no expiry.
func TestMigrationKeepsKeysFullAccess(t *testing.T) {
	t.Parallel()
	s := newTestService(t)
	ctx := context.Background()
	sqldb := stdlib.OpenDBFromPool(s.db)
	t.Cleanup(func() { _ = sqldb.Close() })
	p, err := goose.NewProvider(goose.DialectPostgres, sqldb, migrations.FS)
	if err != nil {
		t.Fatal(err)
	}
	const version = 20
	if _, err := p.ApplyVersion(ctx, version, false); err != nil {
		t.Fatal(err)
	}
	// The pool caches prepared statements and their result types: the table's shape changes under it.
	s.db.Reset()
	key := apiKeyPrefix + "oldkeyoldkeyoldkeyoldkeyoldkeyoldkeyoldkeyo"
	sum := sha256.Sum256([]byte(key))
	if _, err := s.db.Exec(ctx, `INSERT INTO api_keys (name, prefix, key_hash) VALUES ('old', $1, $2)`, key[:10], sum[:]); err != nil {
		t.Fatal(err)
	}
	if _, err := p.ApplyVersion(ctx, version, true); err != nil {
		t.Fatal(err)
	}
	s.db.Reset()
	k, err := s.AuthenticateAPIKey(testCtx(), key)
	if err != nil {
		t.Fatal(err)
	}
	if !k.Scopes.Full() || k.ExpiresAt != nil {
		t.Fatalf("migrated key: scopes %v expires %v, want full access, never", k.Scopes, k.ExpiresAt)
	}
	for _, g := range APIGroups() {
		if !k.Scopes.Allows(g.Name, true) {
			t.Errorf("migrated key cannot write %s", g.Name)
		}
	}
}
