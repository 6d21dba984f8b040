package server

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/importer"
	"github.com/bursar/bursar/internal/money"
	"github.com/bursar/bursar/templates/admin"
)

// Rows an import's page lists: the bad ones first (up to importBadShown), then the first of the others.
const (
	importBadShown  = 500
	importRowsShown = 100
)

// importEnvelope bounds what an upload carries besides the file: the multipart boundaries and headers.
const importEnvelope = 64 << 10

// adminImports is GET /admin/imports: the upload form and the latest imports.
func (s *Server) adminImports(w http.ResponseWriter, r *http.Request) {
	s.renderImports(w, r, http.StatusOK, nil)
}

func (s *Server) renderImports(w http.ResponseWriter, r *http.Request, status int, errs check.Errors) {
	list, err := s.imports.List(r.Context(), 0, 50)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	v := admin.ImportList{Page: s.adminPage(r, "Import sales", "contacts"), Errors: errs,
		Columns: "name, phone, start, end, amount, currency"}
	for _, im := range list {
		st := "previewed"
		if im.Committed {
			st = "committed"
		}
		v.Rows = append(v.Rows, admin.ImportListRow{ID: im.ID, FileName: im.FileName, Status: st, Rows: im.Rows,
			BadRows: im.BadRows, By: im.CreatedBy, Created: im.CreatedAt.UTC().Format(timeFormat)})
	}
	s.render(w, r, status, admin.ImportsPage(v))
}

// adminImportUpload is POST /admin/imports (multipart/form-data, the file in "file"): the file is checked and
// stored, and its preview shown (303 to its page); a file refused as a whole is the form again with the reason.
func (s *Server) adminImportUpload(w http.ResponseWriter, r *http.Request) {
	name, content, err := readImportUpload(r)
	if err == nil {
		var id int64
		if id, _, err = s.imports.Store(r.Context(), name, content); err == nil {
			http.Redirect(w, r, "/admin/imports/"+itoa(id), http.StatusSeeOther)
			return
		}
	}
	if e, ok := check.AsErrors(err); ok {
		s.renderImports(w, r, http.StatusUnprocessableEntity, e)
		return
	}
	s.htmlError(w, r, err)
}

// readImportUpload streams the upload's "file" part, keeping at most one byte past importer.MaxFileSize.
func readImportUpload(r *http.Request) (string, []byte, error) {
	mr, err := r.MultipartReader()
	if err != nil {
		return "", nil, check.Field("file", "choose a CSV file to upload")
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return "", nil, check.Field("file", "choose a CSV file to upload")
		}
		if err != nil {
			return "", nil, check.Field("file", "the upload was cut short or is too large; try again")
		}
		if part.FormName() != "file" {
			continue
		}
		b, err := io.ReadAll(io.LimitReader(part, importer.MaxFileSize+1))
		if err != nil {
			return "", nil, check.Field("file", "the upload was cut short or is too large; try again")
		}
		if len(b) == 0 {
			return "", nil, check.Field("file", "choose a CSV file to upload")
		}
		return part.FileName(), b, nil
	}
}

// adminImport is GET /admin/imports/{id}: the import's rows as they would be committed now, and its result once
// committed.
func (s *Server) adminImport(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	s.renderImport(w, r, http.StatusOK, id, importer.Options{RecordPayments: true}, "")
}

func (s *Server) renderImport(w http.ResponseWriter, r *http.Request, status int, id int64, o importer.Options, msg string) {
	im, p, err := s.imports.PreviewStored(r.Context(), id)
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	v := admin.ImportView{Page: s.adminPage(r, "Import #"+itoa(id), "contacts"), ID: id, FileName: im.FileName,
		Committed: im.Committed, Total: len(p.Rows), New: p.New(), Imported: p.Imported, Bad: p.Bad, Message: msg,
		Token: newFormToken(), Welcome: o.Welcome, RecordPayments: o.RecordPayments, Columns: importer.Columns}
	if im.Committed {
		v.Result = []admin.ImportCount{{Label: "Contacts created", Value: im.Result.Created, ID: "created"},
			{Label: "Contacts updated", Value: im.Result.Updated, ID: "updated"},
			{Label: "Rows granted", Value: im.Result.Granted, ID: "granted"},
			{Label: "Rows unchanged (imported before)", Value: im.Result.Unchanged, ID: "unchanged"}}
	}
	bad, good := 0, 0
	for _, row := range p.Rows {
		if len(row.Errors) > 0 && bad < importBadShown {
			bad++
			v.Rows = append(v.Rows, importRowView(row))
		}
	}
	for _, row := range p.Rows {
		if len(row.Errors) == 0 && good < importRowsShown {
			good++
			v.Rows = append(v.Rows, importRowView(row))
		}
	}
	v.Shown = "Showing " + strconv.Itoa(len(v.Rows)) + " of " + strconv.Itoa(len(p.Rows)) + " rows"
	if p.Bad > 0 {
		v.Shown += ", the rows with errors first"
	}
	s.render(w, r, status, admin.ImportPage(v))
}

func importRowView(row importer.Row) admin.ImportRowView {
	v := admin.ImportRowView{Line: row.Line, Bad: len(row.Errors) > 0, Row: row.Errors["row"], Status: "new"}
	if row.Imported {
		v.Status = "imported before"
	}
	start, end, amount := row.Start.UTC().Format(time.RFC3339), "", ""
	if row.End != nil {
		end = row.End.UTC().Format(time.RFC3339)
	}
	if row.Amount > 0 {
		amount = money.New(row.Amount, row.Currency).Decimal()
	}
	product := row.Product
	if row.ProductName != "" && row.ProductName != row.Product {
		product += " (" + row.ProductName + ")"
	}
	if row.Errors[importer.ColStart] != "" {
		start = "" // the start given could not be used; its error says why
	}
	values := map[string]string{importer.ColEmail: row.Email, importer.ColName: row.Name, importer.ColPhone: row.Phone,
		importer.ColProduct: product, importer.ColStart: start, importer.ColEnd: end, importer.ColAmount: amount,
		importer.ColCurrency: row.Currency, importer.ColRef: row.Ref}
	for _, c := range importer.Columns {
		v.Cells = append(v.Cells, admin.ImportCell{Value: values[c], Error: row.Errors[c]})
	}
	return v
}

// adminImportCommit is POST /admin/imports/{id}/commit: importer's Commit with the chosen options, once per form
// token; a refusal (rows with errors) is the preview again with the reason (422); done, the import's page with its
// result.
func (s *Server) adminImportCommit(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	o := importer.Options{Welcome: r.PostFormValue("welcome") == "1", RecordPayments: r.PostFormValue("record_payments") == "1"}
	err = s.submitOnce(w, r, "", func() (string, error) {
		res, err := s.imports.Commit(r.Context(), id, o)
		if err != nil {
			return "", err
		}
		s.flash(r, "Imported: "+strconv.Itoa(res.Created)+" contacts created, "+strconv.Itoa(res.Updated)+" updated, "+
			strconv.Itoa(res.Granted+res.Extended)+" rows granted, "+strconv.Itoa(res.Unchanged)+" unchanged.")
		return "/admin/imports/" + itoa(id), nil
	})
	var re *importer.RowsError
	if errors.As(err, &re) {
		s.renderImport(w, r, http.StatusUnprocessableEntity, id, o, re.Message())
		return
	}
	if err != nil {
		s.htmlError(w, r, err)
	}
}

// isImportUpload reports whether r posts a file to import (admin or API), whose body may be as large as a file.
func isImportUpload(r *http.Request) bool {
	return r.Method == http.MethodPost && (r.URL.Path == "/admin/imports" || strings.TrimSuffix(r.URL.Path, "/") == "/api/v1/imports")
}
