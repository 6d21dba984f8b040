package importer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/bursar/bursar/internal/access"
	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/crm"
	"github.com/bursar/bursar/internal/db"
	"github.com/bursar/bursar/internal/importer/importerq"
	"github.com/bursar/bursar/internal/offer"
	"github.com/bursar/bursar/internal/settings"
)

// Contacts creates or updates a row's contact and writes on its timeline (internal/crm).
type Contacts interface {
	UpsertTx(ctx context.Context, tx db.DBTX, in crm.Input, via string) (crm.Contact, crm.Outcome, error)
	AddEventTx(ctx context.Context, tx db.DBTX, contactID int64, kind, message string) error
}

// Access grants a row's product (internal/access).
type Access interface {
	GrantTx(ctx context.Context, tx db.DBTX, n access.NewGrant) (access.Grant, bool, error)
}

// Products lists the catalog's products, by which rows name them (internal/offer).
type Products interface {
	Products(ctx context.Context, f offer.ProductFilter) ([]offer.Product, error)
}

// School gives the school's time zone and language (internal/settings, possibly cached).
type School interface {
	GetTx(ctx context.Context, tx db.DBTX) (settings.School, error)
}

// Welcomer makes the single-use sign-in link of the welcome e-mail (internal/account).
type Welcomer interface {
	WelcomeLinkTx(ctx context.Context, tx pgx.Tx, contactID, offerID int64) (string, error)
}

// Mailer enqueues the welcome e-mail in the caller's transaction (internal/mailer).
type Mailer interface {
	ImportWelcomeTx(ctx context.Context, tx pgx.Tx, w Welcome) error
}

// Deps are the modules a commit calls, each inside the batch's transaction.
type Deps struct {
	Contacts Contacts
	Access   Access
	Products Products
	School   School
	Welcome  Welcomer
	Mailer   Mailer
}

// Config tunes the service. Now is its clock (time.Now when nil); BatchSize is the rows per transaction (500 when
// 0); Workers the transactions a commit runs at once (2 when 0).
type Config struct {
	Now       func() time.Time
	BatchSize int
	Workers   int
}

// Service previews and commits imports.
type Service struct {
	db    *pgxpool.Pool
	audit *audit.Log
	cfg   Config
	deps  Deps
}

// NewService returns a Service on pool; every dependency is required, and a missing one is an error naming it.
func NewService(pool *pgxpool.Pool, al *audit.Log, cfg Config, d Deps) (*Service, error) {
	for _, dep := range []struct {
		name string
		v    any
	}{{"pool", pool}, {"audit log", al}, {"Contacts", d.Contacts}, {"Access", d.Access}, {"Products", d.Products},
		{"School", d.School}, {"Welcome", d.Welcome}, {"Mailer", d.Mailer}} {
		if isNil(dep.v) {
			return nil, fmt.Errorf("importer: %s is required", dep.name)
		}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 500
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 2
	}
	return &Service{db: pool, audit: al, cfg: cfg, deps: d}, nil
}

func isNil(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	return rv.Kind() == reflect.Pointer && rv.IsNil()
}

// Preview checks content without changing anything: a file-level problem (not UTF-8, no header, a required column
// missing, not CSV, too large) is a field error on "file"; otherwise every row with its errors, and whether it was
// imported before.
func (s *Service) Preview(ctx context.Context, content []byte) (Preview, error) {
	school, err := s.deps.School.GetTx(ctx, s.db)
	if err != nil {
		return Preview{}, err
	}
	cat, err := s.catalog(ctx)
	if err != nil {
		return Preview{}, err
	}
	now, loc := s.cfg.Now(), school.Location()
	lines := min(bytes.Count(content, []byte{'\n'})+1, MaxRows+1)
	p := Preview{Rows: make([]Row, 0, lines)}
	seen := make(map[key]int, lines)
	t, err := readTable(content, func(t table, rec record) {
		row := t.checkRow(rec, cat, loc, now)
		if len(row.Errors) == 0 {
			if first, dup := seen[row.key()]; dup {
				row.Errors = map[string]string{ColRef: fmt.Sprintf("repeats line %d (the same reference, e-mail and product)", first)}
			} else {
				seen[row.key()] = row.Line
			}
		}
		p.Rows = append(p.Rows, row)
	})
	if err != nil {
		return Preview{}, err
	}
	p.Delimiter = t.delim
	if err := s.markImported(ctx, s.db, p.Rows); err != nil {
		return Preview{}, err
	}
	for _, r := range p.Rows {
		switch {
		case len(r.Errors) > 0:
			p.Bad++
		case r.Imported:
			p.Imported++
		}
	}
	return p, nil
}

// catalog reads every product (archived ones by id only).
func (s *Service) catalog(ctx context.Context) (catalog, error) {
	c := catalog{byID: map[int64]string{}, byName: map[string][]int64{}}
	var after int64
	for {
		ps, err := s.deps.Products.Products(ctx, offer.ProductFilter{IncludeArchived: true, AfterID: after, Limit: offer.MaxList})
		if err != nil {
			return catalog{}, err
		}
		for _, p := range ps {
			c.byID[p.ID] = p.Name
			if p.ArchivedAt == nil {
				n := strings.ToLower(strings.TrimSpace(p.Name))
				c.byName[n] = append(c.byName[n], p.ID)
			}
			after = p.ID
		}
		if len(ps) < offer.MaxList {
			return c, nil
		}
	}
}

// markImported sets Imported on the good rows whose key an earlier commit brought in, a batch of keys per query.
func (s *Service) markImported(ctx context.Context, tx importerq.DBTX, rows []Row) error {
	for start := 0; start < len(rows); start += 5000 {
		part := rows[start:min(start+5000, len(rows))]
		done, err := doneKeys(ctx, tx, part)
		if err != nil {
			return err
		}
		for i := range part {
			if len(part[i].Errors) == 0 && done[part[i].key()] {
				part[i].Imported = true
			}
		}
	}
	return nil
}

// doneKeys are the keys of rows (without errors) already imported.
func doneKeys(ctx context.Context, tx importerq.DBTX, rows []Row) (map[key]bool, error) {
	p := importerq.ImportRowsDoneParams{}
	for _, r := range rows {
		if len(r.Errors) == 0 {
			p.Refs, p.Emails, p.Products = append(p.Refs, r.Ref), append(p.Emails, r.Email), append(p.Products, r.ProductID)
		}
	}
	out := map[key]bool{}
	if len(p.Refs) == 0 {
		return out, nil
	}
	found, err := importerq.New(tx).ImportRowsDone(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("imported rows: %w", err)
	}
	for _, f := range found {
		out[key{ref: f.ExternalRef, email: f.Email, product: f.ProductID}] = true
	}
	return out, nil
}

// Store keeps an uploaded file for its preview and later commit, and returns its id with the preview. A file-level
// problem stores nothing (a field error on "file"); a file with bad rows is stored, so its preview can show them.
func (s *Service) Store(ctx context.Context, fileName string, content []byte) (int64, Preview, error) {
	p, err := s.Preview(ctx, content)
	if err != nil {
		return 0, Preview{}, err
	}
	id, err := s.store(ctx, fileName, content, p)
	return id, p, err
}

func (s *Service) store(ctx context.Context, fileName string, content []byte, p Preview) (int64, error) {
	fileName = strings.TrimSpace(strings.ToValidUTF8(strings.ReplaceAll(fileName, "\x00", ""), ""))
	if len(fileName) > 200 {
		fileName = fileName[:200]
	}
	var id int64
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		r, err := importerq.New(tx).ImportCreate(ctx, importerq.ImportCreateParams{FileName: strings.ToValidUTF8(fileName, ""),
			Content: content, RowCount: int32(len(p.Rows)), BadRows: int32(p.Bad), CreatedBy: audit.ActorFrom(ctx).Label})
		if err != nil {
			return fmt.Errorf("store import: %w", err)
		}
		id = r.ID
		return s.audit.RecordTx(ctx, tx, "import.upload", "import", id, map[string]any{"file_name": fileName,
			"rows": len(p.Rows), "bad_rows": p.Bad})
	})
	return id, err
}

// Get returns import id (without its file) or an error wrapping check.ErrNotFound.
func (s *Service) Get(ctx context.Context, id int64) (Import, error) {
	r, err := importerq.New(s.db).ImportGet(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return Import{}, fmt.Errorf("import %d: %w", id, check.ErrNotFound)
	}
	if err != nil {
		return Import{}, err
	}
	return Import{ID: r.ID, FileName: r.FileName, Rows: int(r.RowCount), BadRows: int(r.BadRows),
		Committed: r.Status == "committed", Options: Options{Welcome: r.Welcome, RecordPayments: r.RecordPayments},
		Result: Result{ImportID: r.ID, Rows: int(r.RowCount), Created: int(r.Created), Updated: int(r.Updated),
			Granted: int(r.Granted), Unchanged: int(r.Unchanged)},
		CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt, CommittedAt: r.CommittedAt}, nil
}

// PreviewStored checks stored import id again, as it would be committed now.
func (s *Service) PreviewStored(ctx context.Context, id int64) (Import, Preview, error) {
	imp, err := s.Get(ctx, id)
	if err != nil {
		return Import{}, Preview{}, err
	}
	c, err := importerq.New(s.db).ImportContent(ctx, id)
	if err != nil {
		return Import{}, Preview{}, fmt.Errorf("import %d: %w", id, err)
	}
	p, err := s.Preview(ctx, c.Content)
	return imp, p, err
}

// List returns the latest imports, newest first, older than beforeID when it is positive (a keyset cursor).
func (s *Service) List(ctx context.Context, beforeID int64, limit int) ([]Import, error) {
	if limit <= 0 || limit > 201 {
		limit = 50
	}
	p := importerq.ImportListParams{Lim: int32(limit)}
	if beforeID > 0 {
		p.BeforeID = &beforeID
	}
	rs, err := importerq.New(s.db).ImportList(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("list imports: %w", err)
	}
	out := make([]Import, 0, len(rs))
	for _, r := range rs {
		out = append(out, Import{ID: r.ID, FileName: r.FileName, Rows: int(r.RowCount), BadRows: int(r.BadRows),
			Committed: r.Status == "committed", Options: Options{Welcome: r.Welcome, RecordPayments: r.RecordPayments},
			Result: Result{ImportID: r.ID, Rows: int(r.RowCount), Created: int(r.Created), Updated: int(r.Updated),
				Granted: int(r.Granted), Unchanged: int(r.Unchanged)},
			CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt, CommittedAt: r.CommittedAt})
	}
	return out, nil
}
