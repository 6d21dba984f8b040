package order_test

import (
	"bytes"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/order"
	"github.com/bursar/bursar/internal/order/prooftest"
)

// proofsStored counts the proofs and their timeline lines: what a refused upload must leave at zero.
func (f *fixture) proofsStored() (proofs, events int) {
	f.t.Helper()
	return f.count("SELECT count(*) FROM payment_proofs"),
		f.count("SELECT count(*) FROM order_events WHERE kind = $1", order.EventProof) +
			f.count("SELECT count(*) FROM contact_events WHERE kind = $1", order.EventProof)
}

func (f *fixture) attach(o order.Order, name string, body []byte) (order.Proof, bool, error) {
	return f.svc.AttachProof(f.ctx, order.NewProof{OrderID: o.ID, ContactID: o.ContactID,
		PaidOn: time.Now().UTC().AddDate(0, 0, -1), Reference: "TR-2026-0042", FileName: name, File: bytes.NewReader(body)})
}

func TestAttachProof(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	o := f.open()
	tests := []struct {
		name, file, wantName, wantType string
		body                           []byte
	}{
		{"JPEG", "photo.JPG", "photo.JPG", order.ProofJPEG, prooftest.JPEG(1)},
		{"PNG", `C:\Users\ann\Desktop\screenshot.png`, "screenshot.png", order.ProofPNG, prooftest.PNG(1)},
		{"PDF", "../../receipt \"final\".pdf", "receipt _final_.pdf", order.ProofPDF, prooftest.PDF("paid")},
		// The bytes decide the type, and the stored name ends as the type does.
		{"PDFWithoutExtension", "scan", "scan.pdf", order.ProofPDF, prooftest.PDF("scan")},
		{"ExactlyTheLimit", "big.pdf", "big.pdf", order.ProofPDF, prooftest.Sized(order.MaxProofSize)},
	}
	for _, tt := range tests {
		p, created, err := f.attach(o, tt.file, tt.body)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if !created || p.ID == 0 || p.OrderID != o.ID || p.ContactID != f.contact.ID || p.FileName != tt.wantName ||
			p.ContentType != tt.wantType || p.Size != int64(len(tt.body)) || p.Reference != "TR-2026-0042" ||
			p.PaymentID != o.Payments[0].ID || p.PaidOn.Format(time.DateOnly) != time.Now().UTC().AddDate(0, 0, -1).Format(time.DateOnly) {
			t.Errorf("%s: proof = %+v, created %v", tt.name, p, created)
		}
		file, err := f.svc.ProofFile(f.ctx, o.ID, p.ID)
		if err != nil || !bytes.Equal(file.Body, tt.body) || file.FileName != tt.wantName {
			t.Errorf("%s: stored file differs (%v)", tt.name, err)
		}
	}
	list, err := f.svc.Proofs(f.ctx, o.ID)
	if err != nil || len(list) != len(tests) || list[0].FileName != "big.pdf" {
		t.Fatalf("Proofs = %+v, %v; want %d, newest first", list, err, len(tests))
	}
	if proofs, events := f.proofsStored(); proofs != len(tests) || events != 2*len(tests) {
		t.Errorf("stored %d proofs and %d timeline lines", proofs, events)
	}
	if n := f.count("SELECT count(*) FROM audit_log WHERE action = 'order.proof' AND entity_id = $1::bigint::text", o.ID); n != len(tests) {
		t.Errorf("audit entries = %d", n)
	}
	if _, err := f.svc.ProofFile(f.ctx, o.ID+1, list[0].ID); !errors.Is(err, check.ErrNotFound) {
		t.Errorf("a proof read through another order = %v, want not found", err)
	}
	// The manager still decides as in F3; a decided order takes no more proofs.
	if _, err := f.svc.Approve(f.ctx, o.ID, order.Adjustment{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.attach(o, "late.png", prooftest.PNG(9)); !errors.Is(err, order.ErrNoProofs) {
		t.Errorf("proof for a completed order = %v, want ErrNoProofs", err)
	}
}

func TestAttachProofRefused(t *testing.T) {
	t.Parallel()
	type setup struct {
		f *fixture
		o order.Order
	}
	tests := []struct {
		name string
		in   func(s setup) order.NewProof
		want func(err error) bool
	}{
		{"Oversized", func(s setup) order.NewProof {
			return order.NewProof{OrderID: s.o.ID, ContactID: s.o.ContactID, FileName: "scan.pdf",
				File: bytes.NewReader(prooftest.Sized(order.MaxProofSize + 1))}
		}, fieldErr("file", order.MsgProofTooLarge)},
		{"PDFNamedAsImage", func(s setup) order.NewProof {
			return order.NewProof{OrderID: s.o.ID, ContactID: s.o.ContactID, FileName: "scan.png",
				File: bytes.NewReader(prooftest.PDF("scan"))}
		}, fieldErr("file", order.MsgProofMismatch)},
		{"PDFDeclaredAsImage", func(s setup) order.NewProof {
			return order.NewProof{OrderID: s.o.ID, ContactID: s.o.ContactID, FileName: "scan", DeclaredType: "image/png",
				File: bytes.NewReader(prooftest.PDF("scan"))}
		}, fieldErr("file", order.MsgProofMismatch)},
		{"Empty", func(s setup) order.NewProof {
			return order.NewProof{OrderID: s.o.ID, ContactID: s.o.ContactID, FileName: "scan.pdf", File: strings.NewReader("")}
		}, fieldErr("file", order.MsgProofMissing)},
		{"NoFile", func(s setup) order.NewProof {
			return order.NewProof{OrderID: s.o.ID, ContactID: s.o.ContactID}
		}, fieldErr("file", order.MsgProofMissing)},
		{"FutureDate", func(s setup) order.NewProof {
			return order.NewProof{OrderID: s.o.ID, ContactID: s.o.ContactID, PaidOn: time.Now().AddDate(0, 0, 3),
				FileName: "a.png", File: bytes.NewReader(prooftest.PNG(1))}
		}, fieldErr("paid_on", "must not be in the future")},
		{"LongReference", func(s setup) order.NewProof {
			return order.NewProof{OrderID: s.o.ID, ContactID: s.o.ContactID, Reference: strings.Repeat("r", 201),
				FileName: "a.png", File: bytes.NewReader(prooftest.PNG(1))}
		}, fieldErr("reference", "must be at most 200 characters")},
		{"AnotherContactsOrder", func(s setup) order.NewProof {
			return order.NewProof{OrderID: s.o.ID, ContactID: s.f.newContact("mallory@example.com").ID,
				FileName: "a.png", File: bytes.NewReader(prooftest.PNG(1))}
		}, notFound},
		{"UnknownOrder", func(s setup) order.NewProof {
			return order.NewProof{OrderID: s.o.ID + 1000, ContactID: s.o.ContactID, FileName: "a.png",
				File: bytes.NewReader(prooftest.PNG(1))}
		}, notFound},
		{"NoContact", func(s setup) order.NewProof {
			return order.NewProof{OrderID: s.o.ID, FileName: "a.png", File: bytes.NewReader(prooftest.PNG(1))}
		}, notFound},
		{"RejectedOrder", func(s setup) order.NewProof {
			if _, err := s.f.svc.Reject(s.f.ctx, s.o.ID, "no money arrived"); err != nil {
				s.f.t.Fatal(err)
			}
			return order.NewProof{OrderID: s.o.ID, ContactID: s.o.ContactID, FileName: "a.png", File: bytes.NewReader(prooftest.PNG(1))}
		}, isNoProofs},
		{"GatewayOrder", func(s setup) order.NewProof {
			att := s.f.openGateway(s.f.stripeSystem(), "cs_proof")
			return order.NewProof{OrderID: att.Order.ID, ContactID: att.Order.ContactID, FileName: "a.png",
				File: bytes.NewReader(prooftest.PNG(1))}
		}, isNoProofs},
	}
	for name, body := range prooftest.Disguised {
		tests = append(tests, struct {
			name string
			in   func(s setup) order.NewProof
			want func(err error) bool
		}{"Disguised" + name, func(s setup) order.NewProof {
			return order.NewProof{OrderID: s.o.ID, ContactID: s.o.ContactID, FileName: "proof.pdf", File: bytes.NewReader(body)}
		}, fieldErr("file", order.MsgProofType)})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, nil)
			s := setup{f: f, o: f.open()}
			p, _, err := f.svc.AttachProof(f.ctx, tt.in(s))
			if !tt.want(err) {
				t.Errorf("AttachProof = %+v, %v", p, err)
			}
			if proofs, events := f.proofsStored(); proofs != 0 || events != 0 {
				t.Errorf("a refused proof left %d proofs and %d timeline lines", proofs, events)
			}
		})
	}
}

// TestAttachProofTwice: the same file sent twice (a double click, a reload, two tabs at once) is one proof; other
// files are added up to the limit.
func TestAttachProofTwice(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	o := f.open()
	body := prooftest.PDF("transfer")
	var (
		wg  sync.WaitGroup
		ids [4]int64
		cr  [4]bool
		err [4]error
	)
	for i := range ids {
		wg.Go(func() {
			var p order.Proof
			p, cr[i], err[i] = f.attach(o, "receipt.pdf", body)
			ids[i] = p.ID
		})
	}
	wg.Wait()
	created := 0
	for i := range ids {
		if err[i] != nil || ids[i] != ids[0] {
			t.Fatalf("submit %d: proof %d, %v; want proof %d", i, ids[i], err[i], ids[0])
		}
		if cr[i] {
			created++
		}
	}
	if proofs, events := f.proofsStored(); created != 1 || proofs != 1 || events != 2 {
		t.Errorf("4 submits of one file: %d created, %d stored, %d timeline lines; want 1, 1, 2", created, proofs, events)
	}
	for i := 1; i < order.MaxProofsPerOrder; i++ {
		if _, created, err := f.attach(o, "page.png", prooftest.PNG(i)); err != nil || !created {
			t.Fatalf("page %d: created %v, %v", i, created, err)
		}
	}
	if _, _, err := f.attach(o, "one-more.png", prooftest.PNG(99)); !fieldErr("file", order.MsgProofLimit)(err) {
		t.Errorf("proof over the limit = %v", err)
	}
	if proofs, _ := f.proofsStored(); proofs != order.MaxProofsPerOrder {
		t.Errorf("stored %d proofs, want %d", proofs, order.MaxProofsPerOrder)
	}
}

func fieldErr(field, msg string) func(error) bool {
	return func(err error) bool {
		e, ok := check.AsErrors(err)
		return ok && e[field] == msg
	}
}

func notFound(err error) bool { return errors.Is(err, check.ErrNotFound) }

func isNoProofs(err error) bool { return errors.Is(err, order.ErrNoProofs) }
