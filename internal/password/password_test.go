package password

import (
	"strings"
	"testing"
)

func TestHashVerify(t *testing.T) {
	t.Parallel()
	h, err := Hash("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := Verify(h, "correct horse"); !ok || err != nil {
		t.Fatalf("Verify(right) = %v, %v", ok, err)
	}
	if ok, _ := Verify(h, "correct horsE"); ok {
		t.Fatal("Verify(wrong) = true")
	}
	h2, _ := Hash("correct horse")
	if h == h2 {
		t.Fatal("two hashes of one password are equal: salt not random")
	}
	if _, err := Verify("$2a$10$bcrypt", "x"); err != ErrMalformed {
		t.Fatalf("Verify(bcrypt) err = %v", err)
	}
}

// TestDummyHash: verifying against DummyHash runs argon2id with Hash's parameters and key length, so it costs what
// a real check costs, and no password matches it.
func TestDummyHash(t *testing.T) {
	t.Parallel()
	if want := encode(make([]byte, saltLen), make([]byte, keyLen)); DummyHash != want {
		t.Fatalf("DummyHash = %q, want %q (Hash's parameters changed?)", DummyHash, want)
	}
	h, err := Hash("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	params := func(phc string) string { return strings.Join(strings.Split(phc, "$")[:4], "$") }
	if params(DummyHash) != params(h) {
		t.Fatalf("DummyHash parameters %q, Hash's %q", params(DummyHash), params(h))
	}
	for _, pw := range []string{"", "correct horse", "bursar-dummy-password"} {
		if ok, err := Verify(DummyHash, pw); ok || err != nil {
			t.Fatalf("Verify(DummyHash, %q) = %v, %v; want false, nil", pw, ok, err)
		}
	}
}
