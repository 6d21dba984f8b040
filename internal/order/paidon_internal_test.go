package order

import (
	"testing"
	"time"

	"github.com/bursar/bursar/internal/check"
)

// TestCheckPaidOnAt: "in the future" means after today in every time zone. At 00:30 in Madrid (23:30 UTC) the
// checkout form offers the local date, which is tomorrow in UTC; it was refused as a future date.
func TestCheckPaidOnAt(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 23, 30, 0, 0, time.UTC)
	day := func(d int) time.Time { return time.Date(2026, 3, d, 0, 0, 0, 0, time.UTC) }
	tests := []struct {
		name    string
		paidOn  time.Time
		wantErr bool
	}{
		{"TodayUTC", day(1), false},
		{"TodayAheadOfUTC", day(2), false},
		{"Yesterday", day(0), false},
		{"DayAfterTomorrow", day(3), true},
		{"TooEarly", time.Date(1999, 12, 31, 0, 0, 0, 0, time.UTC), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := check.Errors{}
			checkPaidOnAt(e, tt.paidOn, now)
			if got := e["paid_on"] != ""; got != tt.wantErr {
				t.Fatalf("paid on %s at %s: error %q, want error %v", tt.paidOn.Format(time.DateOnly), now, e["paid_on"], tt.wantErr)
			}
		})
	}
}
