// Package fx is the school's exchange rates, maintained by the admin in Settings, and conversion of prices with
// them in exact integer arithmetic.
package fx
