package server

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/order"
	"github.com/bursar/bursar/internal/order/prooftest"
	"github.com/bursar/bursar/internal/staff"
)

// proofFixture is a student with an open bank-transfer order, placed through the manual checkout.
type proofFixture struct {
	a       *testApp
	student *http.Client
	number  string // B-000001
	page    string // the student's order page, where checkout lands
	orderID int64
}

func newProofFixture(t *testing.T) proofFixture {
	t.Helper()
	a := newTestApp(t)
	_, pay := a.checkoutFixture()
	c := a.student("ana@school.test")
	res, doc := a.get(c, pay)
	if res.StatusCode != http.StatusOK || doc.Find("[data-testid=proof-note]").Length() != 1 {
		t.Fatalf("manual checkout: status %d, or it does not say a proof can follow", res.StatusCode)
	}
	res = a.postForm(c, pay, url.Values{"form_token": {doc.Find("input[name=form_token]").AttrOr("value", "")},
		"paid_on": {doc.Find("#paid_on").AttrOr("value", "")}, "comment": {"1234"}})
	where := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(where, "/account/orders/") {
		t.Fatalf("checkout: %d to %q", res.StatusCode, where)
	}
	f := proofFixture{a: a, student: c, page: where, number: strings.TrimPrefix(strings.Split(where, "?")[0], "/account/orders/")}
	if err := a.pool.QueryRow(a.ctx(), "SELECT id FROM orders WHERE number = $1", f.number).Scan(&f.orderID); err != nil {
		t.Fatal(err)
	}
	return f
}

// upload is one file of a proof form: its name, the Content-Type the browser declares and the bytes.
type upload struct {
	name, declared string
	body           []byte
}

// send posts the proof form of order number as a browser does (multipart/form-data) and reads the answer.
func (f proofFixture) send(c *http.Client, number, paidOn, reference string, file *upload) (*http.Response, *goquery.Document) {
	f.a.t.Helper()
	return f.a.postMultipart(c, "/account/orders/"+url.PathEscape(number)+"/proofs",
		url.Values{"paid_on": {paidOn}, "reference": {reference}}, file)
}

// postProof posts a proof form to path as a browser does (multipart/form-data) and reads the answer.
func (a *testApp) postProof(c *http.Client, path, paidOn, reference string, file *upload) (*http.Response, *goquery.Document) {
	a.t.Helper()
	return a.postMultipart(c, path, url.Values{"paid_on": {paidOn}, "reference": {reference}}, file)
}

func (f proofFixture) stored() int { return f.a.count("SELECT count(*) FROM payment_proofs") }

func today() string { return time.Now().UTC().Format(time.DateOnly) }

func TestProofUpload(t *testing.T) {
	t.Parallel()
	f := newProofFixture(t)
	a := f.a

	_, doc := a.get(f.student, f.page)
	form := doc.Find("[data-testid=proof-form]")
	if form.Length() != 1 || form.AttrOr("enctype", "") != "multipart/form-data" ||
		doc.Find("label[for=file]").Length() != 1 || doc.Find("label[for=reference]").Length() != 1 ||
		doc.Find("#file").AttrOr("aria-describedby", "") != "file-hint" || doc.Find("html").AttrOr("lang", "") != "es" {
		t.Fatal("the order page of an open bank-transfer order has no labelled, Spanish proof form")
	}
	if got := doc.Find("#paid_on").AttrOr("value", ""); got != today() {
		t.Errorf("date prefilled %q, want the payment's (%s)", got, today())
	}

	files := []upload{
		{"foto.jpg", "image/jpeg", prooftest.JPEG(1)},
		{"captura.png", "image/png", prooftest.PNG(1)},
		{"recibo.pdf", "application/pdf", prooftest.PDF("transferencia")},
	}
	for _, u := range files {
		res, _ := f.send(f.student, f.number, today(), "TR-77", &u)
		if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/account/orders/"+f.number+"?") {
			t.Fatalf("%s: status %d to %q, want the order page", u.name, res.StatusCode, res.Header.Get("Location"))
		}
	}
	_, doc = a.get(f.student, f.page)
	if doc.Find("[data-testid=flash]").Text() != "Hemos recibido tu comprobante de pago." {
		t.Errorf("flash %q", doc.Find("[data-testid=flash]").Text())
	}
	if n := doc.Find("[data-testid=proof]").Length(); n != 3 || doc.Find("[data-testid=proof-name]").First().Text() != "recibo.pdf" {
		t.Fatalf("the student's order page lists %d proofs, want 3 newest first", n)
	}

	t.Run("DoubleSubmitStoresOne", func(t *testing.T) {
		again := files[2]
		if res, _ := f.send(f.student, f.number, today(), "TR-77", &again); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("second submit: status %d", res.StatusCode)
		}
		if n := f.stored(); n != 3 {
			t.Fatalf("%d proofs after sending the same file twice, want 3", n)
		}
	})

	t.Run("Refused", func(t *testing.T) {
		tests := []struct {
			name   string
			file   *upload
			paidOn string
			field  string
			want   string
		}{
			{"ExeNamedPDF", &upload{"proof.pdf", "application/pdf", prooftest.Disguised["Executable"]}, today(), "file",
				"El archivo debe ser una imagen JPEG o PNG o un documento PDF."},
			{"HTMLNamedPDF", &upload{"proof.pdf", "application/pdf", prooftest.Disguised["HTML"]}, today(), "file",
				"El archivo debe ser una imagen JPEG o PNG o un documento PDF."},
			{"ForgedPDFHeader", &upload{"proof.pdf", "application/pdf", prooftest.Disguised["ForgedPDFHeader"]}, today(), "file",
				"El archivo debe ser una imagen JPEG o PNG o un documento PDF."},
			{"PDFDeclaredPNG", &upload{"scan.png", "image/png", prooftest.PDF("scan")}, today(), "file",
				"El archivo no es lo que indican su nombre o su tipo. Envía el archivo JPEG, PNG o PDF original."},
			{"JustOver10MB", &upload{"scan.pdf", "application/pdf", prooftest.Sized(order.MaxProofSize + 1)}, today(), "file",
				"El archivo debe ocupar 10 MB como máximo."},
			{"NoFile", nil, today(), "file", "Elige el archivo que quieres enviar."},
			{"BadDate", &upload{"a.png", "image/png", prooftest.PNG(5)}, "ayer", "paid_on", "Indica la fecha del pago."},
			{"FutureDate", &upload{"a.png", "image/png", prooftest.PNG(5)}, "2999-01-01", "paid_on", ""},
		}
		for _, tt := range tests {
			res, doc := f.send(f.student, f.number, tt.paidOn, "TR-77", tt.file)
			msg := doc.Find("[data-testid=" + tt.field + "-error]").Text()
			if res.StatusCode != http.StatusUnprocessableEntity || msg == "" || (tt.want != "" && msg != tt.want) {
				t.Errorf("%s: status %d, %s error %q", tt.name, res.StatusCode, tt.field, msg)
				continue
			}
			field := doc.Find("#" + tt.field)
			if !strings.Contains(field.AttrOr("aria-describedby", ""), tt.field+"-error") || field.AttrOr("aria-invalid", "") != "true" ||
				field.AttrOr("autofocus", "none") == "none" || doc.Find("[data-testid=form-errors]").AttrOr("role", "") != "alert" {
				t.Errorf("%s: the error is not linked to its field, or the field does not get the focus", tt.name)
			}
			if got := doc.Find("#reference").AttrOr("value", ""); got != "TR-77" {
				t.Errorf("%s: the reference typed is lost (%q)", tt.name, got)
			}
		}
		if n := f.stored(); n != 3 {
			t.Fatalf("refused uploads stored something: %d proofs", n)
		}
	})

	t.Run("NotTheirs", func(t *testing.T) {
		other := a.student("eve@school.test")
		pdf := &upload{"x.pdf", "application/pdf", prooftest.PDF("eve")}
		if res, _ := f.send(other, f.number, today(), "", pdf); res.StatusCode != http.StatusNotFound {
			t.Errorf("another student's order: status %d, want 404", res.StatusCode)
		}
		if res, _ := f.send(f.student, "B-999999", today(), "", pdf); res.StatusCode != http.StatusNotFound {
			t.Errorf("an unknown order: status %d, want 404", res.StatusCode)
		}
		if res, _ := f.send(a.client(), f.number, today(), "", pdf); !strings.HasPrefix(res.Header.Get("Location"), "/account/login") {
			t.Errorf("a visitor: status %d to %q, want the sign-in page", res.StatusCode, res.Header.Get("Location"))
		}
		if n := f.stored(); n != 3 {
			t.Fatalf("%d proofs", n)
		}
	})

	t.Run("ManagerSeesAndDownloads", func(t *testing.T) {
		c := a.owner()
		orderPath := "/admin/orders/" + itoa(f.orderID)
		_, doc := a.get(c, orderPath)
		rows := doc.Find("[data-testid=proofs] [data-testid=proof]")
		if rows.Length() != 3 {
			t.Fatalf("the admin order page lists %d proofs, want 3", rows.Length())
		}
		first := rows.First()
		if first.Find("[data-testid=proof-download]").Text() != "recibo.pdf" || first.Find("[data-testid=proof-type]").Text() != "PDF" ||
			first.Find("[data-testid=proof-reference]").Text() != "TR-77" || first.Find("[data-testid=proof-paid-on]").Text() != today() ||
			first.Find("[data-testid=proof-size]").Text() != order.SizeText(int64(len(files[2].body))) || first.Find("[data-testid=proof-view]").Length() != 0 {
			t.Errorf("proof row: %q", strings.Join(strings.Fields(first.Text()), " "))
		}
		href := first.Find("[data-testid=proof-download]").AttrOr("href", "")
		res, body := fetchAll(t, c, a.ts.URL+href)
		_, params, _ := mime.ParseMediaType(res.Header.Get("Content-Disposition"))
		if res.StatusCode != http.StatusOK || !bytes.Equal(body, files[2].body) || res.Header.Get("Content-Type") != "application/pdf" ||
			!strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment") || params["filename"] != "recibo.pdf" ||
			res.Header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(res.Header.Get("Content-Security-Policy"), "sandbox") ||
			!strings.Contains(res.Header.Get("Content-Security-Policy"), "default-src 'none'") {
			t.Errorf("download: status %d, headers %v", res.StatusCode, res.Header)
		}
		// A PDF is never shown inline, whatever is asked; an image may be.
		if res, _ := fetchAll(t, c, a.ts.URL+href+"?view=1"); !strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment") {
			t.Errorf("a PDF asked inline: %q", res.Header.Get("Content-Disposition"))
		}
		view := rows.Eq(2).Find("[data-testid=proof-view]").AttrOr("href", "")
		if res, body := fetchAll(t, c, a.ts.URL+view); res.Header.Get("Content-Type") != "image/jpeg" ||
			!strings.HasPrefix(res.Header.Get("Content-Disposition"), "inline") || !bytes.Equal(body, files[0].body) {
			t.Errorf("image view: %v", res.Header)
		}
		if res, _ := fetchAll(t, c, a.ts.URL+"/admin/orders/"+itoa(f.orderID+1)+"/proofs/1"); res.StatusCode != http.StatusNotFound {
			t.Errorf("a proof through another order: status %d", res.StatusCode)
		}
		timeline := doc.Find("[data-testid=order-timeline] [data-kind='payment.proof']")
		if timeline.Length() != 3 || !strings.Contains(timeline.First().Text(), "recibo.pdf") {
			t.Errorf("timeline lines of proofs: %d", timeline.Length())
		}

		// The decision is F3's, unchanged; then the order takes no more proofs and the form is gone.
		res = a.postForm(c, orderPath+"/approve", url.Values{"amount": {"49,00"}, "currency": {"EUR"}, "paid_on": {today()}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("approve: %d", res.StatusCode)
		}
		res, doc = f.send(f.student, f.number, today(), "", &upload{"late.png", "image/png", prooftest.PNG(7)})
		if res.StatusCode != http.StatusConflict || doc.Find("[data-testid=flash]").Text() == "" || doc.Find("[data-testid=proof-form]").Length() != 0 {
			t.Errorf("a proof for an approved order: status %d, message %q", res.StatusCode, doc.Find("[data-testid=flash]").Text())
		}
		if n := f.stored(); n != 3 {
			t.Errorf("%d proofs after the order was approved", n)
		}
	})

	t.Run("StaffOnlyDownload", func(t *testing.T) {
		var pid int64
		if err := a.pool.QueryRow(a.ctx(), "SELECT max(id) FROM payment_proofs").Scan(&pid); err != nil {
			t.Fatal(err)
		}
		path := "/admin/orders/" + itoa(f.orderID) + "/proofs/" + itoa(pid)
		for name, c := range map[string]*http.Client{"Student": f.student, "Visitor": a.client()} {
			res, body := fetchAll(t, c, a.ts.URL+path)
			if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/admin/login") || bytes.Contains(body, []byte("%PDF")) {
				t.Errorf("%s: status %d to %q", name, res.StatusCode, res.Header.Get("Location"))
			}
		}
		// A manager runs orders: allowed. The same manager disabled: signed out, refused.
		mgr := a.createAdmin("manager@school.test", staff.RoleManager)
		mc := a.signIn("manager@school.test")
		if res, _ := fetchAll(t, mc, a.ts.URL+path); res.StatusCode != http.StatusOK {
			t.Errorf("manager: status %d", res.StatusCode)
		}
		if err := a.srv.staff.SetDisabled(a.ctx(), mgr.ID, true); err != nil {
			t.Fatal(err)
		}
		if res, _ := fetchAll(t, mc, a.ts.URL+path); res.StatusCode != http.StatusSeeOther {
			t.Errorf("disabled manager: status %d", res.StatusCode)
		}

		// The API: orders:read reads the list and the file; a key without it is refused.
		var list struct {
			Data []proofJSON `json:"data"`
		}
		res, raw := a.api(a.apiKey("orders:read"), http.MethodGet, "/api/v1/orders/"+itoa(f.orderID)+"/proofs", nil, &list)
		wantStatus(t, res, raw, http.StatusOK)
		if len(list.Data) != 3 || list.Data[0].FileName != "recibo.pdf" || list.Data[0].ContentType != "application/pdf" ||
			list.Data[0].Reference != "TR-77" || list.Data[0].Size != int64(len(files[2].body)) {
			t.Fatalf("API list: %s", raw)
		}
		res, raw = a.api(a.apiKey("orders:read"), http.MethodGet, list.Data[0].FileURL, nil, nil)
		wantStatus(t, res, raw, http.StatusOK)
		if !bytes.Equal(raw, files[2].body) || res.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Error("API file differs from the upload")
		}
		for _, p := range []string{"/api/v1/orders/" + itoa(f.orderID) + "/proofs", list.Data[0].FileURL} {
			res, raw = a.api(a.apiKey("contacts:read"), http.MethodGet, p, nil, nil)
			wantStatus(t, res, raw, http.StatusForbidden)
			if res, raw = a.api("", http.MethodGet, p, nil, nil); res.StatusCode != http.StatusUnauthorized {
				t.Errorf("%s without a key: %d %s", p, res.StatusCode, raw)
			}
		}
	})
}

// fetchAll GETs u with c and reads the whole answer.
func fetchAll(t *testing.T, c *http.Client, u string) (*http.Response, []byte) {
	t.Helper()
	res, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, b
}

// TestReadProofUploadBounded: a body far over the limit is refused as too large once the bound is reached, without
// the rest being read.
func TestReadProofUploadBounded(t *testing.T) {
	t.Parallel()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("paid_on", today())
	w, _ := mw.CreateFormFile("file", "huge.pdf")
	_, _ = w.Write(prooftest.Sized(12 << 20))
	_ = mw.Close()
	src := &countingReader{r: bytes.NewReader(body.Bytes())}
	req := httptest.NewRequest(http.MethodPost, "/account/orders/B-000001/proofs", src)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	var err error
	limitForm(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { _, err = readProofForm(r) })).ServeHTTP(httptest.NewRecorder(), req)
	if e, ok := check.AsErrors(err); !ok || e["file"] != order.MsgProofTooLarge {
		t.Fatalf("readProofForm = %v, want the file too large", err)
	}
	if limit := int64(order.MaxProofSize + proofEnvelope + 64<<10); src.n > limit {
		t.Errorf("read %d bytes of a %d-byte upload, want at most %d", src.n, body.Len(), limit)
	}
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// postMultipart posts fields and an optional file to path as a browser sends a form with a file input.
func (a *testApp) postMultipart(c *http.Client, path string, fields url.Values, file *upload) (*http.Response, *goquery.Document) {
	a.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, vs := range fields {
		for _, v := range vs {
			_ = mw.WriteField(k, v)
		}
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Disposition", `form-data; name="file"; filename=""`)
	if file != nil {
		h.Set("Content-Disposition", mime.FormatMediaType("form-data", map[string]string{"name": "file", "filename": file.name}))
		h.Set("Content-Type", file.declared)
	}
	w, err := mw.CreatePart(h)
	if err != nil {
		a.t.Fatal(err)
	}
	if file != nil {
		_, _ = w.Write(file.body)
	}
	_ = mw.Close()
	req, err := http.NewRequest(http.MethodPost, a.ts.URL+path, &body)
	if err != nil {
		a.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	res, err := c.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer res.Body.Close()
	doc, err := goquery.NewDocumentFromReader(res.Body)
	if err != nil {
		a.t.Fatal(err)
	}
	return res, doc
}

// TestCheckoutWithProof: the manual checkout's form takes the proof with the date and comment, in one submit; a
// bad file opens no order and stores nothing; no file is the form as it always was.
func TestCheckoutWithProof(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	_, pay := a.checkoutFixture()
	c := a.student("ana@school.test")
	_, doc := a.get(c, pay)
	if doc.Find("[data-testid=pay-form]").AttrOr("enctype", "") != "multipart/form-data" || doc.Find("label[for=file]").Length() != 1 ||
		doc.Find("#file").AttrOr("aria-describedby", "") != "file-hint" {
		t.Fatal("the manual checkout form offers no labelled file input")
	}
	fields := func() url.Values {
		return url.Values{"form_token": {a.formToken(c, pay)}, "paid_on": {today()}, "comment": {"REF-2026-9"}}
	}

	for _, bad := range []*upload{
		{"proof.pdf", "application/pdf", prooftest.Disguised["HTML"]},
		{"scan.png", "image/png", prooftest.PDF("scan")},
		{"scan.pdf", "application/pdf", prooftest.Sized(order.MaxProofSize + 1)},
	} {
		res, doc := a.postMultipart(c, pay, fields(), bad)
		if res.StatusCode != http.StatusUnprocessableEntity || doc.Find("[data-testid=file-error]").Text() == "" ||
			!strings.Contains(doc.Find("#file").AttrOr("aria-describedby", ""), "file-error") ||
			doc.Find("#comment").Text() != "REF-2026-9" {
			t.Fatalf("%s: status %d, file error %q", bad.name, res.StatusCode, doc.Find("[data-testid=file-error]").Text())
		}
	}
	if n := a.count("SELECT count(*) FROM orders") + a.count("SELECT count(*) FROM payment_proofs"); n != 0 {
		t.Fatalf("refused checkouts left %d orders and proofs", n)
	}

	jpeg := prooftest.JPEG(3)
	res, _ := a.postMultipart(c, pay, fields(), &upload{"IMG_0042.jpg", "image/jpeg", jpeg})
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/account/orders/") {
		t.Fatalf("checkout with a proof: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	var (
		name, ref, ct string
		size          int
		body          []byte
	)
	if err := a.pool.QueryRow(a.ctx(), `SELECT file_name, reference, content_type, size, body FROM payment_proofs p
		JOIN orders o ON o.id = p.order_id WHERE o.status = 'open'`).Scan(&name, &ref, &ct, &size, &body); err != nil {
		t.Fatal(err)
	}
	if name != "IMG_0042.jpg" || ref != "REF-2026-9" || ct != "image/jpeg" || size != len(jpeg) || !bytes.Equal(body, jpeg) {
		t.Errorf("stored %q %q %s %d", name, ref, ct, size)
	}
	_, doc = a.get(c, res.Header.Get("Location"))
	if doc.Find("[data-testid=proof-name]").Text() != "IMG_0042.jpg" {
		t.Error("the order page does not list the proof sent with the checkout")
	}

	// Without a file the form opens (or finds) the order as before.
	res, _ = a.postMultipart(c, pay, fields(), nil)
	if res.StatusCode != http.StatusSeeOther || a.count("SELECT count(*) FROM orders") != 1 || a.count("SELECT count(*) FROM payment_proofs") != 1 {
		t.Fatalf("checkout without a file: %d", res.StatusCode)
	}
}

// TestServeProofNames: whatever the stored name, the file goes out as an attachment under that name (RFC 2231 for
// what is not ASCII), and an image is inline only when asked.
func TestServeProofNames(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, ct string
		view     bool
		want     string
	}{
		{"recibo año 2026.pdf", order.ProofPDF, true, "attachment"},
		{"квитанція.png", order.ProofPNG, false, "attachment"},
		{"квитанція.png", order.ProofPNG, true, "inline"},
		{"a;b=c,d.jpg", order.ProofJPEG, false, "attachment"},
	}
	for _, tt := range tests {
		w := httptest.NewRecorder()
		serveProof(w, order.ProofFile{Proof: order.Proof{FileName: tt.name, ContentType: tt.ct}, Body: []byte("x")}, tt.view)
		d, params, err := mime.ParseMediaType(w.Header().Get("Content-Disposition"))
		if err != nil || d != tt.want || params["filename"] != tt.name || w.Header().Get("Content-Type") != tt.ct {
			t.Errorf("%q: Content-Disposition %q (%v), Content-Type %q", tt.name, w.Header().Get("Content-Disposition"), err,
				w.Header().Get("Content-Type"))
		}
	}
}
