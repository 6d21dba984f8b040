package receiptdoc

import "testing"

func BenchmarkPDF(b *testing.B) {
	d := sample("uk")
	for b.Loop() {
		if _, err := PDF(d); err != nil {
			b.Fatal(err)
		}
	}
}
