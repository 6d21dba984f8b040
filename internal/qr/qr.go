// Package qr draws a URL as a QR code, as PNG or SVG, for a payment link shown on a screen or printed.
//
// The symbol (encoding, error correction, masking) is yeqown/go-qrcode's; this package only draws its module matrix,
// with the four-module quiet zone the standard asks for, so the library's image writers and their font and drawing
// dependencies are not needed.
package qr

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"strconv"

	qrcode "github.com/yeqown/go-qrcode/v2"
)

// quiet is the light margin around the symbol, in modules (ISO/IEC 18004 asks for four).
const quiet = 4

// Modules returns the symbol's dark (true) and light modules, row by row, without the quiet zone. Medium error
// correction (15%) survives a smudged print or a glare on a screen without making a long URL's symbol too dense.
func Modules(text string) ([][]bool, error) {
	c, err := qrcode.NewWith(text, qrcode.WithErrorCorrectionLevel(qrcode.ErrorCorrectionMedium))
	if err != nil {
		return nil, fmt.Errorf("qr: %w", err)
	}
	var w matrixWriter
	if err := c.Save(&w); err != nil {
		return nil, fmt.Errorf("qr: %w", err)
	}
	return w.bitmap, nil
}

type matrixWriter struct{ bitmap [][]bool }

func (w *matrixWriter) Write(m qrcode.Matrix) error { w.bitmap = m.Bitmap(); return nil }
func (w *matrixWriter) Close() error                { return nil }

// PNG draws the symbol with each module scale pixels wide (scale < 1 counts as 1): black on white, one bit of
// grey per pixel.
func PNG(text string, scale int) ([]byte, error) {
	mods, err := Modules(text)
	if err != nil {
		return nil, err
	}
	if scale < 1 {
		scale = 1
	}
	side := (len(mods) + 2*quiet) * scale
	img := image.NewPaletted(image.Rect(0, 0, side, side), color.Palette{color.White, color.Black})
	for y, row := range mods {
		for x, dark := range row {
			if !dark {
				continue
			}
			x0, y0 := (x+quiet)*scale, (y+quiet)*scale
			for dy := range scale {
				for dx := range scale {
					img.SetColorIndex(x0+dx, y0+dy, 1)
				}
			}
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return nil, fmt.Errorf("qr: %w", err)
	}
	return b.Bytes(), nil
}

// SVG draws the symbol as one path of unit squares in a viewBox of modules, so it scales to any size without
// blurring. title is the accessible name (it is escaped).
func SVG(text, title string) ([]byte, error) {
	mods, err := Modules(text)
	if err != nil {
		return nil, err
	}
	side := strconv.Itoa(len(mods) + 2*quiet)
	var b bytes.Buffer
	b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 ` + side + ` ` + side +
		`" shape-rendering="crispEdges"><title>`)
	_ = xml.EscapeText(&b, []byte(title))
	b.WriteString(`</title><rect width="` + side + `" height="` + side + `" fill="#fff"/><path fill="#000" d="`)
	for y, row := range mods {
		for x := 0; x < len(row); x++ {
			if !row[x] {
				continue
			}
			run := 1
			for x+run < len(row) && row[x+run] {
				run++
			}
			b.WriteString("M" + strconv.Itoa(x+quiet) + " " + strconv.Itoa(y+quiet) + "h" + strconv.Itoa(run) + "v1h-" +
				strconv.Itoa(run) + "z")
			x += run - 1
		}
	}
	b.WriteString(`"/></svg>`)
	return b.Bytes(), nil
}
