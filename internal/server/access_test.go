package server

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestAdminAccessErrors(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	c := a.owner()
	product := a.testProduct("French B2")
	archived := a.testProduct("Old course")
	if _, err := a.pool.Exec(a.ctx(), "UPDATE products SET archived_at = now() WHERE id = $1", archived); err != nil {
		t.Fatal(err)
	}
	card := a.createContactForm(c, "ana@school.test", "Ana")
	tests := []struct {
		name  string
		form  url.Values
		field string
	}{
		{"NoProduct", url.Values{"product_id": {""}}, "product_id"},
		{"UnknownProduct", url.Values{"product_id": {"999999"}}, "product_id"},
		{"ArchivedProduct", url.Values{"product_id": {fmt.Sprint(archived)}}, "product_id"},
		{"BadDays", url.Values{"product_id": {fmt.Sprint(product)}, "days": {"ten"}}, "days"},
		{"ZeroDays", url.Values{"product_id": {fmt.Sprint(product)}, "days": {"0"}}, "days"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, doc := a.postFormDoc(c, card+"/access", tt.form)
			wantStatus(t, res, nil, http.StatusUnprocessableEntity)
			if doc.Find(`[data-testid=`+tt.field+`-error]`).Text() == "" {
				t.Fatalf("no message on %s", tt.field)
			}
		})
	}
	if n := a.countRows("SELECT count(*) FROM access_grants"); n != 0 {
		t.Fatalf("%d grants written by bad input", n)
	}

	res := a.postForm(c, card+"/access", url.Values{"product_id": {fmt.Sprint(product)}})
	wantStatus(t, res, nil, http.StatusSeeOther)
	_, doc := a.get(c, card)
	grantID := doc.Find(`[data-testid=grant-row]`).AttrOr("data-id", "")
	if !strings.Contains(doc.Find(`[data-testid=grant-row]`).Text(), "forever") {
		t.Fatal("grant without days is not forever")
	}
	for name, email := range map[string]string{"UnknownEmail": "nobody@school.test", "SameContact": "ana@school.test", "Malformed": "nobody"} {
		t.Run("Transfer"+name, func(t *testing.T) {
			res, doc := a.postFormDoc(c, "/admin/access/"+grantID+"/transfer", url.Values{"to_email": {email}})
			wantStatus(t, res, nil, http.StatusUnprocessableEntity)
			if doc.Find(`[data-testid=grant-error]`).Text() == "" {
				t.Fatal("no message next to the grant")
			}
		})
	}
	res = a.postForm(c, "/admin/access/"+grantID+"/revoke", url.Values{"reason": {"chargeback"}})
	wantStatus(t, res, nil, http.StatusSeeOther)
	res, doc = a.postFormDoc(c, "/admin/access/"+grantID+"/revoke", url.Values{"reason": {"again"}})
	wantStatus(t, res, nil, http.StatusConflict)
	if !strings.Contains(doc.Find(`[data-testid=grant-error]`).Text(), "revoked already") {
		t.Fatal("second revoke has no clear message")
	}
	if got := doc.Find(`[data-testid=revoke-reason]`).Text(); got != "chargeback" {
		t.Fatalf("reason after a second revoke: %q", got)
	}
	res = a.postForm(c, "/admin/access/999999/revoke", nil)
	wantStatus(t, res, nil, http.StatusNotFound)
}
