package order

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/order/orderq"
)

// EventProof is the timeline kind of an uploaded proof of payment.
const EventProof = "payment.proof"

// ErrNoProofs is the kind of error of a proof for an order that takes none: one not paid through a manual payment
// system, or not waiting for a manager's decision any more.
var ErrNoProofs = check.Conflict("This order does not take a proof of payment.")

// Proof is a proof of payment a payer uploaded for a manual order: what they say they paid, and the file.
type Proof struct {
	ID          int64
	OrderID     int64
	PaymentID   int64 // the manual payment it is for; 0 when there was none
	ContactID   int64 // who uploaded it: the order's contact
	PaidOn      time.Time
	Reference   string
	FileName    string // sanitised; its extension is the detected type's
	ContentType string // ProofJPEG, ProofPNG or ProofPDF, detected from the bytes
	Size        int64  // bytes
	CreatedAt   time.Time
}

// ProofFile is a proof with its bytes.
type ProofFile struct {
	Proof
	Body []byte
}

// NewProof is the input of AttachProof.
type NewProof struct {
	OrderID   int64
	ContactID int64     // the payer: the order must be theirs
	PaidOn    time.Time // the date they paid; not in the future, zero means today
	Reference string    // the transfer's reference, optional
	FileName  string    // as the browser sent it; only kept, sanitised, to show and name the download
	// DeclaredType is the type the sender gave the file (a multipart part's Content-Type). Never trusted: a file
	// whose bytes are another accepted type than its name or this says is refused.
	DeclaredType string
	File         io.Reader // read up to MaxProofSize + 1 bytes
}

// AttachProof stores a payer's proof of payment on their manual order waiting for a manager (F3): the date and
// reference they give and the file, which must be a JPEG, PNG or PDF by its content (and not named or declared as
// another of them) and at most MaxProofSize. The
// order's own timeline, the contact's and the audit log say so, in the same transaction. Anything refused stores
// nothing: bad input is check.Errors ("file", "paid_on", "reference"), an order that is not the contact's is not
// found, and one not paid through a manual system or no longer open is ErrNoProofs.
//
// The same file sent again for the order (a double submit, a reload) is the proof already stored, returned with
// created false; another file is added, up to MaxProofsPerOrder, so a payer can send every page of a receipt or a
// corrected one, and the manager sees them all.
func (s *Service) AttachProof(ctx context.Context, n NewProof) (Proof, bool, error) {
	n.Reference = strings.TrimSpace(n.Reference)
	e := check.Errors{}
	if n.PaidOn.IsZero() {
		n.PaidOn = today()
	}
	n.PaidOn = dateOf(n.PaidOn)
	checkPaidOn(e, n.PaidOn)
	e.Text("reference", n.Reference, false, MaxProofReference)
	body, ct, err := readProof(n.File)
	if fe, ok := check.AsErrors(err); ok {
		e.Add("file", fe["file"])
	} else if err != nil {
		return Proof{}, false, err
	} else if claimsOther(n.FileName, n.DeclaredType, ct) {
		e.Add("file", MsgProofMismatch)
	}
	cur, err := getOrder(ctx, s.db, n.OrderID)
	if err == nil && (n.ContactID <= 0 || cur.ContactID != n.ContactID) {
		err = NotFoundError(n.OrderID) // someone else's order is not shown to exist
	}
	if err != nil {
		return Proof{}, false, err
	}
	sys, err := s.deps.Systems.Get(ctx, cur.PaymentSystemID)
	if err != nil {
		return Proof{}, false, fmt.Errorf("payment system of order %s: %w", cur.Number, err)
	}
	if sys.Type != gateway.TypeManual {
		return Proof{}, false, check.Conflictf(ErrNoProofs, "Order %s is paid through %s, which confirms payments itself: it takes no proof of payment.", cur.Number, sys.Name)
	}
	if err := e.Err(); err != nil {
		return Proof{}, false, err
	}
	sum := sha256.Sum256(body)
	name := cleanFileName(n.FileName, ct)
	var (
		out     Proof
		created bool
	)
	err = pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		// Waits for a manager deciding the order (or a first submit of the same form) rather than failing: the
		// payer's upload is short, and what it finds afterwards is the order's state then.
		o, err := lockedOrderWait(ctx, tx, n.OrderID)
		if err != nil {
			return err
		}
		if o.Status != StatusOpen {
			return check.Conflictf(ErrNoProofs, "Order %s is %s: it is not waiting for a payment to be confirmed any more.", o.Number, o.Status)
		}
		q := orderq.New(tx)
		if r, err := q.ProofBySum(ctx, orderq.ProofBySumParams{OrderID: o.ID, Sha256: sum[:]}); err == nil {
			out = proofFromRow(orderq.ProofInsertRow(r))
			return nil
		} else if !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("find proof: %w", err)
		}
		count, err := q.ProofCount(ctx, o.ID)
		if err != nil {
			return fmt.Errorf("count proofs: %w", err)
		}
		if count >= MaxProofsPerOrder {
			return check.Field("file", MsgProofLimit)
		}
		var paymentID *int64
		if p, ok := pendingPayment(o); ok {
			paymentID = &p.ID
		}
		r, err := q.ProofInsert(ctx, orderq.ProofInsertParams{OrderID: o.ID, PaymentID: paymentID,
			ContactID: o.ContactID, PaidOn: n.PaidOn, Reference: n.Reference, FileName: name, ContentType: ct,
			Size: int32(len(body)), Sha256: sum[:], Body: body})
		if err != nil {
			return fmt.Errorf("insert proof: %w", err) // the lock makes a conflicting insert impossible here
		}
		out, created = proofFromRow(r), true
		msg := fmt.Sprintf("Proof of payment uploaded: %s (%s, %s), paid on %s", name, ProofTypeName(ct),
			SizeText(out.Size), n.PaidOn.Format(time.DateOnly))
		if n.Reference != "" {
			msg += ", reference " + n.Reference
		}
		if err := s.eventsTx(ctx, tx, o, EventProof, msg); err != nil {
			return err
		}
		return s.audit.RecordTx(ctx, tx, "order.proof", "order", o.ID, map[string]any{"number": o.Number,
			"proof_id": out.ID, "file_name": name, "content_type": ct, "size": out.Size,
			"paid_on": n.PaidOn.Format(time.DateOnly), "reference": n.Reference})
	})
	if err != nil {
		return Proof{}, false, err
	}
	return out, created, nil
}

// Proofs lists order id's proofs of payment, newest first, without their bytes.
func (s *Service) Proofs(ctx context.Context, orderID int64) ([]Proof, error) {
	rows, err := orderq.New(s.db).ProofsOfOrder(ctx, orderID)
	if err != nil {
		return nil, fmt.Errorf("proofs of order %d: %w", orderID, err)
	}
	out := make([]Proof, len(rows))
	for i, r := range rows {
		out[i] = proofFromRow(orderq.ProofInsertRow(r))
	}
	return out, nil
}

// ProofFile returns proof id of order orderID with its bytes; a proof of another order is not found.
func (s *Service) ProofFile(ctx context.Context, orderID, id int64) (ProofFile, error) {
	r, err := orderq.New(s.db).ProofFile(ctx, orderq.ProofFileParams{ID: id, OrderID: orderID})
	if errors.Is(err, pgx.ErrNoRows) {
		return ProofFile{}, fmt.Errorf("proof %d of order %d: %w", id, orderID, check.ErrNotFound)
	}
	if err != nil {
		return ProofFile{}, fmt.Errorf("read proof %d: %w", id, err)
	}
	return ProofFile{Proof: proofFromRow(orderq.ProofInsertRow{ID: r.ID, OrderID: r.OrderID, PaymentID: r.PaymentID,
		ContactID: r.ContactID, PaidOn: r.PaidOn, Reference: r.Reference, FileName: r.FileName,
		ContentType: r.ContentType, Size: r.Size, CreatedAt: r.CreatedAt}), Body: r.Body}, nil
}

func proofFromRow(r orderq.ProofInsertRow) Proof {
	p := Proof{ID: r.ID, OrderID: r.OrderID, ContactID: r.ContactID, PaidOn: r.PaidOn, Reference: r.Reference,
		FileName: r.FileName, ContentType: r.ContentType, Size: int64(r.Size), CreatedAt: r.CreatedAt}
	if r.PaymentID != nil {
		p.PaymentID = *r.PaymentID
	}
	return p
}

// ProofTypeName is a proof's content type as people name it: JPEG, PNG or PDF.
func ProofTypeName(ct string) string {
	switch ct {
	case ProofJPEG:
		return "JPEG"
	case ProofPNG:
		return "PNG"
	case ProofPDF:
		return "PDF"
	}
	return ct
}

// SizeText is a file size for people: bytes, KB or MB (powers of 1024, one decimal above a megabyte).
func SizeText(n int64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%d KB", (n+1<<9)>>10)
	}
	return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
}

// lockedOrderWait is lockedOrder for a payer's action: it waits for a lock someone else holds instead of failing.
func lockedOrderWait(ctx context.Context, tx pgx.Tx, id int64) (Order, error) {
	if _, err := tx.Exec(ctx, "SELECT 1 FROM orders WHERE id = $1 FOR UPDATE", id); err != nil {
		return Order{}, fmt.Errorf("lock order %d: %w", id, err)
	}
	return getOrder(ctx, tx, id)
}
