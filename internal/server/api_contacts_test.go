package server

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"
)

func TestAPIContacts(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	key := a.apiKey()
	var ana contactJSON
	res, raw := a.api(key, "POST", "/api/v1/contacts", map[string]any{"email": "Ana@School.test", "name": "Ana García",
		"phone": "+34 600", "custom_fields": map[string]string{"city": "Madrid"}}, &ana)
	wantStatus(t, res, raw, http.StatusCreated)
	if ana.ID == 0 || ana.Email != "ana@school.test" || ana.CustomFields["city"] != "Madrid" || ana.CreatedAt.IsZero() {
		t.Fatalf("created %s", raw)
	}
	for i := range 4 {
		res, raw := a.api(key, "POST", "/api/v1/contacts", map[string]any{"email": fmt.Sprintf("s%d@school.test", i), "name": "Student"}, nil)
		wantStatus(t, res, raw, http.StatusCreated)
	}

	tests := []struct {
		name  string
		body  any
		field string
	}{
		{"BadEmail", map[string]any{"email": "not-an-email"}, "email"},
		{"Duplicate", map[string]any{"email": "ANA@school.TEST"}, "email"},
		{"LongName", map[string]any{"email": "x@school.test", "name": string(make([]byte, 201))}, "name"},
		{"BadCustomKey", map[string]any{"email": "x@school.test", "custom_fields": map[string]string{"Bad Key": "1"}}, "custom_fields"},
		{"UnknownField", map[string]any{"email": "x@school.test", "placeholder": true}, "placeholder"},
		{"WrongType", map[string]any{"email": 5}, "email"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p Problem
			res, raw := a.api(key, "POST", "/api/v1/contacts", tt.body, &p)
			wantStatus(t, res, raw, http.StatusUnprocessableEntity)
			if p.Errors[tt.field] == "" {
				t.Fatalf("no message on %s: %s", tt.field, raw)
			}
		})
	}
	if n := a.countRows("SELECT count(*) FROM contacts"); n != 5 {
		t.Fatalf("%d contacts", n)
	}

	var list List[contactJSON]
	res, raw = a.api(key, "GET", "/api/v1/contacts?email="+url.QueryEscape("ANA@school.test"), nil, &list)
	wantStatus(t, res, raw, http.StatusOK)
	if len(list.Data) != 1 || list.Data[0].ID != ana.ID {
		t.Fatalf("?email= %s", raw)
	}
	list = List[contactJSON]{}
	a.api(key, "GET", "/api/v1/contacts?email=ana@school", nil, &list)
	if len(list.Data) != 0 {
		t.Fatalf("?email= matched a fragment: %+v", list.Data)
	}
	list = List[contactJSON]{}
	a.api(key, "GET", "/api/v1/contacts?q=garc", nil, &list)
	if len(list.Data) != 1 || list.Data[0].ID != ana.ID {
		t.Fatalf("?q= %+v", list.Data)
	}

	// Cursor pages: 5 contacts, 2 per page, newest first, no overlap, no gap.
	var ids []int64
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 4 {
			t.Fatal("pagination does not end")
		}
		var page List[contactJSON]
		res, raw := a.api(key, "GET", "/api/v1/contacts?limit=2&cursor="+cursor, nil, &page)
		wantStatus(t, res, raw, http.StatusOK)
		for _, c := range page.Data {
			ids = append(ids, c.ID)
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	if len(ids) != 5 || ids[4] != ana.ID {
		t.Fatalf("pages gave %v", ids)
	}
	for i := 1; i < len(ids); i++ {
		if ids[i] >= ids[i-1] {
			t.Fatalf("pages out of order or overlapping: %v", ids)
		}
	}
	res, raw = a.api(key, "GET", "/api/v1/contacts?cursor=bogus", nil, nil)
	wantStatus(t, res, raw, http.StatusUnprocessableEntity)
	res, raw = a.api(key, "GET", "/api/v1/contacts?limit=0", nil, nil)
	wantStatus(t, res, raw, http.StatusUnprocessableEntity)

	// PATCH changes only what it names.
	var patched contactJSON
	res, raw = a.api(key, "PATCH", fmt.Sprintf("/api/v1/contacts/%d", ana.ID), map[string]any{"phone": "+34 611 222 333"}, &patched)
	wantStatus(t, res, raw, http.StatusOK)
	if patched.Phone != "+34 611 222 333" || patched.Name != "Ana García" || patched.CustomFields["city"] != "Madrid" {
		t.Fatalf("patched %s", raw)
	}
	var p Problem
	res, raw = a.api(key, "PATCH", fmt.Sprintf("/api/v1/contacts/%d", ana.ID), map[string]any{"email": "s1@SCHOOL.test"}, &p)
	wantStatus(t, res, raw, http.StatusUnprocessableEntity)
	if p.Errors["email"] == "" {
		t.Fatalf("duplicate on patch: %s", raw)
	}

	for _, path := range []string{"/api/v1/contacts/999999", "/api/v1/contacts/abc", "/api/v1/contacts/999999/access"} {
		res, raw = a.api(key, "GET", path, nil, nil)
		wantStatus(t, res, raw, http.StatusNotFound)
	}
	res, raw = a.api(key, "PATCH", "/api/v1/contacts/999999", map[string]any{"name": "x"}, nil)
	wantStatus(t, res, raw, http.StatusNotFound)

	res, raw = a.api(key, "DELETE", fmt.Sprintf("/api/v1/contacts/%d", ana.ID), nil, nil)
	wantStatus(t, res, raw, http.StatusNoContent)
	res, raw = a.api(key, "GET", fmt.Sprintf("/api/v1/contacts/%d", ana.ID), nil, nil)
	wantStatus(t, res, raw, http.StatusNotFound)
	res, raw = a.api(key, "DELETE", fmt.Sprintf("/api/v1/contacts/%d", ana.ID), nil, nil)
	wantStatus(t, res, raw, http.StatusNotFound)
}

func TestAPIAccess(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	key := a.apiKey()
	product := a.testProduct("Spanish A1")
	var ana, bob contactJSON
	a.api(key, "POST", "/api/v1/contacts", map[string]any{"email": "ana@school.test"}, &ana)
	a.api(key, "POST", "/api/v1/contacts", map[string]any{"email": "bob@school.test"}, &bob)

	tests := []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"UnknownProduct", map[string]any{"contact_id": ana.ID, "product_id": 999999}, "product_id"},
		{"UnknownContact", map[string]any{"contact_id": 999999, "product_id": product}, "contact_id"},
		{"MissingProduct", map[string]any{"contact_id": ana.ID}, "product_id"},
		{"NegativeDays", map[string]any{"contact_id": ana.ID, "product_id": product, "days": -3}, "days"},
		{"PastEnd", map[string]any{"contact_id": ana.ID, "product_id": product, "ends_at": "2001-01-01T00:00:00Z"}, "ends_at"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p Problem
			res, raw := a.api(key, "POST", "/api/v1/access", tt.body, &p)
			wantStatus(t, res, raw, http.StatusUnprocessableEntity)
			if p.Errors[tt.field] == "" {
				t.Fatalf("no message on %s: %s", tt.field, raw)
			}
		})
	}
	if n := a.countRows("SELECT count(*) FROM access_grants"); n != 0 {
		t.Fatalf("%d grants written by bad input", n)
	}

	end := time.Now().Add(90 * 24 * time.Hour).UTC().Truncate(time.Second)
	var g grantJSON
	res, raw := a.api(key, "POST", "/api/v1/access", map[string]any{"contact_id": ana.ID, "product_id": product, "ends_at": end}, &g)
	wantStatus(t, res, raw, http.StatusCreated)
	if g.Source != "api" || g.SourceRef != "test" || g.EndsAt == nil || !g.EndsAt.Equal(end) || !g.Active || g.RevokedAt != nil {
		t.Fatalf("granted %s", raw)
	}
	// Granting it again for longer extends the same grant.
	var ext grantJSON
	res, raw = a.api(key, "POST", "/api/v1/access", map[string]any{"contact_id": ana.ID, "product_id": product, "days": 200}, &ext)
	wantStatus(t, res, raw, http.StatusOK)
	if ext.ID != g.ID || !ext.EndsAt.After(end) {
		t.Fatalf("extended %s", raw)
	}

	var moved grantJSON
	res, raw = a.api(key, "POST", fmt.Sprintf("/api/v1/access/%d/transfer", g.ID), map[string]any{"to_contact_id": bob.ID}, &moved)
	wantStatus(t, res, raw, http.StatusOK)
	if moved.ContactID != bob.ID || moved.Source != "transfer" || moved.TransferredFrom == nil || *moved.TransferredFrom != g.ID ||
		!moved.EndsAt.Equal(*ext.EndsAt) {
		t.Fatalf("transferred %s", raw)
	}
	var old grantJSON
	res, raw = a.api(key, "GET", fmt.Sprintf("/api/v1/access/%d", g.ID), nil, &old)
	wantStatus(t, res, raw, http.StatusOK)
	if old.RevokedAt == nil || old.Active || old.RevokeReason != "transferred to bob@school.test" {
		t.Fatalf("old grant %s", raw)
	}
	var p Problem
	res, raw = a.api(key, "POST", fmt.Sprintf("/api/v1/access/%d/transfer", moved.ID), map[string]any{"to_contact_id": bob.ID}, &p)
	wantStatus(t, res, raw, http.StatusUnprocessableEntity)
	if p.Errors["to_contact_id"] == "" {
		t.Fatalf("transfer to the same contact: %s", raw)
	}
	res, raw = a.api(key, "POST", fmt.Sprintf("/api/v1/access/%d/transfer", moved.ID), map[string]any{"to_contact_id": 999999}, nil)
	wantStatus(t, res, raw, http.StatusUnprocessableEntity)
	res, raw = a.api(key, "POST", fmt.Sprintf("/api/v1/access/%d/transfer", g.ID), map[string]any{"to_contact_id": bob.ID}, nil)
	wantStatus(t, res, raw, http.StatusConflict)

	var revoked grantJSON
	res, raw = a.api(key, "POST", fmt.Sprintf("/api/v1/access/%d/revoke", moved.ID), map[string]any{"reason": "refund"}, &revoked)
	wantStatus(t, res, raw, http.StatusOK)
	if revoked.RevokedAt == nil || revoked.RevokeReason != "refund" || revoked.Active {
		t.Fatalf("revoked %s", raw)
	}
	res, raw = a.api(key, "POST", fmt.Sprintf("/api/v1/access/%d/revoke", moved.ID), nil, nil)
	wantStatus(t, res, raw, http.StatusConflict)
	res, raw = a.api(key, "POST", "/api/v1/access/999999/revoke", nil, nil)
	wantStatus(t, res, raw, http.StatusNotFound)
	res, raw = a.api(key, "GET", "/api/v1/access/999999", nil, nil)
	wantStatus(t, res, raw, http.StatusNotFound)

	var list List[grantJSON]
	res, raw = a.api(key, "GET", fmt.Sprintf("/api/v1/contacts/%d/access", ana.ID), nil, &list)
	wantStatus(t, res, raw, http.StatusOK)
	if len(list.Data) != 1 || list.Data[0].ID != g.ID {
		t.Fatalf("ana's access %s", raw)
	}
	list = List[grantJSON]{}
	a.api(key, "GET", fmt.Sprintf("/api/v1/contacts/%d/access", bob.ID), nil, &list)
	if len(list.Data) != 1 || list.Data[0].ID != moved.ID || list.Data[0].RevokedAt == nil {
		t.Fatalf("bob's access %+v", list.Data)
	}
	if n := a.countRows("SELECT count(*) FROM audit_log WHERE actor_type = 'api' AND entity = 'access_grant'"); n < 5 {
		t.Fatalf("%d API audit entries for access", n)
	}
}
