package config

import (
	"strings"
	"testing"
	"time"
)

func TestRecheckAfter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		env     string
		want    time.Duration
		wantErr bool
	}{
		{"Unset", "", DefaultRecheckAfter, false},
		{"Hours", "2h", 2 * time.Hour, false},
		{"Spaces", " 45m ", 45 * time.Minute, false},
		{"NotADuration", "soon", 0, true},
		{"TooShort", "10s", 0, true},
		{"Zero", "0", 0, true},
		{"Negative", "-5m", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"BURSAR_SECRET_KEY": strings.Repeat("ab", 32), "BURSAR_RECHECK_AFTER": tt.env}
			c, err := FromEnv(func(k string) string { return env[k] }).WithDefaults()
			if err != nil {
				t.Fatal(err)
			}
			err = c.Validate()
			if tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), "BURSAR_RECHECK_AFTER") {
					t.Fatalf("Validate = %v, want an error naming BURSAR_RECHECK_AFTER", err)
				}
				return
			}
			if err != nil || c.RecheckAfter != tt.want {
				t.Fatalf("RecheckAfter = %s, %v; want %s", c.RecheckAfter, err, tt.want)
			}
		})
	}
}

func TestJobRescueAfter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		env     string
		want    time.Duration
		wantErr bool
	}{
		{"Unset", "", 0, false}, // internal/jobs applies its default
		{"Minutes", "5m", 5 * time.Minute, false},
		{"Seconds", " 15s ", 15 * time.Second, false},
		{"NotADuration", "soon", 0, true},
		{"NoUnit", "300", 0, true},
		{"Zero", "0s", 0, true},
		{"Negative", "-5m", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{"BURSAR_SECRET_KEY": strings.Repeat("ab", 32), "BURSAR_JOB_RESCUE_AFTER": tt.env}
			c, err := FromEnv(func(k string) string { return env[k] }).WithDefaults()
			if err != nil {
				t.Fatal(err)
			}
			err = c.Validate()
			if tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), "BURSAR_JOB_RESCUE_AFTER") || strings.Contains(err.Error(), "\n") {
					t.Fatalf("Validate = %v, want one line naming BURSAR_JOB_RESCUE_AFTER", err)
				}
				return
			}
			if err != nil || c.JobRescueAfter != tt.want {
				t.Fatalf("JobRescueAfter = %s, %v; want %s", c.JobRescueAfter, err, tt.want)
			}
		})
	}
}

func TestLinkExpiry(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		env     string
		want    time.Duration
		wantErr bool
	}{
		{"Unset", "", 0, false}, // internal/paylink applies its default, 7 days
		{"ThreeDays", "72h", 72 * time.Hour, false},
		{"NotADuration", "a week", 0, true},
		{"TooShort", "30m", 0, true},
		{"OverAYear", "9000h", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{"BURSAR_SECRET_KEY": strings.Repeat("ab", 32), "BURSAR_LINK_EXPIRY": tt.env}
			c, err := FromEnv(func(k string) string { return env[k] }).WithDefaults()
			if err != nil {
				t.Fatal(err)
			}
			err = c.Validate()
			if tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), "BURSAR_LINK_EXPIRY") {
					t.Fatalf("Validate = %v, want an error naming BURSAR_LINK_EXPIRY", err)
				}
				return
			}
			if err != nil || c.LinkExpiry != tt.want {
				t.Fatalf("LinkExpiry = %s, %v; want %s", c.LinkExpiry, err, tt.want)
			}
		})
	}
}
