package main

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bursar/bursar/internal/db"
)

func TestCLIAPIKeyBadInput(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"ErrUnknownScope", []string{"--scopes", "orders:read,refunds:write"}, `scopes: unknown scope "refunds:write"`},
		{"ErrUnknownLevel", []string{"--scopes", "orders:all"}, `scopes: unknown scope "orders:all"`},
		{"ErrNoScope", []string{"--scopes", ","}, "scopes: choose full access or at least one group"},
		{"ErrExpiresNotADate", []string{"--expires", "31/12/2027"}, `expires: "31/12/2027" is not a date (YYYY-MM-DD)`},
		{"ErrExpiresPast", []string{"--expires", "2020-01-01"}, "expires: must be in the future"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := c.run(append([]string{"apikey", "create", "--name", "LMS"}, tt.args...)...)
			var ue usageError
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") || out != "" {
				t.Fatalf("out %q err %v, want one-line usage error containing %q", out, err, tt.want)
			}
		})
	}
	pool, err := db.Open(context.Background(), c.env["DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var n int
	if err := pool.QueryRow(context.Background(), "SELECT count(*) FROM api_keys").Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d keys after bad input (%v)", n, err)
	}
}

func TestCLIAPIKeyScopes(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	expires := time.Now().AddDate(1, 0, 0).UTC().Format(time.DateOnly)
	for _, args := range [][]string{
		{"--name", "full"},
		{"--name", "reader", "--scopes", "orders:read, transactions:read,orders:read", "--expires", expires},
	} {
		out, err := c.run(append([]string{"apikey", "create"}, args...)...)
		if err != nil || !strings.HasPrefix(out, "bsr_") || strings.Count(out, "\n") != 1 {
			t.Fatalf("apikey create %v: %q %v", args, out, err)
		}
	}
	pool, err := db.Open(context.Background(), c.env["DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	rows, err := pool.Query(context.Background(), "SELECT name, scopes, expires_at FROM api_keys ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var name string
		var scopes []string
		var exp *time.Time
		if err := rows.Scan(&name, &scopes, &exp); err != nil {
			t.Fatal(err)
		}
		s := name + " " + strings.Join(scopes, ",")
		if exp != nil {
			s += " " + exp.UTC().Format(time.RFC3339)
		}
		got = append(got, s)
	}
	want := []string{"full *", "reader orders:read,transactions:read " + expires + "T00:00:00Z"}
	if !slices.Equal(got, want) {
		t.Fatalf("keys %q, want %q", got, want)
	}
}
