// Package settings is the school's own settings: its name, contact details and defaults.
package settings

import (
	"strings"
	"time"

	"github.com/bursar/bursar/internal/check"
)

// Languages are the languages Bursar speaks, the choices for the default language.
var Languages = []string{"en", "es", "fr", "ru", "uk"}

// Defaults for settings the school has not set.
const (
	DefaultName              = "My school"
	DefaultLanguage          = "en"
	DefaultTimezone          = "UTC"
	DefaultPlaceholderDomain = "placeholder.invalid"
)

// Limits on settings fields.
const (
	MaxName   = 100
	MaxPhone  = 50
	MaxDomain = 253
)

// School is the school's settings.
type School struct {
	Name              string `json:"name"`
	ContactEmail      string `json:"contact_email"`
	Phone             string `json:"phone"`
	WebsiteURL        string `json:"website_url"`
	Language          string `json:"language"` // default language: en, es, fr, ru, uk
	Timezone          string `json:"timezone"` // IANA name
	PlaceholderDomain string `json:"placeholder_domain"`
	// UpdatedAt is when the settings were last saved; zero while they are the defaults.
	UpdatedAt time.Time `json:"-"`
}

// Defaults returns the settings of a school that has set nothing.
func Defaults() School {
	return School{
		Name:              DefaultName,
		Language:          DefaultLanguage,
		Timezone:          DefaultTimezone,
		PlaceholderDomain: DefaultPlaceholderDomain,
	}
}

// withDefaults fills the fields a stored value may lack (settings added after it was saved).
func (s School) withDefaults() School {
	d := Defaults()
	if s.Name == "" {
		s.Name = d.Name
	}
	if s.Language == "" {
		s.Language = d.Language
	}
	if s.Timezone == "" {
		s.Timezone = d.Timezone
	}
	if s.PlaceholderDomain == "" {
		s.PlaceholderDomain = d.PlaceholderDomain
	}
	return s
}

// Normalize trims every field, lower-cases the e-mail and the domain, and fills empty defaults (language,
// timezone, placeholder domain) so a form left blank there keeps working values.
func (s School) Normalize() School {
	s.Name = strings.TrimSpace(s.Name)
	s.ContactEmail = check.NormalizeEmail(s.ContactEmail)
	s.Phone = strings.TrimSpace(s.Phone)
	s.WebsiteURL = strings.TrimSpace(s.WebsiteURL)
	s.Language = strings.ToLower(strings.TrimSpace(s.Language))
	s.Timezone = strings.TrimSpace(s.Timezone)
	s.PlaceholderDomain = strings.ToLower(strings.TrimSpace(s.PlaceholderDomain))
	if s.Language == "" {
		s.Language = DefaultLanguage
	}
	if s.Timezone == "" {
		s.Timezone = DefaultTimezone
	}
	if s.PlaceholderDomain == "" {
		s.PlaceholderDomain = DefaultPlaceholderDomain
	}
	return s
}

// Validate names each bad field of normalized settings.
func (s School) Validate() error {
	errs := check.Errors{}
	errs.Text("name", s.Name, true, MaxName)
	errs.Email("contact_email", s.ContactEmail, false)
	errs.Text("phone", s.Phone, false, MaxPhone)
	if s.Phone != "" && !phoneOK(s.Phone) {
		errs.Add("phone", "may contain only digits, spaces and + ( ) - .")
	}
	errs.URL("website_url", s.WebsiteURL)
	if !knownLanguage(s.Language) {
		errs.Add("language", "must be one of en, es, fr, ru, uk")
	}
	if err := checkTimezone(s.Timezone); err != "" {
		errs.Add("timezone", err)
	}
	if !domainOK(s.PlaceholderDomain) {
		errs.Add("placeholder_domain", "must be a domain name such as placeholder.invalid")
	}
	return errs.Err()
}

// Location returns the school's time zone (UTC if the stored name no longer loads).
func (s School) Location() *time.Location {
	loc, err := time.LoadLocation(s.Timezone)
	if err != nil {
		return time.UTC
	}
	return loc
}

func knownLanguage(l string) bool {
	for _, v := range Languages {
		if l == v {
			return true
		}
	}
	return false
}

func checkTimezone(tz string) string {
	if len(tz) > 64 {
		return "must be at most 64 characters"
	}
	// time.LoadLocation also accepts "Local" and paths; only IANA names are settings.
	if tz == "Local" || strings.HasPrefix(tz, "/") || strings.Contains(tz, "..") {
		return "is not a known time zone (e.g. Europe/Kyiv)"
	}
	if _, err := time.LoadLocation(tz); err != nil {
		return "is not a known time zone (e.g. Europe/Kyiv)"
	}
	return ""
}

func phoneOK(p string) bool {
	digits := 0
	for _, r := range p {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case strings.ContainsRune(" +()-.", r):
		default:
			return false
		}
	}
	return digits >= 3
}

func domainOK(d string) bool {
	if d == "" || len(d) > MaxDomain || !strings.Contains(d, ".") {
		return false
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}
