package importer_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/bursar/bursar/internal/access"
	"github.com/bursar/bursar/internal/app"
	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/config"
	"github.com/bursar/bursar/internal/crm"
	"github.com/bursar/bursar/internal/db/dbtest"
	"github.com/bursar/bursar/internal/importer"
	"github.com/bursar/bursar/internal/offer"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// fixture is a school with two products and the real services on its own database; the importer runs on the
// test's clock.
type fixture struct {
	t      testing.TB
	ctx    context.Context
	pool   *pgxpool.Pool
	app    *app.App
	imp    *importer.Service
	now    time.Time
	guitar offer.Product
	theory offer.Product
}

func newFixture(t testing.TB, batch int) *fixture {
	t.Helper()
	pool := dbtest.New(t)
	cfg, err := config.Config{DataDir: t.TempDir(), BaseURL: "https://school.test"}.WithDefaults()
	if err != nil {
		t.Fatal(err)
	}
	ap, err := app.New(app.Deps{Config: cfg, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Pool: pool})
	if err != nil {
		t.Fatal(err)
	}
	s := ap.Services
	f := &fixture{t: t, pool: pool, app: ap, now: time.Now().UTC().Truncate(time.Second),
		ctx: audit.WithActor(context.Background(), audit.Actor{Type: audit.ActorAdmin, ID: 1, Label: "ann@school.test"})}
	f.imp, err = importer.NewService(pool, s.Audit, importer.Config{Now: func() time.Time { return f.now }, BatchSize: batch},
		importer.Deps{Contacts: s.Contacts, Access: s.Access, Products: s.Offers, School: s.Settings, Welcome: s.Accounts,
			Mailer: s.Mailer})
	if err != nil {
		t.Fatal(err)
	}
	if f.guitar, err = s.Offers.CreateProduct(f.ctx, offer.ProductInput{Name: "Guitar course", Kind: offer.KindCourse}); err != nil {
		t.Fatal(err)
	}
	if f.theory, err = s.Offers.CreateProduct(f.ctx, offer.ProductInput{Name: "Music theory", Kind: offer.KindCourse}); err != nil {
		t.Fatal(err)
	}
	return f
}

// count is a number read from the database (the test checks what the modules wrote).
func (f *fixture) count(sql string, args ...any) int {
	f.t.Helper()
	var n int
	if err := f.pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n
}

// state is what an import may change, counted.
func (f *fixture) state() string {
	return fmt.Sprintf("contacts=%d grants=%d import_grants=%d events=%d emails=%d rows=%d audit_contacts=%d",
		f.count(`SELECT count(*) FROM contacts`), f.count(`SELECT count(*) FROM access_grants`),
		f.count(`SELECT count(*) FROM access_grants WHERE source = 'import'`), f.count(`SELECT count(*) FROM contact_events`),
		f.count(`SELECT count(*) FROM outbound_emails`), f.count(`SELECT count(*) FROM import_rows`),
		f.count(`SELECT count(*) FROM audit_log WHERE entity = 'contact'`))
}

func (f *fixture) file() []byte {
	end := f.now.AddDate(1, 0, 0).Format(time.DateOnly)
	start := f.now.AddDate(0, -1, 0).Format(time.DateOnly)
	return fmt.Appendf(nil, "email,name,phone,product,start,end,amount,currency,external_reference\n"+
		"New.Student@example.com,Nina New,+34 600 000 001,Guitar course,%s,%s,49.90,EUR,KW-1\n"+
		"old@example.com,Olga Old,,%d,%s,,,,KW-2\n"+
		"new.student@example.com,,,%d,,%s,120,USD,KW-3\n",
		start, end, f.guitar.ID, start, f.theory.ID, end)
}

// TestCommit: contacts are created or updated, products granted with source import, the payments written on the
// timelines and one welcome e-mail per contact; importing the same file again changes nothing.
func TestCommit(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 0)
	old, err := f.app.Services.Contacts.Create(f.ctx, crm.Input{Email: "old@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := f.imp.Preview(f.ctx, f.file())
	if err != nil {
		t.Fatal(err)
	}
	if p.Bad != 0 || p.New() != 3 || p.Delimiter != ',' {
		t.Fatalf("preview: bad %d new %d delimiter %q: %+v", p.Bad, p.New(), p.Delimiter, p.BadRows())
	}
	id, _, err := f.imp.Store(f.ctx, "sales.csv", f.file())
	if err != nil {
		t.Fatal(err)
	}
	res, err := f.imp.Commit(f.ctx, id, importer.Options{Welcome: true, RecordPayments: true})
	if err != nil {
		t.Fatal(err)
	}
	want := importer.Result{ImportID: id, Rows: 3, Created: 1, Updated: 1, Granted: 3}
	if res != want {
		t.Fatalf("result %+v, want %+v", res, want)
	}
	nina, err := f.app.Services.Contacts.ByEmail(f.ctx, "new.student@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if nina.Name != "Nina New" || nina.Phone != "+34 600 000 001" {
		t.Fatalf("created contact %+v", nina)
	}
	if o, _ := f.app.Services.Contacts.Contact(f.ctx, old.ID); o.Name != "Olga Old" {
		t.Fatalf("updated contact %+v", o)
	}
	grants, err := f.app.Services.Access.Active(f.ctx, nina.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(grants) != 2 {
		t.Fatalf("grants of the new contact: %+v", grants)
	}
	for _, g := range grants {
		if g.Source != "import" || !strings.HasPrefix(g.SourceRef, fmt.Sprintf("import #%d: KW-", id)) || g.EndsAt == nil {
			t.Fatalf("grant %+v", g)
		}
	}
	if n := f.count(`SELECT count(*) FROM contact_events WHERE kind = 'payment.external' AND contact_id = $1`, nina.ID); n != 2 {
		t.Fatalf("%d payment lines on the timeline, want 2", n)
	}
	if n := f.count(`SELECT count(*) FROM outbound_emails WHERE dedup_key LIKE 'import:%'`); n != 2 {
		t.Fatalf("%d welcome e-mails, want one per contact", n)
	}
	imp, err := f.imp.Get(f.ctx, id)
	if err != nil || !imp.Committed || imp.Result.Created != 1 || imp.Result.Granted != 3 {
		t.Fatalf("import %+v, %v", imp, err)
	}

	before := f.state()
	again, err := f.imp.CommitFile(f.ctx, "sales (copy).csv", f.file(), importer.Options{Welcome: true, RecordPayments: true})
	if err != nil {
		t.Fatal(err)
	}
	if again.Unchanged != 3 || again.Created+again.Updated+again.Granted+again.Extended != 0 {
		t.Fatalf("second import %+v", again)
	}
	if after := f.state(); after != before {
		t.Fatalf("second import changed:\n%s\n%s", before, after)
	}
	if p, _ := f.imp.Preview(f.ctx, f.file()); p.Imported != 3 || p.New() != 0 {
		t.Fatalf("preview after import: imported %d new %d", p.Imported, p.New())
	}
}

// TestSemicolon: a semicolon-separated file with a byte-order mark, quoted cells and a decimal comma is read.
func TestSemicolon(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 0)
	file := "\xef\xbb\xbfE-mail;Name;Product;Amount;Currency;External reference\n" +
		"a@example.com;\"Smith; Anna\";guitar COURSE;49,90;eur;X-1\n"
	p, err := f.imp.Preview(f.ctx, []byte(file))
	if err != nil {
		t.Fatal(err)
	}
	if p.Delimiter != ';' || p.Bad != 0 || len(p.Rows) != 1 {
		t.Fatalf("preview %+v", p)
	}
	r := p.Rows[0]
	if r.Name != "Smith; Anna" || r.ProductID != f.guitar.ID || r.Amount != 4990 || r.Currency != "EUR" || r.End != nil {
		t.Fatalf("row %+v", r)
	}
	res, err := f.imp.CommitFile(f.ctx, "s.csv", []byte(file), importer.Options{})
	if err != nil || res.Created != 1 || res.Granted != 1 {
		t.Fatalf("commit %+v, %v", res, err)
	}
}

// TestFileRefused: a file that is not UTF-8, lacks columns, is empty or is not CSV is refused as a whole, naming why.
func TestFileRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 0)
	tests := []struct {
		name string
		file string
		want string
	}{
		{"NotUTF8", "email,product,external_reference\nb@example.com,Guitar course,X\nJos\xe9@example.com,Guitar course,Y\n", "is not UTF-8 text (line 3)"},
		{"NulByte", "email,product,external_reference\nb@example.com,Guitar\x00,X\n", "is not UTF-8 text (line 2)"},
		{"MissingColumns", "email,name,start\nb@example.com,B,2026-01-01\n", "lacks the column external_reference, product"},
		{"Empty", "\n\n", "is empty"},
		{"BadQuote", "email,product,external_reference\n\"b@example.com,Guitar course,X\n", "quote that is not closed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := f.imp.Preview(f.ctx, []byte(tt.file))
			e, ok := check.AsErrors(err)
			if !ok || !strings.Contains(e["file"], tt.want) {
				t.Fatalf("error %v, want file: …%s…", err, tt.want)
			}
			if _, err := f.imp.CommitFile(f.ctx, "f.csv", []byte(tt.file), importer.Options{}); err == nil {
				t.Fatal("committed")
			}
		})
	}
	if n := f.count(`SELECT count(*) FROM imports`); n != 0 {
		t.Fatalf("%d imports stored", n)
	}
}

// TestBadRows: each bad row is reported with its fields, and a commit of the file writes nothing at all.
func TestBadRows(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 2)
	end := f.now.AddDate(0, 6, 0).Format(time.DateOnly)
	file := "email,product,start,end,amount,currency,external_reference\n" +
		"good@example.com,Guitar course,,,,,G-1\n" + // line 2: good
		"not-an-email,Guitar course,,,,,B-1\n" + // 3
		"c@example.com,Piano course,,,,,B-2\n" + // 4
		"d@example.com,Guitar course,31/12/2026,,,,B-3\n" + // 5
		"e@example.com,Guitar course,2026-05-01," + "2026-04-01,,,B-4\n" + // 6: end before start
		"f@example.com,Guitar course,,2020-01-01,,,B-5\n" + // 7: ended
		"g@example.com,Guitar course,,," + "12,,B-6\n" + // 8: amount without currency
		"h@example.com,Guitar course,,,,,\n" + // 9: no reference
		"good@example.com,Guitar course,,,,,G-1\n" + // 10: repeats line 2
		"i@example.com,Guitar course,," + end + ",,,G-2\n" + // 11: good
		"j@example.com,Guitar course\n" // 12: short row
	want := map[int]string{3: "email", 4: "product", 5: "start", 6: "end", 7: "end", 8: "currency", 9: "external_reference",
		10: "external_reference", 12: "row"}
	p, err := f.imp.Preview(f.ctx, []byte(file))
	if err != nil {
		t.Fatal(err)
	}
	if p.Bad != len(want) {
		t.Fatalf("%d bad rows, want %d: %+v", p.Bad, len(want), p.BadRows())
	}
	for _, r := range p.BadRows() {
		if _, ok := r.Errors[want[r.Line]]; !ok {
			t.Errorf("line %d: errors %v, want one on %s", r.Line, r.Errors, want[r.Line])
		}
	}
	before := f.state()
	id, _, err := f.imp.Store(f.ctx, "bad.csv", []byte(file))
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.imp.Commit(f.ctx, id, importer.Options{Welcome: true})
	var re *importer.RowsError
	if !errors.As(err, &re) || len(re.Rows) != len(want) {
		t.Fatalf("commit: %v", err)
	}
	if after := f.state(); after != before {
		t.Fatalf("a refused commit wrote:\n%s\n%s", before, after)
	}
	if imp, _ := f.imp.Get(f.ctx, id); imp.Committed || imp.BadRows != len(want) {
		t.Fatalf("import %+v", imp)
	}
}

// TestResume: a commit that stopped after some batches is finished by committing again, which skips the rows in;
// two commits of the same file at once bring each sale in once.
func TestResume(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 3)
	var b strings.Builder
	b.WriteString("email,product,external_reference\n")
	for i := range 20 {
		fmt.Fprintf(&b, "s%d@example.com,Guitar course,R-%d\n", i, i)
	}
	full := []byte(b.String())
	head := []byte(strings.Join(strings.SplitAfter(b.String(), "\n")[:8], "")) // the first 7 sales
	if res, err := f.imp.CommitFile(f.ctx, "head.csv", head, importer.Options{}); err != nil || res.Granted != 7 {
		t.Fatalf("first part %+v, %v", res, err)
	}
	var wg sync.WaitGroup
	results := make([]importer.Result, 2)
	errs := make([]error, 2)
	for i := range results {
		wg.Go(func() {
			results[i], errs[i] = f.imp.CommitFile(f.ctx, "full.csv", full, importer.Options{})
		})
	}
	wg.Wait()
	granted := 0
	for i, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
		granted += results[i].Granted
	}
	if granted != 13 || results[0].Unchanged+results[1].Unchanged != 27 {
		t.Fatalf("the two commits granted %d, want 13: %+v", granted, results)
	}
	if res, err := f.imp.CommitFile(f.ctx, "full.csv", full, importer.Options{}); err != nil || res.Unchanged != 20 {
		t.Fatalf("third commit %+v, %v", res, err)
	}
	if n := f.count(`SELECT count(*) FROM access_grants WHERE source = 'import'`); n != 20 {
		t.Fatalf("%d grants, want 20", n)
	}
}

// TestNewServiceRefusesMissingDeps: a missing dependency is an error at start naming it.
func TestNewServiceRefusesMissingDeps(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 0)
	s := f.app.Services
	full := importer.Deps{Contacts: s.Contacts, Access: s.Access, Products: s.Offers, School: s.Settings,
		Welcome: s.Accounts, Mailer: s.Mailer}
	tests := []struct {
		name string
		edit func(*importer.Deps)
	}{
		{"Contacts", func(d *importer.Deps) { d.Contacts = nil }},
		{"Access", func(d *importer.Deps) { d.Access = nil }},
		{"Products", func(d *importer.Deps) { d.Products = nil }},
		{"School", func(d *importer.Deps) { d.School = nil }},
		{"Welcome", func(d *importer.Deps) { d.Welcome = nil }},
		{"Mailer", func(d *importer.Deps) { d.Mailer = nil }},
	}
	for _, tt := range tests {
		d := full
		tt.edit(&d)
		if _, err := importer.NewService(f.pool, s.Audit, importer.Config{}, d); err == nil || !strings.Contains(err.Error(), tt.name) {
			t.Errorf("%s missing: %v", tt.name, err)
		}
	}
}

// TestStartAndEnd: a row's start (a past date, the start of that day in the school's zone) is its new grant's
// start, and its end (the day included) the grant's end; a row without a start starts when committed; a contact's
// grant in force keeps its start and is extended to the row's end.
func TestStartAndEnd(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 0)
	school, err := f.app.Services.Settings.GetTx(f.ctx, f.pool)
	if err != nil {
		t.Fatal(err)
	}
	loc := school.Location()
	had, err := f.app.Services.Contacts.Create(f.ctx, crm.Input{Email: "had@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	soon := f.now.Add(48 * time.Hour)
	old, _, err := f.app.Services.Access.Grant(f.ctx, access.NewGrant{ContactID: had.ID, ProductID: f.guitar.ID,
		Source: access.SourceManual, EndsAt: &soon})
	if err != nil {
		t.Fatal(err)
	}
	startDay := f.now.In(loc).AddDate(0, -3, 0).Format(time.DateOnly)
	endDay := f.now.In(loc).AddDate(0, 9, 0).Format(time.DateOnly)
	file := fmt.Sprintf("email,product,start,end,external_reference\n"+
		"dated@example.com,Guitar course,%s,%s,D-1\n"+
		"undated@example.com,Guitar course,,%s,D-2\n"+
		"had@example.com,Guitar course,%s,%s,D-3\n", startDay, endDay, endDay, startDay, endDay)
	before := time.Now()
	if res, err := f.imp.CommitFile(f.ctx, "dates.csv", []byte(file), importer.Options{}); err != nil ||
		res.Granted != 2 || res.Extended != 1 {
		t.Fatalf("commit %+v, %v", res, err)
	}
	wantStart, _ := time.ParseInLocation(time.DateOnly, startDay, loc)
	wantEnd, _ := time.ParseInLocation(time.DateOnly, endDay, loc)
	wantEnd = wantEnd.AddDate(0, 0, 1)
	grant := func(email string) access.Grant {
		t.Helper()
		c, err := f.app.Services.Contacts.ByEmail(f.ctx, email)
		if err != nil {
			t.Fatal(err)
		}
		gs, err := f.app.Services.Access.Active(f.ctx, c.ID)
		if err != nil || len(gs) != 1 {
			t.Fatalf("%s's grants %+v, %v", email, gs, err)
		}
		return gs[0]
	}
	if g := grant("dated@example.com"); !g.StartsAt.Equal(wantStart) || g.EndsAt == nil || !g.EndsAt.Equal(wantEnd) {
		t.Fatalf("dated row's grant %v – %v, want %v – %v", g.StartsAt, g.EndsAt, wantStart, wantEnd)
	}
	if g := grant("undated@example.com"); g.StartsAt.Before(before.Add(-time.Second)) || g.EndsAt == nil || !g.EndsAt.Equal(wantEnd) {
		t.Fatalf("undated row's grant %v – %v, want from the commit to %v", g.StartsAt, g.EndsAt, wantEnd)
	}
	if g := grant("had@example.com"); g.ID != old.ID || !g.StartsAt.Equal(old.StartsAt) || g.EndsAt == nil || !g.EndsAt.Equal(wantEnd) {
		t.Fatalf("the grant in force %+v, want %d kept from %v, extended to %v", g, old.ID, old.StartsAt, wantEnd)
	}
	var rowStart time.Time
	if err := f.pool.QueryRow(f.ctx, `SELECT starts_at FROM import_rows WHERE external_ref = 'D-1'`).Scan(&rowStart); err != nil ||
		!rowStart.Equal(wantStart) {
		t.Fatalf("import row's start %v, %v", rowStart, err)
	}
}
