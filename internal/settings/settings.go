// Package settings is the school's own settings: its name, contact details and defaults.
package settings
