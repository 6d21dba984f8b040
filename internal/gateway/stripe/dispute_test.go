package stripe

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/money"
)

// TestVerifyDisputeEvents: signed charge.dispute.* events become EventDispute with the disputed payment (its
// PaymentIntent, the charge as the second reference), amount, reason, status, deadline, outcome and the event's time.
func TestVerifyDisputeEvents(t *testing.T) {
	t.Parallel()
	created := int64(1764000000)
	tests := []struct {
		name, typ, status string
		due               string // evidence_details
		wantOutcome       string
		wantReview        bool
		wantStage         int
	}{
		{"Created", EventDisputeCreated, "needs_response", `{"due_by":1764600000}`, "", false, 1},
		{"Inquiry", EventDisputeCreated, "warning_needs_response", `{"due_by":1764600000}`, "", false, 1},
		{"UnderReview", EventDisputeUpdated, "under_review", `{"due_by":1764600000}`, "", true, 2},
		{"Won", EventDisputeClosed, "won", `null`, gateway.DisputeWon, false, 3},
		{"Lost", EventDisputeClosed, "lost", `null`, gateway.DisputeLost, false, 3},
		{"InquiryClosed", EventDisputeClosed, "warning_closed", `null`, gateway.DisputeWithdrawn, false, 3},
		{"ClosedUnknownStatus", EventDisputeClosed, "prevented", `null`, gateway.DisputeOther, false, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			obj := fmt.Sprintf(`{"id":"dp_1","object":"dispute","amount":4900,"currency":"eur","charge":"ch_1",`+
				`"payment_intent":"pi_1","reason":"fraudulent","status":%q,"evidence_details":%s}`, tt.status, tt.due)
			body := fmt.Sprintf(`{"id":"evt_d","object":"event","api_version":"2023-10-16","created":%d,"type":%q,`+
				`"data":{"object":%s}}`, created, tt.typ, obj)
			now := time.Now()
			ev, err := New(Options{}).Verify(context.Background(), webhookAccount("whsec_x"),
				inbound(signedHeader("whsec_x", now.Unix(), body), body, now))
			if err != nil {
				t.Fatal(err)
			}
			if err := ev.Validate(); err != nil {
				t.Fatal(err)
			}
			d := ev.Dispute
			if ev.Kind != gateway.EventDispute || ev.Ref != "pi_1" || ev.AltRef != "ch_1" ||
				ev.Amount != money.New(4900, "EUR") || d == nil || d.ID != "dp_1" || d.Status != tt.status ||
				d.Reason != "fraudulent" || d.Outcome != tt.wantOutcome || d.Review != tt.wantReview ||
				d.Stage() != tt.wantStage || !d.At.Equal(time.Unix(created, 0)) {
				t.Fatalf("event %+v, dispute %+v", ev, d)
			}
			if wantDue := tt.due != "null"; wantDue != !d.EvidenceDue.IsZero() ||
				(wantDue && !d.EvidenceDue.Equal(time.Unix(1764600000, 0))) {
				t.Errorf("evidence due %v", d.EvidenceDue)
			}
		})
	}
}
