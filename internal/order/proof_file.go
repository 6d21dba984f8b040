package order

import (
	"bytes"
	"errors"
	"fmt"
	"image/jpeg"
	"image/png"
	"io"
	"mime"
	"net/http"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/bursar/bursar/internal/check"
)

// Limits of a proof of payment.
const (
	MaxProofSize      = 10 << 20 // bytes: 10 MiB
	MaxProofsPerOrder = 5        // files one order may hold (several pages, a corrected receipt)
	MaxProofReference = 200      // characters of the payer's transfer reference
	maxProofFileName  = 120      // characters of the original file name kept
)

// The file types a proof may be, detected from its bytes.
const (
	ProofJPEG = "image/jpeg"
	ProofPNG  = "image/png"
	ProofPDF  = "application/pdf"
)

// Messages of the "file" field of a refused proof: data the pages translate, never text cut out of an error.
const (
	MsgProofMissing  = "choose a file"
	MsgProofType     = "must be a JPEG or PNG image or a PDF document"
	MsgProofTooLarge = "must be at most 10 MB"
	MsgProofLimit    = "this order has as many proofs as it may hold"
	MsgProofMismatch = "is not the type its name or declared type says"
)

// ErrProofTooLarge is the "file" field error of a file over MaxProofSize; handlers that stop reading an upload
// early (http.MaxBytesReader) answer with it too.
var ErrProofTooLarge = check.Field("file", MsgProofTooLarge)

// readProof reads a proof's file from r, at most MaxProofSize bytes (one more is read to tell that it is too large,
// never the whole of a larger upload), and returns its bytes and the content type detected from them.
func readProof(r io.Reader) ([]byte, string, error) {
	if r == nil {
		return nil, "", check.Field("file", MsgProofMissing)
	}
	b, err := io.ReadAll(io.LimitReader(r, MaxProofSize+1))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return nil, "", ErrProofTooLarge
	case err != nil:
		return nil, "", fmt.Errorf("read proof: %w", err)
	case len(b) == 0:
		return nil, "", check.Field("file", MsgProofMissing)
	case len(b) > MaxProofSize:
		return nil, "", ErrProofTooLarge
	}
	ct := proofType(b)
	if ct == "" {
		return nil, "", check.Field("file", MsgProofType)
	}
	return b, ct, nil
}

// proofType is the content type of b when it is a JPEG, PNG or PDF file, else "". The name and the type the
// browser declared are never asked: the bytes must start as the standard's sniffing algorithm
// (http.DetectContentType) recognizes, and then hold together as that format — an image's header decodes with a
// size, a PDF ends with its end-of-file marker — so a file merely renamed or given a forged first line is refused.
func proofType(b []byte) string {
	switch http.DetectContentType(b) {
	case ProofJPEG:
		if c, err := jpeg.DecodeConfig(bytes.NewReader(b)); err == nil && c.Width > 0 && c.Height > 0 {
			return ProofJPEG
		}
	case ProofPNG:
		if c, err := png.DecodeConfig(bytes.NewReader(b)); err == nil && c.Width > 0 && c.Height > 0 {
			return ProofPNG
		}
	case ProofPDF:
		if isPDF(b) {
			return ProofPDF
		}
	}
	return ""
}

// isPDF reports whether b has a PDF header with a version and an end-of-file marker near its end (writers may add
// a few bytes after it; readers look in the last kilobyte).
func isPDF(b []byte) bool {
	if len(b) < 16 || !bytes.HasPrefix(b, []byte("%PDF-")) || (b[5] != '1' && b[5] != '2') || b[6] != '.' {
		return false
	}
	tail := b[max(0, len(b)-1024):]
	return bytes.Contains(tail, []byte("%%EOF"))
}

// claimsOther reports whether a file's name or the type its sender declared names an accepted type other than ct,
// the type of its bytes: a PDF sent as image/png, a photo named receipt.pdf. Such a file is refused rather than
// stored under a name or type that lies about it. Other names and generic types (application/octet-stream, none)
// claim nothing.
func claimsOther(name, declared, ct string) bool {
	kinds := map[string]string{".jpg": ProofJPEG, ".jpeg": ProofJPEG, ".png": ProofPNG, ".pdf": ProofPDF,
		"image/jpeg": ProofJPEG, "image/jpg": ProofJPEG, "image/pjpeg": ProofJPEG, "image/png": ProofPNG,
		"application/pdf": ProofPDF, "application/x-pdf": ProofPDF}
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	if k, ok := kinds[strings.ToLower(path.Ext(strings.TrimSpace(name)))]; ok && k != ct {
		return true
	}
	if mt, _, err := mime.ParseMediaType(declared); err == nil {
		if k, ok := kinds[mt]; ok && k != ct {
			return true
		}
	}
	return false
}

// proofExt is the file extension of a proof's content type.
func proofExt(ct string) string {
	switch ct {
	case ProofJPEG:
		return ".jpg"
	case ProofPNG:
		return ".png"
	}
	return ".pdf"
}

// cleanFileName keeps the last element of the name a browser sent (some send a whole Windows path), as valid text
// without control characters, quotes or separators, at most maxProofFileName characters, ending with the extension
// of the type the bytes are: "../../etc/passwd" becomes "passwd.pdf", a photo named "scan.pdf" "scan.pdf.jpg".
func cleanFileName(name, ct string) string {
	name = strings.ToValidUTF8(name, "")
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsControl(r), r == '"', r == '\'', r == '<', r == '>', r == ':', r == '*', r == '?', r == '|',
			unicode.Is(unicode.Cf, r):
			return '_'
		}
		return r
	}, name)
	name = strings.Trim(strings.TrimSpace(name), ".")
	ext := proofExt(ct)
	base := name
	if strings.EqualFold(path.Ext(name), ext) || (ct == ProofJPEG && strings.EqualFold(path.Ext(name), ".jpeg")) {
		base, ext = strings.TrimSuffix(name, path.Ext(name)), path.Ext(name)
	}
	if base == "" {
		base = "proof"
	}
	if n := maxProofFileName - utf8.RuneCountInString(ext); utf8.RuneCountInString(base) > n {
		base = string([]rune(base)[:n])
	}
	return base + ext
}
