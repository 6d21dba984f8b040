package server

// The small helpers every handler shares: numbers and instants as the pages show them, and request parameters —
// ids, dates, API pages and cursors — read the same way everywhere.

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/bursar/bursar/internal/check"
)

// itoa is n in decimal.
func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// timeFormat is how the admin pages show an instant.
const timeFormat = "2006-01-02 15:04"

// dateText is a date as the public pages show it: ISO 8601, unambiguous in every language.
func dateText(t time.Time) string { return t.Format("2006-01-02") }

// pathID reads a positive int64 URL parameter; a malformed id is simply not found.
func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(chiURLParam(r, name), 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("id %q: %w", chiURLParam(r, name), check.ErrNotFound)
	}
	return id, nil
}

// parseID reads a form or query id; anything that is not a whole number is 0.
func parseID(v string) int64 {
	n, _ := strconv.ParseInt(v, 10, 64)
	return n
}

// queryID reads an optional positive id from the query string, naming the field when it is not one.
func queryID(r *http.Request, name string, e check.Errors) int64 {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		e.Add(name, "must be a positive whole number")
	}
	return n
}

// dateRange turns inclusive dates into [from, to) instants; bad dates were reported by orderFilterForm.
func dateRange(from, to string) (time.Time, time.Time) {
	var f, t time.Time
	if d, err := time.Parse(time.DateOnly, from); err == nil {
		f = d
	}
	if d, err := time.Parse(time.DateOnly, to); err == nil {
		t = d.AddDate(0, 0, 1)
	}
	return f, t
}

// parseDate reads an optional "YYYY-MM-DD".
func parseDate(v *string, field string, e check.Errors) *time.Time {
	if v == nil {
		return nil
	}
	d, err := time.Parse(time.DateOnly, *v)
	if err != nil {
		e.Add(field, "must be a date such as 2026-01-31")
		return nil
	}
	return &d
}

// utcPtr is *t in UTC, nil when t is.
func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// positive is &n when n is positive, else nil (an absent JSON field).
func positive(n int64) *int64 {
	if n <= 0 {
		return nil
	}
	return &n
}

// pageLimit reads ?limit= (1–200, default 50).
func pageLimit(r *http.Request) (int, error) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return 50, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 200 {
		return 0, check.Field("limit", "must be a whole number from 1 to 200")
	}
	return n, nil
}

// encodeCursor makes an opaque cursor from the last id of a page.
func encodeCursor(id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("id:" + strconv.FormatInt(id, 10)))
}

// decodeCursor reads a cursor made by encodeCursor; "" is the first page.
func decodeCursor(c string) (int64, error) {
	if c == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || !bytes.HasPrefix(b, []byte("id:")) {
		return 0, check.Field("cursor", "is not a cursor this API returned")
	}
	id, err := strconv.ParseInt(string(b[3:]), 10, 64)
	if err != nil || id <= 0 {
		return 0, check.Field("cursor", "is not a cursor this API returned")
	}
	return id, nil
}
