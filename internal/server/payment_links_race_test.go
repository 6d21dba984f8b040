package server

import (
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/bursar/bursar/internal/crm"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/gateway/stripemock"
	"github.com/bursar/bursar/internal/order"
	"github.com/bursar/bursar/internal/paylink"
)

// TestPaymentLinkCancelRacesPaidWebhook is issue 13's check over real HTTP: the operator's cancel
// (POST /api/v1/payment-links/{id}/cancel) and Stripe's signed paid notification (POST /webhooks/{id}) sent at the
// same moment, 50 times, each on a link whose payment was started through Stripe's API (stripe-mock). Each time
// exactly one outcome: the link paid (the order completed, the cancel 409), or the link cancelled (the order
// cancelled, the payment a late_payment exception); the webhook is answered 200 either way.
func TestPaymentLinkCancelRacesPaidWebhook(t *testing.T) {
	t.Parallel()
	a := newGatewayApp(t, stripemock.Start(t))
	f := newStripeFixture(t, a)
	key := a.apiKey()
	var paid, cancelled int
	for i := range 50 {
		c, err := a.srv.contacts.Create(a.ctx(), crm.Input{Email: fmt.Sprintf("race%d@example.com", i)})
		if err != nil {
			t.Fatal(err)
		}
		l, err := a.srv.links.Create(a.ctx(), paylink.Input{ContactID: c.ID, OfferID: f.offer.ID})
		if err != nil {
			t.Fatal(err)
		}
		b, err := a.srv.links.Begin(a.ctx(), l.Token, paylink.Payment{PaymentSystemID: f.sys.ID,
			Checkout: func(att order.Attempt) gateway.Checkout {
				return gateway.Checkout{OrderID: att.Order.ID, OrderNumber: att.Order.Number, Amount: att.Order.Price,
					Title: att.Order.OfferTitle, SuccessURL: a.ts.URL + "/ok", CancelURL: a.ts.URL + "/no",
					NotifyURL: a.ts.URL + "/webhooks/" + itoa(f.sys.ID)}
			}})
		if err != nil {
			t.Fatal(err)
		}
		ref := fmt.Sprintf("cs_link_race_%d", i) // the session the payer paid (stripe-mock answers one id for all)
		body := paidEvent(fmt.Sprintf("evt_link_race_%d", i), order.Attempt{Order: b.Order}, ref)
		var (
			wg          sync.WaitGroup
			start       = make(chan struct{})
			cancelRes   *http.Response
			webhookCode int
		)
		wg.Add(2)
		go func() {
			defer wg.Done()
			<-start
			cancelRes, _ = a.api(key, "POST", "/api/v1/payment-links/"+itoa(l.ID)+"/cancel", nil, nil)
		}()
		go func() {
			defer wg.Done()
			<-start
			webhookCode = a.deliverSigned(f.sys.ID, body)
		}()
		close(start)
		wg.Wait()
		if webhookCode != http.StatusOK {
			t.Fatalf("round %d: webhook answered %d", i, webhookCode)
		}
		got, err := a.srv.links.Get(a.ctx(), l.ID)
		if err != nil {
			t.Fatal(err)
		}
		exceptions := countRows(t, a, "SELECT count(*) FROM payment_exceptions WHERE order_id = $1 AND kind = 'late_payment'",
			b.Order.ID)
		status := a.orderStatus(b.Order.ID)
		switch {
		case got.Status == paylink.StatusPaid && status == order.StatusCompleted && exceptions == 0 &&
			cancelRes.StatusCode == http.StatusConflict:
			paid++
		case got.Status == paylink.StatusCancelled && status == order.StatusCancelled && exceptions == 1 &&
			cancelRes.StatusCode == http.StatusOK:
			cancelled++
		default:
			t.Fatalf("round %d: link %s, order %s, %d late payments, cancel %d: not exactly one outcome", i,
				got.Status, status, exceptions, cancelRes.StatusCode)
		}
	}
	t.Logf("paid won %d times, the cancel %d times", paid, cancelled)
}
