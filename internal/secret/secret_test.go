package secret

import (
	"bytes"
	"errors"
	"testing"
)

func key(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

func mustBox(t *testing.T, k []byte) *Box {
	t.Helper()
	b, err := New(k)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return b
}

func TestSealOpenRoundTrip(t *testing.T) {
	t.Parallel()
	b := mustBox(t, key(1))
	pt := []byte(`{"secret_key":"sk_test_abc"}`)
	sealed, err := b.Seal(pt, []byte("row:1"))
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	if bytes.Contains(sealed, pt[2:12]) {
		t.Fatalf("sealed blob contains plaintext")
	}
	if sealed[0] != version1 {
		t.Fatalf("version byte = %d", sealed[0])
	}
	again, _ := b.Seal(pt, []byte("row:1"))
	if bytes.Equal(sealed, again) {
		t.Fatalf("two seals of the same plaintext are equal: nonce not random")
	}
	got, err := b.Open(sealed, []byte("row:1"))
	if err != nil || !bytes.Equal(got, pt) {
		t.Fatalf("Open = %q, %v; want %q", got, err, pt)
	}
}

func TestOpenRejects(t *testing.T) {
	t.Parallel()
	b := mustBox(t, key(1))
	sealed, err := b.Seal([]byte("merchant key"), []byte("row:7"))
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	flip := func(i int) []byte {
		c := bytes.Clone(sealed)
		c[i] ^= 1
		return c
	}
	tests := []struct {
		name   string
		box    *Box
		sealed []byte
		ad     string
	}{
		{"TamperedCiphertext", b, flip(len(sealed) - 20), "row:7"},
		{"TamperedTag", b, flip(len(sealed) - 1), "row:7"},
		{"TamperedNonce", b, flip(3), "row:7"},
		{"TamperedVersion", b, flip(0), "row:7"},
		{"Truncated", b, sealed[:10], "row:7"},
		{"Empty", b, nil, "row:7"},
		{"WrongKey", mustBox(t, key(2)), sealed, "row:7"},
		{"WrongAD", b, sealed, "row:8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tt.box.Open(tt.sealed, []byte(tt.ad))
			if !errors.Is(err, ErrOpen) || got != nil {
				t.Fatalf("Open = %q, %v; want ErrOpen", got, err)
			}
		})
	}
}

func TestNewRejectsShortKey(t *testing.T) {
	t.Parallel()
	if _, err := New(make([]byte, 16)); err == nil {
		t.Fatal("New accepted a 16-byte key")
	}
}
