package server

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/importer"
)

// apiImportPreview is the answer to a dry run whose rows are all good.
type apiImportPreview struct {
	DryRun         bool `json:"dry_run"`
	Rows           int  `json:"rows"`
	New            int  `json:"new"`
	ImportedBefore int  `json:"imported_before"`
	BadRows        int  `json:"bad_rows"`
}

// apiImport is an import as the API shows it: what its (last) commit did.
type apiImport struct {
	ID             int64      `json:"id"`
	FileName       string     `json:"file_name"`
	Status         string     `json:"status"` // previewed, committed
	Rows           int        `json:"rows"`
	BadRows        int        `json:"bad_rows"`
	Created        int        `json:"created"`
	Updated        int        `json:"updated"`
	Granted        int        `json:"granted"`
	Unchanged      int        `json:"unchanged"`
	Welcome        bool       `json:"welcome"`
	RecordPayments bool       `json:"record_payments"`
	CreatedBy      string     `json:"created_by"`
	CreatedAt      time.Time  `json:"created_at"`
	CommittedAt    *time.Time `json:"committed_at"`
}

// apiImportResult is the answer to a commit.
type apiImportResult struct {
	ImportID  int64 `json:"import_id"`
	Rows      int   `json:"rows"`
	Created   int   `json:"created"`
	Updated   int   `json:"updated"`
	Granted   int   `json:"granted"`
	Extended  int   `json:"extended"`
	Unchanged int   `json:"unchanged"`
}

func toAPIImport(im importer.Import) apiImport {
	st := "previewed"
	if im.Committed {
		st = "committed"
	}
	return apiImport{ID: im.ID, FileName: im.FileName, Status: st, Rows: im.Rows, BadRows: im.BadRows,
		Created: im.Result.Created, Updated: im.Result.Updated, Granted: im.Result.Granted, Unchanged: im.Result.Unchanged,
		Welcome: im.Options.Welcome, RecordPayments: im.Options.RecordPayments, CreatedBy: im.CreatedBy,
		CreatedAt: im.CreatedAt, CommittedAt: im.CommittedAt}
}

// apiImportCreate is POST /api/v1/imports?dry_run=true|false[&welcome=true][&record_payments=true]: the CSV as
// the body (text/csv) or as the part "file" of a multipart/form-data body. A dry run checks it (200 with the
// counts; 422 problem+json with each bad row's errors); otherwise it is committed (201 with what was done; refused
// whole, 422 with the bad rows, when any row has errors). Re-posting the same file changes nothing (unchanged).
func (s *Server) apiImportCreate(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	e := check.Errors{}
	dry := queryBool(q.Get("dry_run"), "dry_run", e)
	o := importer.Options{Welcome: queryBool(q.Get("welcome"), "welcome", e),
		RecordPayments: queryBool(q.Get("record_payments"), "record_payments", e)}
	if err := e.Err(); err != nil {
		s.apiError(w, r, err)
		return
	}
	name, content, err := readAPIImport(w, r)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	if dry {
		p, err := s.imports.Preview(r.Context(), content)
		if err == nil && p.Bad > 0 {
			err = &importer.RowsError{Rows: p.BadRows()}
		}
		if err != nil {
			s.apiError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, apiImportPreview{DryRun: true, Rows: len(p.Rows), New: p.New(), ImportedBefore: p.Imported})
		return
	}
	res, err := s.imports.CommitFile(r.Context(), name, content, o)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/imports/"+itoa(res.ImportID))
	writeJSON(w, http.StatusCreated, apiImportResult{ImportID: res.ImportID, Rows: res.Rows, Created: res.Created,
		Updated: res.Updated, Granted: res.Granted, Extended: res.Extended, Unchanged: res.Unchanged})
}

// apiImportGet is GET /api/v1/imports/{id}.
func (s *Server) apiImportGet(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	im, err := s.imports.Get(r.Context(), id)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toAPIImport(im))
}

// queryBool reads an optional true/false query parameter, naming it when it is neither.
func queryBool(v, name string, e check.Errors) bool {
	switch v {
	case "", "false", "0":
		return false
	case "true", "1":
		return true
	}
	e.Add(name, "must be true or false")
	return false
}

// readAPIImport reads the file of an import request, bounded to importer.MaxFileSize: the body itself, or the
// part "file" of a multipart body.
func readAPIImport(w http.ResponseWriter, r *http.Request) (string, []byte, error) {
	r.Body = http.MaxBytesReader(w, r.Body, importer.MaxFileSize+importEnvelope)
	if isMultipart(r) {
		return readImportUpload(r)
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, importer.MaxFileSize+1))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return "", nil, check.Field("file", "is larger than 32 MB; split it into smaller files")
	case err != nil:
		return "", nil, check.Field("file", "the body was cut short; send it again")
	}
	name := ""
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") && ct != "" && !strings.HasPrefix(ct, "application/octet-stream") && !strings.HasPrefix(ct, "text/plain") {
		return "", nil, check.Field("file", "send the CSV as text/csv, or as the part \"file\" of multipart/form-data")
	}
	return name, b, nil
}
