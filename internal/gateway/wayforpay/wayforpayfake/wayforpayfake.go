// Package wayforpayfake is an in-memory fake of the parts of WayForPay's JSON API that Bursar calls: CHARGE of a
// saved card (recToken), CHECK_STATUS and REFUND, all POSTed to /api. It checks every request's merchantSignature
// the way WayForPay does (HMAC-MD5 with the merchant's secret key over the fields each call signs), answers in
// WayForPay's shapes and reason codes, signs transaction answers like WayForPay's notifications, keeps its state
// under one mutex, and serves over httptest for tests of internal/gateway/wayforpay and of the packages above it
// (point the payment system's API URL, BURSAR_WAYFORPAY_API_URL, at URL).
//
// Test controls stand in for what happens outside the API: Token and AddCard are cards saved at a first payment,
// Decline makes a card's charges declined, FailNext answers server errors, LoseNext makes a charge and loses its
// answer, NotifyCharges posts each charge's serviceUrl notification; Notification renders a signed notification
// (a first payment's, with its recToken) as WayForPay posts it. Charges records what was charged.
package wayforpayfake

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bursar/bursar/internal/money"
)

// WayForPay's published test merchant, for tests that need no merchant of their own.
const (
	Account = "test_merch_n1"
	Secret  = "flk3409refn54t54t*FNJRET"
	Domain  = "www.market.ua"
)

// Transaction statuses the fake gives.
const (
	StatusApproved = "Approved"
	StatusDeclined = "Declined"
	StatusRefunded = "Refunded"
)

// Reason codes the fake answers with (https://wiki.wayforpay.com/en/view/852131).
const (
	ReasonOK               = 1100
	ReasonDeclined         = 1101 // Declined To Card Issuer
	ReasonDuplicateOrder   = 1112
	ReasonInvalidSignature = 1113
	ReasonMissing          = 1115
	ReasonTokenNotFound    = 1116
	ReasonAccountNotFound  = 1121
	ReasonIllegalState     = 1126
	ReasonOrderNotFound    = 1127
	ReasonRefundLimit      = 1128
	ReasonInvalidAmount    = 1130
)

// reasons are the texts of the reason codes.
var reasons = map[int]string{
	ReasonOK: "Ok", ReasonDeclined: "Declined To Card Issuer", ReasonDuplicateOrder: "Duplicate Order ID",
	ReasonInvalidSignature: "Invalid signature", ReasonMissing: "Parameter missing",
	ReasonTokenNotFound: "Token not found", ReasonAccountNotFound: "Merchant account not found",
	ReasonIllegalState: "Illegal Order State", ReasonOrderNotFound: "Order not found",
	ReasonRefundLimit: "Refund limit exceeded", ReasonInvalidAmount: "Invalid amount",
}

// exampleDate is the createdDate of WayForPay's documentation examples.
const exampleDate = 1415379863

// Charge is one CHARGE the fake made (approved or declined).
type Charge struct {
	Ref         string // orderReference
	Token       string // recToken
	Amount      money.Money
	Status      string // Approved or Declined
	Email       string // clientEmail
	ServiceURL  string
	ProductName string
}

// Delivery is one notification NotifyCharges posted.
type Delivery struct {
	URL    string
	Body   []byte
	Status int   // the answer's status code; 0 when the post failed
	Err    error // why the post failed
}

// Server is a running fake WayForPay API.
type Server struct {
	// URL is the API base ("http://127.0.0.1:<port>"): the provider posts to URL+"/api".
	URL     string
	account string
	secret  string
	srv     *httptest.Server
	client  *http.Client

	mu         sync.Mutex
	tokens     map[string]bool // saved cards; true: declined
	txs        map[string]*tx  // by orderReference
	charges    []Charge
	failNext   int
	loseNext   int
	notify     bool
	deliveries []Delivery
	calls      map[string]int // by transactionType
	now        func() time.Time
}

// tx is a transaction the fake holds.
type tx struct {
	ref, token, email, status, authCode, cardPan string
	amount                                       money.Money
	refunded                                     int64
	reason                                       int
	created                                      time.Time
}

// New starts a fake of merchant account with secret key secret; Close stops it.
func New(account, secret string) *Server {
	s := &Server{account: account, secret: secret, tokens: map[string]bool{}, txs: map[string]*tx{},
		calls: map[string]int{}, now: time.Now, client: &http.Client{Timeout: 10 * time.Second}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api", s.api)
	s.srv = httptest.NewServer(mux)
	s.URL = s.srv.URL
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// Token saves a new card, as a first payment's tokenization does, and returns its recToken.
func (s *Server) Token() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	h := hex.EncodeToString(b)
	t := h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
	s.AddCard(t)
	return t
}

// AddCard saves card token (a recToken a test made up, or one a Notification carried).
func (s *Server) AddCard(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.tokens[token]; !ok {
		s.tokens[token] = false
	}
}

// Decline makes every later charge of token Declined with reasonCode 1101 (saving the card if it was not).
func (s *Server) Decline(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[token] = true
}

// FailNext makes the next n API calls, of any type, answer HTTP 500 without doing anything.
func (s *Server) FailNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext = n
}

// LoseNext makes the next CHARGE happen (the card is charged or declined, CHECK_STATUS knows it) and answer
// HTTP 502 instead of its result: the answer lost on the way.
func (s *Server) LoseNext() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loseNext++
}

// NotifyCharges makes every later CHARGE with a serviceUrl post its signed notification there, synchronously,
// before the CHARGE is answered (Deliveries records each post).
func (s *Server) NotifyCharges(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.notify = on
}

// SetNow sets the clock of createdDate and processingDate (time.Now by default).
func (s *Server) SetNow(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
}

// Charges are the charges made so far, in order.
func (s *Server) Charges() []Charge {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Charge(nil), s.charges...)
}

// Deliveries are the notifications NotifyCharges posted, in order.
func (s *Server) Deliveries() []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Delivery(nil), s.deliveries...)
}

// Calls is how many calls of transactionType (CHARGE, CHECK_STATUS, REFUND) the fake received, failed ones too.
func (s *Server) Calls(transactionType string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[transactionType]
}

// Note is a serviceUrl notification's content for Notification. Zero fields get defaults: Status Approved,
// ReasonCode 1100 for Approved and 1101 otherwise, Reason the code's text, CardPan and AuthCode made-up values,
// Created WayForPay's example date (1415379863).
type Note struct {
	Ref          string
	Amount       money.Money
	Status       string
	ReasonCode   int
	Reason       string
	Email        string
	Phone        string
	RecToken     string
	CardPan      string
	AuthCode     string
	Created      time.Time
	RefundAmount int64 // minor units; sent as refundAmount when > 0
}

// Notification is n as WayForPay posts it to serviceUrl: a JSON object with merchantAccount, orderReference,
// merchantSignature (HMAC-MD5 with secret of "merchantAccount;orderReference;amount;currency;authCode;cardPan;
// transactionStatus;reasonCode"), amount, currency, authCode, email, phone, createdDate, processingDate, cardPan,
// cardType, issuerBankCountry, issuerBankName, recToken, transactionStatus, reason, reasonCode, fee and
// paymentSystem.
func Notification(secret, account string, n Note) []byte {
	if n.Status == "" {
		n.Status = StatusApproved
	}
	if n.ReasonCode == 0 {
		n.ReasonCode = ReasonOK
		if n.Status == StatusDeclined {
			n.ReasonCode = ReasonDeclined
		}
	}
	if n.Reason == "" {
		n.Reason = reasons[n.ReasonCode]
	}
	if n.CardPan == "" {
		n.CardPan = "41****8217"
	}
	if n.AuthCode == "" && n.Status == StatusApproved {
		n.AuthCode = "541963"
	}
	return transaction(secret, account, n)
}

// transaction renders n as a signed transaction object (a notification, or a CHARGE or CHECK_STATUS answer).
func transaction(secret, account string, n Note) []byte {
	if n.Created.IsZero() {
		n.Created = time.Unix(exampleDate, 0)
	}
	amount := formatAmount(n.Amount)
	code := strconv.Itoa(n.ReasonCode)
	sig := sign(secret, account, n.Ref, amount, n.Amount.Currency, n.AuthCode, n.CardPan, n.Status, code)
	created := strconv.FormatInt(n.Created.Unix(), 10)
	var b bytes.Buffer
	fmt.Fprintf(&b, `{"merchantAccount":%s,"orderReference":%s,"merchantSignature":%s,"amount":%s,`+
		`"currency":%s,"authCode":%s,"email":%s,"phone":%s,"createdDate":%s,"processingDate":%s,"cardPan":%s,`+
		`"cardType":"Visa","issuerBankCountry":"980","issuerBankName":"Privatbank","recToken":%s,`+
		`"transactionStatus":%s,"reason":%s,"reasonCode":%s,"fee":0,"paymentSystem":"card"`,
		q(account), q(n.Ref), q(sig), amount, q(n.Amount.Currency), q(n.AuthCode), q(n.Email), q(n.Phone), created,
		created, q(n.CardPan), q(n.RecToken), q(n.Status), q(n.Reason), code)
	if n.RefundAmount > 0 {
		fmt.Fprintf(&b, `,"refundAmount":%s`, formatAmount(money.New(n.RefundAmount, n.Amount.Currency)))
	}
	b.WriteString("}")
	return b.Bytes()
}

// q is s as a JSON string.
func q(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// sign is WayForPay's signature: hex HMAC-MD5 with the secret key of the fields joined by ";".
func sign(secret string, fields ...string) string {
	h := hmac.New(md5.New, []byte(secret))
	h.Write([]byte(strings.Join(fields, ";")))
	return hex.EncodeToString(h.Sum(nil))
}

// formatAmount renders m as WayForPay does: the decimal without trailing fraction zeros ("49", "49.5").
func formatAmount(m money.Money) string {
	s := m.Decimal()
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// request is an API request's JSON object, numbers kept as sent.
type request map[string]any

// text is field name as sent: a string, or a number's digits; "" otherwise.
func (r request) text(name string) string {
	switch v := r[name].(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	}
	return ""
}

// texts is array field name, each element as text.
func (r request) texts(name string) []string {
	arr, _ := r[name].([]any)
	out := make([]string, len(arr))
	for i, v := range arr {
		out[i] = request{"v": v}.text("v")
	}
	return out
}

// signed reports whether r's merchantSignature is the fake's secret's over fields.
func (s *Server) signed(r request, fields ...string) bool {
	return hmac.Equal([]byte(strings.ToLower(r.text("merchantSignature"))), []byte(sign(s.secret, fields...)))
}

// api serves POST /api.
func (s *Server) api(w http.ResponseWriter, hr *http.Request) {
	raw, err := io.ReadAll(io.LimitReader(hr.Body, 1<<20))
	if err != nil {
		http.Error(w, "read", http.StatusBadRequest)
		return
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var r request
	if err := dec.Decode(&r); err != nil || r == nil {
		answer(w, http.StatusBadRequest, refusal(ReasonMissing))
		return
	}
	typ := r.text("transactionType")
	s.mu.Lock()
	s.calls[typ]++
	if s.failNext > 0 {
		s.failNext--
		s.mu.Unlock()
		answer(w, http.StatusInternalServerError, []byte(`{"reason":"Internal error","reasonCode":1129}`))
		return
	}
	s.mu.Unlock()
	if r.text("merchantAccount") != s.account {
		answer(w, http.StatusOK, refusal(ReasonAccountNotFound))
		return
	}
	switch typ {
	case "CHARGE":
		s.charge(w, r)
	case "CHECK_STATUS":
		s.checkStatus(w, r)
	case "REFUND":
		s.refund(w, r)
	default:
		answer(w, http.StatusOK, refusal(ReasonMissing))
	}
}

// answer writes a JSON answer.
func answer(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// refusal is an answer refusing the request itself: a reason and its code, no transaction.
func refusal(code int) []byte {
	return fmt.Appendf(nil, `{"reason":%s,"reasonCode":%d}`, q(reasons[code]), code)
}

// charge serves CHARGE: a SALE of a saved card.
func (s *Server) charge(w http.ResponseWriter, r request) {
	ref, date, amountText, currency := r.text("orderReference"), r.text("orderDate"), r.text("amount"),
		r.text("currency")
	names, counts, prices := r.texts("productName"), r.texts("productCount"), r.texts("productPrice")
	fields := append([]string{s.account, r.text("merchantDomainName"), ref, date, amountText, currency}, names...)
	fields = append(append(fields, counts...), prices...)
	if !s.signed(r, fields...) {
		answer(w, http.StatusOK, refusal(ReasonInvalidSignature))
		return
	}
	token := r.text("recToken")
	if ref == "" || date == "" || token == "" || len(names) == 0 || len(names) != len(counts) ||
		len(names) != len(prices) || r.text("merchantTransactionType") == "" ||
		r.text("merchantTransactionSecureType") == "" {
		answer(w, http.StatusOK, refusal(ReasonMissing))
		return
	}
	minor, err := money.ParseExact(amountText, currency)
	if err != nil || minor <= 0 {
		answer(w, http.StatusOK, refusal(ReasonInvalidAmount))
		return
	}
	s.mu.Lock()
	if _, dup := s.txs[ref]; dup {
		s.mu.Unlock()
		answer(w, http.StatusOK, refusal(ReasonDuplicateOrder))
		return
	}
	declined, known := s.tokens[token]
	t := &tx{ref: ref, token: token, email: r.text("clientEmail"), amount: money.New(minor, currency),
		created: s.now(), cardPan: "41****8217", status: StatusApproved, reason: ReasonOK, authCode: "541963"}
	switch {
	case !known:
		t.status, t.reason, t.authCode = StatusDeclined, ReasonTokenNotFound, ""
	case declined:
		t.status, t.reason, t.authCode = StatusDeclined, ReasonDeclined, ""
	}
	s.txs[ref] = t
	s.charges = append(s.charges, Charge{Ref: ref, Token: token, Amount: t.amount, Status: t.status, Email: t.email,
		ServiceURL: r.text("serviceUrl"), ProductName: strings.Join(names, ", ")})
	lose := s.loseNext > 0
	if lose {
		s.loseNext--
	}
	notify := s.notify && r.text("serviceUrl") != ""
	body := s.txAnswer(t)
	s.mu.Unlock()
	if notify {
		s.deliver(r.text("serviceUrl"), body)
	}
	if lose {
		answer(w, http.StatusBadGateway, []byte("<html>502 Bad Gateway</html>"))
		return
	}
	answer(w, http.StatusOK, body)
}

// txAnswer is t as a signed transaction object; the caller holds s.mu.
func (s *Server) txAnswer(t *tx) []byte {
	n := Note{Ref: t.ref, Amount: t.amount, Status: t.status, ReasonCode: t.reason, Reason: reasons[t.reason],
		Email: t.email, RecToken: t.token, CardPan: t.cardPan, AuthCode: t.authCode, Created: t.created,
		RefundAmount: t.refunded}
	return transaction(s.secret, s.account, n)
}

// deliver posts a notification to url and records what happened.
func (s *Server) deliver(url string, body []byte) {
	d := Delivery{URL: url, Body: body}
	res, err := s.client.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		d.Err = err
	} else {
		_, _ = io.Copy(io.Discard, res.Body)
		_ = res.Body.Close()
		d.Status = res.StatusCode
	}
	s.mu.Lock()
	s.deliveries = append(s.deliveries, d)
	s.mu.Unlock()
}

// checkStatus serves CHECK_STATUS: the transaction of the orderReference, signed.
func (s *Server) checkStatus(w http.ResponseWriter, r request) {
	ref := r.text("orderReference")
	if !s.signed(r, s.account, ref) {
		answer(w, http.StatusOK, refusal(ReasonInvalidSignature))
		return
	}
	s.mu.Lock()
	t, ok := s.txs[ref]
	var body []byte
	if ok {
		body = s.txAnswer(t)
	}
	s.mu.Unlock()
	if !ok {
		answer(w, http.StatusOK, refusal(ReasonOrderNotFound))
		return
	}
	answer(w, http.StatusOK, body)
}

// refund serves REFUND of an approved charge: any amount up to what is left of it.
func (s *Server) refund(w http.ResponseWriter, r request) {
	ref, amountText, currency := r.text("orderReference"), r.text("amount"), r.text("currency")
	if !s.signed(r, s.account, ref, amountText, currency) {
		answer(w, http.StatusOK, refusal(ReasonInvalidSignature))
		return
	}
	if strings.TrimSpace(r.text("comment")) == "" {
		answer(w, http.StatusOK, refusal(ReasonMissing))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.txs[ref]
	if !ok {
		answer(w, http.StatusOK, refusal(ReasonOrderNotFound))
		return
	}
	minor, err := money.ParseExact(amountText, currency)
	if err != nil || minor <= 0 || currency != t.amount.Currency {
		answer(w, http.StatusOK, refusal(ReasonInvalidAmount))
		return
	}
	if t.status != StatusApproved && t.status != StatusRefunded {
		answer(w, http.StatusOK, refusal(ReasonIllegalState))
		return
	}
	if t.refunded+minor > t.amount.Amount {
		answer(w, http.StatusOK, fmt.Appendf(nil, `{"merchantAccount":%s,"orderReference":%s,`+
			`"transactionStatus":"Declined","reason":%s,"reasonCode":%d}`, q(s.account), q(ref),
			q(reasons[ReasonRefundLimit]), ReasonRefundLimit))
		return
	}
	t.refunded += minor
	t.status = StatusRefunded
	answer(w, http.StatusOK, fmt.Appendf(nil, `{"merchantAccount":%s,"orderReference":%s,`+
		`"transactionStatus":"Refunded","reason":"Ok","reasonCode":1100}`, q(s.account), q(ref)))
}
