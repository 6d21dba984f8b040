// Package fondyfake is an in-memory fake of the parts of Fondy's (Flitt's) API that Bursar calls: hosted checkout
// pages (/api/checkout/url/), charges of saved cards (/api/recurring/), order status (/api/status/order_id/) and
// reversals (/api/reverse/order_id/). It answers in Fondy's JSON shapes ({"response": {…}}, signed as Fondy signs:
// SHA-1 of "key|v1|v2|…" over the non-empty values sorted by name), from state kept under one mutex, and serves
// over httptest for tests of internal/gateway/fondy and of the packages that charge subscriptions through it.
//
// Every request must be signed with the fake's payment key and name its merchant, as Fondy checks. Test controls
// stand in for what happens outside the API: IssueToken and AddToken are cards saved at a first payment, Decline
// is a card its bank refuses, Pay is the payer paying a checkout page, FailNext makes the next calls answer HTTP
// 500, LoseNextCharge makes the next charge happen but its answer be lost (HTTP 502), PostCallbacks posts each
// change's signed server callback to the order's server_callback_url before answering. Callback renders a signed
// callback body as Fondy posts it, for tests that post a first payment's callback themselves.
//
// Error codes Fondy documents are used as documented (1008 a mandatory parameter, 1014 a wrong signature, 1018 an
// unknown order); the others are the fake's own.
package fondyfake

import (
	"bytes"
	"crypto/rand"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The merchant the fake serves by default: Fondy's public test merchant and its payment key.
const (
	MerchantID = "1396424"
	Secret     = "test"
)

// Paths the fake serves (each also without its trailing slash).
const (
	CheckoutPath  = "/api/checkout/url/"
	RecurringPath = "/api/recurring/"
	StatusPath    = "/api/status/order_id/"
	ReversePath   = "/api/reverse/order_id/"
)

// Order statuses (order_status).
const (
	StatusCreated    = "created"
	StatusProcessing = "processing"
	StatusDeclined   = "declined"
	StatusApproved   = "approved"
	StatusExpired    = "expired"
	StatusReversed   = "reversed"
)

// MaskedCard is the card number every fake payment shows.
const MaskedCard = "444455XXXXXX6666"

// Call is an order as Fondy reports it in a server callback or a status answer.
type Call struct {
	OrderID  string
	Status   string // order_status
	Amount   int64  // minor units
	Currency string
	// ReversalAmount is the total reversed so far.
	ReversalAmount      int64
	PaymentID           int64  // Fondy's payment id (1 when 0)
	Email               string // sender_email
	TranType            string // "purchase" when ""; "reverse" for a reversal's callback
	RecToken            string // the saved card, when one was asked for or charged
	RecTokenLifetime    string // "dd.mm.yyyy hh:mm:ss", "" when none
	MaskedCard          string // MaskedCard when ""
	MerchantData        string
	ResponseCode        string // a declined payment's code
	ResponseDescription string
	Time                time.Time // order_time (now when zero)
}

// Callback is the signed server callback body Fondy posts about c for merchantID, signed with secret: one JSON
// object with every field Fondy sends, empty ones included, merchant_id, payment_id and card_bin as numbers.
func Callback(secret, merchantID string, c Call) []byte {
	b, _ := json.Marshal(callFields(secret, merchantID, c)) // strings and valid numbers only: never fails
	return b
}

// number is s as a JSON number when it is digits (as Fondy sends ids), else as a string.
func number(s string) any {
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return s
	}
	return json.Number(s)
}

// callFields are c's fields as Fondy sends them, signed.
func callFields(secret, merchantID string, c Call) map[string]any {
	if c.TranType == "" {
		c.TranType = "purchase"
	}
	if c.MaskedCard == "" {
		c.MaskedCard = MaskedCard
	}
	if c.PaymentID == 0 {
		c.PaymentID = 1
	}
	if c.Time.IsZero() {
		c.Time = time.Now()
	}
	amount := strconv.FormatInt(c.Amount, 10)
	actual := amount
	if c.Status != StatusApproved && c.Status != StatusReversed {
		actual = ""
	}
	f := map[string]any{
		"order_id":                  c.OrderID,
		"merchant_id":               number(merchantID),
		"order_status":              c.Status,
		"response_status":           "success",
		"amount":                    amount,
		"actual_amount":             actual,
		"currency":                  c.Currency,
		"actual_currency":           c.Currency,
		"reversal_amount":           strconv.FormatInt(c.ReversalAmount, 10),
		"settlement_amount":         "0",
		"settlement_currency":       "",
		"settlement_date":           "",
		"payment_id":                number(strconv.FormatInt(c.PaymentID, 10)),
		"masked_card":               c.MaskedCard,
		"card_bin":                  number(c.MaskedCard[:min(6, len(c.MaskedCard))]),
		"card_type":                 "VISA",
		"payment_system":            "card",
		"sender_email":              c.Email,
		"sender_cell_phone":         "",
		"sender_account":            "",
		"tran_type":                 c.TranType,
		"rectoken":                  c.RecToken,
		"rectoken_lifetime":         c.RecTokenLifetime,
		"merchant_data":             c.MerchantData,
		"order_time":                c.Time.UTC().Format("02.01.2006 15:04:05"),
		"response_code":             c.ResponseCode,
		"response_description":      c.ResponseDescription,
		"approval_code":             "",
		"rrn":                       "",
		"eci":                       "7",
		"fee":                       "",
		"product_id":                "",
		"parent_order_id":           "",
		"verification_status":       "",
		"response_signature_string": "",
	}
	if c.Status == StatusApproved || c.Status == StatusReversed {
		f["approval_code"] = "123456"
		f["rrn"] = "429417347068"
	}
	return signed(secret, f)
}

// signed is f with its signature under secret, and its response_signature_string (the signed string with the
// key masked), as Fondy sends them.
func signed(secret string, f map[string]any) map[string]any {
	texts := map[string]string{}
	for k, v := range f {
		texts[k] = text(v)
	}
	sig, str := sign(secret, texts)
	f["signature"] = sig
	if _, ok := f["response_signature_string"]; ok {
		f["response_signature_string"] = strings.Replace(str, secret, strings.Repeat("*", 10), 1)
	}
	return f
}

// text is v as the signature reads it: a string as it is, a number as its JSON text.
func text(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

// sign is Fondy's signature of fields under secret and the string it hashes.
func sign(secret string, fields map[string]string) (sig, str string) {
	var keys []string
	for k, v := range fields {
		if v != "" && k != "signature" && k != "response_signature_string" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	parts := []string{secret}
	for _, k := range keys {
		parts = append(parts, fields[k])
	}
	str = strings.Join(parts, "|")
	h := sha1.Sum([]byte(str))
	return hex.EncodeToString(h[:]), str
}

// Charge is one charge of a saved card the fake received and made (or refused for a declined card).
type Charge struct {
	Ref      string
	Token    string
	Amount   int64
	Currency string
	Desc     string
	Status   string // approved, declined
	// Lost is true when its answer was lost (LoseNextCharge).
	Lost bool
	// CallbackURL is its server_callback_url; CallbackStatus the HTTP status the callback posted there got (0 when
	// none was posted, -1 when the post failed).
	CallbackURL    string
	CallbackStatus int
}

// Server is a running fake Fondy API.
type Server struct {
	// URL is the API base ("http://127.0.0.1:<port>"): pass it as the payment system's API URL.
	URL        string
	srv        *httptest.Server
	merchantID string
	secret     string
	client     *http.Client

	mu        sync.Mutex
	tokens    map[string]*card
	orders    map[string]*order
	charges   []*Charge
	failNext  int
	loseNext  int
	callbacks bool
	calls     map[string]int
	payments  int64
}

type card struct {
	declined bool
}

type order struct {
	call        Call
	request     map[string]string // the request that made it
	callbackURL string
	wantsToken  bool
}

// Start runs a fake Fondy API for MerchantID with the payment key Secret, closed in t.Cleanup.
func Start(t testing.TB) *Server {
	t.Helper()
	s := New(MerchantID, Secret)
	t.Cleanup(s.Close)
	return s
}

// New runs a fake Fondy API for merchantID with the payment key secret; Close stops it.
func New(merchantID, secret string) *Server {
	s := &Server{merchantID: merchantID, secret: secret, client: &http.Client{Timeout: 30 * time.Second},
		tokens: map[string]*card{}, orders: map[string]*order{}, calls: map[string]int{}, payments: 805243690}
	mux := http.NewServeMux()
	for path, h := range map[string]func(map[string]string) (int, map[string]any, func()){
		CheckoutPath: s.checkout, RecurringPath: s.recurring, StatusPath: s.status, ReversePath: s.reverse,
	} {
		handler := s.serve(path, h)
		mux.Handle("POST "+path, handler)
		mux.Handle("POST "+strings.TrimSuffix(path, "/"), handler)
	}
	s.srv = httptest.NewServer(mux)
	s.URL = s.srv.URL
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// IssueToken saves a new card and returns its rectoken.
func (s *Server) IssueToken() string {
	tok := strings.ToLower(rand.Text()) + strings.ToLower(rand.Text())[:14]
	s.AddToken(tok)
	return tok
}

// AddToken makes token a saved card the fake charges.
func (s *Server) AddToken(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.tokens[token]; !ok {
		s.tokens[token] = &card{}
	}
}

// Decline makes the bank refuse every charge of token from now on (order_status declined); the token stays known.
func (s *Server) Decline(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[token] = &card{declined: true}
}

// FailNext makes the next n requests, whatever their path, answer HTTP 500 without doing anything.
func (s *Server) FailNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext = n
}

// LoseNextCharge makes the next charge of a saved card happen (it is recorded, and Status reports it) while its
// answer is lost: HTTP 502.
func (s *Server) LoseNextCharge() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loseNext++
}

// PostCallbacks turns on (or off) posting the signed server callback of every charge and reversal to its order's
// server_callback_url, synchronously, before the request that made it is answered.
func (s *Server) PostCallbacks(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.callbacks = on
}

// Charges returns every charge of a saved card received so far, in order.
func (s *Server) Charges() []Charge {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Charge, len(s.charges))
	for i, c := range s.charges {
		out[i] = *c
	}
	return out
}

// Calls is how many requests path (one of the Paths) received, failed ones included.
func (s *Server) Calls(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[path]
}

// Order returns order ref as Fondy would report it now.
func (s *Server) Order(ref string) (Call, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[ref]
	if !ok {
		return Call{}, false
	}
	return o.call, true
}

// Request returns the parameters of the request that made order ref (a checkout or a charge), as received.
func (s *Server) Request(ref string) (map[string]string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[ref]
	if !ok {
		return nil, false
	}
	out := make(map[string]string, len(o.request))
	for k, v := range o.request {
		out[k] = v
	}
	return out, true
}

// Pay is the payer paying checkout ref (made through /api/checkout/url/) at Fondy's page with a new card, as
// email: the order is approved and, when the checkout asked for required_rectoken=Y, the card is saved. It
// returns the signed server callback Fondy posts to the order's server_callback_url (posted there too when
// PostCallbacks is on) and the new rectoken ("" when none was asked for).
func (s *Server) Pay(ref, email string) (body []byte, token string, err error) {
	s.mu.Lock()
	o, ok := s.orders[ref]
	if !ok || o.call.Status != StatusCreated {
		s.mu.Unlock()
		return nil, "", fmt.Errorf("fondyfake: no checkout %q waiting to be paid", ref)
	}
	if o.wantsToken {
		token = strings.ToLower(rand.Text()) + strings.ToLower(rand.Text())[:14]
		s.tokens[token] = &card{}
		o.call.RecToken = token
	}
	o.call.Status = StatusApproved
	if email != "" {
		o.call.Email = email
	}
	s.payments++
	o.call.PaymentID = s.payments
	o.call.Time = time.Now()
	call, url, post := o.call, o.callbackURL, s.callbacks
	s.mu.Unlock()
	body = Callback(s.secret, s.merchantID, call)
	if post && url != "" {
		s.postCallback(url, body)
	}
	return body, token, nil
}

// serve wraps an endpoint: it counts the call, fails it when asked to, reads {"request": {…}} and checks the
// merchant and the signature, then answers h's {"response": …} with h's status; h's after, when not nil, runs
// before the answer is written (posting callbacks).
func (s *Server) serve(path string, h func(map[string]string) (int, map[string]any, func())) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.calls[path]++
		fail := s.failNext > 0
		if fail {
			s.failNext--
		}
		s.mu.Unlock()
		if fail {
			http.Error(w, "Internal Server Error", http.StatusInternalServerError)
			return
		}
		req, err := readRequest(r.Body)
		if err != nil {
			write(w, http.StatusOK, failure(1002, "Application error: "+err.Error()))
			return
		}
		if req["merchant_id"] == "" {
			write(w, http.StatusOK, failure(1008, "Parameter `merchant_id` is mandatory"))
			return
		}
		if req["merchant_id"] != s.merchantID {
			write(w, http.StatusOK, failure(1002, "Merchant not found"))
			return
		}
		if want, _ := sign(s.secret, req); !strings.EqualFold(req["signature"], want) {
			write(w, http.StatusOK, failure(1014, "Invalid signature"))
			return
		}
		code, res, after := h(req)
		if after != nil {
			after()
		}
		write(w, code, res)
	})
}

// readRequest reads {"request": {…}} with string and number values, as text.
func readRequest(body io.Reader) (map[string]string, error) {
	dec := json.NewDecoder(io.LimitReader(body, 64<<10))
	dec.UseNumber()
	var env struct {
		Request map[string]any `json:"request"`
	}
	if err := dec.Decode(&env); err != nil || env.Request == nil {
		return nil, fmt.Errorf("the request is not {\"request\": {…}}")
	}
	out := map[string]string{}
	for k, v := range env.Request {
		switch v.(type) {
		case string, json.Number, nil:
			out[k] = text(v)
		default:
			return nil, fmt.Errorf("parameter %s is not a string or a number", k)
		}
	}
	return out, nil
}

func write(w http.ResponseWriter, code int, res map[string]any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{"response": res}) // the client gave up: nothing to tell
}

// failure is Fondy refusing a request.
func failure(code int, msg string) map[string]any {
	return map[string]any{"response_status": "failure", "error_code": json.Number(strconv.Itoa(code)),
		"error_message": msg, "request_id": strings.ToLower(rand.Text())[:13]}
}

// mandatory is the failure for the first of names req lacks, or nil.
func mandatory(req map[string]string, names ...string) map[string]any {
	for _, n := range names {
		if req[n] == "" {
			return failure(1008, "Parameter `"+n+"` is mandatory")
		}
	}
	return nil
}

// amountOf reads a positive amount in minor units.
func amountOf(s string) (int64, bool) {
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n > 0
}

func (s *Server) checkout(req map[string]string) (int, map[string]any, func()) {
	if f := mandatory(req, "order_id", "order_desc", "amount", "currency"); f != nil {
		return http.StatusOK, f, nil
	}
	amount, ok := amountOf(req["amount"])
	if !ok {
		return http.StatusOK, failure(1008, "Parameter `amount` is incorrect"), nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.orders[req["order_id"]]; dup {
		return http.StatusOK, failure(1013, "Duplicate order_id for merchant"), nil
	}
	s.orders[req["order_id"]] = &order{
		call: Call{OrderID: req["order_id"], Status: StatusCreated, Amount: amount, Currency: req["currency"],
			Email: req["sender_email"], MerchantData: req["merchant_data"], Time: time.Now()},
		request: req, callbackURL: req["server_callback_url"], wantsToken: req["required_rectoken"] == "Y",
	}
	return http.StatusOK, map[string]any{"response_status": "success",
		"checkout_url": s.URL + "/merchants/fake/default/index.html?token=" + strings.ToLower(rand.Text())}, nil
}

func (s *Server) recurring(req map[string]string) (int, map[string]any, func()) {
	if f := mandatory(req, "order_id", "order_desc", "amount", "currency", "rectoken"); f != nil {
		return http.StatusOK, f, nil
	}
	amount, ok := amountOf(req["amount"])
	if !ok {
		return http.StatusOK, failure(1008, "Parameter `amount` is incorrect"), nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tok, known := s.tokens[req["rectoken"]]
	if !known {
		return http.StatusOK, failure(1025, "Invalid rectoken"), nil
	}
	if _, dup := s.orders[req["order_id"]]; dup {
		return http.StatusOK, failure(1013, "Duplicate order_id for merchant"), nil
	}
	s.payments++
	o := &order{call: Call{OrderID: req["order_id"], Status: StatusApproved, Amount: amount, Currency: req["currency"],
		PaymentID: s.payments, Email: req["sender_email"], RecToken: req["rectoken"], MerchantData: req["merchant_data"],
		Time: time.Now()}, request: req, callbackURL: req["server_callback_url"]}
	if tok.declined {
		o.call.Status = StatusDeclined
		o.call.ResponseCode, o.call.ResponseDescription = "1005", "Insufficient funds"
	}
	s.orders[o.call.OrderID] = o
	ch := &Charge{Ref: o.call.OrderID, Token: req["rectoken"], Amount: amount, Currency: req["currency"],
		Desc: req["order_desc"], Status: o.call.Status, CallbackURL: o.callbackURL}
	s.charges = append(s.charges, ch)
	code := http.StatusOK
	var res map[string]any
	if s.loseNext > 0 {
		s.loseNext--
		ch.Lost = true
		code, res = http.StatusBadGateway, map[string]any{"response_status": "failure", "error_message": "Bad Gateway"}
	} else {
		res = callFields(s.secret, s.merchantID, o.call)
	}
	return code, res, s.afterChange(o, ch)
}

// afterChange is what to do, the lock released, once order o changed: post its callback when PostCallbacks is on
// (recording the outcome in ch when not nil); nil when there is nothing to do. Called with the lock held.
func (s *Server) afterChange(o *order, ch *Charge) func() {
	if !s.callbacks || o.callbackURL == "" {
		return nil
	}
	body, url := Callback(s.secret, s.merchantID, o.call), o.callbackURL
	return func() {
		code := s.postCallback(url, body)
		if ch != nil {
			s.mu.Lock()
			ch.CallbackStatus = code
			s.mu.Unlock()
		}
	}
}

// postCallback posts body to url as Fondy does; the answer's status, -1 when the post failed.
func (s *Server) postCallback(url string, body []byte) int {
	res, err := s.client.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		return -1
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, res.Body)
	return res.StatusCode
}

func (s *Server) status(req map[string]string) (int, map[string]any, func()) {
	if f := mandatory(req, "order_id"); f != nil {
		return http.StatusOK, f, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[req["order_id"]]
	if !ok {
		return http.StatusOK, failure(1018, "Order not found"), nil
	}
	return http.StatusOK, callFields(s.secret, s.merchantID, o.call), nil
}

func (s *Server) reverse(req map[string]string) (int, map[string]any, func()) {
	if f := mandatory(req, "order_id", "amount", "currency"); f != nil {
		return http.StatusOK, f, nil
	}
	amount, ok := amountOf(req["amount"])
	if !ok {
		return http.StatusOK, failure(1008, "Parameter `amount` is incorrect"), nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[req["order_id"]]
	if !ok {
		return http.StatusOK, failure(1018, "Order not found"), nil
	}
	answer := func(status, code, desc string) map[string]any {
		s.payments++
		return signed(s.secret, map[string]any{"response_status": "success", "order_id": o.call.OrderID,
			"merchant_id": number(s.merchantID), "reverse_status": status,
			"reversal_amount": strconv.FormatInt(o.call.ReversalAmount, 10), "currency": o.call.Currency,
			"transaction_id": json.Number(strconv.FormatInt(s.payments, 10)), "response_code": code,
			"response_description": desc})
	}
	switch {
	case o.call.Status != StatusApproved:
		return http.StatusOK, answer("declined", "1036", "Order is not approved"), nil
	case req["currency"] != o.call.Currency:
		return http.StatusOK, answer("declined", "1038", "Currency does not match the order's"), nil
	case amount > o.call.Amount-o.call.ReversalAmount:
		return http.StatusOK, answer("declined", "1037", "Reversal amount exceeds order amount"), nil
	}
	o.call.ReversalAmount += amount
	if o.call.ReversalAmount == o.call.Amount {
		o.call.Status = StatusReversed
	}
	res := answer("approved", "", "")
	cb := o.call
	cb.TranType, cb.Status = "reverse", StatusApproved
	if o.call.Status == StatusReversed {
		cb.Status = StatusReversed
	}
	var after func()
	if s.callbacks && o.callbackURL != "" {
		body, url := Callback(s.secret, s.merchantID, cb), o.callbackURL
		after = func() { s.postCallback(url, body) }
	}
	return http.StatusOK, res, after
}
