// Package prooftest makes files for tests of proofs of payment: real JPEG, PNG and PDF files, and files disguised
// as them.
package prooftest

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"strings"
)

// picture is a small image that differs by seed, so two files made with different seeds are different proofs.
func picture(seed int) image.Image {
	m := image.NewRGBA(image.Rect(0, 0, 16, 12))
	for x := range 16 {
		for y := range 12 {
			m.Set(x, y, color.RGBA{R: uint8(x * 16), G: uint8(y * 20), B: uint8(seed), A: 255})
		}
	}
	return m
}

// JPEG is a JPEG photo of a receipt.
func JPEG(seed int) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, picture(seed), nil); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// PNG is a PNG screenshot of a bank's confirmation.
func PNG(seed int) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, picture(seed)); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// PDF is a one-page PDF document saying text.
func PDF(text string) []byte {
	stream := fmt.Sprintf("BT /F1 12 Tf 72 720 Td (%s) Tj ET", text)
	return []byte("%PDF-1.4\n" +
		"1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n" +
		"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n" +
		"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >> endobj\n" +
		fmt.Sprintf("4 0 obj << /Length %d >> stream\n%s\nendstream endobj\n", len(stream), stream) +
		"trailer << /Root 1 0 R >>\n%%EOF\n")
}

// Sized is a PDF of exactly n bytes (n of at least a few hundred), padded with a comment before its end marker.
func Sized(n int) []byte {
	head := PDF("large scan")
	tail := []byte("\n%%EOF\n")
	head = head[:len(head)-len("%%EOF\n")]
	pad := n - len(head) - len(tail)
	if pad < 2 {
		panic("prooftest: Sized too small")
	}
	return append(append(append(head, '%'), bytes.Repeat([]byte("x"), pad-1)...), tail...)
}

// Disguised are files that are not what a proof may be, whatever they are called, by what they are.
var Disguised = map[string][]byte{
	"Executable": append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"), bytes.Repeat([]byte{0}, 200)...),
	"HTML":       []byte("<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"),
	"SVG":        []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="10" height="10"/></svg>`),
	"Text":       []byte("I paid, honestly.\n"),
	"GIF":        []byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"),
	"ZIP":        []byte("PK\x03\x04\x14\x00\x00\x00\x08\x00" + strings.Repeat("\x00", 40)),
	// A PDF header on a file that is no PDF: the first line forged, no end marker.
	"ForgedPDFHeader": []byte("%PDF-1.7\n<html><script>alert(1)</script></html>\n"),
	// JPEG and PNG signatures on bytes that are no image.
	"ForgedJPEGHeader": append([]byte{0xff, 0xd8, 0xff, 0xe0}, []byte("<html><script>alert(1)</script></html>")...),
	"ForgedPNGHeader":  append([]byte("\x89PNG\r\n\x1a\n"), []byte("<html><script>alert(1)</script></html>")...),
}
