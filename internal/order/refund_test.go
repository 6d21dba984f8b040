package order_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/money"
	"github.com/bursar/bursar/internal/order"
)

// refunderFunc is a gateway's refund API in a function: it stands for the gateway, never for the database.
type refunderFunc func(ctx context.Context, sys gateway.System, r gateway.RefundRequest) (gateway.RefundResult, error)

func (f refunderFunc) Refund(ctx context.Context, sys gateway.System, r gateway.RefundRequest) (gateway.RefundResult, error) {
	return f(ctx, sys, r)
}

// gatewayRecorder is a gateway that makes every refund and remembers what it was asked.
type gatewayRecorder struct {
	mu   sync.Mutex
	reqs []gateway.RefundRequest
}

func (g *gatewayRecorder) Refund(_ context.Context, _ gateway.System, r gateway.RefundRequest) (gateway.RefundResult, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.reqs = append(g.reqs, r)
	return gateway.RefundResult{ID: fmt.Sprintf("re_%d", len(g.reqs)), Status: "succeeded"}, nil
}

func (g *gatewayRecorder) asked() []gateway.RefundRequest {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]gateway.RefundRequest(nil), g.reqs...)
}

// stripeSystem adds an enabled Stripe payment system and a 49.00 EUR offer sold through it.
func (f *fixture) stripeSystem() gateway.System {
	f.t.Helper()
	sys := f.system(gateway.Input{Type: gateway.TypeStripe, Name: "Cards", Mode: gateway.ModeTest, Enabled: true,
		Credentials: map[string]string{"secret_key": "sk_test_1", "webhook_secret": "whsec_1"}})
	f.offer = f.newOffer("Spanish A1 by card", 4900, "EUR", sys.ID)
	return sys
}

// openGateway opens a gateway order for the fixture's contact with its attempt referenced as ref.
func (f *fixture) openGateway(sys gateway.System, ref string) order.Attempt {
	f.t.Helper()
	att, err := f.svc.OpenGateway(f.ctx, order.NewGateway{OfferID: f.offer.ID, ContactID: f.contact.ID,
		PaymentSystemID: sys.ID, Channel: order.ChannelCheckout})
	if err != nil {
		f.t.Fatal(err)
	}
	if err := f.svc.AttachRef(f.ctx, att.Payment.ID, ref); err != nil {
		f.t.Fatal(err)
	}
	return att
}

// paidGateway is a gateway order completed by the gateway's verified notification.
func (f *fixture) paidGateway(sys gateway.System, ref string) order.Order {
	f.t.Helper()
	att := f.openGateway(sys, ref)
	out, err := f.svc.Ingest(f.ctx, sys, gateway.Event{ID: "evt_paid_" + ref, Type: "checkout.session.completed",
		Kind: gateway.EventPaid, OrderID: att.Order.ID, Ref: ref, AltRef: "pi_" + ref, Amount: att.Order.Price,
		PayerEmail: f.contact.Email}, []byte(`{}`))
	if err != nil || out.Result != order.ResultCompleted {
		f.t.Fatalf("paid: %+v, %v", out, err)
	}
	o, err := f.svc.Get(f.ctx, att.Order.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	return o
}

// refundedEvent is the gateway's notification that total has been refunded of the payment ref.
func refundedEvent(id, ref string, total int64) gateway.Event {
	return gateway.Event{ID: id, Type: "charge.refunded", Kind: gateway.EventRefunded, Ref: "pi_" + ref,
		Amount: money.New(4900, "EUR"), RefundedAmount: total}
}

func TestRefundGatewayPartialThenFull(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	sys := f.stripeSystem()
	o := f.paidGateway(sys, "cs_part")
	gw := &gatewayRecorder{}

	rec, err := f.svc.RefundGatewayVia(f.ctx, o.ID, order.GatewayRefund{Amount: 1000, Reason: "  missed a week  "}, gw)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Status != order.RefundSucceeded || rec.GatewayRef != "re_1" || rec.Amount != money.New(1000, "EUR") ||
		rec.Comment != "missed a week" || rec.Actor != "ann@school.test" {
		t.Errorf("first refund = %+v", rec)
	}
	got, _ := f.svc.Get(f.ctx, o.ID)
	if got.Status != order.StatusCompleted || got.Payments[0].Status != order.PaymentPartiallyRefunded {
		t.Fatalf("after a partial refund: order %s, payment %s", got.Status, got.Payments[0].Status)
	}
	if len(f.activeGrants()) != 2 {
		t.Error("a partial refund revoked access")
	}
	rs, err := f.svc.Refundable(f.ctx, o.ID)
	if err != nil || len(rs) != 1 || rs[0].Left != money.New(3900, "EUR") || rs[0].System.ID != sys.ID {
		t.Fatalf("refundable = %+v, %v; want 39.00 EUR left", rs, err)
	}
	if _, err := f.svc.RefundGatewayVia(f.ctx, o.ID, order.GatewayRefund{Amount: 3901}, gw); !isField(err, "amount", "39.00 EUR") {
		t.Errorf("too much = %v, want an amount error naming what is left", err)
	}

	// The gateway's notification of the first refund finds it recorded.
	out, err := f.svc.Ingest(f.ctx, sys, refundedEvent("evt_ref_1", "cs_part", 1000), []byte(`{}`))
	if err != nil || out.Result != order.ResultRefundKnown {
		t.Fatalf("charge.refunded = %+v, %v; want refund_known", out, err)
	}

	// No amount: all that is left.
	rec, err = f.svc.RefundGatewayVia(f.ctx, o.ID, order.GatewayRefund{}, gw)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Amount != money.New(3900, "EUR") {
		t.Errorf("full refund = %+v, want the 39.00 EUR left", rec)
	}
	got, _ = f.svc.Get(f.ctx, o.ID)
	if got.Status != order.StatusRefunded || got.Payments[0].Status != order.PaymentRefunded {
		t.Fatalf("after the full refund: order %s, payment %s", got.Status, got.Payments[0].Status)
	}
	if gs := f.activeGrants(); len(gs) != 0 {
		t.Errorf("%d grants still active after the full refund", len(gs))
	}
	if f.mails(o.ID, order.EmailRefunded) != 1 {
		t.Error("no refund e-mail")
	}
	asked := gw.asked()
	if len(asked) != 2 || asked[0].Ref != "cs_part" || asked[0].Amount != money.New(1000, "EUR") ||
		asked[0].Reason != "missed a week" || asked[1].Amount != money.New(3900, "EUR") {
		t.Errorf("gateway asked %+v", asked)
	}
	// Its notification of the whole refund, however late, is known too: no outside refund, nothing counted twice.
	out, err = f.svc.Ingest(f.ctx, sys, refundedEvent("evt_ref_2", "cs_part", 4900), []byte(`{}`))
	if err != nil || out.Result != order.ResultRefundKnown {
		t.Fatalf("charge.refunded = %+v, %v; want refund_known", out, err)
	}
	if n := f.count("SELECT count(*) FROM payment_exceptions"); n != 0 {
		t.Errorf("%d exceptions, want 0", n)
	}
	if n := f.count("SELECT coalesce(sum(amount), 0) FROM refunds WHERE status = 'succeeded'"); n != 4900 {
		t.Errorf("refunded %d in all, want 4900", n)
	}
	if _, err := f.svc.RefundGatewayVia(f.ctx, o.ID, order.GatewayRefund{}, gw); !isConflict(err, order.ErrNotCompleted, "already refunded") {
		t.Errorf("refund of a refunded order = %v", err)
	}
	if n := f.count("SELECT count(*) FROM order_events WHERE order_id = $1 AND kind = $2", o.ID, order.EventRefundMade); n != 2 {
		t.Errorf("%d refund lines on the order's timeline, want 2", n)
	}
}

func isField(err error, field, text string) bool {
	e, ok := check.AsErrors(err)
	return ok && strings.Contains(e[field], text)
}

func TestRefundGatewayOnceUnderRace(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	sys := f.stripeSystem()
	o := f.paidGateway(sys, "cs_race")
	entered, release := make(chan struct{}), make(chan struct{})
	var calls atomic.Int32
	slow := refunderFunc(func(context.Context, gateway.System, gateway.RefundRequest) (gateway.RefundResult, error) {
		calls.Add(1)
		close(entered)
		<-release
		return gateway.RefundResult{ID: "re_race", Status: "succeeded"}, nil
	})
	done := make(chan error, 1)
	go func() {
		_, err := f.svc.RefundGatewayVia(f.ctx, o.ID, order.GatewayRefund{}, slow)
		done <- err
	}()
	<-entered // the first refund is committed as pending and the gateway is being asked

	// A second manager asking for the full amount meanwhile is refused; the gateway is not asked again.
	if _, err := f.svc.RefundGatewayVia(f.ctx, o.ID, order.GatewayRefund{}, slow); !isConflict(err, order.ErrRefundInFlight, "49.00 EUR") {
		t.Errorf("second refund = %v, want ErrRefundInFlight", err)
	}
	// The gateway's notification arrives before its answer: the refund being made is known, not an outside refund.
	out, err := f.svc.Ingest(f.ctx, sys, refundedEvent("evt_race", "cs_race", 4900), []byte(`{}`))
	if err != nil || out.Result != order.ResultRefundKnown {
		t.Fatalf("charge.refunded while in flight = %+v, %v; want refund_known", out, err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 1 {
		t.Errorf("the gateway was asked %d times, want once", calls.Load())
	}
	checks := []struct {
		name, query string
		want        int
	}{
		{"OneRefund", "SELECT count(*) FROM refunds", 1},
		{"Succeeded", "SELECT count(*) FROM refunds WHERE status = 'succeeded' AND gateway_ref = 're_race'", 1},
		{"NoExceptions", "SELECT count(*) FROM payment_exceptions", 0},
		{"Refunded", "SELECT count(*) FROM orders WHERE status = 'refunded'", 1},
		{"OneRefundEmail", "SELECT count(*) FROM test_mails WHERE kind = 'refunded'", 1},
	}
	for _, c := range checks {
		if n := f.count(c.query); n != c.want {
			t.Errorf("%s: %d, want %d", c.name, n, c.want)
		}
	}
}

func TestRefundGatewayFails(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	sys := f.stripeSystem()
	o := f.paidGateway(sys, "cs_fail")
	tests := []struct {
		name       string
		err        error
		status     string
		wantReason string
	}{
		{"Unavailable", fmt.Errorf("stripe: refund: HTTP 500: %w", gateway.ErrUnavailable), "", "could not be reached"},
		{"Refused", errors.New("stripe: refund: charge already refunded (HTTP 400)"), "", "refused the refund"},
		{"Unsupported", fmt.Errorf("no refund API: %w", gateway.ErrUnsupported), "", "cannot refund through its API"},
		{"AnsweredFailed", nil, "failed", "refused the refund"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gw := refunderFunc(func(context.Context, gateway.System, gateway.RefundRequest) (gateway.RefundResult, error) {
				return gateway.RefundResult{ID: "re_x", Status: tt.status}, tt.err
			})
			_, err := f.svc.RefundGatewayVia(f.ctx, o.ID, order.GatewayRefund{Amount: 2000}, gw)
			var fail *order.RefundFailedError
			if !errors.As(err, &fail) || !strings.Contains(fail.Reason(), tt.wantReason) || fail.Amount != money.New(2000, "EUR") {
				t.Fatalf("RefundGateway = %v, want a RefundFailedError saying %q", err, tt.wantReason)
			}
			if tt.err != nil && !errors.Is(err, tt.err) {
				t.Errorf("the provider's error is not wrapped: %v", err)
			}
		})
	}
	got, _ := f.svc.Get(f.ctx, o.ID)
	if got.Status != order.StatusCompleted || got.Payments[0].Status != order.PaymentSucceeded || len(f.activeGrants()) != 2 {
		t.Fatalf("after failed refunds: order %s, payment %s", got.Status, got.Payments[0].Status)
	}
	if n := f.count("SELECT count(*) FROM refunds WHERE status = 'failed' AND failure <> ''"); n != len(tests) {
		t.Errorf("%d failed refunds recorded, want %d", n, len(tests))
	}
	// Failed refunds hold no money: 20.00 refunded in the gateway's dashboard is a refund Bursar did not make…
	out, err := f.svc.Ingest(f.ctx, sys, refundedEvent("evt_outside", "cs_fail", 2000), []byte(`{}`))
	if err != nil || out.Result != order.ResultPartRefunded+"+exception:"+string(order.ExOutsideRefund) {
		t.Fatalf("outside refund after failed ones = %+v, %v", out, err)
	}
	// …and all the rest can still be refunded.
	rec, err := f.svc.RefundGatewayVia(f.ctx, o.ID, order.GatewayRefund{}, &gatewayRecorder{})
	if err != nil || rec.Amount != money.New(2900, "EUR") {
		t.Fatalf("refund after failures = %+v, %v; want the 29.00 EUR left", rec, err)
	}
	if got, _ := f.svc.Get(f.ctx, o.ID); got.Status != order.StatusRefunded || len(f.activeGrants()) != 0 {
		t.Errorf("order %s with %d active grants after all was refunded", got.Status, len(f.activeGrants()))
	}
	rs, err := f.svc.RefundsOf(f.ctx, o.ID)
	if err != nil || len(rs) != len(tests)+2 || rs[0].Status != order.RefundFailed || rs[len(rs)-1].Status != order.RefundSucceeded {
		t.Errorf("refunds = %+v, %v", rs, err)
	}
	if n := f.count("SELECT count(*) FROM order_events WHERE order_id = $1 AND kind = $2", o.ID, order.EventRefundFailed); n != len(tests) {
		t.Errorf("%d failed-refund lines on the timeline, want %d", n, len(tests))
	}
}

func TestRefundGatewayRefuses(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	sys := f.stripeSystem()
	paid := f.paidGateway(sys, "cs_refuse")
	open := f.newContact("open@example.com")
	f.contact = open
	pending := f.openGateway(sys, "cs_open")
	manual := func() order.Order {
		f.offer = f.newOffer("Manual", 4900, "EUR", f.manual.ID)
		f.contact = f.newContact("manual@example.com")
		o := f.open()
		if _, err := f.svc.Approve(f.ctx, o.ID, order.Adjustment{}); err != nil {
			t.Fatal(err)
		}
		return o
	}()
	gw := &gatewayRecorder{}
	tests := []struct {
		name  string
		id    int64
		req   order.GatewayRefund
		check func(error) bool
	}{
		{"Open", pending.Order.ID, order.GatewayRefund{}, func(err error) bool { return errors.Is(err, order.ErrNotCompleted) }},
		{"Manual", manual.ID, order.GatewayRefund{}, func(err error) bool { return errors.Is(err, check.ErrConflict) }},
		{"Negative", paid.ID, order.GatewayRefund{Amount: -1}, func(err error) bool { return isField(err, "amount", "greater than zero") }},
		{"AnotherOrdersPayment", paid.ID, order.GatewayRefund{PaymentID: pending.Payment.ID},
			func(err error) bool { return isField(err, "payment_id", "not a payment of this order") }},
		{"LongReason", paid.ID, order.GatewayRefund{Reason: strings.Repeat("x", order.MaxComment+1)},
			func(err error) bool { return isField(err, "reason", "at most") }},
		{"NoOrder", 999999, order.GatewayRefund{}, func(err error) bool { return errors.Is(err, check.ErrNotFound) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := f.svc.RefundGatewayVia(f.ctx, tt.id, tt.req, gw); !tt.check(err) {
				t.Errorf("RefundGateway = %v", err)
			}
		})
	}
	if len(gw.asked()) != 0 || f.count("SELECT count(*) FROM refunds") != 0 {
		t.Error("a refused refund reached the gateway or was written")
	}
}
