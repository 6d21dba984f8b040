package server

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/bursar/bursar/internal/crm"
	"github.com/bursar/bursar/internal/offer"
	"github.com/bursar/bursar/internal/staff"
)

func TestAPIAuditLog(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	k, key, err := a.srv.staff.CreateAPIKey(a.ctx(), staff.NewAPIKey{Name: "CRM", Scopes: []string{"contacts:write", "audit:read"}})
	if err != nil {
		t.Fatal(err)
	}
	// Five contacts made through the API (actor api:<k>), one by the system.
	var ids []int64
	for _, e := range []string{"a@x.test", "b@x.test", "c@x.test", "d@x.test", "e@x.test"} {
		var c contactJSON
		res, raw := a.api(key, "POST", "/api/v1/contacts", map[string]any{"email": e}, &c)
		wantStatus(t, res, raw, http.StatusCreated)
		ids = append(ids, c.ID)
	}
	sys, err := a.srv.contacts.Create(a.ctx(), crm.Input{Email: "sys@x.test"})
	if err != nil {
		t.Fatal(err)
	}

	// page walks the log with filters q, limit 2 a page, and returns every entry.
	page := func(q url.Values) []auditEntryJSON {
		t.Helper()
		var all []auditEntryJSON
		q.Set("limit", "2")
		for range 20 {
			var l List[auditEntryJSON]
			res, raw := a.api(key, "GET", "/api/v1/audit-log?"+q.Encode(), nil, &l)
			wantStatus(t, res, raw, http.StatusOK)
			if len(l.Data) > 2 {
				t.Fatalf("page of %d with limit 2", len(l.Data))
			}
			all = append(all, l.Data...)
			if l.NextCursor == "" {
				return all
			}
			q.Set("cursor", l.NextCursor)
		}
		t.Fatal("more than 20 pages")
		return nil
	}

	byKey := page(url.Values{"actor": {"api:" + itoa(k.ID)}, "entity": {"contact"}})
	if len(byKey) != 5 {
		t.Fatalf("%d entries by the key, want 5: %+v", len(byKey), byKey)
	}
	for i, e := range byKey {
		if e.Action != "contact.create" || e.Actor.Type != "api" || e.Actor.ID == nil || *e.Actor.ID != k.ID ||
			e.Actor.Label != "CRM" || e.EntityID != itoa(ids[len(ids)-1-i]) || e.Details == nil {
			t.Errorf("entry %d = %+v", i, e)
		}
		if i > 0 && e.ID >= byKey[i-1].ID {
			t.Errorf("entries not newest first: %d after %d", e.ID, byKey[i-1].ID)
		}
	}
	all := page(url.Values{"entity": {"contact"}})
	if len(all) != 6 || all[0].EntityID != itoa(sys.ID) || all[0].Actor.Type != "system" || all[0].Actor.ID != nil {
		t.Errorf("every contact entry: %+v", all)
	}
	one := page(url.Values{"entity": {"contact"}, "entity_id": {itoa(ids[2])}})
	if len(one) != 1 || one[0].EntityID != itoa(ids[2]) {
		t.Errorf("entity_id filter: %+v", one)
	}
	if sys := page(url.Values{"actor": {"system"}}); len(sys) == 0 || sys[0].Actor.Type != "system" {
		t.Errorf("actor=system: %+v", sys)
	}

	t.Run("SinceUntil", func(t *testing.T) {
		now := time.Now().UTC()
		tomorrow := now.AddDate(0, 0, 1).Format(time.DateOnly)
		if got := page(url.Values{"since": {tomorrow}}); len(got) != 0 {
			t.Errorf("since tomorrow: %d entries", len(got))
		}
		if got := page(url.Values{"until": {now.AddDate(0, 0, -1).Format(time.DateOnly)}}); len(got) != 0 {
			t.Errorf("until yesterday: %d entries", len(got))
		}
		// until a date includes that whole day; since an instant includes it.
		got := page(url.Values{"entity": {"contact"}, "since": {now.Add(-time.Hour).Format(time.RFC3339)},
			"until": {now.Format(time.DateOnly)}})
		if len(got) != 6 {
			t.Errorf("today: %d entries, want 6", len(got))
		}
	})

	t.Run("FieldErrors", func(t *testing.T) {
		res, raw := a.api(key, "GET", "/api/v1/audit-log?actor=robot&since=yesterday&until=2026-13-01&cursor=zz&entity_id=4", nil, nil)
		wantFieldErrors(t, res, raw, "actor", "since", "until", "cursor", "entity_id")
		res, raw = a.api(key, "GET", "/api/v1/audit-log?actor=cli:3", nil, nil)
		wantFieldErrors(t, res, raw, "actor")
		res, raw = a.api(key, "GET", "/api/v1/audit-log?since=2026-12-02&until=2026-12-01", nil, nil)
		wantFieldErrors(t, res, raw, "until")
		res, raw = a.api(key, "GET", "/api/v1/audit-log?limit=0", nil, nil)
		wantFieldErrors(t, res, raw, "limit")
	})

	t.Run("Scope", func(t *testing.T) {
		res, raw := a.api(a.apiKey("contacts:write"), "GET", "/api/v1/audit-log", nil, nil)
		wantStatus(t, res, raw, http.StatusForbidden)
		if d := problemDetail(t, raw); !strings.Contains(d, "audit:read") {
			t.Errorf("detail %q", d)
		}
		// Reading is all there is: no method writes the log.
		res, raw = a.api(a.apiKey(), "POST", "/api/v1/audit-log", map[string]any{}, nil)
		wantStatus(t, res, raw, http.StatusMethodNotAllowed)
	})
}

func TestAPIContactNotes(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	_, key, err := a.srv.staff.CreateAPIKey(a.ctx(), staff.NewAPIKey{Name: "Chatbot", Scopes: []string{"contacts:write"}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := a.srv.contacts.Create(a.ctx(), crm.Input{Email: "noted@x.test"})
	if err != nil {
		t.Fatal(err)
	}
	path := "/api/v1/contacts/" + itoa(c.ID)

	var n noteJSON
	res, raw := a.api(key, "POST", path+"/notes", map[string]any{"body": "  Asked for an invoice  "}, &n,
		"Idempotency-Key", "note-1")
	wantStatus(t, res, raw, http.StatusCreated)
	if n.Body != "Asked for an invoice" || n.Author != "Chatbot" || n.ContactID != c.ID || n.ID == 0 {
		t.Fatalf("note %s", raw)
	}
	res, raw = a.api(key, "POST", path+"/notes", map[string]any{"body": "  Asked for an invoice  "}, nil,
		"Idempotency-Key", "note-1")
	wantStatus(t, res, raw, http.StatusCreated)
	if n := countRows(t, a, `SELECT count(*) FROM contact_notes`); n != 1 {
		t.Errorf("%d notes after a replayed POST, want 1", n)
	}

	var notes List[noteJSON]
	res, raw = a.api(key, "GET", path+"/notes", nil, &notes)
	wantStatus(t, res, raw, http.StatusOK)
	if len(notes.Data) != 1 || notes.Data[0] != n {
		t.Errorf("notes %s", raw)
	}
	var tl List[timelineJSON]
	res, raw = a.api(key, "GET", path+"/timeline?limit=5", nil, &tl)
	wantStatus(t, res, raw, http.StatusOK)
	if len(tl.Data) == 0 || tl.Data[0].Kind != crm.EventNote || tl.Data[0].Actor != "Chatbot" {
		t.Errorf("timeline %s", raw)
	}

	// The admin's card shows the note the API added.
	_, doc := a.get(a.owner(), "/admin/contacts/"+itoa(c.ID))
	if !strings.Contains(doc.Text(), "Asked for an invoice") {
		t.Error("the contact card does not show the API's note")
	}

	res, raw = a.api(key, "POST", path+"/notes", map[string]any{"body": "   "}, nil)
	wantFieldErrors(t, res, raw, "body")
	res, raw = a.api(key, "POST", path+"/notes", map[string]any{"text": "x"}, nil)
	wantFieldErrors(t, res, raw, "text")
	res, raw = a.api(key, "GET", path+"/timeline?limit=5000", nil, nil)
	wantFieldErrors(t, res, raw, "limit")
	for _, p := range []string{"/api/v1/contacts/999999/notes", "/api/v1/contacts/999999/timeline"} {
		res, raw = a.api(key, "GET", p, nil, nil)
		wantStatus(t, res, raw, http.StatusNotFound)
	}
	res, raw = a.api(key, "POST", "/api/v1/contacts/999999/notes", map[string]any{"body": "x"}, nil)
	wantStatus(t, res, raw, http.StatusNotFound)

	read := a.apiKey("contacts:read")
	res, raw = a.api(read, "GET", path+"/notes", nil, nil)
	wantStatus(t, res, raw, http.StatusOK)
	res, raw = a.api(read, "POST", path+"/notes", map[string]any{"body": "x"}, nil)
	wantStatus(t, res, raw, http.StatusForbidden)
	res, raw = a.api(a.apiKey("access:write"), "GET", path+"/timeline", nil, nil)
	wantStatus(t, res, raw, http.StatusForbidden)
}

func TestAPIImportList(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	p, err := a.srv.offers.CreateProduct(a.ctx(), offer.ProductInput{Name: "Guitar course", Kind: offer.KindCourse})
	if err != nil {
		t.Fatal(err)
	}
	key := a.apiKey(staff.Scope("access", staff.LevelWrite))
	var made []int64
	for range 3 {
		var res0 apiImportResult
		res, raw := a.api(key, "POST", "/api/v1/imports?dry_run=false", importFile(p), &res0, "Content-Type", "text/csv")
		wantStatus(t, res, raw, http.StatusCreated)
		made = append(made, res0.ImportID)
	}

	var first, second List[apiImport]
	res, raw := a.api(key, "GET", "/api/v1/imports?limit=2", nil, &first)
	wantStatus(t, res, raw, http.StatusOK)
	if len(first.Data) != 2 || first.NextCursor == "" || first.Data[0].ID != made[2] || first.Data[1].ID != made[1] ||
		first.Data[0].Status != "committed" || first.Data[0].Rows != 2 || first.Data[0].Unchanged != 2 {
		t.Fatalf("first page %s", raw)
	}
	res, raw = a.api(key, "GET", "/api/v1/imports?limit=2&cursor="+first.NextCursor, nil, &second)
	wantStatus(t, res, raw, http.StatusOK)
	if len(second.Data) != 1 || second.NextCursor != "" || second.Data[0].ID != made[0] || second.Data[0].Created != 2 {
		t.Fatalf("second page %s", raw)
	}
	res, raw = a.api(key, "GET", "/api/v1/imports?cursor=nope", nil, nil)
	wantFieldErrors(t, res, raw, "cursor")
	res, raw = a.api(a.apiKey("contacts:write"), "GET", "/api/v1/imports", nil, nil)
	wantStatus(t, res, raw, http.StatusForbidden)
}

func TestAPIPaymentLinkQR(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	f := newOrderFixture(t, a)
	var l paymentLinkJSON
	res, raw := a.api(a.apiKey(), "POST", "/api/v1/payment-links", map[string]any{"contact_id": f.contact.ID, "offer_id": f.offer.ID}, &l)
	wantStatus(t, res, raw, http.StatusCreated)
	key := a.apiKey("orders:read")
	base := "/api/v1/payment-links/" + itoa(l.ID)
	res, raw = a.api(key, "GET", base+"/qr.png", nil, nil)
	wantStatus(t, res, raw, http.StatusOK)
	if res.Header.Get("Content-Type") != "image/png" || !strings.HasPrefix(string(raw), "\x89PNG") {
		t.Errorf("png: %q, %d bytes", res.Header.Get("Content-Type"), len(raw))
	}
	res, raw = a.api(key, "GET", base+"/qr.svg?download=1", nil, nil)
	wantStatus(t, res, raw, http.StatusOK)
	if res.Header.Get("Content-Type") != "image/svg+xml" || !strings.Contains(string(raw), "<svg") ||
		!strings.Contains(res.Header.Get("Content-Disposition"), "payment-link-"+itoa(l.ID)+".svg") {
		t.Errorf("svg: %q %q", res.Header.Get("Content-Type"), res.Header.Get("Content-Disposition"))
	}
	res, raw = a.api(key, "GET", base+"/qr.gif", nil, nil)
	wantStatus(t, res, raw, http.StatusNotFound)
	res, raw = a.api(key, "GET", "/api/v1/payment-links/999999/qr.png", nil, nil)
	wantStatus(t, res, raw, http.StatusNotFound)
	res, raw = a.api(a.apiKey("contacts:read"), "GET", base+"/qr.png", nil, nil)
	wantStatus(t, res, raw, http.StatusForbidden)
}
