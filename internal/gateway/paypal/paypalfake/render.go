package paypalfake

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// link is a HATEOAS link.
type link struct {
	Href   string `json:"href"`
	Rel    string `json:"rel"`
	Method string `json:"method"`
}

func (s *Server) orderLinks(o *order) []link {
	self := s.URL + "/v2/checkout/orders/" + o.id
	links := []link{{Href: self, Rel: "self", Method: "GET"}}
	switch o.status {
	case "CREATED":
		links = append(links, link{Href: "https://www.sandbox.paypal.com/checkoutnow?token=" + o.id, Rel: "approve", Method: "GET"},
			link{Href: self, Rel: "update", Method: "PATCH"}, link{Href: self + "/capture", Rel: "capture", Method: "POST"})
	case "APPROVED":
		links = append(links, link{Href: self, Rel: "update", Method: "PATCH"}, link{Href: self + "/capture", Rel: "capture", Method: "POST"})
	}
	return links
}

// orderJSON is o's full representation. s.mu must be held.
func (s *Server) orderJSON(o *order) map[string]any {
	unit := map[string]any{"reference_id": o.unit.ReferenceID, "amount": o.unit.Amount, "payee": o.unit.Payee}
	for k, v := range map[string]string{"description": o.unit.Description, "custom_id": o.unit.CustomID,
		"invoice_id": o.unit.InvoiceID} {
		if v != "" {
			unit[k] = v
		}
	}
	if len(o.unit.Items) > 0 {
		unit["items"] = o.unit.Items
	}
	if len(o.captures) > 0 {
		var caps, refs []any
		for _, c := range o.captures {
			caps = append(caps, s.captureJSON(c))
			for _, rf := range c.refunds {
				refs = append(refs, s.refundJSON(rf))
			}
		}
		payments := map[string]any{"captures": caps}
		if len(refs) > 0 {
			payments["refunds"] = refs
		}
		unit["payments"] = payments
	}
	out := map[string]any{"id": o.id, "intent": o.intent, "status": o.status, "purchase_units": []any{unit},
		"create_time": o.created.Format(time.RFC3339), "links": s.orderLinks(o)}
	if o.status != "CREATED" {
		out["update_time"] = o.updated.Format(time.RFC3339)
	}
	if o.payer != nil {
		p := map[string]any{"name": map[string]string{"given_name": "John", "surname": "Doe"},
			"payer_id": o.payer.id, "address": map[string]string{"country_code": "ES"}}
		src := map[string]any{"account_id": o.payer.id, "account_status": "VERIFIED",
			"name": map[string]string{"given_name": "John", "surname": "Doe"}, "address": map[string]string{"country_code": "ES"}}
		if o.payer.email != "" {
			p["email_address"] = o.payer.email
			src["email_address"] = o.payer.email
		}
		out["payer"] = p
		out["payment_source"] = map[string]any{"paypal": src}
	}
	return out
}

// captureJSON is c as PayPal shows a captured payment. s.mu must be held.
func (s *Server) captureJSON(c *capture) map[string]any {
	o := s.orders[c.orderID]
	out := map[string]any{"id": c.id, "status": c.status, "amount": c.amount, "final_capture": true,
		"seller_protection": map[string]any{"status": "ELIGIBLE",
			"dispute_categories": []string{"ITEM_NOT_RECEIVED", "UNAUTHORIZED_TRANSACTION"}},
		"create_time": c.created.Format(time.RFC3339), "update_time": c.updated.Format(time.RFC3339),
		"supplementary_data": map[string]any{"related_ids": map[string]string{"order_id": c.orderID}},
		"links": []link{
			{Href: s.URL + "/v2/payments/captures/" + c.id, Rel: "self", Method: "GET"},
			{Href: s.URL + "/v2/payments/captures/" + c.id + "/refund", Rel: "refund", Method: "POST"},
			{Href: s.URL + "/v2/checkout/orders/" + c.orderID, Rel: "up", Method: "GET"},
		}}
	if o.unit.CustomID != "" {
		out["custom_id"] = o.unit.CustomID
	}
	if o.unit.InvoiceID != "" {
		out["invoice_id"] = o.unit.InvoiceID
	}
	switch c.status {
	case "PENDING":
		out["status_details"] = map[string]string{"reason": "PENDING_REVIEW"}
	case "COMPLETED", "PARTIALLY_REFUNDED", "REFUNDED":
		gross, _ := parseValue(c.amount)
		fee := gross * 349 / 10000
		out["seller_receivable_breakdown"] = map[string]Money{
			"gross_amount": c.amount,
			"paypal_fee":   {Currency: c.amount.Currency, Value: formatValue(fee, c.amount.Currency)},
			"net_amount":   {Currency: c.amount.Currency, Value: formatValue(gross-fee, c.amount.Currency)},
		}
	}
	return out
}

func (s *Server) refundLinks(rf *refund) []link {
	return []link{{Href: s.URL + "/v2/payments/refunds/" + rf.id, Rel: "self", Method: "GET"},
		{Href: s.URL + "/v2/payments/captures/" + rf.captureID, Rel: "up", Method: "GET"}}
}

// refundJSON is rf as PayPal shows a refund, with the capture's running total. s.mu must be held.
func (s *Server) refundJSON(rf *refund) map[string]any {
	c := s.captures[rf.captureID]
	var total int64
	for _, x := range c.refunds {
		if x.status == "COMPLETED" {
			v, _ := parseValue(x.amount)
			total += v
		}
		if x == rf {
			break
		}
	}
	cur := rf.amount.Currency
	out := map[string]any{"id": rf.id, "status": rf.status, "amount": rf.amount,
		"seller_payable_breakdown": map[string]Money{
			"gross_amount":          rf.amount,
			"paypal_fee":            {Currency: cur, Value: formatValue(0, cur)},
			"net_amount":            rf.amount,
			"total_refunded_amount": {Currency: cur, Value: formatValue(total, cur)},
		},
		"create_time": rf.created.Format(time.RFC3339), "update_time": rf.created.Format(time.RFC3339),
		"links": s.refundLinks(rf)}
	if o := s.orders[c.orderID]; o.unit.CustomID != "" {
		out["custom_id"] = o.unit.CustomID
	}
	if rf.note != "" {
		out["note_to_payer"] = rf.note
	}
	return out
}

// refunded is the total of c's completed refunds, in thousandths.
func (c *capture) refunded() int64 {
	var total int64
	for _, rf := range c.refunds {
		if rf.status == "COMPLETED" {
			v, _ := parseValue(rf.amount)
			total += v
		}
	}
	return total
}

// zeroDecimal are the currencies PayPal takes without decimals.
var zeroDecimal = map[string]bool{"HUF": true, "JPY": true, "TWD": true}

// parseValue reads a PayPal amount into thousandths of its unit, checking its precision as PayPal does (no
// decimals for HUF, JPY and TWD, up to two for others). Errors are PayPal's issue names.
func parseValue(m Money) (int64, error) {
	if len(m.Currency) != 3 || strings.ToUpper(m.Currency) != m.Currency {
		return 0, errors.New("INVALID_CURRENCY_CODE")
	}
	whole, frac, hasPoint := strings.Cut(m.Value, ".")
	if whole == "" || (hasPoint && frac == "") || len(whole) > 12 {
		return 0, errors.New("INVALID_PARAMETER_SYNTAX")
	}
	for _, r := range whole + frac {
		if r < '0' || r > '9' {
			return 0, errors.New("INVALID_PARAMETER_SYNTAX")
		}
	}
	maxFrac := 2
	if zeroDecimal[m.Currency] {
		maxFrac = 0
	}
	if len(frac) > maxFrac {
		return 0, errors.New("DECIMAL_PRECISION")
	}
	for len(frac) < 3 {
		frac += "0"
	}
	return strconv.ParseInt(whole+frac, 10, 64)
}

// formatValue writes thousandths v as PayPal writes amounts of currency.
func formatValue(v int64, currency string) string {
	if zeroDecimal[currency] {
		return strconv.FormatInt(v/1000, 10)
	}
	return fmt.Sprintf("%d.%02d", v/1000, v%1000/10)
}

// writeError writes PayPal's error body.
func writeError(w http.ResponseWriter, status int, name, message, field, issue string) {
	body := map[string]any{"name": name, "message": message, "debug_id": "f" + strconv.FormatInt(time.Now().UnixNano()%1e12, 16),
		"links": []link{{Href: "https://developer.paypal.com/docs/api/orders/v2/#error-" + name, Rel: "information_link", Method: "GET"}}}
	if issue != "" {
		d := map[string]string{"issue": issue, "description": strings.ReplaceAll(strings.ToLower(issue), "_", " ")}
		if field != "" {
			d["field"] = field
		}
		body["details"] = []any{d}
	}
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(marshal(v))
}

// marshal is compact JSON without HTML escaping, as PayPal writes it ("&" stays "&").
func marshal(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(fmt.Sprintf("paypalfake: marshal: %v", err))
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// idChars are the characters of PayPal's resource ids.
const idChars = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

// newID is a fresh 17-character PayPal-style id. s.mu must be held.
func (s *Server) newID() string {
	for {
		var b [17]byte
		_, _ = rand.Read(b[:])
		for i := range b {
			b[i] = idChars[int(b[i])%len(idChars)]
		}
		id := string(b[:])
		_, o := s.orders[id]
		_, c := s.captures[id]
		_, r := s.refunds[id]
		if !o && !c && !r {
			return id
		}
	}
}

// newUUID is a random version-4 UUID, the shape of PayPal's transmission ids.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
