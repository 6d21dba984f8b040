package receiptdoc

import (
	"bytes"
	_ "embed" // the fonts
	"fmt"
	"time"

	"codeberg.org/go-pdf/fpdf"

	"github.com/bursar/bursar/internal/billing"
)

// DejaVu Sans covers Latin with its accents, Greek, Cyrillic and the currency signs money.Format writes; its licence
// (fonts/LICENSE, Bitstream Vera's, DejaVu changes in the public domain) allows embedding it. The files are subsets
// to those scripts (fonts/README.md): fpdf parses the font for every document, a few milliseconds for these instead
// of tens for the whole font, and embeds only the glyphs the document uses.
var (
	//go:embed fonts/DejaVuSans.ttf
	fontRegular []byte
	//go:embed fonts/DejaVuSans-Bold.ttf
	fontBold []byte
)

const (
	family = "DejaVu"
	margin = 18.0 // mm
	line   = 6.0  // mm, a line of body text
	labelW = 58.0 // mm, the label column of the details
)

// PDF is the receipt d as an A4 PDF in d.Language. The same document gives the same bytes: its dates are the
// receipt's, never the clock's.
func PDF(d billing.Document) ([]byte, error) {
	return render(d, true)
}

// render writes the PDF; tests turn compress off to read its text.
func render(d billing.Document, compress bool) ([]byte, error) {
	v := Build(d)
	f := fpdf.New("P", "mm", "A4", "")
	f.SetCompression(compress)
	f.SetCatalogSort(true)
	stamp := d.Receipt.UpdatedAt
	if stamp.IsZero() {
		stamp = d.Receipt.IssuedAt
	}
	if stamp.IsZero() {
		stamp = time.Unix(0, 0)
	}
	f.SetCreationDate(stamp.UTC())
	f.SetModificationDate(stamp.UTC())
	f.SetTitle(v.Title, true)
	f.SetAuthor(v.School.Name, true)
	f.SetCreator("Bursar", false)
	f.SetProducer("Bursar", false)
	f.SetLang(v.Lang)
	f.AddUTF8FontFromBytes(family, "", fontRegular)
	f.AddUTF8FontFromBytes(family, "B", fontBold)
	f.SetMargins(margin, margin, margin)
	f.SetAutoPageBreak(true, margin)
	f.AddPage()
	pageW, _ := f.GetPageSize()
	width := pageW - 2*margin

	// The school and how to reach it.
	f.SetFont(family, "B", 15)
	f.MultiCell(width, 7, v.School.Name, "", "L", false)
	f.SetFont(family, "", 9)
	f.SetTextColor(75, 85, 99)
	for _, c := range v.Contacts() {
		f.MultiCell(width, 4.5, c.Label+": "+c.Value, "", "L", false)
	}
	f.SetTextColor(26, 29, 33)
	f.Ln(6)

	f.SetFont(family, "B", 20)
	f.MultiCell(width, 9, v.Title, "", "L", false)
	f.Ln(3)
	f.SetDrawColor(217, 221, 227)
	rule(f, width)

	// The details: a label column and a value column that wraps.
	for _, r := range v.Details() {
		style := ""
		if r.Key == "left" || r.Key == "amount" {
			style = "B"
		}
		y := f.GetY()
		f.SetFont(family, "", 10)
		f.SetTextColor(75, 85, 99)
		f.MultiCell(labelW, line, r.Label, "", "L", false)
		yl := f.GetY()
		f.SetXY(margin+labelW, y)
		f.SetFont(family, style, 11)
		f.SetTextColor(26, 29, 33)
		f.MultiCell(width-labelW, line, r.Value, "", "L", false)
		f.SetY(max(yl, f.GetY()) + 1)
	}
	f.Ln(2)
	rule(f, width)

	// The payments.
	f.SetFont(family, "B", 13)
	f.CellFormat(width, 8, v.L.Payments, "", 1, "L", false, 0, "")
	if len(v.Payments) == 0 {
		f.SetFont(family, "", 10)
		f.MultiCell(width, line, v.L.NoPayments, "", "L", false)
	} else {
		cols := []float64{width * 0.35, width * 0.35, width * 0.30}
		f.SetFont(family, "B", 10)
		f.SetFillColor(243, 244, 246)
		f.CellFormat(cols[0], 7, v.L.Date, "B", 0, "L", true, 0, "")
		f.CellFormat(cols[1], 7, v.L.Method, "B", 0, "L", true, 0, "")
		f.CellFormat(cols[2], 7, v.L.Amount, "B", 1, "R", true, 0, "")
		f.SetFont(family, "", 10)
		for _, p := range v.Payments {
			f.CellFormat(cols[0], 7, p.Date, "B", 0, "L", false, 0, "")
			f.CellFormat(cols[1], 7, p.Method, "B", 0, "L", false, 0, "")
			f.CellFormat(cols[2], 7, p.Amount, "B", 1, "R", false, 0, "")
		}
	}
	if err := f.Error(); err != nil {
		return nil, fmt.Errorf("receipt %s: %w", v.Number, err)
	}
	var buf bytes.Buffer
	if err := f.Output(&buf); err != nil {
		return nil, fmt.Errorf("receipt %s: %w", v.Number, err)
	}
	return buf.Bytes(), nil
}

// rule draws a thin line across the text width and leaves some room under it.
func rule(f *fpdf.Fpdf, width float64) {
	y := f.GetY()
	f.Line(margin, y, margin+width, y)
	f.SetY(y + 3)
}
