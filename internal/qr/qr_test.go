package qr_test

import (
	"bytes"
	"encoding/xml"
	"image/png"
	"strings"
	"testing"

	"github.com/bursar/bursar/internal/qr"
)

const url = "https://school.example/pay/3q2-7dFh0c9x_kP1uQmZr8w"

// finderAt says whether a 7×7 finder pattern (dark ring, light ring, dark 3×3 core) starts at (x, y).
func finderAt(m [][]bool, x, y int) bool {
	for dy := range 7 {
		for dx := range 7 {
			ring := max(abs(dx-3), abs(dy-3))
			if m[y+dy][x+dx] != (ring != 2) {
				return false
			}
		}
	}
	return true
}

func abs(v int) int { return max(v, -v) }

func TestModulesHaveTheThreeFinders(t *testing.T) {
	m, err := qr.Modules(url)
	if err != nil {
		t.Fatal(err)
	}
	n := len(m)
	if n < 21 || (n-17)%4 != 0 {
		t.Fatalf("side %d is not a QR version's (17+4v)", n)
	}
	if !finderAt(m, 0, 0) || !finderAt(m, n-7, 0) || !finderAt(m, 0, n-7) {
		t.Fatal("a finder pattern is missing: the matrix is not a QR symbol")
	}
	if finderAt(m, n-7, n-7) {
		t.Fatal("a fourth finder at the bottom right")
	}
	other, _ := qr.Modules(url + "x")
	if len(other) == n && equal(m, other) {
		t.Fatal("two texts gave the same symbol")
	}
}

func equal(a, b [][]bool) bool {
	for y := range a {
		for x := range a[y] {
			if a[y][x] != b[y][x] {
				return false
			}
		}
	}
	return true
}

func TestPNGDrawsEachModuleWithAQuietZone(t *testing.T) {
	m, _ := qr.Modules(url)
	b, err := qr.PNG(url, 5)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	side := (len(m) + 8) * 5
	if got := img.Bounds().Dx(); got != side || img.Bounds().Dy() != side {
		t.Fatalf("size %v, want %d square", img.Bounds(), side)
	}
	dark := func(px, py int) bool { r, _, _, _ := img.At(px, py).RGBA(); return r < 0x8000 }
	for y := range m {
		for x := range m[y] {
			if dark((x+4)*5+2, (y+4)*5+2) != m[y][x] {
				t.Fatalf("module (%d,%d) drawn wrong", x, y)
			}
		}
	}
	for i := range side {
		if dark(i, 0) || dark(0, i) || dark(i, side-1) || dark(side-1, i) {
			t.Fatal("the quiet zone has a dark pixel")
		}
	}
}

func TestSVGIsWellFormedAndTitled(t *testing.T) {
	b, err := qr.SVG(url, `Pay <Course> & "more"`)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Title string `xml:"title"`
		Path  struct {
			D string `xml:"d,attr"`
		} `xml:"path"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("not XML: %v\n%s", err, b)
	}
	if doc.Title != `Pay <Course> & "more"` {
		t.Fatalf("title %q", doc.Title)
	}
	m, _ := qr.Modules(url)
	darkRuns := 0
	for _, row := range m {
		for x := range row {
			if row[x] && (x == 0 || !row[x-1]) {
				darkRuns++
			}
		}
	}
	if got := strings.Count(doc.Path.D, "M"); got != darkRuns {
		t.Fatalf("%d runs drawn, the symbol has %d", got, darkRuns)
	}
}

func TestTooLongText(t *testing.T) {
	if _, err := qr.PNG(strings.Repeat("x", 8000), 4); err == nil {
		t.Fatal("8000 bytes do not fit a QR symbol, want an error")
	}
}
