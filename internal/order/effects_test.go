package order_test

import (
	"testing"

	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/money"
	"github.com/bursar/bursar/internal/order"
)

// TestOneCompletion completes an order each way there is — a manager's approval, the gateway's paid notification,
// an admin accepting an amount_mismatch exception — and checks that each has the same effects (the one completion
// workflow, completeTx): the order completed, one succeeded payment with its fee and net, the offer's products
// granted, the completed e-mail, the order.completed line on the order's and the contact's timelines, and the audit
// entry.
func TestOneCompletion(t *testing.T) {
	t.Parallel()
	// Every system takes 2.5% + 0.30 EUR.
	fees := map[string]any{"fee_percent": "2.5", "fixed_fee": int64(30), "fixed_fee_currency": "EUR"}
	cards := func(f *fixture) gateway.System {
		sys := f.system(gateway.Input{Type: gateway.TypeStripe, Name: "Cards", Mode: gateway.ModeTest, Enabled: true,
			Settings: fees, Credentials: map[string]string{"secret_key": "sk_test_1", "webhook_secret": "whsec_1"}})
		f.offer = f.newOffer("Spanish A1 by card", 4900, "EUR", sys.ID)
		return sys
	}
	tests := []struct {
		name string
		// complete completes an order of the fixture's contact for 49.00 EUR and returns its id.
		complete   func(t *testing.T, f *fixture) int64
		wantAmount int64
		wantFee    int64 // 2.5% of the amount, rounded, + 30
		wantAction string
	}{
		{"Approve", func(t *testing.T, f *fixture) int64 {
			o := f.open()
			if _, err := f.svc.Approve(f.ctx, o.ID, order.Adjustment{}); err != nil {
				t.Fatal(err)
			}
			return o.ID
		}, 4900, 153, "order.approve"},
		{"PaidNotification", func(t *testing.T, f *fixture) int64 {
			sys := cards(f)
			att := f.openGateway(sys, "cs_one")
			out, err := f.svc.Ingest(f.ctx, sys, gateway.Event{ID: "evt_one", Type: "checkout.session.completed",
				Kind: gateway.EventPaid, OrderID: att.Order.ID, Ref: "cs_one", AltRef: "pi_cs_one",
				Amount: att.Order.Price, PayerEmail: f.contact.Email}, []byte(`{}`))
			if err != nil || out.Result != order.ResultCompleted {
				t.Fatalf("paid: %+v, %v", out, err)
			}
			return att.Order.ID
		}, 4900, 153, "order.complete"},
		{"AcceptedException", func(t *testing.T, f *fixture) int64 {
			sys := cards(f)
			att := f.openGateway(sys, "cs_less")
			out, err := f.svc.Ingest(f.ctx, sys, gateway.Event{ID: "evt_less", Type: "checkout.session.completed",
				Kind: gateway.EventPaid, OrderID: att.Order.ID, Ref: "cs_less", Amount: money.New(4500, "EUR"),
				PayerEmail: f.contact.Email}, []byte(`{}`))
			if err != nil || out.Result != "exception:"+string(order.ExAmountMismatch) {
				t.Fatalf("paid less: %+v, %v", out, err)
			}
			var xid int64
			if err := f.pool.QueryRow(f.ctx, `SELECT id FROM payment_exceptions WHERE order_id = $1`,
				att.Order.ID).Scan(&xid); err != nil {
				t.Fatal(err)
			}
			if _, err := f.svc.AcceptException(f.ctx, xid, order.Acceptance{Note: "a discount we forgot"}); err != nil {
				t.Fatal(err)
			}
			return att.Order.ID
		}, 4500, 143, "order.complete"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, nil)
			id := tt.complete(t, f)
			o, err := f.svc.Get(f.ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if o.Status != order.StatusCompleted || o.Price != money.New(tt.wantAmount, "EUR") || o.DecidedAt == nil ||
				o.DecidedBy != "ann@school.test" {
				t.Errorf("order = %+v", o)
			}
			var succeeded []order.Payment
			for _, p := range o.Payments {
				if p.Status == order.PaymentSucceeded {
					succeeded = append(succeeded, p)
				}
			}
			if len(succeeded) != 1 {
				t.Fatalf("payments = %+v, want one succeeded", o.Payments)
			}
			if p := succeeded[0]; p.Amount != money.New(tt.wantAmount, "EUR") || p.Fee != tt.wantFee ||
				p.Net != tt.wantAmount-tt.wantFee {
				t.Errorf("payment = %+v, want %d with fee %d", p, tt.wantAmount, tt.wantFee)
			}
			if n := len(f.activeGrants()); n != 2 {
				t.Errorf("%d active grants, want both products", n)
			}
			if n := f.mails(id, order.EmailCompleted); n != 1 {
				t.Errorf("%d completed e-mails, want 1", n)
			}
			if n := f.count("SELECT count(*) FROM order_events WHERE order_id = $1 AND kind = $2", id,
				order.EventCompleted); n != 1 {
				t.Errorf("%d order.completed lines on the order's timeline, want 1", n)
			}
			if n := f.count("SELECT count(*) FROM contact_events WHERE contact_id = $1 AND kind = $2", f.contact.ID,
				order.EventCompleted); n != 1 {
				t.Errorf("%d order.completed lines on the contact's timeline, want 1", n)
			}
			if n := f.count("SELECT count(*) FROM audit_log WHERE action = $1 AND entity = 'order' AND entity_id = $2",
				tt.wantAction, itoa(id)); n != 1 {
				t.Errorf("%d %s audit entries, want 1", n, tt.wantAction)
			}
		})
	}
}
