// Package secret seals small secrets (payment system credentials) for storage with AES-256-GCM from the standard
// library. A sealed blob is version byte || 12-byte random nonce || ciphertext+tag, and is bound to additional data
// chosen by the caller (the row it belongs to), so a blob copied into another row does not open.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
)

// version1 marks blobs sealed with AES-256-GCM under the key derived for credentials.
const version1 byte = 1

// ErrOpen is returned when a blob cannot be opened: wrong key, wrong additional data, tampering or truncation.
// It deliberately does not say which.
var ErrOpen = errors.New("secret: cannot open sealed data")

// Box seals and opens data under one key.
type Box struct {
	aead cipher.AEAD
}

// New returns a Box for the 32-byte master key (BURSAR_SECRET_KEY). The master key also signs tokens elsewhere, so
// the AES key is derived from it with HKDF-SHA256 for this one purpose (info "bursar credentials v1"): a key is
// never used by two algorithms.
func New(masterKey []byte) (*Box, error) {
	if len(masterKey) != 32 {
		return nil, fmt.Errorf("secret: key must be 32 bytes, got %d", len(masterKey))
	}
	key, err := hkdf.Key(sha256.New, masterKey, nil, "bursar credentials v1", 32)
	if err != nil {
		return nil, fmt.Errorf("secret: derive key: %w", err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	return &Box{aead: aead}, nil
}

// Seal encrypts plaintext bound to ad with a fresh random nonce.
func (b *Box) Seal(plaintext, ad []byte) ([]byte, error) {
	ns := b.aead.NonceSize()
	out := make([]byte, 1+ns, 1+ns+len(plaintext)+b.aead.Overhead())
	out[0] = version1
	if _, err := rand.Read(out[1 : 1+ns]); err != nil {
		return nil, fmt.Errorf("secret: nonce: %w", err)
	}
	return b.aead.Seal(out, out[1:1+ns], plaintext, adWithVersion(ad)), nil
}

// Open decrypts a blob made by Seal with the same key and ad; anything else is ErrOpen.
func (b *Box) Open(sealed, ad []byte) ([]byte, error) {
	ns := b.aead.NonceSize()
	if len(sealed) < 1+ns+b.aead.Overhead() || sealed[0] != version1 {
		return nil, ErrOpen
	}
	pt, err := b.aead.Open(nil, sealed[1:1+ns], sealed[1+ns:], adWithVersion(ad))
	if err != nil {
		return nil, ErrOpen
	}
	return pt, nil
}

// adWithVersion authenticates the version byte too, so it cannot be flipped to select another scheme later.
func adWithVersion(ad []byte) []byte {
	return append([]byte{version1}, ad...)
}
