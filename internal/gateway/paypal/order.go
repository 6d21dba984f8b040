package paypal

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/bursar/bursar/internal/gateway"
)

// PayPal error issues Bursar acts on.
const (
	issueAlreadyCaptured    = "ORDER_ALREADY_CAPTURED"
	issueInstrumentDeclined = "INSTRUMENT_DECLINED"
	nameNotFound            = "RESOURCE_NOT_FOUND"
)

// order is GET /v2/checkout/orders/{id}.
func (c *call) order(id string) (orderJSON, error) {
	if !validID(id) {
		return orderJSON{}, fmt.Errorf("paypal: order id %q", id)
	}
	var o orderJSON
	if err := c.do("order "+id, http.MethodGet, "/v2/checkout/orders/"+id, nil, nil, &o); err != nil {
		return orderJSON{}, err
	}
	if o.ID != id {
		return orderJSON{}, fmt.Errorf("paypal: asked for order %s, got %q", id, o.ID)
	}
	return o, nil
}

// captureByID is GET /v2/payments/captures/{id}.
func (c *call) captureByID(id string) (captureJSON, error) {
	if !validID(id) {
		return captureJSON{}, fmt.Errorf("paypal: capture id %q", id)
	}
	var cp captureJSON
	if err := c.do("capture "+id, http.MethodGet, "/v2/payments/captures/"+id, nil, nil, &cp); err != nil {
		return captureJSON{}, err
	}
	if cp.ID != id {
		return captureJSON{}, fmt.Errorf("paypal: asked for capture %s, got %q", id, cp.ID)
	}
	return cp, nil
}

// resolve finds the order ref names: ref is an order id, or else a capture id (whose order is read). captureID is
// ref when it named a capture.
func (c *call) resolve(ref string) (o orderJSON, captureID string, err error) {
	o, err = c.order(ref)
	if name, _ := issueOf(err); name != nameNotFound {
		return o, "", err
	}
	cp, cerr := c.captureByID(ref)
	if name, _ := issueOf(cerr); name == nameNotFound {
		return orderJSON{}, "", fmt.Errorf("paypal: %s is neither an order nor a capture: %w", ref, err)
	}
	if cerr != nil {
		return orderJSON{}, "", cerr
	}
	if o, err = c.order(cp.orderID()); err != nil {
		return orderJSON{}, "", err
	}
	return o, ref, nil
}

// captureKey is the PayPal-Request-Id of capturing order id: the same for every process and every attempt, so
// PayPal captures the order once and answers repeats with the first capture.
func captureKey(id string) string { return "bursar-capture-" + id }

// captureOrder captures the approved order id (POST /v2/checkout/orders/{id}/capture) and returns the order as
// PayPal reports it afterwards. An order captured already (ORDER_ALREADY_CAPTURED, or a concurrent capture PayPal
// refuses with 409) is success: the order is read instead. declined is true when PayPal refused the payer's funding
// source (INSTRUMENT_DECLINED): the order stays approved and unpaid.
func (c *call) captureOrder(id string) (o orderJSON, declined bool, err error) {
	if !validID(id) {
		return orderJSON{}, false, fmt.Errorf("paypal: order id %q", id)
	}
	err = c.do("capture order "+id, http.MethodPost, "/v2/checkout/orders/"+id+"/capture", []byte("{}"),
		map[string]string{"PayPal-Request-Id": captureKey(id), "Prefer": "return=representation"}, &o)
	var ae *apiError
	switch {
	case err == nil:
		if o.ID != id {
			return orderJSON{}, false, fmt.Errorf("paypal: captured order %s, got %q", id, o.ID)
		}
		return o, false, nil
	case errors.As(err, &ae) && (ae.issue == issueAlreadyCaptured || ae.status == http.StatusConflict):
		o, err = c.order(id)
		return o, false, err
	case errors.As(err, &ae) && ae.issue == issueInstrumentDeclined:
		o, err = c.order(id)
		return o, true, err
	}
	return orderJSON{}, false, err
}

// orderEvent reports order o (without an event id): Bursar's order from custom_id, Ref the PayPal order, AltRef
// its capture, the captured amount (the ordered amount before a capture), the payer's e-mail and what o's state
// means. declined says the last capture attempt was refused.
func orderEvent(o orderJSON, declined bool) (gateway.Event, error) {
	e := gateway.Event{Ref: o.ID, PayerEmail: o.payerEmail(), Kind: gateway.EventPending}
	u := o.unit()
	if u == nil {
		return gateway.Event{}, fmt.Errorf("paypal: order %s has no purchase unit", o.ID)
	}
	e.OrderID = bursarOrderID(u.CustomID)
	amt := u.Amount
	cp := u.capture("")
	if cp != nil {
		e.AltRef = cp.ID
		if cp.Amount != nil {
			amt = cp.Amount
		}
		if e.OrderID == 0 {
			e.OrderID = bursarOrderID(cp.CustomID)
		}
	}
	if amt != nil {
		m, err := amount(*amt)
		if err != nil {
			return gateway.Event{}, fmt.Errorf("order %s: %w", o.ID, err)
		}
		e.Amount = m
	}
	switch {
	case declined || o.Status == orderVoided:
		e.Kind = gateway.EventFailed
	case o.Status == orderCompleted && cp != nil:
		e.Kind = captureKind(cp.Status)
	}
	if e.Kind == gateway.EventRefunded {
		total, err := u.refunded(cp.ID, e.Amount.Currency, refundCompleted)
		if err != nil {
			return gateway.Event{}, fmt.Errorf("paypal: order %s: %w", o.ID, err)
		}
		if cp.Status == captureRefunded {
			total = max(total, e.Amount.Amount)
		}
		e.RefundedAmount = total
	}
	return e, nil
}

// captureKind is what a capture's status means; an unknown one is pending (asked again later).
func captureKind(status string) gateway.EventKind {
	switch status {
	case captureCompleted:
		return gateway.EventPaid
	case captureDeclined, captureFailed:
		return gateway.EventFailed
	case captureRefunded, capturePartiallyRefunded:
		return gateway.EventRefunded
	}
	return gateway.EventPending
}

// orderType is a status re-check's Event.Type: "order:<status>", with "/<capture status>" once captured and
// "/INSTRUMENT_DECLINED" when the capture was refused.
func orderType(o orderJSON, declined bool) string {
	t := "order:" + o.Status
	if declined {
		return t + "/" + issueInstrumentDeclined
	}
	if cp := o.unit().capture(""); cp != nil {
		t += "/" + cp.Status
	}
	return t
}
