package paylink

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
)

// macSize is how much of the HMAC a token keeps: 128 bits, so a token is as hard to guess as a 128-bit random one.
const macSize = 16

// tokenLen is the length of a token: base64url (no padding) of the 8-byte id and the MAC.
var tokenLen = base64.RawURLEncoding.EncodedLen(8 + macSize)

// signer makes and checks tokens with a key derived from the server's secret key for this purpose only.
type signer struct{ key []byte }

func newSigner(secret []byte) (signer, error) {
	if len(secret) < 32 {
		return signer{}, errors.New("paylink: a secret key of at least 32 bytes is required")
	}
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("bursar payment link token v1"))
	return signer{key: m.Sum(nil)}, nil
}

func (s signer) mac(id []byte) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write(id)
	return m.Sum(nil)[:macSize]
}

// token is link id's token.
func (s signer) token(id int64) string {
	b := make([]byte, 8, 8+macSize)
	binary.BigEndian.PutUint64(b, uint64(id))
	return base64.RawURLEncoding.EncodeToString(append(b, s.mac(b)...))
}

// id is the link id tok names, or false when tok was not made by s: a wrong and a tampered token take the same path
// (decode, one HMAC, a constant-time comparison) and neither reads the database.
func (s signer) id(tok string) (int64, bool) {
	var raw [8 + macSize]byte
	n, err := base64.RawURLEncoding.Decode(raw[:], []byte(padTo(tok, tokenLen)))
	ok := err == nil && n == len(raw) && len(tok) == tokenLen
	good := hmac.Equal(s.mac(raw[:8]), raw[8:])
	id := int64(binary.BigEndian.Uint64(raw[:8]))
	if !ok || !good || id <= 0 {
		return 0, false
	}
	return id, true
}

// padTo cuts or pads tok to n characters, so decoding costs the same whatever was sent.
func padTo(tok string, n int) string {
	if len(tok) >= n {
		return tok[:n]
	}
	b := make([]byte, n)
	copy(b, tok)
	for i := len(tok); i < n; i++ {
		b[i] = 'A'
	}
	return string(b)
}
