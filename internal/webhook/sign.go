package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
)

// SecretPrefix starts every signing secret, as the Standard Webhooks specification writes them.
const SecretPrefix = "whsec_"

// secretBytes is the size of a new secret's random part (the specification asks 24 to 64 bytes).
const secretBytes = 32

// NewSecret returns a fresh signing secret: "whsec_" and the base64 of 32 random bytes.
func NewSecret() string {
	b := make([]byte, secretBytes)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return SecretPrefix + base64.StdEncoding.EncodeToString(b)
}

// secretKey is the HMAC key of a "whsec_…" secret: its base64 part decoded.
func secretKey(s string) ([]byte, error) {
	k, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, SecretPrefix))
	if err != nil || len(k) == 0 {
		return nil, errors.New("webhook: malformed secret")
	}
	return k, nil
}

// Sign is the Standard Webhooks signature of a message, "v1,<base64 HMAC-SHA256 of id.timestamp.body>", with the
// secret ("whsec_…").
func Sign(secret, msgID string, timestamp int64, body []byte) (string, error) {
	key, err := secretKey(secret)
	if err != nil {
		return "", err
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msgID))
	m.Write([]byte{'.'})
	m.Write([]byte(strconv.FormatInt(timestamp, 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil)), nil
}

// signatures is the webhook-signature header: one signature per active secret, space-separated.
func signatures(secrets []string, msgID string, timestamp int64, body []byte) (string, error) {
	out := make([]string, 0, len(secrets))
	for _, s := range secrets {
		sig, err := Sign(s, msgID, timestamp, body)
		if err != nil {
			return "", err
		}
		out = append(out, sig)
	}
	return strings.Join(out, " "), nil
}

// shownPrefix is how much of a secret the admin and the API show: "whsec_" and four characters.
func shownPrefix(s string) string { return s[:len(SecretPrefix)+4] + "…" }

var msgIDEncoding = base32.NewEncoding("0123456789abcdefghijklmnopqrstuv").WithPadding(base32.NoPadding)

// newMsgID is a new event's webhook-id: "msg_" and 26 characters of 16 random bytes.
func newMsgID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "msg_" + msgIDEncoding.EncodeToString(b)
}
