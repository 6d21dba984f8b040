package paylink_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"

	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/order"
	"github.com/bursar/bursar/internal/paylink"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func gatewayStripe(name string) gateway.Input {
	return gateway.Input{Type: gateway.TypeStripe, Name: name, Mode: gateway.ModeTest, Enabled: true,
		Credentials: map[string]string{"secret_key": "sk_test_2", "webhook_secret": "whsec_2"}, Settings: currencies}
}

var currencies = map[string]any{"supported_currencies": []any{"EUR", "USD"}}

// together runs a and b at the same moment (both released by one channel close) and waits for both.
func together(a, b func()) {
	start := make(chan struct{})
	var wg sync.WaitGroup
	for _, fn := range []func(){a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			fn()
		}()
	}
	close(start)
	wg.Wait()
}

// TestCancelRacesPaidWebhook sends the operator's cancel and the gateway's paid notification at the same moment,
// 50 times: each time exactly one wins — the link paid (the order completed, the cancel refused) or the link
// cancelled (the order cancelled, the payment a late_payment exception) — never both, never neither.
func TestCancelRacesPaidWebhook(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var paidWins, cancelWins int
	for i := range 50 {
		f.contact = f.newContact(fmt.Sprintf("racer%d@example.com", i))
		l := f.link()
		b := f.begin(l)
		var (
			cancelErr, paidErr error
			out                order.Outcome
		)
		together(func() { _, cancelErr = f.links.Cancel(f.ctx, l.ID, "changed my mind") },
			func() { out, paidErr = f.paid(b, fmt.Sprintf("evt_race_%d", i)) })
		if paidErr != nil {
			t.Fatalf("round %d: paid notification: %v", i, paidErr)
		}
		got := f.get(l.ID)
		exceptions := f.count(`SELECT count(*) FROM payment_exceptions WHERE order_id = $1 AND kind = 'late_payment'`,
			b.Order.ID)
		status := f.orderStatus(b.Order.ID)
		switch {
		case got.Status == paylink.StatusPaid && status == order.StatusCompleted && exceptions == 0 &&
			errors.Is(cancelErr, paylink.ErrNotActive) && out.Result == order.ResultCompleted:
			paidWins++
		case got.Status == paylink.StatusCancelled && status == order.StatusCancelled && exceptions == 1 &&
			cancelErr == nil && out.Result == "exception:"+string(order.ExLatePayment):
			cancelWins++
		default:
			t.Fatalf("round %d: link %s, order %s, %d exceptions, cancel %v, notification %q: not exactly one outcome",
				i, got.Status, status, exceptions, cancelErr, out.Result)
		}
	}
	t.Logf("paid won %d times, cancel won %d times", paidWins, cancelWins)
}

// TestDeclineRacesPayment: the payer's decline and the payment at once, 20 times: paid or declined with an
// exception, never both.
func TestDeclineRacesPayment(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for i := range 20 {
		f.contact = f.newContact(fmt.Sprintf("decliner%d@example.com", i))
		l := f.link()
		b := f.begin(l)
		var declineErr error
		var out order.Outcome
		together(func() { _, declineErr = f.links.Decline(context.Background(), l.Token, "too expensive") },
			func() { out, _ = f.paid(b, fmt.Sprintf("evt_decline_%d", i)) })
		got := f.get(l.ID)
		paid := got.Status == paylink.StatusPaid && out.Result == order.ResultCompleted &&
			errors.Is(declineErr, paylink.ErrNotActive)
		declined := got.Status == paylink.StatusDeclined && declineErr == nil &&
			out.Result == "exception:"+string(order.ExLatePayment)
		if paid == declined {
			t.Fatalf("round %d: link %s, decline %v, notification %q", i, got.Status, declineErr, out.Result)
		}
	}
}

// TestTwoTabsBeginAtOnce: two tabs press "Pay now" at the same moment: one order, both attempts on it.
func TestTwoTabsBeginAtOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for i := range 10 {
		f.contact = f.newContact(fmt.Sprintf("tabs%d@example.com", i))
		l := f.link()
		var b1, b2 paylink.Begun
		var e1, e2 error
		pay := paylink.Payment{PaymentSystemID: f.cards.ID, Checkout: checkout}
		together(func() { b1, e1 = f.links.Begin(context.Background(), l.Token, pay) },
			func() { b2, e2 = f.links.Begin(context.Background(), l.Token, pay) })
		if e1 != nil || e2 != nil || b1.Order.ID != b2.Order.ID {
			t.Fatalf("round %d: %v, %v, orders %d and %d", i, e1, e2, b1.Order.ID, b2.Order.ID)
		}
	}
}

// TestCancelRacesBegin: the operator cancels while the payer presses "Pay now": the link ends cancelled and no
// order of it is left open (a payment that still arrives is an exception).
func TestCancelRacesBegin(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for i := range 20 {
		f.contact = f.newContact(fmt.Sprintf("begin%d@example.com", i))
		l := f.link()
		var cancelErr error
		together(func() { _, cancelErr = f.links.Cancel(f.ctx, l.ID, "") },
			func() {
				_, _ = f.links.Begin(context.Background(), l.Token, paylink.Payment{PaymentSystemID: f.cards.ID,
					Checkout: checkout})
			})
		if cancelErr != nil {
			t.Fatalf("round %d: cancel: %v", i, cancelErr)
		}
		if got := f.get(l.ID); got.Status != paylink.StatusCancelled {
			t.Fatalf("round %d: link %s", i, got.Status)
		}
		if n := f.count(`SELECT count(*) FROM orders WHERE contact_id = $1 AND status = 'open'`, f.contact.ID); n != 0 {
			t.Fatalf("round %d: %d open orders left by a cancelled link", i, n)
		}
	}
}
