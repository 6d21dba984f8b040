package order_test

import (
	"slices"
	"testing"

	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/money"
	"github.com/bursar/bursar/internal/order"
)

// TestIngestOutcomes feeds verified gateway notifications (gateway.Event literals, as a provider's parser returns
// them) to order.Ingest and checks what each did: the outcome, the order, its attempt, the access, the e-mails and
// the exceptions. Each case runs on its own fresh school. The HTTP-level webhook tests (internal/server) cover
// verification and the answers gateways get; TestNotificationSettlesOnlyItsOwnSystem covers foreign systems.
func TestIngestOutcomes(t *testing.T) {
	t.Parallel()
	paid := func(id string, o order.Order, ref string, amount money.Money) gateway.Event {
		return gateway.Event{ID: id, Type: "checkout.session.completed", Kind: gateway.EventPaid, OrderID: o.ID,
			Ref: ref, AltRef: "pi_" + ref, Amount: amount, PayerEmail: "student@example.com"}
	}
	attempt := func(id string, kind gateway.EventKind, o order.Order) gateway.Event {
		return gateway.Event{ID: id, Type: "checkout.session." + string(kind), Kind: kind, OrderID: o.ID, Ref: "cs_a"}
	}
	// open is an open order with one attempt through Stripe, referenced cs_a.
	open := func(f *fixture) (gateway.System, order.Order) {
		sys := f.stripeSystem()
		return sys, f.openGateway(sys, "cs_a").Order
	}
	// completed is an order completed by the notification of its attempt cs_a (event evt_paid_cs_a).
	completed := func(f *fixture) (gateway.System, order.Order) {
		sys := f.stripeSystem()
		return sys, f.paidGateway(sys, "cs_a")
	}
	tests := []struct {
		name string
		// setup builds the school's state on a fresh fixture: the payment system notifying and the order (ID 0
		// for none).
		setup func(f *fixture) (gateway.System, order.Order)
		// events are fed in order; the outcome of the last one is checked.
		events         func(o order.Order) []gateway.Event
		wantResult     string
		wantStatus     order.Status // "" when there is no order
		wantPayment    string       // the status of the order's latest payment
		wantGrants     int          // active grants of the student (the offer holds two products)
		wantCompleted  int          // "completed" e-mails of the order
		wantRefunded   int          // "refunded" e-mails of the order
		wantExceptions []order.ExceptionKind
	}{
		{"Paid", open, func(o order.Order) []gateway.Event {
			return []gateway.Event{paid("evt_1", o, "cs_a", o.Price)}
		}, order.ResultCompleted, order.StatusCompleted, order.PaymentSucceeded, 2, 1, 0, nil},
		{"Duplicate", open, func(o order.Order) []gateway.Event {
			return []gateway.Event{paid("evt_1", o, "cs_a", o.Price), paid("evt_1", o, "cs_a", o.Price)}
		}, order.ResultDuplicate, order.StatusCompleted, order.PaymentSucceeded, 2, 1, 0, nil},
		{"AmountMismatch", open, func(o order.Order) []gateway.Event {
			return []gateway.Event{paid("evt_1", o, "cs_a", money.New(4000, "EUR"))}
		}, "exception:amount_mismatch", order.StatusOpen, order.PaymentPending, 0, 0, 0,
			[]order.ExceptionKind{order.ExAmountMismatch}},
		{"CurrencyMismatch", open, func(o order.Order) []gateway.Event {
			return []gateway.Event{paid("evt_1", o, "cs_a", money.New(4900, "USD"))}
		}, "exception:currency_mismatch", order.StatusOpen, order.PaymentPending, 0, 0, 0,
			[]order.ExceptionKind{order.ExCurrencyMismatch}},
		{"LatePayment", completed, func(o order.Order) []gateway.Event {
			// A second session paid for the order the first one completed.
			return []gateway.Event{paid("evt_2", o, "cs_b", o.Price)}
		}, "exception:late_payment", order.StatusCompleted, order.PaymentSucceeded, 2, 1, 0,
			[]order.ExceptionKind{order.ExLatePayment}},
		{"AlreadyPaid", completed, func(o order.Order) []gateway.Event {
			// Another event (not a redelivery) for the payment that completed the order.
			return []gateway.Event{paid("evt_again", o, "cs_a", o.Price)}
		}, order.ResultAlreadyPaid, order.StatusCompleted, order.PaymentSucceeded, 2, 1, 0, nil},
		{"UnknownOrder", func(f *fixture) (gateway.System, order.Order) {
			return f.stripeSystem(), order.Order{}
		}, func(order.Order) []gateway.Event {
			return []gateway.Event{paid("evt_1", order.Order{ID: 999999}, "cs_nobody", money.New(4900, "EUR"))}
		}, "exception:unknown_order", "", "", 0, 0, 0, []order.ExceptionKind{order.ExUnknownOrder}},
		{"UnknownOrderNoMoney", func(f *fixture) (gateway.System, order.Order) {
			return f.stripeSystem(), order.Order{}
		}, func(order.Order) []gateway.Event {
			return []gateway.Event{attempt("evt_1", gateway.EventFailed, order.Order{ID: 999999})}
		}, order.ResultNoOrder, "", "", 0, 0, 0, nil},
		{"FullRefund", completed, func(order.Order) []gateway.Event {
			return []gateway.Event{refundedEvent("evt_r", "cs_a", 4900)}
		}, "refunded+exception:outside_refund", order.StatusRefunded, order.PaymentRefunded, 0, 1, 1,
			[]order.ExceptionKind{order.ExOutsideRefund}},
		{"PartialRefund", completed, func(order.Order) []gateway.Event {
			return []gateway.Event{refundedEvent("evt_r", "cs_a", 1000)}
		}, "partially_refunded+exception:outside_refund", order.StatusCompleted, order.PaymentPartiallyRefunded,
			2, 1, 0, []order.ExceptionKind{order.ExOutsideRefund}},
		{"RefundKnown", completed, func(order.Order) []gateway.Event {
			// The gateway's running total has not grown since the last notification.
			return []gateway.Event{refundedEvent("evt_r1", "cs_a", 1000), refundedEvent("evt_r2", "cs_a", 1000)}
		}, order.ResultRefundKnown, order.StatusCompleted, order.PaymentPartiallyRefunded, 2, 1, 0,
			[]order.ExceptionKind{order.ExOutsideRefund}},
		{"Pending", open, func(o order.Order) []gateway.Event {
			return []gateway.Event{attempt("evt_1", gateway.EventPending, o)}
		}, order.ResultProcessing, order.StatusOpen, order.PaymentProcessing, 0, 0, 0, nil},
		{"PendingThenPaid", open, func(o order.Order) []gateway.Event {
			return []gateway.Event{attempt("evt_1", gateway.EventPending, o), paid("evt_2", o, "cs_a", o.Price)}
		}, order.ResultCompleted, order.StatusCompleted, order.PaymentSucceeded, 2, 1, 0, nil},
		{"Failed", open, func(o order.Order) []gateway.Event {
			return []gateway.Event{attempt("evt_1", gateway.EventFailed, o)}
		}, order.ResultFailed, order.StatusOpen, order.PaymentFailed, 0, 0, 0, nil},
		{"Expired", open, func(o order.Order) []gateway.Event {
			return []gateway.Event{attempt("evt_1", gateway.EventExpired, o)}
		}, order.ResultExpired, order.StatusOpen, order.PaymentFailed, 0, 0, 0, nil},
		{"Ignored", open, func(o order.Order) []gateway.Event {
			return []gateway.Event{{ID: "evt_1", Type: "customer.created", Kind: gateway.EventIgnored, OrderID: o.ID}}
		}, order.ResultIgnored, order.StatusOpen, order.PaymentPending, 0, 0, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, nil)
			sys, o := tt.setup(f)
			var out order.Outcome
			for _, ev := range tt.events(o) {
				var err error
				if out, err = f.svc.Ingest(f.ctx, sys, ev, []byte(`{}`)); err != nil {
					t.Fatalf("event %s: %v", ev.ID, err)
				}
			}
			if out.Result != tt.wantResult || out.Duplicate != (tt.wantResult == order.ResultDuplicate) {
				t.Fatalf("outcome %+v, want %q", out, tt.wantResult)
			}
			if o.ID != 0 {
				got, err := f.svc.Get(f.ctx, o.ID)
				if err != nil {
					t.Fatal(err)
				}
				if got.Status != tt.wantStatus {
					t.Errorf("order %s, want %s", got.Status, tt.wantStatus)
				}
				if n := len(got.Payments); n == 0 || got.Payments[n-1].Status != tt.wantPayment {
					t.Errorf("payments %+v, want the latest %s", got.Payments, tt.wantPayment)
				}
				// A duplicate is not applied again, and an ignored event is not matched to an order at all.
				linked := tt.wantResult != order.ResultDuplicate && tt.wantResult != order.ResultIgnored
				if linked && out.OrderID != o.ID {
					t.Errorf("outcome names order %d, want %d", out.OrderID, o.ID)
				}
			}
			if n := len(f.activeGrants()); n != tt.wantGrants {
				t.Errorf("%d active grants, want %d", n, tt.wantGrants)
			}
			if n := f.mails(o.ID, order.EmailCompleted); n != tt.wantCompleted {
				t.Errorf("%d completed e-mails, want %d", n, tt.wantCompleted)
			}
			if n := f.mails(o.ID, order.EmailRefunded); n != tt.wantRefunded {
				t.Errorf("%d refunded e-mails, want %d", n, tt.wantRefunded)
			}
			if got := exceptionKinds(f); !slices.Equal(got, tt.wantExceptions) {
				t.Errorf("exceptions %v, want %v", got, tt.wantExceptions)
			}
			if n := f.count(`SELECT count(*) FROM gateway_events WHERE processed_at IS NULL`); n != 0 {
				t.Errorf("%d notifications stored without being processed", n)
			}
		})
	}
}

// exceptionKinds lists the kinds of the payment exceptions opened, oldest first.
func exceptionKinds(f *fixture) []order.ExceptionKind {
	f.t.Helper()
	rows, err := f.pool.Query(f.ctx, `SELECT kind FROM payment_exceptions ORDER BY id`)
	if err != nil {
		f.t.Fatal(err)
	}
	defer rows.Close()
	var out []order.ExceptionKind
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			f.t.Fatal(err)
		}
		out = append(out, order.ExceptionKind(k))
	}
	if err := rows.Err(); err != nil {
		f.t.Fatal(err)
	}
	return out
}
