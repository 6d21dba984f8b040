package server

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/bursar/bursar/internal/offer"
	"github.com/bursar/bursar/internal/staff"
)

// importFile is a good file of two sales of product p, one with an amount, ending in a year.
func importFile(p offer.Product) string {
	end := time.Now().AddDate(1, 0, 0).Format(time.DateOnly)
	return "email;name;product;end;amount;currency;external_reference\n" +
		"ana@example.com;Ana;" + itoa(p.ID) + ";" + end + ";49,90;EUR;KW-1\n" +
		"ben@example.com;Ben;" + p.Name + ";;;;KW-2\n"
}

func TestAPIImports(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	p, err := a.srv.offers.CreateProduct(a.ctx(), offer.ProductInput{Name: "Guitar course", Kind: offer.KindCourse})
	if err != nil {
		t.Fatal(err)
	}
	key := a.apiKey(staff.Scope("access", staff.LevelWrite))
	csv := "Content-Type"
	good := importFile(p)

	t.Run("DryRun", func(t *testing.T) {
		var got map[string]any
		res, raw := a.api(key, "POST", "/api/v1/imports?dry_run=true", good, &got, csv, "text/csv")
		wantStatus(t, res, raw, http.StatusOK)
		if got["rows"] != float64(2) || got["new"] != float64(2) || got["bad_rows"] != float64(0) {
			t.Fatalf("dry run = %s", raw)
		}
		if n := countRows(t, a, "SELECT count(*) FROM imports"); n != 0 {
			t.Fatalf("a dry run stored %d imports", n)
		}
	})

	t.Run("DryRunBadRows", func(t *testing.T) {
		bad := good + "not-an-email;X;" + itoa(p.ID) + ";2020-01-01;;;KW-3\n"
		var got Problem
		res, raw := a.api(key, "POST", "/api/v1/imports?dry_run=true", bad, &got, csv, "text/csv")
		wantStatus(t, res, raw, http.StatusUnprocessableEntity)
		if res.Header.Get("Content-Type") != "application/problem+json" || len(got.Rows) != 1 || got.Rows[0].Line != 4 ||
			got.Rows[0].Errors["email"] == "" || got.Rows[0].Errors["end"] == "" {
			t.Fatalf("problem = %s", raw)
		}
		res, raw = a.api(key, "POST", "/api/v1/imports?dry_run=false", bad, &got, csv, "text/csv")
		wantStatus(t, res, raw, http.StatusUnprocessableEntity)
		if n := countRows(t, a, "SELECT count(*) FROM contacts"); n != 0 {
			t.Fatalf("a refused commit made %d contacts", n)
		}
	})

	t.Run("FileRefused", func(t *testing.T) {
		var got Problem
		res, raw := a.api(key, "POST", "/api/v1/imports?dry_run=true", "email,name\nx@example.com,X\n", &got, csv, "text/csv")
		wantStatus(t, res, raw, http.StatusUnprocessableEntity)
		if !strings.Contains(got.Errors["file"], "external_reference, product") {
			t.Fatalf("problem = %s", raw)
		}
		res, raw = a.api(key, "POST", "/api/v1/imports?dry_run=true", "email,product,external_reference\n\xff\xfe,1,X\n", &got, csv, "text/csv")
		wantStatus(t, res, raw, http.StatusUnprocessableEntity)
		if !strings.Contains(got.Errors["file"], "UTF-8") {
			t.Fatalf("problem = %s", raw)
		}
	})

	t.Run("Commit", func(t *testing.T) {
		var got map[string]any
		res, raw := a.api(key, "POST", "/api/v1/imports?dry_run=false&record_payments=true", good, &got, csv, "text/csv",
			"Idempotency-Key", "import-1")
		wantStatus(t, res, raw, http.StatusCreated)
		if got["created"] != float64(2) || got["granted"] != float64(2) || got["unchanged"] != float64(0) {
			t.Fatalf("commit = %s", raw)
		}
		if n := countRows(t, a, "SELECT count(*) FROM access_grants WHERE source = 'import'"); n != 2 {
			t.Fatalf("%d import grants", n)
		}
		res, raw2 := a.api(key, "POST", "/api/v1/imports?dry_run=false&record_payments=true", good, nil, csv, "text/csv",
			"Idempotency-Key", "import-1")
		wantStatus(t, res, raw2, http.StatusCreated)
		if res.Header.Get("Idempotent-Replayed") != "true" || !bytes.Equal(raw, raw2) {
			t.Fatalf("replay = %s", raw2)
		}
		// The same file again, without the key: nothing changes.
		res, raw = a.api(key, "POST", "/api/v1/imports", good, &got, csv, "text/csv")
		wantStatus(t, res, raw, http.StatusCreated)
		if got["unchanged"] != float64(2) || got["created"] != float64(0) || got["granted"] != float64(0) {
			t.Fatalf("second commit = %s", raw)
		}
		loc := res.Header.Get("Location")
		res, raw = a.api(key, "GET", loc, nil, &got)
		wantStatus(t, res, raw, http.StatusOK)
		if got["status"] != "committed" || got["unchanged"] != float64(2) {
			t.Fatalf("GET %s = %s", loc, raw)
		}
		if n := countRows(t, a, "SELECT count(*) FROM access_grants WHERE source = 'import'"); n != 2 {
			t.Fatalf("%d import grants after the second import", n)
		}
	})

	t.Run("Multipart", func(t *testing.T) {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		fw, _ := mw.CreateFormFile("file", "sales.csv")
		_, _ = fw.Write([]byte(good))
		_ = mw.Close()
		var got map[string]any
		res, raw := a.api(key, "POST", "/api/v1/imports?dry_run=true", body.String(), &got, csv, mw.FormDataContentType())
		wantStatus(t, res, raw, http.StatusOK)
		if got["imported_before"] != float64(2) {
			t.Fatalf("dry run = %s", raw)
		}
	})

	t.Run("Scope", func(t *testing.T) {
		for _, scope := range []string{staff.Scope("access", staff.LevelRead), staff.Scope("contacts", staff.LevelWrite)} {
			var got Problem
			res, raw := a.api(a.apiKey(scope), "POST", "/api/v1/imports?dry_run=true", good, &got, csv, "text/csv")
			wantStatus(t, res, raw, http.StatusForbidden)
			if !strings.Contains(got.Detail, "access:write") {
				t.Fatalf("%s: %s", scope, raw)
			}
		}
	})
}

// postFile uploads body as the file of the admin's import form.
func (a *testApp) postFile(c *http.Client, name, body string) *http.Response {
	a.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", name)
	_, _ = fw.Write([]byte(body))
	_ = mw.Close()
	res, err := c.Post(a.ts.URL+"/admin/imports", mw.FormDataContentType(), &buf)
	if err != nil {
		a.t.Fatal(err)
	}
	res.Body.Close()
	return res
}

func TestAdminImports(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	c := a.owner()
	p, err := a.srv.offers.CreateProduct(a.ctx(), offer.ProductInput{Name: "Guitar course", Kind: offer.KindCourse})
	if err != nil {
		t.Fatal(err)
	}

	// A file with a bad row: the preview shows it highlighted, with its message tied to the cell, and no button.
	res := a.postFile(c, "bad.csv", importFile(p)+"bad-email;X;Piano;;;;KW-9\n")
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("upload: status %d", res.StatusCode)
	}
	res, doc := a.get(c, res.Header.Get("Location"))
	if res.StatusCode != http.StatusOK {
		t.Fatalf("preview: status %d", res.StatusCode)
	}
	row := doc.Find(`[data-testid="import-line-4"]`)
	if !row.HasClass("row-error") || row.Find(`[data-testid="error-4-email"]`).Length() != 1 ||
		row.Find(`[data-testid="error-4-product"]`).Length() != 1 || doc.Find(`[data-testid="import-commit"]`).Length() != 0 ||
		doc.Find(`[role="alert"]`).Length() != 1 {
		t.Fatalf("preview of a bad file:\n%s", htmlOf(doc))
	}
	id, _ := row.Find(`[data-testid="error-4-email"]`).Attr("id")
	if d, _ := row.Find(`td[aria-describedby="` + id + `"]`).Attr("aria-describedby"); d != id {
		t.Fatalf("the bad cell is not described by its error %q", id)
	}

	// A file that is not CSV at all: the form again with the reason.
	res = a.postFile(c, "x.csv", "email,name\n")
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("upload without columns: status %d", res.StatusCode)
	}

	// A good file: preview, commit (twice with the same form token), result.
	res = a.postFile(c, "good.csv", importFile(p))
	page := res.Header.Get("Location")
	_, doc = a.get(c, page)
	if doc.Find(`[data-testid="import-commit"]`).Length() != 1 || doc.Find(`tr.row-error`).Length() != 0 {
		t.Fatalf("preview of a good file:\n%s", htmlOf(doc))
	}
	token, _ := doc.Find(`input[name="form_token"]`).Attr("value")
	action, _ := doc.Find(`[data-testid="import-commit-form"]`).Attr("action")
	for range 2 {
		res = a.postForm(c, action, url.Values{"form_token": {token}, "welcome": {"1"}})
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != page {
			t.Fatalf("commit: status %d to %q", res.StatusCode, res.Header.Get("Location"))
		}
	}
	_, doc = a.get(c, page)
	if got := doc.Find(`[data-testid="result-created"]`).Text(); got != "2" {
		t.Fatalf("result created %q:\n%s", got, htmlOf(doc))
	}
	if n := countRows(t, a, "SELECT count(*) FROM access_grants WHERE source = 'import'"); n != 2 {
		t.Fatalf("%d grants", n)
	}
	if n := countRows(t, a, "SELECT count(*) FROM outbound_emails WHERE dedup_key LIKE 'import:%'"); n != 2 {
		t.Fatalf("%d welcome e-mails", n)
	}
	_, doc = a.get(c, "/admin/imports")
	if doc.Find(`[data-testid="imports-table"] tbody tr`).Length() != 2 {
		t.Fatalf("imports list:\n%s", htmlOf(doc))
	}
}

func htmlOf(doc *goquery.Document) string {
	h, _ := doc.Html()
	if len(h) > 4000 {
		h = h[:4000]
	}
	return fmt.Sprint(h)
}
