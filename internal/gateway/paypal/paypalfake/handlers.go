package paypalfake

import (
	"bytes"
	"crypto/hmac"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// enter records r and answers it when it cannot go further: an endpoint set to Fail, or no valid bearer token
// (when auth). It reports whether the handler goes on.
func (s *Server) enter(w http.ResponseWriter, r *http.Request, auth bool) bool {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	r.Body = io.NopCloser(bytes.NewReader(body))
	s.mu.Lock()
	s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Pattern: r.Pattern,
		Header: r.Header.Clone(), Body: body})
	s.calls[r.Pattern]++
	if strings.HasSuffix(r.Pattern, "/capture") {
		if o, ok := s.orders[r.PathValue("id")]; ok {
			o.captureCalls++
		}
	}
	_, route, _ := strings.Cut(r.Pattern, " ")
	status := 0
	for _, k := range []string{r.URL.Path, r.Pattern, route} {
		if st, ok := s.fails[k]; ok && k != "" {
			status = st
		}
	}
	tokenOK := s.tokens[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
	s.mu.Unlock()
	if status != 0 {
		writeError(w, status, "INTERNAL_SERVER_ERROR", "An internal server error has occurred.", "", "")
		return false
	}
	if auth && !tokenOK {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, `{"error":"invalid_token","error_description":"Token signature verification failed"}`)
		return false
	}
	return true
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if !s.enter(w, r, false) {
		return
	}
	id, secret, ok := r.BasicAuth()
	_ = r.ParseForm()
	if !ok || id != ClientID || secret != ClientSecret {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, `{"error":"invalid_client","error_description":"Client Authentication failed"}`)
		return
	}
	if r.PostForm.Get("grant_type") != "client_credentials" {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"error":"unsupported_grant_type","error_description":"Grant Type is NULL"}`)
		return
	}
	s.mu.Lock()
	tok := "A21AA" + s.newID() + s.newID()
	s.tokens[tok] = true
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"scope": "https://uri.paypal.com/services/payments/payment",
		"access_token": tok, "token_type": "Bearer", "app_id": "APP-80W284485P519543T", "expires_in": 32400,
		"nonce": time.Now().UTC().Format(time.RFC3339) + "fake"})
}

// replayed answers r with the stored answer of an earlier request with the same PayPal-Request-Id to the same
// route, as PayPal does for idempotent retries. s.mu must be held.
func (s *Server) replayed(w http.ResponseWriter, r *http.Request) (string, bool) {
	rid := r.Header.Get("PayPal-Request-Id")
	if rid == "" {
		return "", false
	}
	key := r.Pattern + "|" + r.PathValue("id") + "|" + rid
	if rep, ok := s.replays[key]; ok {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(rep.status)
		_, _ = w.Write(rep.body)
		return key, true
	}
	return key, false
}

// answer writes v with status and, when key is not "", keeps it for replays. s.mu must be held.
func (s *Server) answer(w http.ResponseWriter, key string, status int, v any) {
	body := marshal(v)
	if key != "" {
		s.replays[key] = reply{status: status, body: body}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func (s *Server) createOrder(w http.ResponseWriter, r *http.Request) {
	if !s.enter(w, r, true) {
		return
	}
	var in struct {
		Intent             string          `json:"intent"`
		PurchaseUnits      []purchaseUnit  `json:"purchase_units"`
		ApplicationContext *appContext     `json:"application_context"`
		Payer              json.RawMessage `json:"payer"`
	}
	body, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(body, &in); err != nil {
		writeError(w, http.StatusBadRequest, "INVALID_REQUEST", "Request is not well-formed, syntactically incorrect, or violates schema.", "", "MALFORMED_REQUEST_JSON")
		return
	}
	if field, issue := validateOrder(in.Intent, in.PurchaseUnits); issue != "" {
		status, name := http.StatusBadRequest, "INVALID_REQUEST"
		if issue == "DECIMAL_PRECISION" || issue == "ITEM_TOTAL_MISMATCH" {
			status, name = http.StatusUnprocessableEntity, "UNPROCESSABLE_ENTITY"
		}
		writeError(w, status, name, "The request failed validation.", field, issue)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key, done := s.replayed(w, r)
	if done {
		return
	}
	now := time.Now().UTC()
	o := &order{id: s.newID(), status: "CREATED", intent: in.Intent, requestID: r.Header.Get("PayPal-Request-Id"),
		unit: in.PurchaseUnits[0], created: now, updated: now}
	if in.ApplicationContext != nil {
		o.app = *in.ApplicationContext
	}
	if o.unit.ReferenceID == "" {
		o.unit.ReferenceID = "default"
	}
	o.unit.Payee = json.RawMessage(`{"email_address":"school@example.com","merchant_id":"7KNGBPH2U58GQ"}`)
	s.orders[o.id] = o
	if r.Header.Get("Prefer") == "return=representation" {
		s.answer(w, key, http.StatusCreated, s.orderJSON(o))
		return
	}
	s.answer(w, key, http.StatusCreated, map[string]any{"id": o.id, "status": o.status, "links": s.orderLinks(o)})
}

// validateOrder checks a create-order request as PayPal does, returning the failing field and issue.
func validateOrder(intent string, units []purchaseUnit) (field, issue string) {
	if intent != "CAPTURE" && intent != "AUTHORIZE" {
		return "/intent", "INVALID_PARAMETER_VALUE"
	}
	if len(units) != 1 {
		return "/purchase_units", "INVALID_ARRAY_LENGTH"
	}
	u := units[0]
	if u.Amount == nil {
		return "/purchase_units/@reference_id=='default'/amount", "MISSING_REQUIRED_PARAMETER"
	}
	total, err := parseValue(u.Amount.Money)
	if err != nil {
		return "/purchase_units/@reference_id=='default'/amount/value", err.Error()
	}
	if total <= 0 {
		return "/purchase_units/@reference_id=='default'/amount/value", "CANNOT_BE_ZERO_OR_NEGATIVE"
	}
	if len(u.CustomID) > 127 || len(u.InvoiceID) > 127 || len([]rune(u.Description)) > 127 {
		return "/purchase_units/@reference_id=='default'", "INVALID_STRING_LENGTH"
	}
	if u.Amount.Breakdown != nil && u.Amount.Breakdown.ItemTotal != nil {
		itemTotal, err := parseValue(*u.Amount.Breakdown.ItemTotal)
		if err != nil {
			return "/purchase_units/@reference_id=='default'/amount/breakdown/item_total/value", err.Error()
		}
		var sum int64
		for _, it := range u.Items {
			if it.UnitAmount == nil || it.UnitAmount.Currency != u.Amount.Currency {
				return "/purchase_units/@reference_id=='default'/items", "ITEM_TOTAL_MISMATCH"
			}
			v, err := parseValue(*it.UnitAmount)
			q, qerr := strconv.ParseInt(it.Quantity, 10, 64)
			if err != nil || qerr != nil || q <= 0 || it.Name == "" || len([]rune(it.Name)) > 127 {
				return "/purchase_units/@reference_id=='default'/items", "INVALID_PARAMETER_VALUE"
			}
			sum += v * q
		}
		if itemTotal != total || sum != itemTotal || u.Amount.Breakdown.ItemTotal.Currency != u.Amount.Currency {
			return "/purchase_units/@reference_id=='default'/amount/breakdown/item_total", "ITEM_TOTAL_MISMATCH"
		}
	}
	return "", ""
}

func (s *Server) getOrder(w http.ResponseWriter, r *http.Request) {
	if !s.enter(w, r, true) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[r.PathValue("id")]
	if !ok {
		writeError(w, http.StatusNotFound, "RESOURCE_NOT_FOUND", "The specified resource does not exist.", "order_id", "INVALID_RESOURCE_ID")
		return
	}
	s.answer(w, "", http.StatusOK, s.orderJSON(o))
}

func (s *Server) captureOrder(w http.ResponseWriter, r *http.Request) {
	if !s.enter(w, r, true) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[r.PathValue("id")]
	if !ok {
		writeError(w, http.StatusNotFound, "RESOURCE_NOT_FOUND", "The specified resource does not exist.", "order_id", "INVALID_RESOURCE_ID")
		return
	}
	key, done := s.replayed(w, r)
	if done {
		return
	}
	switch o.status {
	case "COMPLETED":
		writeError(w, http.StatusUnprocessableEntity, "UNPROCESSABLE_ENTITY",
			"The requested action could not be performed, semantically incorrect, or failed business validation.",
			"", "ORDER_ALREADY_CAPTURED")
		return
	case "CREATED":
		writeError(w, http.StatusUnprocessableEntity, "UNPROCESSABLE_ENTITY",
			"The requested action could not be performed, semantically incorrect, or failed business validation.",
			"", "ORDER_NOT_APPROVED")
		return
	}
	if s.captureStatus == "INSTRUMENT_DECLINED" {
		writeError(w, http.StatusUnprocessableEntity, "UNPROCESSABLE_ENTITY",
			"The requested action could not be performed, semantically incorrect, or failed business validation.",
			"", "INSTRUMENT_DECLINED")
		return
	}
	now := time.Now().UTC()
	c := &capture{id: s.newID(), orderID: o.id, status: s.captureStatus, amount: o.unit.Amount.Money, created: now, updated: now}
	o.captures = append(o.captures, c)
	o.status, o.updated = "COMPLETED", now
	s.captures[c.id] = c
	if r.Header.Get("Prefer") == "return=representation" {
		s.answer(w, key, http.StatusCreated, s.orderJSON(o))
		return
	}
	// The minimal representation of a capture still names the payer and the captures.
	full := s.orderJSON(o)
	s.answer(w, key, http.StatusCreated, map[string]any{"id": o.id, "status": o.status, "payer": full["payer"],
		"purchase_units": full["purchase_units"], "links": full["links"]})
}

func (s *Server) getCapture(w http.ResponseWriter, r *http.Request) {
	if !s.enter(w, r, true) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.captures[r.PathValue("id")]
	if !ok {
		writeError(w, http.StatusNotFound, "RESOURCE_NOT_FOUND", "The specified resource does not exist.", "capture_id", "INVALID_RESOURCE_ID")
		return
	}
	s.answer(w, "", http.StatusOK, s.captureJSON(c))
}

func (s *Server) getRefund(w http.ResponseWriter, r *http.Request) {
	if !s.enter(w, r, true) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rf, ok := s.refunds[r.PathValue("id")]
	if !ok {
		writeError(w, http.StatusNotFound, "RESOURCE_NOT_FOUND", "The specified resource does not exist.", "refund_id", "INVALID_RESOURCE_ID")
		return
	}
	s.answer(w, "", http.StatusOK, s.refundJSON(rf))
}

func (s *Server) refundCapture(w http.ResponseWriter, r *http.Request) {
	if !s.enter(w, r, true) {
		return
	}
	var in struct {
		Amount      *Money `json:"amount"`
		InvoiceID   string `json:"invoice_id"`
		NoteToPayer string `json:"note_to_payer"`
	}
	body, _ := io.ReadAll(r.Body)
	if len(bytes.TrimSpace(body)) > 0 {
		if err := json.Unmarshal(body, &in); err != nil {
			writeError(w, http.StatusBadRequest, "INVALID_REQUEST", "Request is not well-formed, syntactically incorrect, or violates schema.", "", "MALFORMED_REQUEST_JSON")
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.captures[r.PathValue("id")]
	if !ok {
		writeError(w, http.StatusNotFound, "RESOURCE_NOT_FOUND", "The specified resource does not exist.", "capture_id", "INVALID_RESOURCE_ID")
		return
	}
	key, done := s.replayed(w, r)
	if done {
		return
	}
	unprocessable := func(issue string) {
		writeError(w, http.StatusUnprocessableEntity, "UNPROCESSABLE_ENTITY",
			"The requested action could not be performed, semantically incorrect, or failed business validation.", "", issue)
	}
	switch c.status {
	case "REFUNDED":
		unprocessable("CAPTURE_FULLY_REFUNDED")
		return
	case "COMPLETED", "PARTIALLY_REFUNDED":
	default:
		unprocessable("REFUND_NOT_ALLOWED")
		return
	}
	captured, _ := parseValue(c.amount)
	refunded := c.refunded()
	amount := Money{Currency: c.amount.Currency, Value: formatValue(captured-refunded, c.amount.Currency)}
	if in.Amount != nil {
		if in.Amount.Currency != c.amount.Currency {
			unprocessable("REFUND_CURRENCY_MISMATCH")
			return
		}
		v, err := parseValue(*in.Amount)
		if err != nil {
			unprocessable(err.Error())
			return
		}
		if v <= 0 {
			writeError(w, http.StatusBadRequest, "INVALID_REQUEST", "The request failed validation.", "/amount/value", "CANNOT_BE_ZERO_OR_NEGATIVE")
			return
		}
		if refunded+v > captured {
			unprocessable("REFUND_AMOUNT_EXCEEDED")
			return
		}
		amount = *in.Amount
	}
	rf := &refund{id: s.newID(), captureID: c.id, status: "COMPLETED", note: in.NoteToPayer, amount: amount,
		created: time.Now().UTC()}
	s.refunds[rf.id] = rf
	c.refunds = append(c.refunds, rf)
	c.status = "PARTIALLY_REFUNDED"
	if c.refunded() >= captured {
		c.status = "REFUNDED"
	}
	c.updated = rf.created
	if r.Header.Get("Prefer") == "return=representation" {
		s.answer(w, key, http.StatusCreated, s.refundJSON(rf))
		return
	}
	s.answer(w, key, http.StatusCreated, map[string]any{"id": rf.id, "status": rf.status, "links": s.refundLinks(rf)})
}

func (s *Server) verify(w http.ResponseWriter, r *http.Request) {
	if !s.enter(w, r, true) {
		return
	}
	var in struct {
		AuthAlgo         string          `json:"auth_algo"`
		CertURL          string          `json:"cert_url"`
		TransmissionID   string          `json:"transmission_id"`
		TransmissionSig  string          `json:"transmission_sig"`
		TransmissionTime string          `json:"transmission_time"`
		WebhookID        string          `json:"webhook_id"`
		WebhookEvent     json.RawMessage `json:"webhook_event"`
	}
	body, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(body, &in); err != nil {
		writeError(w, http.StatusBadRequest, "INVALID_REQUEST", "Request is not well-formed, syntactically incorrect, or violates schema.", "", "MALFORMED_REQUEST_JSON")
		return
	}
	for _, f := range []struct{ name, value string }{{"auth_algo", in.AuthAlgo}, {"cert_url", in.CertURL},
		{"transmission_id", in.TransmissionID}, {"transmission_sig", in.TransmissionSig},
		{"transmission_time", in.TransmissionTime}, {"webhook_id", in.WebhookID}, {"webhook_event", string(in.WebhookEvent)}} {
		if f.value == "" || f.value == "null" {
			writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", "Invalid request - see details", f.name, "MISSING_REQUIRED_PARAMETER")
			return
		}
	}
	s.mu.Lock()
	s.verifications++
	s.mu.Unlock()
	status := "FAILURE"
	// The event is the body as received, byte for byte: its CRC32 is part of what PayPal signed.
	if in.WebhookID == WebhookID && in.AuthAlgo == "SHA256withRSA" &&
		strings.HasPrefix(in.CertURL, "https://api.sandbox.paypal.com/v1/notifications/certs/") &&
		hmac.Equal([]byte(in.TransmissionSig), []byte(Signature(in.TransmissionID, in.TransmissionTime, in.WebhookID, in.WebhookEvent))) {
		status = "SUCCESS"
	}
	writeJSON(w, http.StatusOK, map[string]string{"verification_status": status})
}
