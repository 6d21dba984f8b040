package order_test

import (
	"strings"
	"testing"

	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/money"
	"github.com/bursar/bursar/internal/order"
)

// TestNotificationSettlesOnlyItsOwnSystem: a correctly signed notification of one payment system that names an
// order never paid through it (in its mode) changes nothing on the order — no completion, no grant, no e-mail, no
// refund — and, when money is involved, opens a foreign_system exception naming both systems.
func TestNotificationSettlesOnlyItsOwnSystem(t *testing.T) {
	t.Parallel()
	paid := func(id string, o order.Order, ref string) gateway.Event {
		return gateway.Event{ID: id, Type: "paid", Kind: gateway.EventPaid, OrderID: o.ID, Ref: ref,
			Amount: o.Price, PayerEmail: "student@example.com"}
	}
	tests := []struct {
		name string
		// setup returns the system whose notification arrives, the order it names and the event.
		setup      func(f *fixture) (gateway.System, order.Order, gateway.Event)
		wantResult string
		wantStatus order.Status
	}{
		{"FondyNamesBankTransferOrder", func(f *fixture) (gateway.System, order.Order, gateway.Event) {
			o := f.open()
			fondy := f.system(gateway.Input{Type: gateway.TypeFondy, Name: "Fondy test merchant", Enabled: true,
				Settings:    map[string]any{"merchant_id": "1396424"},
				Credentials: map[string]string{"secret_key": "test"}})
			return fondy, o, paid("fondy_1", o, "1396424_"+itoa(o.ID))
		}, "exception:foreign_system", order.StatusOpen},
		{"WayForPayNamesStripeOrder", func(f *fixture) (gateway.System, order.Order, gateway.Event) {
			stripe := f.stripeSystem()
			att := f.openGateway(stripe, "cs_test_a")
			wfp := f.system(gateway.Input{Type: gateway.TypeWayForPay, Name: "WayForPay test", Enabled: true,
				Settings:    map[string]any{"merchant_account": "test_merch_n1", "merchant_domain": "school.example"},
				Credentials: map[string]string{"secret_key": "flk3409refn54t54t*FNJRET"}})
			return wfp, att.Order, paid("wfp_1", att.Order, "cs_test_a")
		}, "exception:foreign_system", order.StatusOpen},
		{"TestModeEventNamesLiveOrder", func(f *fixture) (gateway.System, order.Order, gateway.Event) {
			live := f.system(gateway.Input{Type: gateway.TypeStripe, Name: "Cards live", Mode: gateway.ModeLive,
				Enabled: true, Credentials: map[string]string{"secret_key": "sk_live_1", "webhook_secret": "whsec_l"}})
			test := f.system(gateway.Input{Type: gateway.TypeStripe, Name: "Cards test", Mode: gateway.ModeTest,
				Enabled: true, Credentials: map[string]string{"secret_key": "sk_test_1", "webhook_secret": "whsec_t"}})
			f.offer = f.newOffer("Live course", 4900, "EUR", live.ID, test.ID)
			att := f.openGateway(live, "cs_live_a")
			return test, att.Order, paid("evt_test_1", att.Order, "cs_live_a")
		}, "exception:foreign_system", order.StatusOpen},
		{"AttemptMadeInAnotherMode", func(f *fixture) (gateway.System, order.Order, gateway.Event) {
			sys := f.stripeSystem()
			att := f.openGateway(sys, "cs_test_b")
			live, err := f.systems.Update(f.ctx, sys.ID, gateway.Patch{Mode: ptr(gateway.ModeLive),
				Credentials: map[string]string{"secret_key": "sk_live_2"}})
			if err != nil {
				t.Fatal(err)
			}
			return live, att.Order, paid("evt_live_b", att.Order, "cs_test_b")
		}, "exception:foreign_system", order.StatusOpen},
		{"FailedAttemptOfAnotherSystem", func(f *fixture) (gateway.System, order.Order, gateway.Event) {
			stripe := f.stripeSystem()
			att := f.openGateway(stripe, "cs_test_c")
			fondy := f.system(gateway.Input{Type: gateway.TypeFondy, Name: "Fondy", Enabled: true,
				Settings:    map[string]any{"merchant_id": "1396424"},
				Credentials: map[string]string{"secret_key": "test"}})
			return fondy, att.Order, gateway.Event{ID: "fondy_f", Type: "declined", Kind: gateway.EventFailed,
				OrderID: att.Order.ID, Ref: "cs_test_c"}
		}, order.ResultForeignSystem, order.StatusOpen},
		{"RefundOfAnotherSystem", func(f *fixture) (gateway.System, order.Order, gateway.Event) {
			stripe := f.stripeSystem()
			o := f.paidGateway(stripe, "cs_test_d")
			fondy := f.system(gateway.Input{Type: gateway.TypeFondy, Name: "Fondy", Enabled: true,
				Settings:    map[string]any{"merchant_id": "1396424"},
				Credentials: map[string]string{"secret_key": "test"}})
			return fondy, o, gateway.Event{ID: "fondy_r", Type: "reversed", Kind: gateway.EventRefunded,
				OrderID: o.ID, Ref: "cs_test_d", Amount: o.Price, RefundedAmount: o.Price.Amount}
		}, "exception:foreign_system", order.StatusCompleted},
		{"OwnSystemCompletes", func(f *fixture) (gateway.System, order.Order, gateway.Event) {
			stripe := f.stripeSystem()
			att := f.openGateway(stripe, "cs_test_e")
			return stripe, att.Order, paid("evt_own", att.Order, "cs_test_e")
		}, order.ResultCompleted, order.StatusCompleted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, nil)
			sys, o, ev := tt.setup(f)
			before, err := f.svc.Get(f.ctx, o.ID)
			if err != nil {
				t.Fatal(err)
			}
			grants, completedMails := len(f.activeGrants()), f.mails(o.ID, order.EmailCompleted)
			out, err := f.svc.Ingest(f.ctx, sys, ev, []byte(`{}`))
			if err != nil {
				t.Fatal(err)
			}
			if out.Result != tt.wantResult {
				t.Fatalf("result %q, want %q", out.Result, tt.wantResult)
			}
			after, err := f.svc.Get(f.ctx, o.ID)
			if err != nil {
				t.Fatal(err)
			}
			if after.Status != tt.wantStatus {
				t.Errorf("order %s, want %s", after.Status, tt.wantStatus)
			}
			if tt.wantResult == order.ResultCompleted {
				if after.PaymentSystemID != sys.ID {
					t.Errorf("completed through system %d, want %d", after.PaymentSystemID, sys.ID)
				}
				return
			}
			// Nothing on the order moved: its system, its payments, its grants, its e-mails.
			if after.PaymentSystemID != before.PaymentSystemID {
				t.Errorf("order moved to system %d from %d", after.PaymentSystemID, before.PaymentSystemID)
			}
			if len(after.Payments) != len(before.Payments) {
				t.Fatalf("%d payments, want %d", len(after.Payments), len(before.Payments))
			}
			for i, p := range after.Payments {
				if p.Status != before.Payments[i].Status || p.PaymentSystemID != before.Payments[i].PaymentSystemID {
					t.Errorf("payment %d: %s through %d, was %s through %d", p.ID, p.Status, p.PaymentSystemID,
						before.Payments[i].Status, before.Payments[i].PaymentSystemID)
				}
			}
			if n := len(f.activeGrants()); n != grants {
				t.Errorf("%d active grants, want %d", n, grants)
			}
			if n := f.mails(o.ID, order.EmailCompleted); n != completedMails {
				t.Errorf("%d completed e-mails, want %d", n, completedMails)
			}
			if n := f.count(`SELECT count(*) FROM refunds`); n != 0 {
				t.Errorf("%d refunds recorded", n)
			}
			if tt.wantResult == order.ResultForeignSystem {
				if n := f.count(`SELECT count(*) FROM payment_exceptions`); n != 0 {
					t.Errorf("%d exceptions for a notification without money", n)
				}
				return
			}
			x, err := f.svc.Exception(f.ctx, out.ExceptionID)
			if err != nil {
				t.Fatal(err)
			}
			if x.Kind != order.ExForeignSystem || x.OrderID != o.ID || x.PaymentSystemID != sys.ID {
				t.Errorf("exception %+v", x.Exception)
			}
			if x.CanAccept() {
				t.Error("a foreign_system exception can be accepted")
			}
			if _, err := f.svc.AcceptException(f.ctx, x.ID, order.Acceptance{Note: "take it"}); err == nil {
				t.Error("accepting a foreign_system exception succeeded")
			}
			if after, _ := f.svc.Get(f.ctx, o.ID); after.Status != tt.wantStatus {
				t.Errorf("after accept: order %s", after.Status)
			}
		})
	}
}

// TestForeignSystemNoteNamesBothSystems: the inbox says which system the notification came from and which one the
// order was opened through, with their modes.
func TestForeignSystemNoteNamesBothSystems(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	o := f.open()
	fondy := f.system(gateway.Input{Type: gateway.TypeFondy, Name: "Fondy merchant", Enabled: true,
		Settings: map[string]any{"merchant_id": "1396424"}, Credentials: map[string]string{"secret_key": "test"}})
	out, err := f.svc.Ingest(f.ctx, fondy, gateway.Event{ID: "f1", Type: "approved", Kind: gateway.EventPaid,
		OrderID: o.ID, Ref: "x", Amount: money.New(4900, "EUR")}, []byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	x, err := f.svc.Exception(f.ctx, out.ExceptionID)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Fondy merchant (test mode)", "Bank transfer (test mode)", o.Number} {
		if !strings.Contains(x.Note, want) {
			t.Errorf("note %q does not say %q", x.Note, want)
		}
	}
}
