package order_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/money"
	"github.com/bursar/bursar/internal/order"
)

// idempotentGateway is a gateway's refund API that honours idempotency keys as Stripe does: a request repeating a
// key is answered with the refund the key made, and makes nothing more.
type idempotentGateway struct {
	mu   sync.Mutex
	made map[string]gateway.RefundResult
	keys []string // the key of every request, in order
}

func newIdempotentGateway() *idempotentGateway {
	return &idempotentGateway{made: map[string]gateway.RefundResult{}}
}

func (g *idempotentGateway) Refund(_ context.Context, _ gateway.System, r gateway.RefundRequest) (gateway.RefundResult, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.keys = append(g.keys, r.IdempotencyKey)
	if r.IdempotencyKey == "" {
		return gateway.RefundResult{}, errors.New("idempotentGateway: no idempotency key")
	}
	res, ok := g.made[r.IdempotencyKey]
	if !ok {
		res = gateway.RefundResult{ID: fmt.Sprintf("re_%d", len(g.made)+1), Status: "succeeded"}
		g.made[r.IdempotencyKey] = res
	}
	return res, nil
}

// asked is the key of every request and how many refunds were made.
func (g *idempotentGateway) asked() ([]string, int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]string(nil), g.keys...), len(g.made)
}

// crashAfterGateway is ctx with the recording step step failing, as if the process died after the gateway said yes.
func crashAfterGateway(ctx context.Context, step string) context.Context {
	return order.WithRecordFault(ctx, func(s string) error {
		if s == step {
			return errors.New("connection lost before the answer was recorded")
		}
		return nil
	})
}

// settleCfg is the re-check's configuration in these tests: refunds pending for more than 30 minutes are settled.
var settleCfg = order.RecheckConfig{After: 30 * time.Minute, Every: time.Hour}

// ageRefunds moves the clock an hour on for the pending refunds: they were asked an hour ago.
func (f *fixture) ageRefunds() {
	f.t.Helper()
	for _, q := range []string{
		"UPDATE refunds SET created_at = now() - interval '1 hour', updated_at = now() - interval '1 hour' WHERE status = 'pending'",
		"UPDATE payment_exceptions SET refund_requested_at = now() - interval '1 hour', refund_checked_at = now() - interval '1 hour' WHERE refund_status = 'pending'",
	} {
		if _, err := f.pool.Exec(f.ctx, q); err != nil {
			f.t.Fatal(err)
		}
	}
}

// TestSettleOrderRefundAfterCrash: the gateway made an order's refund and the recording failed; the refund stays
// pending until the re-check asks again with the same key and records it, once.
func TestSettleOrderRefundAfterCrash(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	sys := f.stripeSystem()
	o := f.paidGateway(sys, "cs_settle_1")
	gw := newIdempotentGateway()
	if _, err := f.svc.RefundGatewayVia(crashAfterGateway(f.ctx, "refund_made"), o.ID,
		order.GatewayRefund{Reason: "changed their mind"}, gw); err == nil {
		t.Fatal("RefundGateway with the recording failing = nil error")
	}
	rs, err := f.svc.RefundsOf(f.ctx, o.ID)
	if err != nil || len(rs) != 1 || rs[0].Status != order.RefundPending {
		t.Fatalf("refunds after the crash = %+v, %v; want one pending", rs, err)
	}
	// Not yet past the re-check delay: nothing is asked.
	if sum, err := f.svc.SettleRefundsVia(f.ctx, gw, settleCfg); err != nil || sum != (order.RefundSettlement{}) {
		t.Fatalf("SettleRefunds before the delay = %+v, %v", sum, err)
	}
	f.ageRefunds()
	sum, err := f.svc.SettleRefundsVia(f.ctx, gw, settleCfg)
	if err != nil || sum != (order.RefundSettlement{Asked: 1, Recorded: 1}) {
		t.Fatalf("SettleRefunds = %+v, %v; want asked 1, recorded 1", sum, err)
	}
	if sum, err := f.svc.SettleRefundsVia(f.ctx, gw, settleCfg); err != nil || sum != (order.RefundSettlement{}) {
		t.Fatalf("second SettleRefunds = %+v, %v; want nothing to do", sum, err)
	}
	keys, made := gw.asked()
	if len(keys) != 2 || keys[0] != keys[1] || made != 1 {
		t.Fatalf("gateway asked with keys %q, made %d refunds; want one key twice, one refund", keys, made)
	}
	rs, err = f.svc.RefundsOf(f.ctx, o.ID)
	if err != nil || len(rs) != 1 || rs[0].Status != order.RefundSucceeded || rs[0].GatewayRef != "re_1" {
		t.Fatalf("refunds after the re-check = %+v, %v; want one succeeded as re_1", rs, err)
	}
	got, err := f.svc.Get(f.ctx, o.ID)
	if err != nil || got.Status != order.StatusRefunded {
		t.Fatalf("order after the re-check = %s, %v; want refunded", got.Status, err)
	}
	if n := f.count("SELECT count(*) FROM order_events WHERE order_id = $1 AND kind = $2", o.ID,
		order.EventRefundMade); n != 1 {
		t.Fatalf("%d refund events on the timeline, want 1", n)
	}
}

// foreignException opens a refundable payment exception: a payment reported through sys for an order never paid
// through it.
func (f *fixture) foreignException(sys gateway.System, ref string) order.Exception {
	f.t.Helper()
	of := f.newOffer("Spanish A1 by transfer", 4900, "EUR", f.manual.ID)
	o, err := f.svc.CreateManual(f.ctx, order.NewManual{OfferID: of.ID, ContactID: f.contact.ID,
		PaymentSystemID: f.manual.ID, Channel: order.ChannelCheckout})
	if err != nil {
		f.t.Fatal(err)
	}
	out, err := f.svc.Ingest(f.ctx, sys, gateway.Event{ID: "evt_" + ref, Type: "paid", Kind: gateway.EventPaid,
		OrderID: o.ID, Ref: ref, Amount: money.New(4900, "EUR")}, []byte(`{}`))
	if err != nil || out.ExceptionID == 0 {
		f.t.Fatalf("Ingest = %+v, %v; want an exception", out, err)
	}
	x, err := f.svc.Exception(f.ctx, out.ExceptionID)
	if err != nil {
		f.t.Fatal(err)
	}
	return x.Exception
}

// TestSettleExceptionRefundAfterCrash: the gateway made an exception's refund and the recording failed; a second
// click meanwhile is a conflict that asks nothing; the re-check asks again with the same key and resolves the
// exception, once.
func TestSettleExceptionRefundAfterCrash(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	sys := f.stripeSystem()
	x := f.foreignException(sys, "cs_foreign_1")
	gw := newIdempotentGateway()
	if _, _, err := f.svc.RefundExceptionVia(crashAfterGateway(f.ctx, "exception_refund_made"), x.ID,
		"paid the wrong shop", gw); err == nil {
		t.Fatal("RefundException with the recording failing = nil error")
	}
	cur, err := f.svc.Exception(f.ctx, x.ID)
	if err != nil || !cur.Open() || cur.RefundStatus != order.ExceptionRefundPending || cur.RefundedAmount != 0 {
		t.Fatalf("exception after the crash = %+v, %v; want open, refund pending", cur.Exception, err)
	}
	// A second click while the refund is pending: a conflict, and the gateway is not asked.
	if _, _, err := f.svc.RefundExceptionVia(f.ctx, x.ID, "again", gw); !errors.Is(err, check.ErrConflict) ||
		!strings.Contains(err.Error(), "being refunded right now") {
		t.Fatalf("second click = %v, want a conflict: being refunded right now", err)
	}
	if keys, _ := gw.asked(); len(keys) != 1 {
		t.Fatalf("gateway asked %d times before the re-check, want 1", len(keys))
	}
	f.ageRefunds()
	sum, err := f.svc.SettleRefundsVia(f.ctx, gw, settleCfg)
	if err != nil || sum != (order.RefundSettlement{Asked: 1, Recorded: 1}) {
		t.Fatalf("SettleRefunds = %+v, %v; want asked 1, recorded 1", sum, err)
	}
	if sum, err := f.svc.SettleRefundsVia(f.ctx, gw, settleCfg); err != nil || sum != (order.RefundSettlement{}) {
		t.Fatalf("second SettleRefunds = %+v, %v; want nothing to do", sum, err)
	}
	keys, made := gw.asked()
	if len(keys) != 2 || keys[0] != keys[1] || made != 1 {
		t.Fatalf("gateway asked with keys %q, made %d refunds; want one key twice, one refund", keys, made)
	}
	cur, err = f.svc.Exception(f.ctx, x.ID)
	if err != nil || cur.Open() || cur.RefundStatus != "" || cur.RefundedAmount != 4900 ||
		!strings.Contains(cur.Resolution, "re_1") || !strings.Contains(cur.Resolution, "paid the wrong shop") {
		t.Fatalf("exception after the re-check = %+v, %v; want resolved, 49.00 refunded as re_1", cur.Exception, err)
	}
}

// TestSettleRefundFailedAnswer: the gateway refused the refund and recording the refusal failed; the re-check asks
// again, is refused again under the same key, and records the refusal: the exception is open and refundable.
func TestSettleRefundFailedAnswer(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	sys := f.stripeSystem()
	x := f.foreignException(sys, "cs_foreign_2")
	var keys []string
	refuse := refunderFunc(func(_ context.Context, _ gateway.System, r gateway.RefundRequest) (gateway.RefundResult, error) {
		keys = append(keys, r.IdempotencyKey)
		return gateway.RefundResult{}, errors.New("charge_already_refunded")
	})
	_, _, err := f.svc.RefundExceptionVia(crashAfterGateway(f.ctx, "exception_refund_failed"), x.ID, "wrong shop", refuse)
	var fail *order.RefundFailedError
	if !errors.As(err, &fail) {
		t.Fatalf("RefundException = %v, want a *RefundFailedError joined with the recording's error", err)
	}
	f.ageRefunds()
	if sum, err := f.svc.SettleRefundsVia(f.ctx, refuse, settleCfg); err != nil ||
		sum != (order.RefundSettlement{Asked: 1, Recorded: 1}) {
		t.Fatalf("SettleRefunds = %+v, %v; want asked 1, recorded 1", sum, err)
	}
	cur, err := f.svc.Exception(f.ctx, x.ID)
	if err != nil || !cur.Open() || cur.RefundStatus != "" || !cur.CanRefund(sys) {
		t.Fatalf("exception = %+v, %v; want open and refundable again", cur.Exception, err)
	}
	if len(keys) != 2 || keys[0] != keys[1] {
		t.Fatalf("keys = %q, want one key twice", keys)
	}
}

// TestSettleRefundHandedOver: a refund left pending through a gateway that takes no idempotency key (Fondy) is
// never asked again: an order's refund opens a refund_unconfirmed exception and stays pending (its money still
// counted); an exception's refund becomes unconfirmed, its note says what to check, and it cannot be refunded again.
func TestSettleRefundHandedOver(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	fondy := f.system(gateway.Input{Type: gateway.TypeFondy, Name: "Fondy merchant", Enabled: true,
		Settings: map[string]any{"merchant_id": "1396424"}, Credentials: map[string]string{"secret_key": "test"}})
	f.offer = f.newOffer("Spanish A1 by Fondy", 4900, "EUR", fondy.ID)
	o := f.paidGateway(fondy, "fondy_order_1")
	x := f.foreignException(fondy, "fondy_foreign_1")
	gw := newIdempotentGateway()
	if _, err := f.svc.RefundGatewayVia(crashAfterGateway(f.ctx, "refund_made"), o.ID, order.GatewayRefund{}, gw); err == nil {
		t.Fatal("RefundGateway with the recording failing = nil error")
	}
	if _, _, err := f.svc.RefundExceptionVia(crashAfterGateway(f.ctx, "exception_refund_made"), x.ID, "wrong shop",
		gw); err == nil {
		t.Fatal("RefundException with the recording failing = nil error")
	}
	f.ageRefunds()
	sum, err := f.svc.SettleRefundsVia(f.ctx, gw, settleCfg)
	if err != nil || sum != (order.RefundSettlement{HandedOver: 2}) {
		t.Fatalf("SettleRefunds = %+v, %v; want 2 handed over", sum, err)
	}
	if sum, err := f.svc.SettleRefundsVia(f.ctx, gw, settleCfg); err != nil || sum != (order.RefundSettlement{}) {
		t.Fatalf("second SettleRefunds = %+v, %v; want nothing to do", sum, err)
	}
	if keys, _ := gw.asked(); len(keys) != 2 {
		t.Fatalf("gateway asked %d times, want 2 (the first asks only)", len(keys))
	}
	rs, err := f.svc.RefundsOf(f.ctx, o.ID)
	if err != nil || len(rs) != 1 || rs[0].Status != order.RefundPending {
		t.Fatalf("refunds = %+v, %v; want one, still pending", rs, err)
	}
	if left, err := f.svc.Refundable(f.ctx, o.ID); err != nil || len(left) != 1 || left[0].Left.Amount != 0 {
		t.Fatalf("refundable = %+v, %v; want nothing left (the pending refund counted)", left, err)
	}
	if n := f.count("SELECT count(*) FROM payment_exceptions WHERE kind = 'refund_unconfirmed' AND order_id = $1 "+
		"AND status = 'open' AND amount = 4900", o.ID); n != 1 {
		t.Fatalf("%d refund_unconfirmed exceptions for the order, want 1", n)
	}
	cur, err := f.svc.Exception(f.ctx, x.ID)
	if err != nil || !cur.Open() || cur.RefundStatus != order.ExceptionRefundUnconfirmed ||
		!strings.Contains(cur.Note, "check Fondy merchant's dashboard") || cur.CanRefund(fondy) {
		t.Fatalf("exception = %+v, %v; want open, unconfirmed, a note saying what to check, not refundable",
			cur.Exception, err)
	}
	if _, _, err := f.svc.RefundExceptionVia(f.ctx, x.ID, "again", gw); !errors.Is(err, check.ErrConflict) {
		t.Fatalf("refund of an unconfirmed exception = %v, want a conflict", err)
	}
}
