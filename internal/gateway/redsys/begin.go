package redsys

import (
	"context"
	"crypto/rand"
	"fmt"
	"strconv"
	"strings"

	"github.com/bursar/bursar/internal/gateway"
)

// Transaction types Bursar sends or reads (Ds_TransactionType).
const (
	TransactionPayment      = "0" // authorization: the payer pays now
	TransactionRefund       = "3" // devolución: money returned, in full or in part
	TransactionCancellation = "9" // anulación of a pre-authorization
)

// Redsys' limits on the parameters Bursar fills with free text.
const (
	maxDescription = 125
	maxURL         = 250
)

// Begin returns the form that sends the payer to Redsys' payment page for c. DS_MERCHANT_ORDER is a new order
// number per attempt (the order id's last four digits, then eight random letters and digits), returned as
// Redirect.Ref; DS_MERCHANT_MERCHANTDATA carries the order id, and the notification echoes both.
//
// Begin makes no request: an unknown currency, a missing setting or a bad merchant key is an error here, before
// the payer leaves.
func (p *Provider) Begin(_ context.Context, acct gateway.Account, c gateway.Checkout) (gateway.Redirect, error) {
	if c.OrderID <= 0 || c.Amount.Amount <= 0 || c.SuccessURL == "" || c.CancelURL == "" || c.NotifyURL == "" {
		return gateway.Redirect{}, fmt.Errorf("redsys: begin order %d: order id, a positive amount and the return "+
			"and notification URLs are required", c.OrderID)
	}
	cur := numericCurrency(c.Amount.Currency)
	if cur == "" {
		return gateway.Redirect{}, fmt.Errorf("redsys: begin order %d: currency %q is not one Bursar can send to "+
			"Redsys", c.OrderID, c.Amount.Currency)
	}
	for _, u := range []string{c.SuccessURL, c.CancelURL, c.NotifyURL} {
		if len(u) > maxURL {
			return gateway.Redirect{}, fmt.Errorf("redsys: begin order %d: URL longer than Redsys' %d characters: %s",
				c.OrderID, maxURL, u)
		}
	}
	m, err := merchantOf(acct)
	if err != nil {
		return gateway.Redirect{}, err
	}
	order := orderNumber(c.OrderID)
	ps := []param{
		{"DS_MERCHANT_AMOUNT", strconv.FormatInt(c.Amount.Amount, 10)},
		{"DS_MERCHANT_ORDER", order},
		{"DS_MERCHANT_MERCHANTCODE", m.code},
		{"DS_MERCHANT_CURRENCY", cur},
		{"DS_MERCHANT_TRANSACTIONTYPE", TransactionPayment},
		{"DS_MERCHANT_TERMINAL", m.terminal},
		{"DS_MERCHANT_MERCHANTURL", c.NotifyURL},
		{"DS_MERCHANT_URLOK", c.SuccessURL},
		{"DS_MERCHANT_URLKO", c.CancelURL},
		{"DS_MERCHANT_MERCHANTDATA", strconv.FormatInt(c.OrderID, 10)},
		{"DS_MERCHANT_PRODUCTDESCRIPTION", description(c)},
	}
	if lang := language(c.Language); lang != "" {
		ps = append(ps, param{"DS_MERCHANT_CONSUMERLANGUAGE", lang})
	}
	params := encodeParams(ps)
	sig, err := sign(m.key, order, params)
	if err != nil {
		return gateway.Redirect{}, fmt.Errorf("redsys: begin order %d: %w", c.OrderID, err)
	}
	return gateway.Redirect{Ref: order, Form: &gateway.Form{
		Action: baseURL(acct) + PaymentPath,
		Fields: [][2]string{
			{FieldSignatureVersion, SignatureVersion},
			{FieldMerchantParameters, params},
			{FieldSignature, sig},
		},
	}}, nil
}

// orderNumber is a new Redsys order number for order id: 12 characters, the id's last four digits (Redsys wants
// four digits first) and eight random characters from crypto/rand (40 bits: attempts never repeat one).
func orderNumber(id int64) string {
	return fmt.Sprintf("%04d", id%10000) + rand.Text()[:8]
}

// description is what the payment page shows as the product: the title, else the order number, cut to Redsys'
// limit.
func description(c gateway.Checkout) string {
	d := strings.Join(strings.Fields(c.Title), " ")
	if d == "" {
		d = "Order " + c.OrderNumber
	}
	if r := []rune(d); len(r) > maxDescription {
		d = strings.TrimSpace(string(r[:maxDescription]))
	}
	return d
}
