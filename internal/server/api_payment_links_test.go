package server

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bursar/bursar/internal/crm"
	"github.com/bursar/bursar/internal/staff"
)

func TestAPIPaymentLinks(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	key := a.apiKey()
	f := newOrderFixture(t, a)
	linkBody := map[string]any{"contact_id": f.contact.ID, "offer_id": f.offer.ID, "note": "As agreed on the phone",
		"language": "es"}

	var created map[string]any
	res, raw := a.api(key, "POST", "/api/v1/payment-links", linkBody, &created, "Idempotency-Key", "link-1")
	wantStatus(t, res, raw, http.StatusCreated)
	id := int64(created["id"].(float64))
	if created["status"] != "active" || created["amount"] != float64(4900) || created["currency"] != "EUR" ||
		created["title"] != "Spanish A1" || created["language"] != "es" || created["creator_type"] != "api" ||
		!strings.HasPrefix(created["url"].(string), a.srv.cfg.BaseURL+"/pay/") {
		t.Fatalf("created = %s", raw)
	}
	if res.Header.Get("Location") != "/api/v1/payment-links/"+itoa(id) {
		t.Errorf("Location = %q", res.Header.Get("Location"))
	}
	expires, _ := time.Parse(time.RFC3339, created["expires_at"].(string))
	if d := time.Until(expires); d < 7*24*time.Hour-time.Minute || d > 7*24*time.Hour {
		t.Errorf("expires in %v, want 7 days", d)
	}

	t.Run("IdempotencyKey", func(t *testing.T) {
		var again map[string]any
		res, raw := a.api(key, "POST", "/api/v1/payment-links", linkBody, &again, "Idempotency-Key", "link-1")
		wantStatus(t, res, raw, http.StatusCreated)
		if again["id"] != created["id"] {
			t.Errorf("replay = %s; want link %d", raw, id)
		}
		if n := countRows(t, a, "SELECT count(*) FROM payment_links"); n != 1 {
			t.Errorf("%d links after a replayed create", n)
		}
	})

	t.Run("BadInput", func(t *testing.T) {
		gone, err := a.srv.contacts.Create(a.ctx(), crm.Input{Email: "gone@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		if err := a.srv.contacts.Delete(a.ctx(), gone.ID); err != nil {
			t.Fatal(err)
		}
		c, o := itoa(f.contact.ID), itoa(f.offer.ID)
		customBody := func(amount, currency string) string {
			return `{"contact_id":` + c + `,"amount":` + amount + `,"currency":"` + currency +
				`","description":"Private lesson","payment_system_ids":[` + itoa(f.manual.ID) + `]}`
		}
		tests := []struct {
			name, body, field string
		}{
			{"AmountZero", customBody("0", "EUR"), "amount"},
			{"AmountNegative", customBody("-5", "EUR"), "amount"},
			{"AmountOverLimit", customBody("1000000000001", "EUR"), "amount"},
			{"UnknownCurrency", customBody("100", "ABC"), "currency"},
			{"ExpiryInThePast", `{"contact_id":` + c + `,"offer_id":` + o + `,"expires_at":"2020-01-01T00:00:00Z"}`, "expires_at"},
			{"ExpiryNotATime", `{"contact_id":` + c + `,"offer_id":` + o + `,"expires_at":"tomorrow"}`, "expires_at"},
			{"UnknownContact", `{"contact_id":999999,"offer_id":` + o + `}`, "contact_id"},
			{"DeletedContact", `{"contact_id":` + itoa(gone.ID) + `,"offer_id":` + o + `}`, "contact_id"},
			{"NoContact", `{"offer_id":` + o + `}`, "contact_id"},
			{"SystemNotTheOffers", `{"contact_id":` + c + `,"offer_id":` + o + `,"payment_system_ids":[` +
				itoa(f.cardsOnly.PaymentSystemIDs[0]) + `]}`, "payment_system_ids"},
			{"UnknownOffer", `{"contact_id":` + c + `,"offer_id":999999}`, "offer_id"},
			{"UnknownField", `{"contact_id":` + c + `,"offer_id":` + o + `,"price":1}`, "price"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var p Problem
				res, raw := a.api(key, "POST", "/api/v1/payment-links", tt.body, &p)
				wantStatus(t, res, raw, http.StatusUnprocessableEntity)
				if p.Errors[tt.field] == "" {
					t.Errorf("no message on %s: %s", tt.field, raw)
				}
			})
		}
		if n := countRows(t, a, "SELECT count(*) FROM payment_links"); n != 1 {
			t.Errorf("%d links after bad input; want 1", n)
		}
	})

	t.Run("GetAndList", func(t *testing.T) {
		var got map[string]any
		res, raw := a.api(key, "GET", "/api/v1/payment-links/"+itoa(id), nil, &got)
		wantStatus(t, res, raw, http.StatusOK)
		if got["url"] != created["url"] || len(got["timeline"].([]any)) != 1 {
			t.Errorf("get = %s", raw)
		}
		var list struct {
			Data []map[string]any `json:"data"`
		}
		res, raw = a.api(key, "GET", "/api/v1/payment-links?status=active&contact_id="+itoa(f.contact.ID)+
			"&offer_id="+itoa(f.offer.ID)+"&from="+time.Now().UTC().Format(time.DateOnly), nil, &list)
		wantStatus(t, res, raw, http.StatusOK)
		if len(list.Data) != 1 || list.Data[0]["id"] != created["id"] {
			t.Errorf("list = %s", raw)
		}
		res, raw = a.api(key, "GET", "/api/v1/payment-links?status=paid", nil, &list)
		wantStatus(t, res, raw, http.StatusOK)
		if len(list.Data) != 0 {
			t.Errorf("paid links = %s", raw)
		}
		res, raw = a.api(key, "GET", "/api/v1/payment-links?creator=boss", nil, nil)
		wantStatus(t, res, raw, http.StatusUnprocessableEntity)
		res, raw = a.api(key, "GET", "/api/v1/payment-links/999999", nil, nil)
		wantStatus(t, res, raw, http.StatusNotFound)
	})

	t.Run("Send", func(t *testing.T) {
		res, raw := a.api(key, "POST", "/api/v1/payment-links/"+itoa(id)+"/send", nil, nil)
		wantStatus(t, res, raw, http.StatusOK)
		if n := countRows(t, a, "SELECT count(*) FROM outbound_emails WHERE related_type = 'payment_link' AND to_address = 'student@example.com'"); n != 1 {
			t.Errorf("%d link e-mails to the payer", n)
		}
	})

	t.Run("Scopes", func(t *testing.T) {
		reader := a.apiKey(staff.Scope("orders", staff.LevelRead))
		res, raw := a.api(reader, "POST", "/api/v1/payment-links", linkBody, nil)
		wantStatus(t, res, raw, http.StatusForbidden)
		res, raw = a.api(reader, "GET", "/api/v1/payment-links/"+itoa(id), nil, nil)
		wantStatus(t, res, raw, http.StatusOK)
	})

	t.Run("Cancel", func(t *testing.T) {
		var got map[string]any
		res, raw := a.api(key, "POST", "/api/v1/payment-links/"+itoa(id)+"/cancel", map[string]any{"comment": "sent twice"}, &got)
		wantStatus(t, res, raw, http.StatusOK)
		if got["status"] != "cancelled" || got["decided_by"] != "test" {
			t.Errorf("cancelled = %s", raw)
		}
		var p Problem
		res, raw = a.api(key, "POST", "/api/v1/payment-links/"+itoa(id)+"/cancel", nil, &p)
		wantStatus(t, res, raw, http.StatusConflict)
		if !strings.Contains(p.Detail, "cancelled") {
			t.Errorf("second cancel = %s", raw)
		}
	})
}
