package importer

import (
	"context"
	"errors"
	"fmt"
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
	c, err := s.checkFile(ctx, content, nil)
	if err != nil {
		return Result{}, err
	}
	if len(c.bad) > 0 {
		return Result{Rows: c.rows, Errors: len(c.bad)}, &RowsError{Rows: c.bad}
	}
	id, err := s.store(ctx, fileName, content, c.rows, 0)
	if err != nil {
		return Result{}, err
	}
	return s.commit(ctx, id, c, o)
}

// Commit brings in stored import id: checked again first, and refused whole (*RowsError, nothing written) when a
// row has errors. Then, a batch of rows per transaction, the rows whose sale was not imported before get their
// contacts created or updated, their products granted (source import; a new grant starts at the row's start when
// the file gives one), with RecordPayments the payments on the contacts' timelines, and with Welcome one e-mail per
// contact and import. Committing again (the same import, or the same file uploaded again) skips every row already
// in: after a commit stopped midway it finishes the rest. The file is read again for each part of its rows rather
// than its rows kept: memory holds the file and the batches being written.
func (s *Service) Commit(ctx context.Context, id int64, o Options) (Result, error) {
	_, content, err := s.stored(ctx, id)
	if err != nil {
		return Result{}, err
	}
	c, err := s.checkFile(ctx, content, nil)
	if err != nil {
		return Result{}, err
	}
	if len(c.bad) > 0 {
		return Result{ImportID: id, Rows: c.rows, Errors: len(c.bad)}, &RowsError{Rows: c.bad}
	}
	return s.commit(ctx, id, c, o)
}

func (s *Service) commit(ctx context.Context, id int64, c checked, o Options) (Result, error) {
	res := Result{ImportID: id, Rows: c.rows}
	school, err := s.deps.School.GetTx(ctx, s.db)
	if err != nil {
		return Result{}, err
	}
	if err := s.batches(ctx, id, c, o, school, &res); err != nil {
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

// batches commits the file's rows in batches of cfg.BatchSize, each its own transaction, on cfg.Workers
// connections at once. The rows are shared out into parts by contact e-mail (partOf), so two workers never touch the
// same contact (nor its grants), and the same way by every commit: a batch takes its part's lock first, so a
// concurrent commit of the same rows waits for it and then skips them. Each worker reads the file for its part's
// rows, in the file's order. The first failure stops the others; batches committed stay committed, and the next
// commit skips their rows.
func (s *Service) batches(ctx context.Context, id int64, c checked, o Options, school settings.School, res *Result) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		mu sync.Mutex
		wg sync.WaitGroup
	)
	for k := range s.cfg.Workers {
		wg.Go(func() {
			err := c.eachOfPart(ctx, k, s.cfg.Workers, s.cfg.BatchSize, func(batch []Row) error {
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
					return fmt.Errorf("import %d, rows from line %d: %w", id, batch[0].Line, err)
				}
				return nil
			})
			if err != nil {
				cancel(err)
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

// batchTx commits rows of part in tx, under the part's lock, skipping those imported before: set-based, a handful
// of statements for the batch whatever its size (crm.UpsertManyTx, access.GrantManyTx, crm.AddEventsTx, the
// welcome links and e-mails, the import rows copied), their round trips cut further by pipe.
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
	var res Result
	evs := &events.Batch{} // the batch's events, emitted in one EmitTx once its statements have run
	todo := make([]Row, 0, len(rows))
	for _, row := range rows {
		if done[row.key()] {
			res.Unchanged++
			continue
		}
		todo = append(todo, row)
	}
	if len(todo) == 0 {
		return res, tx.flush(ctx)
	}
	via := fmt.Sprintf("import #%d", id)
	ins := make([]crm.Input, len(todo))
	for i, row := range todo {
		ins[i] = crm.Input{Email: row.Email, Name: row.Name, Phone: row.Phone}
	}
	contacts, outcomes, err := s.deps.Contacts.UpsertManyTx(ctx, tx, ins, via, evs)
	if err != nil {
		return Result{}, err
	}
	for _, oc := range outcomes {
		switch oc {
		case crm.Created:
			res.Created++
		case crm.Updated:
			res.Updated++
		}
	}
	ns := make([]access.NewGrant, len(todo))
	for i, row := range todo {
		ns[i] = access.NewGrant{ContactID: contacts[i].ID, ProductID: row.ProductID, Source: access.SourceImport,
			SourceRef: via + ": " + row.Ref, EndsAt: row.End}
		if row.StartGiven {
			ns[i].StartsAt = &todo[i].Start
		}
	}
	grants, created, err := s.deps.Access.GrantManyTx(ctx, tx, ns, evs)
	if err != nil {
		return Result{}, err
	}
	var lines []crm.Event
	welcome := map[int64]*Welcome{}
	var order []int64
	added := make([]importerq.ImportRowsAddParams, len(todo))
	for i, row := range todo {
		c := contacts[i]
		if created[i] {
			res.Granted++
		} else {
			res.Extended++
		}
		if o.RecordPayments && row.Amount > 0 {
			lines = append(lines, crm.Event{ContactID: c.ID, Kind: EventExternalPayment, Message: fmt.Sprintf(
				"Payment made elsewhere: %s on %s, reference %s (%s)", money.New(row.Amount, row.Currency),
				row.Start.In(school.Location()).Format(time.DateOnly), row.Ref, via)})
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
		gid := grants[i].ID
		p := importerq.ImportRowsAddParams{ImportID: id, Line: int32(row.Line), ExternalRef: row.Ref, Email: row.Email,
			ProductID: row.ProductID, ContactID: c.ID, GrantID: &gid, StartsAt: row.Start, EndsAt: row.End}
		if row.Amount > 0 {
			amount, currency := row.Amount, row.Currency
			p.Amount, p.Currency = &amount, &currency
		}
		added[i] = p
	}
	if err := s.deps.Contacts.AddEventsTx(ctx, tx, lines); err != nil {
		return Result{}, err
	}
	if err := tx.flush(ctx); err != nil {
		return Result{}, err
	}
	if len(order) > 0 {
		links, err := s.deps.Welcome.WelcomeLinksTx(ctx, raw, order, 0)
		if err != nil {
			return Result{}, err
		}
		ws := make([]Welcome, len(order))
		for i, cid := range order {
			ws[i] = *welcome[cid]
			ws[i].SignInURL = links[i]
		}
		if err := s.deps.Mailer.ImportWelcomesTx(ctx, raw, ws); err != nil {
			return Result{}, err
		}
	}
	if _, err := q.ImportRowsAdd(ctx, added); err != nil {
		return Result{}, fmt.Errorf("record imported rows: %w", err)
	}
	if err := tx.flush(ctx); err != nil {
		return Result{}, err
	}
	return res, evs.EmitTx(ctx, s.deps.Events, raw)
}
