package server

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bursar/bursar/internal/staff"
)

func TestAPIEnrollmentsAndReceipts(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	key := a.apiKey()
	f := newBillingFixture(t, a)
	body := map[string]any{"offer_id": f.tuition, "payer_id": f.parent.ID,
		"learner": map[string]any{"email": "child@example.com", "name": "Leo Ruiz"}, "payment_system_id": f.manual.ID,
		"language": "es"}

	var created map[string]any
	res, raw := a.api(key, "POST", "/api/v1/enrollments", body, &created, "Idempotency-Key", "enroll-1")
	wantStatus(t, res, raw, http.StatusCreated)
	enID := int64(created["id"].(float64))
	if created["status"] != "pending" || created["kind"] != "tuition" || created["payer_id"] != float64(f.parent.ID) ||
		created["learner_id"] == created["payer_id"] || created["amount"] != float64(4900) || created["currency"] != "EUR" ||
		created["language"] != "es" || !strings.HasPrefix(created["pay_url"].(string), a.srv.cfg.BaseURL+"/pay/") {
		t.Fatalf("created = %s", raw)
	}
	if res.Header.Get("Location") != "/api/v1/enrollments/"+itoa(enID) {
		t.Errorf("Location = %q", res.Header.Get("Location"))
	}
	receipts := created["receipts"].([]any)
	if len(receipts) != 1 {
		t.Fatalf("receipts = %v", receipts)
	}
	first := receipts[0].(map[string]any)
	firstID := int64(first["id"].(float64))
	if first["status"] != "issued" || first["amount"] != float64(5900) || first["fee"] != float64(1000) ||
		first["due"] != float64(5900) || first["pay_url"] != created["pay_url"] {
		t.Errorf("first receipt = %v", first)
	}
	for _, k := range []string{"due_at", "grace_until", "period_start", "issued_at"} {
		if _, err := time.Parse(time.RFC3339, first[k].(string)); err != nil {
			t.Errorf("%s = %v: %v", k, first[k], err)
		}
	}

	t.Run("IdempotencyKey", func(t *testing.T) {
		var again map[string]any
		res, raw := a.api(key, "POST", "/api/v1/enrollments", body, &again, "Idempotency-Key", "enroll-1")
		wantStatus(t, res, raw, http.StatusCreated)
		if again["id"] != created["id"] || res.Header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("replay = %s", raw)
		}
		if n := a.count("SELECT count(*) FROM enrollments"); n != 1 {
			t.Errorf("%d enrollments after a replayed enroll", n)
		}
	})

	t.Run("BadInput", func(t *testing.T) {
		o, p, m := itoa(f.tuition), itoa(f.parent.ID), itoa(f.manual.ID)
		tests := []struct {
			name, body, field string
		}{
			{"UnknownOffer", `{"offer_id":999999,"payer_id":` + p + `,"payment_system_id":` + m + `}`, "offer_id"},
			{"NotBilledOverTime", `{"offer_id":` + itoa(f.offer.ID) + `,"payer_id":` + p + `,"payment_system_id":` + m + `}`, "offer_id"},
			{"UnknownPayer", `{"offer_id":` + o + `,"payer_id":999999,"payment_system_id":` + m + `}`, "payer_id"},
			{"SystemNotTheOffers", `{"offer_id":` + o + `,"payer_id":` + p + `,"payment_system_id":` + itoa(f.cardsOnly.PaymentSystemIDs[0]) + `}`, "payment_system_id"},
			{"UnknownField", `{"offer_id":` + o + `,"payer_id":` + p + `,"payment_system_id":` + m + `,"price":1}`, "price"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var pb Problem
				res, raw := a.api(key, "POST", "/api/v1/enrollments", tt.body, &pb)
				wantStatus(t, res, raw, http.StatusUnprocessableEntity)
				if pb.Errors[tt.field] == "" {
					t.Errorf("no message on %s: %s", tt.field, raw)
				}
			})
		}
		t.Run("LearnerWithoutEmail", func(t *testing.T) {
			var pb Problem
			res, raw := a.api(key, "POST", "/api/v1/enrollments", `{"offer_id":`+o+`,"payer_id":`+p+`,"payment_system_id":`+m+
				`,"learner":{"name":"Leo"}}`, &pb)
			wantStatus(t, res, raw, http.StatusUnprocessableEntity)
			if len(pb.Errors) == 0 || !strings.Contains(string(raw), "email") {
				t.Errorf("no message on the learner's e-mail: %s", raw)
			}
		})
		if n := a.count("SELECT count(*) FROM enrollments"); n != 1 {
			t.Errorf("%d enrollments after bad input; want 1", n)
		}
		if n := a.count("SELECT count(*) FROM receipts"); n != 1 {
			t.Errorf("%d receipts after bad input; want 1", n)
		}
	})

	t.Run("GetAndList", func(t *testing.T) {
		var got map[string]any
		res, raw := a.api(key, "GET", "/api/v1/enrollments/"+itoa(enID), nil, &got)
		wantStatus(t, res, raw, http.StatusOK)
		if got["status"] != "pending" || len(got["receipts"].([]any)) != 1 || len(got["timeline"].([]any)) == 0 {
			t.Errorf("get = %s", raw)
		}
		var list struct {
			Data       []map[string]any `json:"data"`
			NextCursor string           `json:"next_cursor"`
		}
		res, raw = a.api(key, "GET", "/api/v1/enrollments?status=pending&offer_id="+itoa(f.tuition)+"&contact_id="+itoa(f.parent.ID), nil, &list)
		wantStatus(t, res, raw, http.StatusOK)
		if len(list.Data) != 1 || list.Data[0]["id"] != created["id"] {
			t.Errorf("list = %s", raw)
		}
		for _, q := range []string{"status=active", "overdue=true", "contact_id=" + itoa(f.contact.ID)} {
			res, raw = a.api(key, "GET", "/api/v1/enrollments?"+q, nil, &list)
			wantStatus(t, res, raw, http.StatusOK)
			if len(list.Data) != 0 {
				t.Errorf("?%s = %s", q, raw)
			}
		}
		for q, field := range map[string]string{"status=sleeping": "status", "overdue=maybe": "overdue", "offer_id=x": "offer_id",
			"cursor=zzz": "cursor", "limit=0": "limit"} {
			var pb Problem
			res, raw = a.api(key, "GET", "/api/v1/enrollments?"+q, nil, &pb)
			wantStatus(t, res, raw, http.StatusUnprocessableEntity)
			if pb.Errors[field] == "" {
				t.Errorf("?%s: no message on %s: %s", q, field, raw)
			}
		}
		res, raw = a.api(key, "GET", "/api/v1/enrollments/999999", nil, nil)
		wantStatus(t, res, raw, http.StatusNotFound)

		res, raw = a.api(key, "GET", "/api/v1/receipts?status=issued&enrollment_id="+itoa(enID)+"&payer_id="+itoa(f.parent.ID)+
			"&offer_id="+itoa(f.tuition), nil, &list)
		wantStatus(t, res, raw, http.StatusOK)
		if len(list.Data) != 1 || list.Data[0]["id"] != first["id"] {
			t.Errorf("receipts = %s", raw)
		} else if u, _ := list.Data[0]["pay_url"].(string); !strings.Contains(u, "/pay/") {
			t.Errorf("an open receipt in a list has no pay_url: %s", raw)
		}
		due, _ := time.Parse(time.RFC3339, first["due_at"].(string))
		day := due.Format(time.DateOnly)
		res, raw = a.api(key, "GET", "/api/v1/receipts?due_from="+day+"&due_to="+day, nil, &list)
		wantStatus(t, res, raw, http.StatusOK)
		if len(list.Data) != 1 {
			t.Errorf("receipts due on %s = %s", day, raw)
		}
		res, raw = a.api(key, "GET", "/api/v1/receipts?due_to=2000-01-01", nil, &list)
		wantStatus(t, res, raw, http.StatusOK)
		if len(list.Data) != 0 {
			t.Errorf("receipts due by 2000 = %s", raw)
		}
		var pb Problem
		res, raw = a.api(key, "GET", "/api/v1/receipts?due_from=soon", nil, &pb)
		wantStatus(t, res, raw, http.StatusUnprocessableEntity)
		if pb.Errors["due_from"] == "" {
			t.Errorf("bad due_from = %s", raw)
		}
		var rc map[string]any
		res, raw = a.api(key, "GET", "/api/v1/receipts/"+itoa(firstID), nil, &rc)
		wantStatus(t, res, raw, http.StatusOK)
		if rc["number"] == "" || rc["pay_url"] != created["pay_url"] || rc["payment_link_id"] == nil || len(rc["payments"].([]any)) != 0 {
			t.Errorf("receipt = %s", raw)
		}
	})

	t.Run("Scopes", func(t *testing.T) {
		orders := a.apiKey(staff.Scope("orders", staff.LevelWrite))
		res, raw := a.api(orders, "GET", "/api/v1/enrollments", nil, nil)
		wantStatus(t, res, raw, http.StatusForbidden)
		if !strings.Contains(string(raw), "billing:read") {
			t.Errorf("403 = %s", raw)
		}
		reader := a.apiKey(staff.Scope("billing", staff.LevelRead))
		res, raw = a.api(reader, "GET", "/api/v1/receipts/"+itoa(firstID), nil, nil)
		wantStatus(t, res, raw, http.StatusOK)
		res, raw = a.api(reader, "POST", "/api/v1/receipts/"+itoa(firstID)+"/waive", map[string]any{"reason": "x"}, nil)
		wantStatus(t, res, raw, http.StatusForbidden)
		res, raw = a.api(reader, "POST", "/api/v1/enrollments", body, nil)
		wantStatus(t, res, raw, http.StatusForbidden)
		if st := f.receipt(t, a, firstID).Status; st != "issued" {
			t.Errorf("receipt %s after a refused waive", st)
		}
	})

	path := "/api/v1/receipts/" + itoa(firstID)
	t.Run("CashPayment", func(t *testing.T) {
		tests := []struct {
			name, body, field string
		}{
			{"MoreThanDue", `{"amount":100000,"currency":"EUR"}`, "amount"},
			{"Zero", `{"amount":0,"currency":"EUR"}`, "amount"},
			{"OtherCurrency", `{"amount":100,"currency":"USD"}`, "currency"},
			{"BadDate", `{"amount":100,"currency":"EUR","paid_on":"yesterday"}`, "paid_on"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var pb Problem
				res, raw := a.api(key, "POST", path+"/payments", tt.body, &pb)
				wantStatus(t, res, raw, http.StatusUnprocessableEntity)
				if pb.Errors[tt.field] == "" {
					t.Errorf("no message on %s: %s", tt.field, raw)
				}
			})
		}
		if n := a.count("SELECT count(*) FROM receipt_payments"); n != 0 {
			t.Fatalf("%d payments after bad input", n)
		}
		var got map[string]any
		res, raw := a.api(key, "POST", path+"/payments", map[string]any{"amount": 5900, "currency": "eur",
			"paid_on": "2026-01-05", "note": "cash at the desk"}, &got)
		wantStatus(t, res, raw, http.StatusCreated)
		pays := got["payments"].([]any)
		if got["status"] != "paid" || got["paid"] != float64(5900) || got["due"] != float64(0) || len(pays) != 1 ||
			pays[0].(map[string]any)["method"] != "cash" || pays[0].(map[string]any)["paid_on"] != "2026-01-05" {
			t.Errorf("paid = %s", raw)
		}
		if st := f.enrollment(t, a, enID).Status; st != "active" {
			t.Errorf("enrollment %s after its first receipt was paid", st)
		}
	})

	t.Run("Conflict", func(t *testing.T) {
		var pb Problem
		res, raw := a.api(key, "POST", path+"/waive", map[string]any{"reason": "too late"}, &pb)
		wantStatus(t, res, raw, http.StatusConflict)
		if pb.Detail == "" {
			t.Errorf("409 = %s", raw)
		}
		if st := f.receipt(t, a, firstID).Status; st != "paid" {
			t.Errorf("waiving a paid receipt left it %s", st)
		}
	})

	t.Run("Document", func(t *testing.T) {
		req, _ := http.NewRequest("GET", a.ts.URL+path+"/document.pdf", nil)
		req.Header.Set("Authorization", "Bearer "+key)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/pdf" ||
			!strings.Contains(res.Header.Get("Content-Disposition"), ".pdf") || res.Header.Get("Cache-Control") != "private, no-store" {
			t.Errorf("document.pdf: %d %s %q", res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Content-Disposition"))
		}
		res, raw := a.api(key, "GET", "/api/v1/receipts/999999/document.pdf", nil, nil)
		wantStatus(t, res, raw, http.StatusNotFound)
	})

	en := "/api/v1/enrollments/" + itoa(enID)
	t.Run("IssueNextGraceWaive", func(t *testing.T) {
		var rc map[string]any
		res, raw := a.api(key, "POST", en+"/issue-next", nil, &rc)
		wantStatus(t, res, raw, http.StatusCreated)
		if rc["status"] != "issued" || rc["period"] != float64(1) || rc["amount"] != float64(4900) {
			t.Fatalf("next = %s", raw)
		}
		next := "/api/v1/receipts/" + itoa(int64(rc["id"].(float64)))
		var pb Problem
		res, raw = a.api(key, "POST", next+"/extend-grace", map[string]any{}, &pb)
		wantStatus(t, res, raw, http.StatusUnprocessableEntity)
		if pb.Errors["until"] == "" {
			t.Errorf("no until = %s", raw)
		}
		res, raw = a.api(key, "POST", next+"/extend-grace", map[string]any{"until": "2020-01-01T00:00:00Z"}, &pb)
		wantStatus(t, res, raw, http.StatusUnprocessableEntity)
		grace, _ := time.Parse(time.RFC3339, rc["grace_until"].(string))
		until := grace.Add(10 * 24 * time.Hour).UTC()
		var got map[string]any
		res, raw = a.api(key, "POST", next+"/extend-grace", map[string]any{"until": until.Format(time.RFC3339)}, &got)
		wantStatus(t, res, raw, http.StatusOK)
		if g, _ := time.Parse(time.RFC3339, got["grace_until"].(string)); !g.Equal(until) {
			t.Errorf("grace_until = %v; want %v", got["grace_until"], until)
		}
		res, raw = a.api(key, "POST", next+"/waive", map[string]any{"reason": "scholarship"}, &got)
		wantStatus(t, res, raw, http.StatusOK)
		if got["status"] != "waived" || got["due"] != float64(0) || got["pay_url"] != "" {
			t.Errorf("waived = %s", raw)
		}
	})

	t.Run("PauseResumeCancel", func(t *testing.T) {
		var got map[string]any
		res, raw := a.api(key, "POST", en+"/pause", map[string]any{"reason": "summer break"}, &got)
		wantStatus(t, res, raw, http.StatusOK)
		if got["status"] != "paused" || got["paused_at"] == nil {
			t.Fatalf("paused = %s", raw)
		}
		res, raw = a.api(key, "POST", en+"/pause", map[string]any{"reason": "again"}, nil)
		wantStatus(t, res, raw, http.StatusConflict)
		res, raw = a.api(key, "POST", en+"/resume", nil, &got)
		wantStatus(t, res, raw, http.StatusOK)
		if got["status"] != "active" {
			t.Fatalf("resumed = %s", raw)
		}
		res, raw = a.api(key, "POST", en+"/cancel", map[string]any{"reason": "moved away"}, &got)
		wantStatus(t, res, raw, http.StatusOK)
		if got["status"] != "cancelled" || got["end_reason"] != "moved away" || got["ended_at"] == nil {
			t.Fatalf("cancelled = %s", raw)
		}
		res, raw = a.api(key, "POST", en+"/cancel", nil, nil)
		wantStatus(t, res, raw, http.StatusConflict)
		res, raw = a.api(key, "POST", en+"/issue-next", nil, nil)
		wantStatus(t, res, raw, http.StatusConflict)
	})

	t.Run("Pages", func(t *testing.T) {
		other, _ := f.enroll(t, a, key, "sister@example.com")
		var page struct {
			Data       []map[string]any `json:"data"`
			NextCursor string           `json:"next_cursor"`
		}
		res, raw := a.api(key, "GET", "/api/v1/enrollments?limit=1&contact_id="+itoa(f.parent.ID), nil, &page)
		wantStatus(t, res, raw, http.StatusOK)
		if len(page.Data) != 1 || page.Data[0]["id"] != float64(other) || page.NextCursor == "" {
			t.Fatalf("first page = %s", raw)
		}
		cursor := page.NextCursor
		page.NextCursor = ""
		res, raw = a.api(key, "GET", "/api/v1/enrollments?limit=1&contact_id="+itoa(f.parent.ID)+"&cursor="+cursor, nil, &page)
		wantStatus(t, res, raw, http.StatusOK)
		if len(page.Data) != 1 || page.Data[0]["id"] != float64(enID) || page.NextCursor != "" {
			t.Errorf("second page = %s", raw)
		}
		res, raw = a.api(key, "GET", "/api/v1/receipts?limit=2&payer_id="+itoa(f.parent.ID), nil, &page)
		wantStatus(t, res, raw, http.StatusOK)
		if len(page.Data) != 2 || page.NextCursor == "" {
			t.Errorf("receipts' first page = %s", raw)
		}
	})
}
