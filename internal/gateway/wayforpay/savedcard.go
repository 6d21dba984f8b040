package wayforpay

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/money"
)

var _ gateway.CardCharger = (*Provider)(nil)

// maxClientName bounds the client names a CHARGE sends.
const maxClientName = 50

// BeginSaving returns the Purchase form of a subscription's first charge: Begin's form with orderReference c.Ref
// (gateway.NewChargeRef's, so its notification is reported as a charge), the product c.Title (else "Subscription
// <number>"), and paymentSystems=card.
//
// WayForPay needs no parameter to save the card: a payment with the card's details typed on its page is given a
// token, sent back as recToken in the serviceUrl notification (https://wiki.wayforpay.com/en/view/852175). The page
// is limited to card entry because a wallet or bank payment (Google Pay, Apple Pay, Privat24) brings no card
// details to tokenize. Nothing is sent to WayForPay until the payer's browser posts the form.
func (p *Provider) BeginSaving(_ context.Context, acct gateway.Account, c gateway.CardCheckout) (gateway.Redirect, error) {
	sub := gateway.ChargeRefSubscription(c.Ref)
	if sub <= 0 || (c.SubscriptionID != 0 && sub != c.SubscriptionID) {
		return gateway.Redirect{}, fmt.Errorf("wayforpay: begin saving %.40q: not a charge reference of "+
			"subscription %d", c.Ref, c.SubscriptionID)
	}
	if c.Amount.Amount <= 0 || !money.Known(c.Amount.Currency) {
		return gateway.Redirect{}, fmt.Errorf("wayforpay: begin saving %s: a positive amount and a known "+
			"currency are required", c.Ref)
	}
	m, err := merchantOf(acct)
	if err != nil {
		return gateway.Redirect{}, err
	}
	if m.domain == "" {
		return gateway.Redirect{}, fmt.Errorf("wayforpay: payment system %d has no %s", acct.System.ID,
			SettingMerchantDomain)
	}
	name := strings.TrimSpace(c.Title)
	if name == "" {
		name = "Subscription " + c.Number
	}
	return p.purchase(acct, m, purchase{ref: c.Ref, amount: c.Amount, name: name, language: c.Language,
		email: c.Email, returnURL: c.SuccessURL, serviceURL: c.NotifyURL,
		extra: [][2]string{{"paymentSystems", "card"}}}), nil
}

// chargeRequest is the CHARGE call. Amounts are json.Number so the JSON carries exactly the signed text.
type chargeRequest struct {
	TransactionType               string        `json:"transactionType"`
	MerchantAccount               string        `json:"merchantAccount"`
	MerchantAuthType              string        `json:"merchantAuthType"`
	MerchantDomainName            string        `json:"merchantDomainName"`
	MerchantTransactionType       string        `json:"merchantTransactionType"`
	MerchantTransactionSecureType string        `json:"merchantTransactionSecureType"`
	MerchantSignature             string        `json:"merchantSignature"`
	APIVersion                    int           `json:"apiVersion"`
	ServiceURL                    string        `json:"serviceUrl,omitempty"`
	OrderReference                string        `json:"orderReference"`
	OrderDate                     json.Number   `json:"orderDate"`
	Amount                        json.Number   `json:"amount"`
	Currency                      string        `json:"currency"`
	RecToken                      string        `json:"recToken"`
	ProductName                   []string      `json:"productName"`
	ProductPrice                  []json.Number `json:"productPrice"`
	ProductCount                  []json.Number `json:"productCount"`
	ClientFirstName               string        `json:"clientFirstName"`
	ClientLastName                string        `json:"clientLastName"`
	ClientEmail                   string        `json:"clientEmail,omitempty"`
}

// ChargeCard charges saved card c.Token (a recToken) with the host-to-host CHARGE call
// (https://wiki.wayforpay.com/en/view/852194): a SALE without 3-D Secure (NON3DS: the payer is not there) under
// orderReference c.Ref, one product (c.Title, else "Subscription", at the whole amount), signed like a Purchase.
// WayForPay's SDK requires the client's names with a CHARGE; Bursar knows only the e-mail, so they are made of its
// local part (clientNames). serviceUrl is c.NotifyURL: WayForPay also posts the charge's notification there.
//
// The answer must be signed like a notification, be this merchant's and name c.Ref; it is reported as Verify
// reports a notification (chargeEvent) with an empty ID: Approved an EventCharge paid, Declined or Expired an
// EventCharge not paid, InProcessing, Pending or WaitingAuthComplete an EventPending. Whether the card was charged
// is unknown after a network error, a timeout, a 5xx or 429, or an answer that is unreadable, unauthentic, about
// another order or in another status (Created, Refunded…): those wrap gateway.ErrUnavailable, and the caller asks Status(c.Ref) later.
// A 4xx, or an answer with a reasonCode and no transactionStatus (a bad signature, a missing parameter, a
// duplicate orderReference: WayForPay refused the request itself), is a plain error with WayForPay's reason.
func (p *Provider) ChargeCard(ctx context.Context, acct gateway.Account, c gateway.CardCharge) (gateway.Event, error) {
	sub := gateway.ChargeRefSubscription(c.Ref)
	if sub <= 0 || (c.SubscriptionID != 0 && sub != c.SubscriptionID) {
		return gateway.Event{}, fmt.Errorf("wayforpay: charge %.40q: not a charge reference of subscription %d",
			c.Ref, c.SubscriptionID)
	}
	if strings.TrimSpace(c.Token) == "" || c.Amount.Amount <= 0 || !money.Known(c.Amount.Currency) {
		return gateway.Event{}, fmt.Errorf("wayforpay: charge %s: a card token, a positive amount and a known "+
			"currency are required", c.Ref)
	}
	m, err := merchantOf(acct)
	if err != nil {
		return gateway.Event{}, err
	}
	if m.domain == "" {
		return gateway.Event{}, fmt.Errorf("wayforpay: payment system %d has no %s", acct.System.ID,
			SettingMerchantDomain)
	}
	date := strconv.FormatInt(p.now().Unix(), 10)
	amount := formatAmount(c.Amount)
	name := strings.TrimSpace(c.Title)
	if name == "" {
		name = "Subscription"
	}
	first, last := clientNames(c.Email, sub)
	req := chargeRequest{TransactionType: "CHARGE", MerchantAccount: m.account, MerchantAuthType: "SimpleSignature",
		MerchantDomainName: m.domain, MerchantTransactionType: "SALE", MerchantTransactionSecureType: "NON3DS",
		MerchantSignature: purchaseSignature(m.secret, m.account, m.domain, c.Ref, date, amount, c.Amount.Currency,
			[]product{{name: name, count: "1", price: amount}}),
		APIVersion: apiVersion, ServiceURL: c.NotifyURL, OrderReference: c.Ref, OrderDate: json.Number(date),
		Amount: json.Number(amount), Currency: c.Amount.Currency, RecToken: strings.TrimSpace(c.Token),
		ProductName: []string{name}, ProductPrice: []json.Number{json.Number(amount)},
		ProductCount: []json.Number{"1"}, ClientFirstName: first, ClientLastName: last, ClientEmail: c.Email}
	op := "charge " + c.Ref
	status, raw, err := p.post(ctx, acct, op, req)
	if err != nil {
		return gateway.Event{}, err
	}
	if status != http.StatusOK {
		return gateway.Event{}, httpRefused(op, status, raw)
	}
	o, err := decodeObject(raw)
	if err != nil {
		return gateway.Event{}, fmt.Errorf("wayforpay: %s: answer: %v: %w", op, err, gateway.ErrUnavailable)
	}
	txStatus, err := o.text("transactionStatus")
	if err != nil {
		return gateway.Event{}, fmt.Errorf("wayforpay: %s: answer: %v: %w", op, err, gateway.ErrUnavailable)
	}
	if txStatus == "" {
		if code, _ := o.text("reasonCode"); code != "" {
			return gateway.Event{}, refused(op, o)
		}
		return gateway.Event{}, fmt.Errorf("wayforpay: %s: answer without transactionStatus or reasonCode: %w", op,
			gateway.ErrUnavailable)
	}
	if err := authentic(o, m.secret, m.account); err != nil {
		return gateway.Event{}, fmt.Errorf("wayforpay: %s answer: %v: %w", op, err, gateway.ErrUnavailable)
	}
	if got, _ := o.text("orderReference"); got != c.Ref {
		return gateway.Event{}, fmt.Errorf("wayforpay: %s: the answer is about %q: %w", op, truncate(got, 100),
			gateway.ErrUnavailable)
	}
	ev, err := eventOf(o, p.now())
	if err != nil {
		return gateway.Event{}, fmt.Errorf("%w: %w", err, gateway.ErrUnavailable)
	}
	ev.ID = ""
	switch ev.Kind {
	case gateway.EventCharge, gateway.EventPending:
		return ev, nil
	}
	code, _ := o.text("reasonCode")
	return gateway.Event{}, fmt.Errorf("wayforpay: %s: unexpected transactionStatus %q (reasonCode %s): %w", op,
		truncate(txStatus, 40), truncate(code, 12), gateway.ErrUnavailable)
}

// clientNames are the client's first and last names a CHARGE sends, made of the e-mail's local part: "jane.doe@…"
// is jane doe, "jane@…" is jane jane; without an e-mail, Subscriber and the subscription's id.
func clientNames(email string, sub int64) (string, string) {
	local, _, _ := strings.Cut(strings.TrimSpace(email), "@")
	parts := strings.FieldsFunc(local, func(r rune) bool { return strings.ContainsRune("._-+", r) })
	switch len(parts) {
	case 0:
		return "Subscriber", strconv.FormatInt(sub, 10)
	case 1:
		return truncate(parts[0], maxClientName), truncate(parts[0], maxClientName)
	}
	return truncate(parts[0], maxClientName), truncate(strings.Join(parts[1:], " "), maxClientName)
}
