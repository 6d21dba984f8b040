package billing

import (
	"fmt"
	"strconv"
	"strings"
)

// ReceiptNumber formats a receipt's number from its year and its sequence number within the school and year:
// R-2027-000123, the sequence zero-padded to six digits and wider when larger (R-2027-1234567). year is a
// four-digit year and seq is at least 1; the gapless sequence itself is kept by the database (a later slice).
func ReceiptNumber(year int, seq int64) string {
	return fmt.Sprintf("R-%04d-%06d", year, seq)
}

// ParseReceiptNumber reads a number written by ReceiptNumber back into its year and sequence. It accepts only that
// exact form (upper-case R, a four-digit year, at least six sequence digits without extra leading zeros, a sequence
// of at least 1), so each receipt has one spelling.
func ParseReceiptNumber(s string) (year int, seq int64, err error) {
	rest, ok := strings.CutPrefix(s, "R-")
	y, q, ok2 := strings.Cut(rest, "-")
	if !ok || !ok2 || len(y) != 4 || !digits(y) || len(q) < 6 || len(q) > 18 || !digits(q) {
		return 0, 0, fmt.Errorf("billing: %q is not a receipt number such as R-2027-000123", s)
	}
	year, _ = strconv.Atoi(y)
	seq, _ = strconv.ParseInt(q, 10, 64)
	if year < 1000 || seq < 1 || ReceiptNumber(year, seq) != s {
		return 0, 0, fmt.Errorf("billing: %q is not a receipt number such as R-2027-000123", s)
	}
	return year, seq, nil
}

// digits reports whether s is made of ASCII digits only.
func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
