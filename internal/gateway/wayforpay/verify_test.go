package wayforpay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/money"
)

// notification is a serviceUrl callback's content; Amount and RefundAmount are JSON number text as sent.
type notification struct {
	Account, Ref, Amount, Currency, AuthCode, CardPan, Status, ReasonCode, Email, RefundAmount string
}

// approved is an Approved payment of order 42 (UAH 1547.36) by the test merchant.
func approved() notification {
	return notification{Account: testAccount, Ref: "42-AB3DE7FZ", Amount: "1547.36", Currency: "UAH",
		AuthCode: "541963", CardPan: "41****8217", Status: StatusApproved, ReasonCode: "1100",
		Email: "payer@example.com"}
}

// signature is n's merchantSignature under secret, computed independently of the package.
func (n notification) signature(secret string) string {
	return hmacMD5(secret, strings.Join([]string{n.Account, n.Ref, n.Amount, n.Currency, n.AuthCode, n.CardPan,
		n.Status, n.ReasonCode}, ";"))
}

// body is n as WayForPay posts it, signed with sig ("" leaves merchantSignature out).
func (n notification) body(sig string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, `{"merchantAccount":%q,"orderReference":%q,`, n.Account, n.Ref)
	if sig != "" {
		fmt.Fprintf(&b, `"merchantSignature":%q,`, sig)
	}
	fmt.Fprintf(&b, `"amount":%s,"currency":%q,"authCode":%q,"email":%q,"phone":"380501234567",`+
		`"createdDate":1415379863,"processingDate":1415379863,"cardPan":%q,"cardType":"Visa",`+
		`"issuerBankCountry":"980","issuerBankName":"Privatbank","recToken":"","transactionStatus":%q,`+
		`"reason":"Ok","reasonCode":%s,"fee":0,"paymentSystem":"card"`,
		n.Amount, n.Currency, n.AuthCode, n.Email, n.CardPan, n.Status, n.ReasonCode)
	if n.RefundAmount != "" {
		fmt.Fprintf(&b, `,"refundAmount":%s`, n.RefundAmount)
	}
	b.WriteString("}")
	return []byte(b.String())
}

// signed is n's body signed with the test secret.
func (n notification) signed() []byte { return n.body(n.signature(testSecret)) }

func inbound(body []byte) gateway.Inbound {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	return gateway.Inbound{Header: h.Get, Body: body, Received: fixedNow}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	ev, err := New(Options{}).Verify(context.Background(), testAcct(""), inbound(approved().signed()))
	if err != nil {
		t.Fatal(err)
	}
	want := gateway.Event{ID: "42-AB3DE7FZ:Approved:1100", Type: StatusApproved, Kind: gateway.EventPaid,
		OrderID: 42, Ref: "42-AB3DE7FZ", Amount: money.New(154736, "UAH"), PayerEmail: "payer@example.com",
		ReplyContentType: "application/json"}
	reply := ev.Reply
	ev.Reply = nil
	if !reflect.DeepEqual(ev, want) {
		t.Fatalf("event = %+v\nwant    %+v", ev, want)
	}
	var r struct {
		OrderReference, Status, Signature string
		Time                              int64
	}
	if err := json.Unmarshal(reply, &r); err != nil {
		t.Fatalf("reply %s: %v", reply, err)
	}
	wantSig := hmacMD5(testSecret, "42-AB3DE7FZ;accept;"+strconv.FormatInt(fixedNow.Unix(), 10))
	if r.OrderReference != "42-AB3DE7FZ" || r.Status != "accept" || r.Time != fixedNow.Unix() || r.Signature != wantSig {
		t.Fatalf("reply = %s, want accept at %d signed %s", reply, fixedNow.Unix(), wantSig)
	}
}

func TestVerifyReplyTimeDefaultsToNow(t *testing.T) {
	t.Parallel()
	at := time.Unix(1700000000, 0)
	in := inbound(approved().signed())
	in.Received = time.Time{}
	ev, err := New(Options{Now: func() time.Time { return at }}).Verify(context.Background(), testAcct(""), in)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(ev.Reply), `"time":1700000000`) {
		t.Fatalf("reply %s, want time 1700000000", ev.Reply)
	}
}

func TestVerifyBodyForms(t *testing.T) {
	t.Parallel()
	body := approved().signed()
	tests := []struct {
		name string
		body []byte
	}{
		{"RawJSON", body},
		{"Whitespace", append(append([]byte("\r\n "), body...), '\n')},
		{"FormKey", []byte(url.QueryEscape(string(body)))},
		{"FormKeyWithEquals", []byte(url.QueryEscape(string(body)) + "=")},
	}
	p := New(Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := inbound(tt.body)
			in.Header = http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}.Get
			ev, err := p.Verify(context.Background(), testAcct(""), in)
			if err != nil || ev.Kind != gateway.EventPaid || ev.Amount.Amount != 154736 {
				t.Fatalf("Verify = %+v, %v", ev, err)
			}
		})
	}
}

func TestVerifyRejects(t *testing.T) {
	t.Parallel()
	n := approved()
	good := n.signature(testSecret)
	tampered := n
	tampered.Amount = "1.36"
	otherMerchant := n
	otherMerchant.Account = "someone_else"
	numberText := n
	numberText.Amount = "1547.360" // the same number, other text: WayForPay signed "1547.36"
	noSecret := testAcct("")
	noSecret.Credentials = map[string]string{}
	noAccount := testAcct("")
	noAccount.System.Settings = map[string]any{}
	tests := []struct {
		name string
		acct gateway.Account
		body []byte
	}{
		{"WrongSecret", testAcct(""), n.body(n.signature("another secret"))},
		{"Tampered", testAcct(""), tampered.body(good)},
		{"Unsigned", testAcct(""), n.body("")},
		{"EmptySignature", testAcct(""), []byte(strings.Replace(string(n.signed()), good, "", 1))},
		{"SignatureNotHex", testAcct(""), n.body("zz" + good[2:])},
		{"SignatureTruncated", testAcct(""), n.body(good[:30])},
		{"SignatureNotString", testAcct(""), []byte(strings.Replace(string(n.signed()), `"`+good+`"`, "12", 1))},
		{"OtherMerchant", testAcct(""), otherMerchant.body(otherMerchant.signature(testSecret))},
		{"NumberReformatted", testAcct(""), numberText.body(good)},
		{"AmountAsObject", testAcct(""), []byte(strings.Replace(string(n.signed()), `"amount":1547.36`, `"amount":{"v":1}`, 1))},
		{"NoSecretConfigured", noSecret, n.signed()},
		{"NoAccountConfigured", noAccount, n.signed()},
		{"Empty", testAcct(""), nil},
		{"NotJSON", testAcct(""), []byte("orderReference=42-AB3DE7FZ&transactionStatus=Approved")},
		{"Array", testAcct(""), []byte(`[` + string(n.signed()) + `]`)},
		{"Null", testAcct(""), []byte(`null`)},
		{"Truncated", testAcct(""), n.signed()[:100]},
		{"TrailingData", testAcct(""), append(n.signed(), []byte(`{"x":1}`)...)},
		{"Oversized", testAcct(""), append(n.signed(), []byte(strings.Repeat(" ", MaxNotification))...)},
		{"FormWithValue", testAcct(""), []byte(url.QueryEscape(string(n.signed())) + "=1")},
		{"FormTwoKeys", testAcct(""), []byte(url.QueryEscape(string(n.signed())) + "&a=b")},
	}
	p := New(Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ev, err := p.Verify(context.Background(), tt.acct, inbound(tt.body))
			if !errors.Is(err, gateway.ErrSignature) {
				t.Fatalf("Verify = %+v, %v; want ErrSignature", ev, err)
			}
			if !reflect.DeepEqual(ev, gateway.Event{}) {
				t.Fatalf("a rejected notification still returned %+v", ev)
			}
			if strings.Contains(err.Error(), testSecret) {
				t.Errorf("the error carries the secret: %v", err)
			}
		})
	}
}

func TestVerifySignedButUnusable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		edit func(*notification)
	}{
		{"NoOrderReference", func(n *notification) { n.Ref = "" }},
		{"AmountTooPrecise", func(n *notification) { n.Amount = "1547.361" }},
		{"NegativeAmount", func(n *notification) { n.Amount = "-1547.36" }},
		{"UnknownCurrency", func(n *notification) { n.Currency = "ZZZ" }},
		{"BadRefundAmount", func(n *notification) { n.Status, n.RefundAmount = StatusRefunded, "1e2" }},
	}
	p := New(Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			n := approved()
			tt.edit(&n)
			ev, err := p.Verify(context.Background(), testAcct(""), inbound(n.signed()))
			if err == nil || errors.Is(err, gateway.ErrSignature) {
				t.Fatalf("Verify = %+v, %v; want an error that is not ErrSignature", ev, err)
			}
		})
	}
}

func TestVerifyStatuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status, reasonCode, refundAmount string
		wantKind                         gateway.EventKind
		wantID                           string
		wantRefunded                     int64
	}{
		{StatusApproved, "1100", "", gateway.EventPaid, "42-AB3DE7FZ:Approved:1100", 0},
		{StatusPending, "1134", "", gateway.EventPending, "42-AB3DE7FZ:Pending:1134", 0},
		{StatusInProcessing, "1131", "", gateway.EventPending, "42-AB3DE7FZ:InProcessing:1131", 0},
		{StatusWaitingAuthComplete, "1100", "", gateway.EventPending, "42-AB3DE7FZ:WaitingAuthComplete:1100", 0},
		{StatusDeclined, "1101", "", gateway.EventFailed, "42-AB3DE7FZ:Declined:1101", 0},
		{StatusExpired, "1124", "", gateway.EventExpired, "42-AB3DE7FZ:Expired:1124", 0},
		{StatusRefunded, "1100", "", gateway.EventRefunded, "42-AB3DE7FZ:Refunded:1100:154736", 154736},
		{StatusRefunded, "1100", "500", gateway.EventRefunded, "42-AB3DE7FZ:Refunded:1100:50000", 50000},
		{StatusRefunded, "1100", "1547.36", gateway.EventRefunded, "42-AB3DE7FZ:Refunded:1100:154736", 154736},
		{StatusRefunded, "1100", "0", gateway.EventRefunded, "42-AB3DE7FZ:Refunded:1100:154736", 154736},
		{StatusVoided, "1100", "", gateway.EventRefunded, "42-AB3DE7FZ:Voided:1100:154736", 154736},
		{StatusRefundInProcessing, "1138", "", gateway.EventIgnored, "42-AB3DE7FZ:RefundInProcessing:1138", 0},
		{StatusCreated, "1100", "", gateway.EventIgnored, "42-AB3DE7FZ:Created:1100", 0},
		{"SomethingNew", "1100", "", gateway.EventIgnored, "42-AB3DE7FZ:SomethingNew:1100", 0},
	}
	p := New(Options{})
	for _, tt := range tests {
		t.Run(tt.status+tt.refundAmount, func(t *testing.T) {
			t.Parallel()
			n := approved()
			n.Status, n.ReasonCode, n.RefundAmount = tt.status, tt.reasonCode, tt.refundAmount
			ev, err := p.Verify(context.Background(), testAcct(""), inbound(n.signed()))
			if err != nil {
				t.Fatal(err)
			}
			if ev.Kind != tt.wantKind || ev.ID != tt.wantID || ev.RefundedAmount != tt.wantRefunded ||
				ev.Type != tt.status || ev.Ref != n.Ref || ev.OrderID != 42 || len(ev.Reply) == 0 {
				t.Fatalf("event = %+v; want %s, ID %s, refunded %d", ev, tt.wantKind, tt.wantID, tt.wantRefunded)
			}
			if got := statusKind(tt.status); got != tt.wantKind {
				t.Errorf("statusKind(%s) = %s, want %s", tt.status, got, tt.wantKind)
			}
		})
	}
}

func TestVerifyIgnoredNeedsNoAmount(t *testing.T) {
	t.Parallel()
	n := approved()
	n.Status, n.Amount, n.Currency = StatusCreated, "0.001", ""
	ev, err := New(Options{}).Verify(context.Background(), testAcct(""), inbound(n.signed()))
	if err != nil || ev.Kind != gateway.EventIgnored || ev.ID == "" {
		t.Fatalf("Verify = %+v, %v; want an ignored event", ev, err)
	}
}

func TestVerifyForeignReference(t *testing.T) {
	t.Parallel()
	// A payment made outside Bursar (an invoice from WayForPay's portal): authentic, no order id.
	n := approved()
	n.Ref = "DH783023"
	ev, err := New(Options{}).Verify(context.Background(), testAcct(""), inbound(n.signed()))
	if err != nil || ev.OrderID != 0 || ev.Ref != "DH783023" || ev.Kind != gateway.EventPaid {
		t.Fatalf("Verify = %+v, %v", ev, err)
	}
}

// FuzzVerify: Verify never panics, and accepts nothing that is not signed with the test secret.
func FuzzVerify(f *testing.F) {
	n := approved()
	refunded := n
	refunded.Status, refunded.RefundAmount = StatusRefunded, "500"
	declined := n
	declined.Status, declined.ReasonCode, declined.AuthCode, declined.CardPan = StatusDeclined, "1101", "", ""
	for _, seed := range [][]byte{
		n.signed(), n.body(n.signature("wrong")), n.body(""), refunded.signed(), declined.signed(),
		[]byte(url.QueryEscape(string(n.signed()))), []byte(`{}`), []byte(`{"merchantSignature":1}`),
		[]byte(`{"amount":1e400}`), []byte(`not json`), nil,
	} {
		f.Add(seed)
	}
	p := New(Options{})
	acct := testAcct("")
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := p.Verify(context.Background(), acct, inbound(body))
		if err != nil {
			return
		}
		// Accepted: the body must carry a signature made with the test secret over what was parsed.
		raw, ok := notificationJSON(body)
		if !ok {
			t.Fatalf("accepted a body without a JSON object: %q", body)
		}
		o, derr := decodeObject(raw)
		if derr != nil {
			t.Fatalf("accepted an undecodable body: %q", body)
		}
		fields, _ := o.texts(transactionFields...)
		sig, _ := o.text("merchantSignature")
		want := hmacMD5(testSecret, strings.Join(fields, ";"))
		if !strings.EqualFold(sig, want) || fields[0] != testAccount || ev.ID == "" {
			t.Fatalf("accepted %q (event %+v) without the test merchant's signature", body, ev)
		}
	})
}
