package paylink

import (
	"bytes"
	"testing"
)

// TestTokenEveryByteMatters: a token opens only its own link; changing any character of it, cutting it, adding to
// it, or signing with another key gives nothing.
func TestTokenEveryByteMatters(t *testing.T) {
	t.Parallel()
	s, err := newSigner(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	other, err := newSigner(bytes.Repeat([]byte{8}, 32))
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []int64{1, 42, 1 << 40} {
		tok := s.token(id)
		if len(tok) != tokenLen || len(tok)*6 < 128+64 {
			t.Fatalf("token %q: %d characters", tok, len(tok))
		}
		if got, ok := s.id(tok); !ok || got != id {
			t.Fatalf("id(%q) = %d, %v; want %d", tok, got, ok, id)
		}
		if _, ok := other.id(tok); ok {
			t.Fatalf("another key's signer accepted %q", tok)
		}
		const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
		for i := range len(tok) {
			for _, c := range []byte(alphabet) {
				if c == tok[i] {
					continue
				}
				b := []byte(tok)
				b[i] = c
				if got, ok := s.id(string(b)); ok {
					t.Fatalf("tampered %q opened link %d", b, got)
				}
			}
		}
		for _, bad := range []string{tok[:len(tok)-1], tok + "A", "", "!!!", tok[:10]} {
			if _, ok := s.id(bad); ok {
				t.Fatalf("id(%q) accepted", bad)
			}
		}
	}
	if _, err := newSigner(make([]byte, 16)); err == nil {
		t.Fatal("a 16-byte key was accepted")
	}
}
