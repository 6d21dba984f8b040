package password

import "testing"

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
