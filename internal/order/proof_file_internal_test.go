package order

import (
	"strings"
	"testing"

	"github.com/bursar/bursar/internal/order/prooftest"
)

func TestProofType(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body []byte
		want string
	}{
		{"JPEG", prooftest.JPEG(1), ProofJPEG},
		{"PNG", prooftest.PNG(1), ProofPNG},
		{"PDF", prooftest.PDF("x"), ProofPDF},
		{"PDFWithTrailingBytes", append(prooftest.PDF("x"), "\r\n\x00\x00"...), ProofPDF},
		{"TruncatedPNG", prooftest.PNG(1)[:20], ""},
	}
	for name, body := range prooftest.Disguised {
		tests = append(tests, struct {
			name string
			body []byte
			want string
		}{name, body, ""})
	}
	for _, tt := range tests {
		if got := proofType(tt.body); got != tt.want {
			t.Errorf("%s: proofType = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestCleanFileName(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, ct, want string }{
		{"receipt.pdf", ProofPDF, "receipt.pdf"},
		{"photo.jpeg", ProofJPEG, "photo.jpeg"},
		{"photo.JPG", ProofJPEG, "photo.JPG"},
		{"../../etc/passwd", ProofPDF, "passwd.pdf"},
		{`C:\fakepath\bank.png`, ProofPNG, "bank.png"},
		{"evil.exe", ProofPNG, "evil.exe.png"},
		{"a\"b'<c>\r\nd\u202e.pdf", ProofPDF, "a_b__c___d_.pdf"},
		{"", ProofPDF, "proof.pdf"},
		{"...", ProofJPEG, "proof.jpg"},
		{"\xff\xfe.pdf", ProofPDF, "pdf.pdf"},
		{strings.Repeat("é", 300) + ".pdf", ProofPDF, strings.Repeat("é", maxProofFileName-4) + ".pdf"},
	}
	for _, tt := range tests {
		if got := cleanFileName(tt.name, tt.ct); got != tt.want {
			t.Errorf("cleanFileName(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestClaimsOther(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, declared, ct string
		want               bool
	}{
		{"receipt.pdf", "application/pdf", ProofPDF, false},
		{"photo.JPEG", "image/jpeg", ProofJPEG, false},
		{"scan", "application/octet-stream", ProofPNG, false},
		{"scan", "", ProofPDF, false},
		{"scan.png", "", ProofPDF, true},
		{"scan", "image/png", ProofPDF, true},
		{"scan.pdf", "image/png; charset=binary", ProofPDF, true},
		{`C:\docs\photo.jpg`, "", ProofPNG, true},
		{"notes.txt", "text/plain", ProofPDF, false},
	}
	for _, tt := range tests {
		if got := claimsOther(tt.name, tt.declared, tt.ct); got != tt.want {
			t.Errorf("claimsOther(%q, %q, %s) = %v, want %v", tt.name, tt.declared, tt.ct, got, tt.want)
		}
	}
}
