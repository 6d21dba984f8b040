package importer

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/crm"
	"github.com/bursar/bursar/internal/money"
)

// fileField is the field a file-level error is reported on.
const fileField = "file"

// record is one line of the file, cut into cells.
type record struct {
	line  int
	cells []string
}

// table is a file's shape: its delimiter and its columns.
type table struct {
	delim   rune
	columns map[string]int
	width   int
}

var bom = []byte("\xef\xbb\xbf")

// readTable reads content as CSV: UTF-8 (a byte-order mark is allowed), comma- or semicolon-separated (whichever
// the header line has more of, outside quotes), a header line naming the columns; each line after it that is not
// blank goes to each as it is read (nothing of the file is kept here). A file that is not UTF-8 text, has no
// header, lacks a required column, is not CSV or is too large is a field error on "file". An error from each stops
// the reading and is returned.
func readTable(content []byte, each func(table, record) error) (table, error) {
	if len(content) > MaxFileSize {
		return table{}, check.Field(fileField, fmt.Sprintf("is larger than %d MB; split it into smaller files", MaxFileSize>>20))
	}
	content = bytes.TrimPrefix(content, bom)
	if line, ok := validText(content); !ok {
		return table{}, check.Field(fileField, fmt.Sprintf("is not UTF-8 text (line %d): save it as \"CSV UTF-8\" and upload it again", line))
	}
	if len(bytes.TrimSpace(content)) == 0 {
		return table{}, check.Field(fileField, "is empty: its first line must name the columns")
	}
	t := table{delim: delimiter(content)}
	r := csv.NewReader(bytes.NewReader(content))
	r.Comma = t.delim
	r.FieldsPerRecord = -1
	r.ReuseRecord = false
	head, err := r.Read()
	if err != nil {
		return table{}, csvError(err)
	}
	cols, missing := header(head)
	if len(missing) > 0 {
		return table{}, check.Field(fileField, fmt.Sprintf("lacks the column %s: its first line must name the columns %s",
			strings.Join(missing, ", "), strings.Join(Columns, ", ")))
	}
	t.columns, t.width = cols, len(head)
	n := 0
	for {
		cells, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return table{}, csvError(err)
		}
		if blank(cells) {
			continue
		}
		if n == MaxRows {
			return table{}, check.Field(fileField, fmt.Sprintf("has more than %d rows; split it into smaller files", MaxRows))
		}
		n++
		line, _ := r.FieldPos(0)
		if err := each(t, record{line: line, cells: cells}); err != nil {
			return t, err
		}
	}
	return t, nil
}

// validText reports whether content is UTF-8 without NUL bytes; when not, the line of the first bad byte.
func validText(content []byte) (int, bool) {
	if utf8.Valid(content) && bytes.IndexByte(content, 0) < 0 {
		return 0, true
	}
	line := 1
	for i := 0; i < len(content); {
		r, size := utf8.DecodeRune(content[i:])
		if (r == utf8.RuneError && size <= 1) || r == 0 {
			return line, false
		}
		if r == '\n' {
			line++
		}
		i += size
	}
	return line, false
}

// delimiter is ';' when the first line has more semicolons than commas outside quotes, else ','.
func delimiter(content []byte) rune {
	commas, semis, quoted := 0, 0, false
	for _, b := range content {
		switch {
		case b == '"':
			quoted = !quoted
		case quoted:
		case b == '\n':
			if semis > commas {
				return ';'
			}
			return ','
		case b == ',':
			commas++
		case b == ';':
			semis++
		}
	}
	if semis > commas {
		return ';'
	}
	return ','
}

// csvError is a file-level error for what encoding/csv refused, named by its kind and line.
func csvError(err error) error {
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		return check.Field(fileField, "cannot be read as CSV")
	}
	why := "cannot be read as CSV"
	switch {
	case errors.Is(pe.Err, csv.ErrQuote):
		why = "has a quote that is not closed, or extra text after a closing quote"
	case errors.Is(pe.Err, csv.ErrBareQuote):
		why = "has a quote inside a field that is not quoted (quote the field and double the quote)"
	}
	return check.Field(fileField, fmt.Sprintf("line %d %s", pe.StartLine, why))
}

func blank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// cell is the trimmed value of column col in rec ("" when the file has no such column).
func (t table) cell(rec record, col string) string {
	i, ok := t.columns[col]
	if !ok || i >= len(rec.cells) {
		return ""
	}
	return strings.TrimSpace(rec.cells[i])
}

// catalog resolves the product cell: a product's id, or the exact name (any letter case) of one not archived.
type catalog struct {
	byID   map[int64]string
	byName map[string][]int64 // lower-cased name → ids
}

func (c catalog) resolve(cell string) (int64, string, string) {
	if cell == "" {
		return 0, "", "is required: a product's id or name"
	}
	if id, err := strconv.ParseInt(cell, 10, 64); err == nil {
		if name, ok := c.byID[id]; ok {
			return id, name, ""
		}
		return 0, "", "no product has this id"
	}
	ids := c.byName[strings.ToLower(cell)]
	switch len(ids) {
	case 0:
		return 0, "", "no product has this name"
	case 1:
		return ids[0], c.byID[ids[0]], ""
	}
	return 0, "", fmt.Sprintf("%d products have this name; give the product's id instead", len(ids))
}

// checkRow reads and checks one record against the catalog, in the school's time zone, at now.
func (t table) checkRow(rec record, cat catalog, loc *time.Location, now time.Time) Row {
	row := Row{Line: rec.line, Email: check.NormalizeEmail(t.cell(rec, ColEmail)), Name: t.cell(rec, ColName),
		Phone: t.cell(rec, ColPhone), Product: t.cell(rec, ColProduct), Ref: t.cell(rec, ColRef),
		Currency: strings.ToUpper(t.cell(rec, ColCurrency))}
	e := check.Errors{}
	if len(rec.cells) != t.width {
		e.Add("row", fmt.Sprintf("has %d fields; the first line has %d", len(rec.cells), t.width))
	}
	if err := (crm.Input{Email: row.Email, Name: row.Name, Phone: row.Phone}).Validate(); err != nil {
		if fe, ok := check.AsErrors(err); ok {
			for k, v := range fe {
				e.Add(k, v)
			}
		}
	}
	var msg string
	if row.ProductID, row.ProductName, msg = cat.resolve(row.Product); msg != "" {
		e.Add(ColProduct, msg)
	}
	e.Text(ColRef, row.Ref, true, MaxRef)
	row.Start = now
	if s := t.cell(rec, ColStart); s != "" {
		start, ok := parseTime(s, loc, false)
		switch {
		case !ok:
			e.Add(ColStart, "must be a date (YYYY-MM-DD) or a date and time (RFC 3339)")
		case start.After(now):
			e.Add(ColStart, "is in the future: access is given when the file is imported; import this row on or after its start")
		default:
			row.Start, row.StartGiven = start, true
		}
	}
	if s := t.cell(rec, ColEnd); s != "" {
		end, ok := parseTime(s, loc, true)
		switch {
		case !ok:
			e.Add(ColEnd, "must be a date (YYYY-MM-DD) or a date and time (RFC 3339)")
		case !end.After(row.Start):
			e.Add(ColEnd, "must be after the start")
		case !end.After(now):
			e.Add(ColEnd, "has passed: this access has ended already")
		default:
			row.End = &end
		}
	}
	amount := t.cell(rec, ColAmount)
	switch {
	case amount == "" && row.Currency != "":
		e.Add(ColAmount, "is required with a currency")
	case amount != "" && row.Currency == "":
		e.Add(ColCurrency, "is required with an amount")
	case amount != "" && !money.Known(row.Currency):
		e.Add(ColCurrency, "must be an ISO 4217 code such as EUR")
	case amount != "":
		v, err := money.ParseDecimal(amount, row.Currency)
		var pe *money.ParseError
		switch {
		case errors.As(err, &pe):
			e.Add(ColAmount, pe.Reason)
		case err != nil || v <= 0:
			e.Add(ColAmount, "must be a positive amount")
		default:
			row.Amount = v
		}
	}
	if len(e) > 0 {
		row.Errors = e
	}
	return row
}

// parseTime reads a date (the start of that day in loc; with end, the start of the next day, so the day is
// included) or an RFC 3339 date and time.
func parseTime(s string, loc *time.Location, end bool) (time.Time, bool) {
	if d, err := time.ParseInLocation(time.DateOnly, s, loc); err == nil {
		if end {
			d = d.AddDate(0, 0, 1)
		}
		return d, true
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, true
	}
	return time.Time{}, false
}

// key is a sale's identity: its external reference, e-mail and product.
type key struct {
	ref, email string
	product    int64
}

func (r Row) key() key { return key{ref: r.Ref, email: r.Email, product: r.ProductID} }
