package receiptdoc

import (
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/bursar/bursar/internal/billing"
	"github.com/bursar/bursar/internal/money"
)

// TestFontsCoverTexts: the embedded fonts are subsets (fonts/README.md); every character a receipt writes in any of
// its languages — labels, months, schedules, statuses, the currency signs money.Format writes, the separators — has
// a glyph in both, so none prints as an empty box.
func TestFontsCoverTexts(t *testing.T) {
	t.Parallel()
	text := "0123456789 .,:;–—-·’«»()%/+\u00a0\u202f"
	for _, w := range catalog {
		l := w.Labels
		text += fmt.Sprint(l.Receipt, l.Number, l.Issued, l.Status, l.Payer, l.Learner, l.Enrollment, l.Billing,
			l.Schedule, l.Period, l.Part, l.Due, l.Amount, l.Fee, l.Paid, l.Left, l.Payments, l.Date, l.Method,
			l.NoPayments, l.Email, l.Phone, l.Website, l.Contact, l.Print, l.DownloadPDF, l.Tuition, l.Installments,
			l.UntilCancelled, l.Of, w.months, w.periods, w.parts, w.date(1, "", 2027))
		for _, s := range l.Statuses {
			text += s
		}
		for _, s := range l.Methods {
			text += s
		}
		for _, u := range []billing.Unit{billing.Week, billing.Month, billing.Year} {
			text += w.every[u] + fmt.Sprint(w.everyN[u])
		}
	}
	for _, c := range money.Codes() {
		if c != "GEL" { // ₾ is not in DejaVu Sans
			text += money.New(1, c).Format("en")
		}
	}
	text += "Łucja Müller-Ñúñez Ævar Þór Çağrı Ţară Ελένη Ґанна Їжак Єва Ўладзімір Қайрат"
	for name, font := range map[string][]byte{"regular": fontRegular, "bold": fontBold} {
		has := cmap(t, font)
		for _, r := range text {
			if r >= ' ' && !has(r) {
				t.Errorf("the %s font has no glyph for %q (U+%04X)", name, r, r)
			}
		}
	}
}

// cmap reads a TrueType font's Windows Unicode BMP character map (format 4) and reports whether it maps a rune.
func cmap(t *testing.T, b []byte) func(rune) bool {
	t.Helper()
	u16 := func(o int) int { return int(binary.BigEndian.Uint16(b[o:])) }
	u32 := func(o int) int { return int(binary.BigEndian.Uint32(b[o:])) }
	table := -1
	for i := range u16(4) {
		if rec := 12 + 16*i; string(b[rec:rec+4]) == "cmap" {
			table = u32(rec + 8)
		}
	}
	if table < 0 {
		t.Fatal("no cmap table")
	}
	for i := range u16(table + 2) {
		rec := table + 4 + 8*i
		if u16(rec) != 3 || u16(rec+2) != 1 {
			continue
		}
		sub := table + u32(rec+4)
		if u16(sub) != 4 {
			t.Fatalf("cmap format %d", u16(sub))
		}
		segs := u16(sub+6) / 2
		ends, starts := sub+14, sub+16+2*segs
		deltas, offsets := starts+2*segs, starts+4*segs
		return func(r rune) bool {
			c := int(r)
			for s := range segs {
				if end := u16(ends + 2*s); c > end {
					continue
				}
				start := u16(starts + 2*s)
				if c < start {
					return false
				}
				ro := u16(offsets + 2*s)
				if ro == 0 {
					return (c+u16(deltas+2*s))&0xffff != 0
				}
				return u16(offsets+2*s+ro+2*(c-start)) != 0
			}
			return false
		}
	}
	t.Fatal("no Windows Unicode cmap")
	return nil
}
