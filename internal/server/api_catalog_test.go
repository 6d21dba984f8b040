package server

import (
	"net/http"
	"strconv"
	"testing"
)

type apiProblem struct {
	Status int               `json:"status"`
	Errors map[string]string `json:"errors"`
}

func TestAPIProducts(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	key := a.apiKey()

	var course apiProductJSON
	res, raw := a.api(key, "POST", "/api/v1/products", map[string]any{"name": "Spanish A1", "kind": "course", "external_url": "https://lms.example/a1"}, &course)
	wantStatus(t, res, raw, http.StatusCreated)
	if course.ID == 0 || course.Name != "Spanish A1" || course.ExternalURL != "https://lms.example/a1" || course.ParentID != nil {
		t.Fatalf("created %s", raw)
	}
	var module apiProductJSON
	res, raw = a.api(key, "POST", "/api/v1/products", map[string]any{"name": "Unit 1", "kind": "module", "parent_id": course.ID}, &module)
	wantStatus(t, res, raw, http.StatusCreated)

	t.Run("BadInput", func(t *testing.T) {
		tests := []struct {
			name  string
			body  any
			field string
		}{
			{"NoName", map[string]any{"kind": "course"}, "name"},
			{"BadKind", map[string]any{"name": "X", "kind": "book"}, "kind"},
			{"ParentNotCourse", map[string]any{"name": "X", "kind": "module", "parent_id": module.ID}, "parent_id"},
			{"BadURL", map[string]any{"name": "X", "kind": "course", "external_url": "lms"}, "external_url"},
			{"UnknownField", map[string]any{"name": "X", "kind": "course", "price": 1}, "price"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var p apiProblem
				res, raw := a.api(key, "POST", "/api/v1/products", tt.body, &p)
				wantStatus(t, res, raw, http.StatusUnprocessableEntity)
				if res.Header.Get("Content-Type") != "application/problem+json" || p.Errors[tt.field] == "" {
					t.Fatalf("problem %s", raw)
				}
			})
		}
	})
	t.Run("PatchKeepsOtherFields", func(t *testing.T) {
		var p apiProductJSON
		res, raw := a.api(key, "PATCH", "/api/v1/products/"+itoa(course.ID), map[string]any{"name": "Spanish A1 (2025)"}, &p)
		wantStatus(t, res, raw, http.StatusOK)
		if p.Name != "Spanish A1 (2025)" || p.ExternalURL != "https://lms.example/a1" || p.Kind != "course" {
			t.Fatalf("patched %s", raw)
		}
	})
	t.Run("ArchiveAndGet", func(t *testing.T) {
		res, raw := a.api(key, "POST", "/api/v1/products/"+itoa(module.ID)+"/archive", nil, nil)
		wantStatus(t, res, raw, http.StatusOK)
		var p apiProductJSON
		res, raw = a.api(key, "GET", "/api/v1/products/"+itoa(module.ID), nil, &p)
		wantStatus(t, res, raw, http.StatusOK)
		if p.ArchivedAt == nil || p.ParentID == nil || *p.ParentID != course.ID {
			t.Fatalf("archived module %s", raw)
		}
		res, raw = a.api(key, "GET", "/api/v1/products/999999", nil, nil)
		wantStatus(t, res, raw, http.StatusNotFound)
	})
	t.Run("ListSearch", func(t *testing.T) {
		var l List[apiProductJSON]
		res, raw := a.api(key, "GET", "/api/v1/products?q=unit", nil, &l)
		wantStatus(t, res, raw, http.StatusOK)
		if len(l.Data) != 1 || l.Data[0].ID != module.ID {
			t.Fatalf("search %s", raw)
		}
	})
}

func TestAPIOffers(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	key := a.apiKey()
	ps, _ := strconv.ParseInt(a.paymentSystem("Bank transfer"), 10, 64)
	var prod apiProductJSON
	res, raw := a.api(key, "POST", "/api/v1/products", map[string]any{"name": "Spanish A1", "kind": "course"}, &prod)
	wantStatus(t, res, raw, http.StatusCreated)

	body := func(title string) map[string]any {
		return map[string]any{"title": title, "amount": 4900, "currency": "EUR", "product_ids": []int64{prod.ID},
			"payment_system_ids": []int64{ps}}
	}
	var o apiOfferJSON
	res, raw = a.api(key, "POST", "/api/v1/offers", body("Spanish A1"), &o)
	wantStatus(t, res, raw, http.StatusCreated)
	if o.Slug != "spanish-a1" || o.Status != "draft" || o.AccessDays != nil || o.ManualConfirmDays != 30 ||
		o.Language != "en" || len(o.ProductIDs) != 1 || o.PaymentSystemIDs[0] != ps || o.GuestCheckout {
		t.Fatalf("created %s", raw)
	}

	t.Run("FieldErrors", func(t *testing.T) {
		with := func(k string, v any) map[string]any {
			b := body("Other")
			b[k] = v
			return b
		}
		tests := []struct {
			name  string
			body  any
			field string
		}{
			{"UnknownCurrency", with("currency", "EUX"), "currency"},
			{"DuplicateSlug", with("slug", "spanish-a1"), "slug"},
			{"UnknownProduct", with("product_ids", []int64{999999}), "product_ids"},
			{"NegativeAmount", with("amount", -1), "amount"},
			{"AmountNotANumber", with("amount", "49.00"), "amount"},
			{"UnknownPaymentSystem", with("payment_system_ids", []int64{999999}), "payment_system_ids"},
			{"ZeroAccessDays", with("access_days", 0), "access_days"},
			{"BadRegistrationField", with("registration_fields", []map[string]any{{"key": "A B", "label": "x", "type": "text"}}), "registration_fields"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var p apiProblem
				res, raw := a.api(key, "POST", "/api/v1/offers", tt.body, &p)
				wantStatus(t, res, raw, http.StatusUnprocessableEntity)
				if p.Errors[tt.field] == "" {
					t.Fatalf("problem %s lacks %s", raw, tt.field)
				}
			})
		}
		if n := a.count("SELECT count(*) FROM offers"); n != 1 {
			t.Fatalf("bad input left %d offers", n)
		}
	})

	t.Run("PatchPartialAndPublish", func(t *testing.T) {
		var got apiOfferJSON
		res, raw := a.api(key, "PATCH", "/api/v1/offers/"+itoa(o.ID), map[string]any{"access_days": 90, "language": "es", "status": "published"}, &got)
		wantStatus(t, res, raw, http.StatusOK)
		if got.Status != "published" || got.AccessDays == nil || *got.AccessDays != 90 || got.Language != "es" ||
			got.Title != "Spanish A1" || got.Amount != 4900 || len(got.PaymentSystemIDs) != 1 {
			t.Fatalf("patched %s", raw)
		}
		res, raw = a.api(key, "PATCH", "/api/v1/offers/"+itoa(o.ID), map[string]any{"access_days": nil}, &got)
		wantStatus(t, res, raw, http.StatusOK)
		if got.AccessDays != nil || got.Status != "published" {
			t.Fatalf("access back to forever: %s", raw)
		}
		if res, _ := a.get(a.client(), "/o/spanish-a1"); res.StatusCode != http.StatusOK {
			t.Fatalf("public page after API publish: %d", res.StatusCode)
		}
		var p apiProblem
		res, raw = a.api(key, "PATCH", "/api/v1/offers/"+itoa(o.ID), map[string]any{"status": "live"}, &p)
		wantStatus(t, res, raw, http.StatusUnprocessableEntity)
		res, raw = a.api(key, "PATCH", "/api/v1/offers/999999", map[string]any{"title": "x"}, nil)
		wantStatus(t, res, raw, http.StatusNotFound)
	})

	t.Run("CursorPagination", func(t *testing.T) {
		for i := range 4 {
			res, raw := a.api(key, "POST", "/api/v1/offers", body("Page offer "+itoa(int64(i))), nil)
			wantStatus(t, res, raw, http.StatusCreated)
		}
		var seen []int64
		next := "/api/v1/offers?q=page&limit=3"
		for pages := 0; next != ""; pages++ {
			if pages > 3 {
				t.Fatal("pagination does not end")
			}
			var l List[apiOfferJSON]
			res, raw := a.api(key, "GET", next, nil, &l)
			wantStatus(t, res, raw, http.StatusOK)
			for _, o := range l.Data {
				seen = append(seen, o.ID)
			}
			next = ""
			if l.NextCursor != "" {
				next = "/api/v1/offers?q=page&limit=3&cursor=" + l.NextCursor
			}
		}
		if len(seen) != 4 || seen[0] >= seen[1] || seen[2] >= seen[3] {
			t.Fatalf("pages gave %v", seen)
		}
		var l List[apiOfferJSON]
		res, raw := a.api(key, "GET", "/api/v1/offers?status=published", nil, &l)
		wantStatus(t, res, raw, http.StatusOK)
		if len(l.Data) != 1 || l.Data[0].ID != o.ID || l.NextCursor != "" {
			t.Fatalf("published filter %s", raw)
		}
		res, raw = a.api(key, "GET", "/api/v1/offers?cursor=nonsense", nil, nil)
		wantStatus(t, res, raw, http.StatusUnprocessableEntity)
		res, raw = a.api(key, "GET", "/api/v1/offers?status=live", nil, nil)
		wantStatus(t, res, raw, http.StatusUnprocessableEntity)
	})
}
