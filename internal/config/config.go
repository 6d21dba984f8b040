// Package config holds Bursar's configuration, read once from the environment in main and passed down as a value.
package config

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Config is every setting Bursar reads from the environment.
type Config struct {
	// DatabaseURL is the PostgreSQL connection string; empty means a private cluster under DataDir.
	DatabaseURL string
	// Addr is the listen address of the HTTP server.
	Addr string
	// BaseURL is the public URL used in links, e-mails and gateway return URLs.
	BaseURL string
	// SecretKey encrypts credentials at rest and signs tokens (32 bytes).
	SecretKey []byte
	// SMTPURL is smtp://user:pass@host:port; empty keeps e-mails in the admin outbox.
	SMTPURL string
	// MailFrom is the From address of outgoing e-mail.
	MailFrom string
	// DataDir holds the private PostgreSQL cluster and the development secret key.
	DataDir string
	// GatewayAPIURLs overrides the API base of each gateway, by type (stripe, paypal, fondy, wayforpay, redsys).
	GatewayAPIURLs map[string]string
	// RecheckAfter is how long a gateway payment attempt stays pending or processing before the periodic re-check
	// asks the gateway about it (BURSAR_RECHECK_AFTER, a Go duration; DefaultRecheckAfter when unset).
	RecheckAfter time.Duration
	// JobRescueAfter is how long a background job may run before River takes it for stuck (its process died) and
	// runs it again (BURSAR_JOB_RESCUE_AFTER, a Go duration; 0 when unset: jobs.DefaultRescueAfter, 10m).
	JobRescueAfter time.Duration
	// LinkExpiry is how long a payment link works when its maker gives no expiry (BURSAR_LINK_EXPIRY, a Go
	// duration from 1h to 8784h; 0 when unset: paylink.DefaultExpiry, 7 days).
	LinkExpiry time.Duration
	// WebhookAllowPrivate lets outgoing webhooks reach loopback, private and link-local addresses and plain http
	// URLs (BURSAR_WEBHOOK_ALLOW_PRIVATE=1): for tests and development only.
	WebhookAllowPrivate bool

	secretKeyHex      string
	recheckAfterRaw   string
	jobRescueAfterRaw string
	linkExpiryRaw     string
}

// DefaultRecheckAfter is RecheckAfter when BURSAR_RECHECK_AFTER is unset.
const DefaultRecheckAfter = 30 * time.Minute

// minRecheckAfter keeps the re-check from asking about attempts whose payer is most likely still at the gateway.
const minRecheckAfter = time.Minute

// FromEnv reads the configuration from getenv; it does not validate.
func FromEnv(getenv func(string) string) Config {
	c := Config{
		DatabaseURL:    getenv("DATABASE_URL"),
		Addr:           getenv("BURSAR_ADDR"),
		BaseURL:        getenv("BURSAR_BASE_URL"),
		SMTPURL:        getenv("BURSAR_SMTP_URL"),
		MailFrom:       getenv("BURSAR_MAIL_FROM"),
		DataDir:        getenv("BURSAR_DATA_DIR"),
		GatewayAPIURLs: map[string]string{},
		secretKeyHex:   getenv("BURSAR_SECRET_KEY"),
	}
	switch strings.ToLower(strings.TrimSpace(getenv("BURSAR_WEBHOOK_ALLOW_PRIVATE"))) {
	case "1", "true", "yes":
		c.WebhookAllowPrivate = true
	}
	if c.recheckAfterRaw = strings.TrimSpace(getenv("BURSAR_RECHECK_AFTER")); c.recheckAfterRaw != "" {
		c.RecheckAfter, _ = time.ParseDuration(c.recheckAfterRaw) // Validate names a bad value
	}
	if c.jobRescueAfterRaw = strings.TrimSpace(getenv("BURSAR_JOB_RESCUE_AFTER")); c.jobRescueAfterRaw != "" {
		c.JobRescueAfter, _ = time.ParseDuration(c.jobRescueAfterRaw) // Validate names a bad value
	}
	if c.linkExpiryRaw = strings.TrimSpace(getenv("BURSAR_LINK_EXPIRY")); c.linkExpiryRaw != "" {
		c.LinkExpiry, _ = time.ParseDuration(c.linkExpiryRaw) // Validate names a bad value
	}
	for _, g := range []string{"stripe", "paypal", "fondy", "wayforpay", "redsys"} {
		if v := getenv("BURSAR_" + strings.ToUpper(g) + "_API_URL"); v != "" {
			c.GatewayAPIURLs[g] = v
		}
	}
	return c
}

// WithDefaults fills in unset values. The secret key, when unset, is read from (or generated into) DataDir.
func (c Config) WithDefaults() (Config, error) {
	if c.Addr == "" {
		c.Addr = ":8080"
	}
	if c.DataDir == "" {
		c.DataDir = ".data"
	}
	if c.BaseURL == "" {
		port := "8080"
		if i := strings.LastIndex(c.Addr, ":"); i >= 0 && i < len(c.Addr)-1 {
			port = c.Addr[i+1:]
		}
		c.BaseURL = "http://localhost:" + port
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if c.MailFrom == "" {
		c.MailFrom = "Bursar <no-reply@localhost>"
	}
	if c.RecheckAfter == 0 && c.recheckAfterRaw == "" {
		c.RecheckAfter = DefaultRecheckAfter
	}
	if c.secretKeyHex == "" {
		k, err := devSecret(c.DataDir)
		if err != nil {
			return c, err
		}
		c.secretKeyHex = k
	}
	key, err := parseSecret(c.secretKeyHex)
	if err != nil {
		return c, err
	}
	c.SecretKey = key
	return c, nil
}

// Validate reports the first setting that cannot work, in one line.
func (c Config) Validate() error {
	if len(c.SecretKey) != 32 {
		return errors.New("BURSAR_SECRET_KEY must be 64 hex characters (32 bytes)")
	}
	u, err := url.Parse(c.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("BURSAR_BASE_URL %q must be an absolute http(s) URL", c.BaseURL)
	}
	if c.SMTPURL != "" {
		u, err := url.Parse(c.SMTPURL)
		if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Host == "" {
			return errors.New("BURSAR_SMTP_URL must look like smtp://user:pass@host:port")
		}
	}
	if c.RecheckAfter < minRecheckAfter {
		return fmt.Errorf("BURSAR_RECHECK_AFTER %q must be a duration of at least 1m, such as 30m or 2h", c.recheckAfterRaw)
	}
	if c.jobRescueAfterRaw != "" && c.JobRescueAfter <= 0 {
		return fmt.Errorf("BURSAR_JOB_RESCUE_AFTER %q must be a positive duration, such as 10m", c.jobRescueAfterRaw)
	}
	if c.linkExpiryRaw != "" && (c.LinkExpiry < time.Hour || c.LinkExpiry > 366*24*time.Hour) {
		return fmt.Errorf("BURSAR_LINK_EXPIRY %q must be a duration from 1h to 8784h (a year), such as 168h", c.linkExpiryRaw)
	}
	for g, v := range c.GatewayAPIURLs {
		if u, err := url.Parse(v); err != nil || u.Host == "" {
			return fmt.Errorf("BURSAR_%s_API_URL %q is not an absolute URL", strings.ToUpper(g), v)
		}
	}
	return nil
}

// SecureCookies tells whether cookies must carry the Secure flag (the public URL is https).
func (c Config) SecureCookies() bool { return strings.HasPrefix(c.BaseURL, "https://") }

func parseSecret(s string) ([]byte, error) {
	k, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil || len(k) != 32 {
		return nil, errors.New("BURSAR_SECRET_KEY must be 64 hex characters (32 bytes); generate one with: openssl rand -hex 32")
	}
	return k, nil
}

// devSecret returns the development key kept in dir/secret.key, generating it on first use.
func devSecret(dir string) (string, error) {
	path := filepath.Join(dir, "secret.key")
	if b, err := os.ReadFile(path); err == nil {
		return strings.TrimSpace(string(b)), nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("create data dir: %w", err)
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	k := hex.EncodeToString(b)
	if err := os.WriteFile(path, []byte(k+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	return k, nil
}
