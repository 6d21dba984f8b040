package server

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
)

// testProduct inserts a product with plain SQL.
func (a *testApp) testProduct(name string) int64 {
	a.t.Helper()
	var id int64
	if err := a.pool.QueryRow(context.Background(), "INSERT INTO products (name, kind) VALUES ($1, 'course') RETURNING id", name).Scan(&id); err != nil {
		a.t.Fatal(err)
	}
	return id
}

func (a *testApp) countRows(sql string, args ...any) int {
	a.t.Helper()
	var n int
	if err := a.pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		a.t.Fatal(err)
	}
	return n
}

// createContactForm creates a contact through the admin form and returns its card's path.
func (a *testApp) createContactForm(c *http.Client, email, name string) string {
	a.t.Helper()
	_, doc := a.get(c, "/admin/contacts/new")
	token, _ := doc.Find(`input[name=form_token]`).Attr("value")
	res := a.postForm(c, "/admin/contacts", url.Values{"form_token": {token}, "email": {email}, "name": {name}})
	if res.StatusCode != http.StatusSeeOther {
		a.t.Fatalf("create contact %s: status %d", email, res.StatusCode)
	}
	return res.Header.Get("Location")
}

func texts(doc *goquery.Document, sel string) []string {
	var out []string
	doc.Find(sel).Each(func(_ int, s *goquery.Selection) { out = append(out, strings.Join(strings.Fields(s.Text()), " ")) })
	return out
}

func TestAdminContactCardFlow(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	c := a.owner()
	product := a.testProduct("Spanish A1")

	// Create through the form; the same form submitted twice makes one contact.
	_, doc := a.get(c, "/admin/contacts/new")
	token, ok := doc.Find(`input[name=form_token]`).Attr("value")
	if !ok || token == "" {
		t.Fatal("new contact form has no form_token")
	}
	form := url.Values{"form_token": {token}, "email": {"Ana@School.test"}, "name": {"Ana García"}, "phone": {"+34 600 111 222"},
		"custom_fields": {"city: Madrid\nlevel: A1"}}
	first := a.postForm(c, "/admin/contacts", form)
	second := a.postForm(c, "/admin/contacts", form)
	if first.StatusCode != http.StatusSeeOther || second.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d then %d", first.StatusCode, second.StatusCode)
	}
	card := first.Header.Get("Location")
	if second.Header.Get("Location") != card || !strings.HasPrefix(card, "/admin/contacts/") {
		t.Fatalf("redirects %q and %q", card, second.Header.Get("Location"))
	}
	if n := a.countRows("SELECT count(*) FROM contacts"); n != 1 {
		t.Fatalf("%d contacts after a double submit", n)
	}

	res, doc := a.get(c, card)
	wantStatus(t, res, nil, http.StatusOK)
	if got := doc.Find(`[data-testid=contact-email]`).Text(); got != "ana@school.test" {
		t.Fatalf("card e-mail %q", got)
	}
	if got := doc.Find(`[data-testid=flash]`).Text(); got != "Contact created." {
		t.Fatalf("flash %q", got)
	}
	if got := strings.Join(texts(doc, `[data-testid=custom-fields] dd`), ","); got != "Madrid,A1" {
		t.Fatalf("custom fields %q", got)
	}

	// A note.
	noteToken, _ := doc.Find(`[data-testid=note-form] input[name=form_token]`).Attr("value")
	res = a.postForm(c, card+"/notes", url.Values{"form_token": {noteToken}, "body": {"Paid by bank transfer <b>twice</b>"}})
	wantStatus(t, res, nil, http.StatusSeeOther)
	_, doc = a.get(c, card)
	if got := texts(doc, `[data-testid=note] .note-body`); len(got) != 1 || got[0] != "Paid by bank transfer <b>twice</b>" {
		t.Fatalf("notes %q", got)
	}

	// Grant the product for 30 days.
	grantToken, _ := doc.Find(`[data-testid=grant-form] input[name=form_token]`).Attr("value")
	if doc.Find(fmt.Sprintf(`#product_id option[value="%d"]`, product)).Length() != 1 {
		t.Fatal("grant form does not offer the product")
	}
	res = a.postForm(c, card+"/access", url.Values{"form_token": {grantToken}, "product_id": {fmt.Sprint(product)}, "days": {"30"}})
	wantStatus(t, res, nil, http.StatusSeeOther)
	_, doc = a.get(c, card)
	row := doc.Find(`[data-testid=grant-row]`)
	if row.Length() != 1 || row.AttrOr("data-status", "") != "active" || !strings.Contains(row.Text(), "Spanish A1") {
		t.Fatalf("grant rows: %q", texts(doc, `[data-testid=grant-row]`))
	}
	wantEnd := time.Now().UTC().AddDate(0, 0, 30).Format("2006-01-02")
	if !strings.Contains(row.Text(), wantEnd) || !strings.Contains(row.Text(), "manual") {
		t.Fatalf("grant row %q does not end on %s or lacks its source", row.Text(), wantEnd)
	}
	grantID := row.AttrOr("data-id", "")

	// Transfer it to another contact, picked by e-mail.
	bobCard := a.createContactForm(c, "bob@school.test", "Bob")
	res = a.postForm(c, "/admin/access/"+grantID+"/transfer", url.Values{"to_email": {"BOB@school.test"}})
	wantStatus(t, res, nil, http.StatusSeeOther)
	if res.Header.Get("Location") != card+"#access" {
		t.Fatalf("transfer redirects to %q", res.Header.Get("Location"))
	}
	_, doc = a.get(c, card)
	row = doc.Find(`[data-testid=grant-row]`)
	if row.AttrOr("data-status", "") != "revoked" || !strings.Contains(row.Text(), "transferred to bob@school.test") {
		t.Fatalf("ana's grant after transfer: %q", row.Text())
	}
	if got := strings.Join(texts(doc, `[data-testid=event]`), " | "); !strings.Contains(got, "Access to Spanish A1 transferred to bob@school.test") ||
		!strings.Contains(got, "Access to Spanish A1 granted") || !strings.Contains(got, "Note added") || !strings.Contains(got, "Contact created") {
		t.Fatalf("ana's timeline: %s", got)
	}
	kinds := doc.Find(`[data-testid=event]`).Map(func(_ int, s *goquery.Selection) string { return s.AttrOr("data-kind", "") })
	if strings.Join(kinds, " ") != "access.transferred_out access.granted note.added contact.created" {
		t.Fatalf("ana's timeline order %v (newest first)", kinds)
	}
	_, doc = a.get(c, bobCard)
	row = doc.Find(`[data-testid=grant-row]`)
	if row.Length() != 1 || row.AttrOr("data-status", "") != "active" || !strings.Contains(row.Text(), "transfer") ||
		!strings.Contains(row.Text(), "from grant #"+grantID) || !strings.Contains(row.Text(), wantEnd) {
		t.Fatalf("bob's grants: %q", texts(doc, `[data-testid=grant-row]`))
	}
	if got := strings.Join(texts(doc, `[data-testid=event]`), " | "); !strings.Contains(got, "Access to Spanish A1 received from ana@school.test") {
		t.Fatalf("bob's timeline: %s", got)
	}
}

func TestAdminContactFormErrors(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	c := a.owner()
	a.createContactForm(c, "ana@school.test", "Ana")
	tests := []struct {
		name  string
		form  url.Values
		field string
	}{
		{"EmptyEmail", url.Values{"email": {""}}, "email"},
		{"MalformedEmail", url.Values{"email": {"ana@@school"}}, "email"},
		{"Duplicate", url.Values{"email": {"ANA@school.test"}}, "email"},
		{"LongName", url.Values{"email": {"x@school.test"}, "name": {strings.Repeat("n", 201)}}, "name"},
		{"BadPhone", url.Values{"email": {"x@school.test"}, "phone": {"call me"}}, "phone"},
		{"BadCustomLine", url.Values{"email": {"x@school.test"}, "custom_fields": {"no colon"}}, "custom_fields"},
		{"BadCustomKey", url.Values{"email": {"x@school.test"}, "custom_fields": {"Shoe Size: 42"}}, "custom_fields"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.form.Set("form_token", newFormToken())
			res, doc := a.postFormDoc(c, "/admin/contacts", tt.form)
			wantStatus(t, res, nil, http.StatusUnprocessableEntity)
			if doc.Find(`[data-testid=`+tt.field+`-error]`).Text() == "" {
				t.Fatalf("no message on %s", tt.field)
			}
			if got, _ := doc.Find(`#email`).Attr("value"); got != tt.form.Get("email") {
				t.Fatalf("form lost the typed e-mail: %q", got)
			}
		})
	}
	if n := a.countRows("SELECT count(*) FROM contacts"); n != 1 {
		t.Fatalf("%d contacts", n)
	}
	res, _ := a.get(c, "/admin/contacts/999999")
	wantStatus(t, res, nil, http.StatusNotFound)
}

func TestAdminContactListSearchPages(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	c := a.owner()
	for i := range contactsPageSize + 2 {
		a.createContactForm(c, fmt.Sprintf("student%02d@school.test", i), "Student")
	}
	a.createContactForm(c, "maria@example.test", "María López")
	_, doc := a.get(c, "/admin/contacts")
	first := doc.Find(`[data-testid=contact-row]`).Map(func(_ int, s *goquery.Selection) string { return s.AttrOr("data-id", "") })
	next, ok := doc.Find(`[data-testid=next-page]`).Attr("href")
	if len(first) != contactsPageSize || !ok {
		t.Fatalf("first page: %d rows, next %q", len(first), next)
	}
	_, doc = a.get(c, next)
	second := doc.Find(`[data-testid=contact-row]`).Map(func(_ int, s *goquery.Selection) string { return s.AttrOr("data-id", "") })
	if len(second) != 3 || doc.Find(`[data-testid=next-page]`).Length() != 0 {
		t.Fatalf("second page: %v", second)
	}
	seen := map[string]bool{}
	for _, id := range append(first, second...) {
		if seen[id] {
			t.Fatalf("contact %s on two pages", id)
		}
		seen[id] = true
	}
	_, doc = a.get(c, "/admin/contacts?q=l%C3%B3pez")
	if got := texts(doc, `[data-testid=contact-row] a`); len(got) != 1 || got[0] != "maria@example.test" {
		t.Fatalf("search by name: %q", got)
	}
	res, _ := a.get(c, "/admin/contacts?q="+strings.Repeat("x", 201))
	wantStatus(t, res, nil, http.StatusUnprocessableEntity)
}

func TestAdminContactEditDelete(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	c := a.owner()
	card := a.createContactForm(c, "ana@school.test", "Ana")
	a.createContactForm(c, "bob@school.test", "Bob")
	res, doc := a.postFormDoc(c, card, url.Values{"email": {"bob@school.test"}, "name": {"Ana"}})
	wantStatus(t, res, nil, http.StatusUnprocessableEntity)
	if doc.Find(`[data-testid=email-error]`).Text() == "" || doc.Find(`details[open] [data-testid=contact-edit-form]`).Length() != 1 {
		t.Fatal("duplicate e-mail on edit: no message or the form is closed")
	}
	res = a.postForm(c, card, url.Values{"email": {"ana.garcia@school.test"}, "name": {"Ana García"}, "phone": {"600 111 222"}})
	wantStatus(t, res, nil, http.StatusSeeOther)
	_, doc = a.get(c, card)
	if doc.Find(`[data-testid=contact-email]`).Text() != "ana.garcia@school.test" || doc.Find(`[data-testid=contact-name]`).Text() != "Ana García" {
		t.Fatal("edit not saved")
	}
	if !strings.Contains(doc.Find(`[data-testid=event][data-kind="contact.updated"]`).Text(), "e-mail, name, phone") {
		t.Fatalf("timeline lacks the edit: %q", texts(doc, `[data-testid=event]`))
	}
	a.postForm(c, card+"/notes", url.Values{"body": {"hello"}})
	_, doc = a.get(c, card)
	if msg := doc.Find(`[data-testid=delete-confirm]`).Text(); !strings.Contains(msg, "1 notes") || !strings.Contains(msg, "access grants") {
		t.Fatalf("delete confirmation %q", msg)
	}
	res = a.postForm(c, card+"/delete", nil)
	wantStatus(t, res, nil, http.StatusSeeOther)
	res, _ = a.get(c, card)
	wantStatus(t, res, nil, http.StatusNotFound)
	if n := a.countRows("SELECT count(*) FROM contact_notes"); n != 0 {
		t.Fatalf("%d notes left", n)
	}
}
