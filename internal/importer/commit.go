package importer

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/access"
	"github.com/bursar/bursar/internal/crm"
	"github.com/bursar/bursar/internal/events"
	"github.com/bursar/bursar/internal/importer/importerq"
	"github.com/bursar/bursar/internal/money"
	"github.com/bursar/bursar/internal/settings"
)

// CommitFile stores content (as Store) and commits it (as Commit).
func (s *Service) CommitFile(ctx context.Context, fileName string, content []byte, o Options) (Result, error) {
	p, err := s.Preview(ctx, content)
	if err != nil {
		return Result{}, err
	}
	if p.Bad > 0 {
		return Result{Rows: len(p.Rows), Errors: p.Bad}, &RowsError{Rows: p.BadRows()}
	}
	id, err := s.store(ctx, fileName, content, p)
	if err != nil {
		return Result{}, err
	}
	return s.commit(ctx, id, p, o)
}

// Commit brings in stored import id: checked again first, and refused whole (*RowsError, nothing written) when a
// row has errors. Then, a batch of rows per transaction, each row whose sale was not imported before gets its
// contact created or updated, its product granted (source import), with RecordPayments the payment on the
// contact's timeline, and with Welcome one e-mail per contact and import. Committing again (the same import, or the
// same file uploaded again) skips every row already in: after a commit stopped midway it finishes the rest.
func (s *Service) Commit(ctx context.Context, id int64, o Options) (Result, error) {
	_, p, err := s.PreviewStored(ctx, id)
	if err != nil {
		return Result{}, err
	}
	if p.Bad > 0 {
		return Result{ImportID: id, Rows: len(p.Rows), Errors: p.Bad}, &RowsError{Rows: p.BadRows()}
	}
	return s.commit(ctx, id, p, o)
}

func (s *Service) commit(ctx context.Context, id int64, p Preview, o Options) (Result, error) {
	res := Result{ImportID: id, Rows: len(p.Rows)}
	school, err := s.deps.School.GetTx(ctx, s.db)
	if err != nil {
		return Result{}, err
	}
	if err := s.batches(ctx, id, p.Rows, o, school, &res); err != nil {
		return Result{}, err
	}
	err = pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		if err := importerq.New(tx).ImportFinish(ctx, importerq.ImportFinishParams{ID: id, Welcome: o.Welcome,
			RecordPayments: o.RecordPayments, Created: int32(res.Created), Updated: int32(res.Updated),
			Granted: int32(res.Granted + res.Extended), Unchanged: int32(res.Unchanged)}); err != nil {
			return fmt.Errorf("finish import %d: %w", id, err)
		}
		return s.audit.RecordTx(ctx, tx, "import.commit", "import", id, map[string]any{"rows": res.Rows,
			"created": res.Created, "updated": res.Updated, "granted": res.Granted, "extended": res.Extended,
			"unchanged": res.Unchanged, "welcome": o.Welcome, "record_payments": o.RecordPayments})
	})
	return res, err
}

// batches commits rows in batches of cfg.BatchSize, each its own transaction, on cfg.Workers connections at once.
// The rows are shared out into parts by contact e-mail, so two workers never touch the same contact (nor its
// grants), and the same way by every commit: a batch takes its part's lock first, so a concurrent commit of the
// same rows waits for it and then skips them. Each worker keeps the file's order. The first failure stops the
// others; batches committed stay committed, and the next commit skips their rows.
func (s *Service) batches(ctx context.Context, id int64, rows []Row, o Options, school settings.School, res *Result) error {
	parts := make([][]int, s.cfg.Workers) // indexes into rows
	for i, r := range rows {
		h := fnv.New32a()
		_, _ = h.Write([]byte(r.Email))
		k := int(h.Sum32() % uint32(s.cfg.Workers))
		parts[k] = append(parts[k], i)
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		mu sync.Mutex
		wg sync.WaitGroup
	)
	for k, part := range parts {
		wg.Go(func() {
			batch := make([]Row, 0, s.cfg.BatchSize)
			for start := 0; start < len(part); start += s.cfg.BatchSize {
				batch = batch[:0]
				for _, i := range part[start:min(start+s.cfg.BatchSize, len(part))] {
					batch = append(batch, rows[i])
				}
				err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
					r, err := s.batchTx(ctx, tx, id, int32(k), batch, o, school)
					if err == nil {
						mu.Lock()
						res.add(r)
						mu.Unlock()
					}
					return err
				})
				if err != nil {
					cancel(fmt.Errorf("import %d, rows from line %d: %w", id, batch[0].Line, err))
					return
				}
			}
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return ctx.Err()
}

func (r *Result) add(b Result) {
	r.Created += b.Created
	r.Updated += b.Updated
	r.Granted += b.Granted
	r.Extended += b.Extended
	r.Unchanged += b.Unchanged
}

// batchTx commits rows of part in tx, under the part's lock, skipping those imported before.
func (s *Service) batchTx(ctx context.Context, raw pgx.Tx, id int64, part int32, rows []Row, o Options, school settings.School) (Result, error) {
	tx := &pipe{tx: raw}
	q := importerq.New(tx)
	if err := q.ImportLock(ctx, part); err != nil {
		return Result{}, fmt.Errorf("lock: %w", err)
	}
	done, err := doneKeys(ctx, tx, rows)
	if err != nil {
		return Result{}, err
	}
	via := fmt.Sprintf("import #%d", id)
	var res Result
	added := make([]importerq.ImportRowsAddParams, 0, len(rows))
	welcome := map[int64]*Welcome{}
	var order []int64
	evs := &events.Batch{} // the batch's events, emitted in one EmitTx once its statements have run
	for _, row := range rows {
		if done[row.key()] {
			res.Unchanged++
			continue
		}
		c, outcome, err := s.deps.Contacts.UpsertTx(ctx, tx, crm.Input{Email: row.Email, Name: row.Name, Phone: row.Phone}, via, evs)
		if err != nil {
			return Result{}, fmt.Errorf("line %d: %w", row.Line, err)
		}
		switch outcome {
		case crm.Created:
			res.Created++
		case crm.Updated:
			res.Updated++
		}
		g, created, err := s.deps.Access.GrantBatchTx(ctx, tx, access.NewGrant{ContactID: c.ID, ProductID: row.ProductID,
			Source: access.SourceImport, SourceRef: via + ": " + row.Ref, EndsAt: row.End}, evs)
		if err != nil {
			return Result{}, fmt.Errorf("line %d: %w", row.Line, err)
		}
		if created {
			res.Granted++
		} else {
			res.Extended++
		}
		if o.RecordPayments && row.Amount > 0 {
			msg := fmt.Sprintf("Payment made elsewhere: %s on %s, reference %s (%s)",
				money.New(row.Amount, row.Currency), row.Start.In(school.Location()).Format(time.DateOnly), row.Ref, via)
			if err := s.deps.Contacts.AddEventTx(ctx, tx, c.ID, EventExternalPayment, msg); err != nil {
				return Result{}, fmt.Errorf("line %d: %w", row.Line, err)
			}
		}
		if o.Welcome && !c.Placeholder {
			w, ok := welcome[c.ID]
			if !ok {
				w = &Welcome{ImportID: id, ContactID: c.ID, To: c.Email, Name: c.Name, Language: school.Language}
				welcome[c.ID] = w
				order = append(order, c.ID)
			}
			w.Products = append(w.Products, row.ProductName)
		}
		gid := g.ID
		p := importerq.ImportRowsAddParams{ImportID: id, Line: int32(row.Line), ExternalRef: row.Ref, Email: row.Email,
			ProductID: row.ProductID, ContactID: c.ID, GrantID: &gid, StartsAt: row.Start, EndsAt: row.End}
		if row.Amount > 0 {
			amount, currency := row.Amount, row.Currency
			p.Amount, p.Currency = &amount, &currency
		}
		added = append(added, p)
	}
	if err := tx.flush(ctx); err != nil {
		return Result{}, err
	}
	for _, cid := range order {
		w := welcome[cid]
		link, err := s.deps.Welcome.WelcomeLinkTx(ctx, raw, cid, 0)
		if err != nil {
			return Result{}, err
		}
		w.SignInURL = link
		if err := s.deps.Mailer.ImportWelcomeTx(ctx, raw, *w); err != nil {
			return Result{}, err
		}
	}
	if len(added) > 0 {
		if _, err := q.ImportRowsAdd(ctx, added); err != nil {
			return Result{}, fmt.Errorf("record imported rows: %w", err)
		}
	}
	if err := tx.flush(ctx); err != nil {
		return Result{}, err
	}
	return res, evs.EmitTx(ctx, s.deps.Events, raw)
}
