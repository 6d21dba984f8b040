package importer_test

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bursar/bursar/internal/importer"
	"github.com/bursar/bursar/internal/offer"
)

// BenchmarkImport imports a generated CSV of 100,000 sales (IMPORT_BENCH_ROWS to change it) through CommitFile, as
// the API does: every row a new contact (half with a phone), one of four products by name or id, an end a year
// ahead, an amount recorded on the timeline, and checks what it wrote (a contact, a grant from the file's start to
// its end, an import row and a payment line per sale); then imports the same file again, which must change nothing. It
// reports the time of each import and the process's peak RSS (the file, its preview and the services; PostgreSQL's
// memory is its own). docs/PERFORMANCE.md records the figures (goal: under 60 s and 200 MB).
func BenchmarkImport(b *testing.B) {
	rows := 100_000
	if v, err := strconv.Atoi(os.Getenv("IMPORT_BENCH_ROWS")); err == nil && v > 0 {
		rows = v
	}
	f := newFixture(b, 0)
	products := []offer.Product{f.guitar, f.theory}
	for _, name := range []string{"Piano course", "Singing course"} {
		p, err := f.app.Services.Offers.CreateProduct(f.ctx, offer.ProductInput{Name: name, Kind: offer.KindCourse})
		if err != nil {
			b.Fatal(err)
		}
		products = append(products, p)
	}
	file := benchFile(rows, products, f.now, "student")
	// A school that already has some contacts and grants, with the planner's statistics on them: production runs
	// autovacuum, which analyzes tables as they grow; the test server runs with autovacuum off, and on tables never
	// analyzed the planner may read a grant's pair through the product's index (25,000 rows each here) instead of
	// the contact's.
	if _, err := f.imp.CommitFile(f.ctx, "warm-up.csv", benchFile(1000, products, f.now, "earlier"), importer.Options{}); err != nil {
		b.Fatal(err)
	}
	if _, err := f.pool.Exec(f.ctx, "ANALYZE"); err != nil {
		b.Fatal(err)
	}
	// As in serve: the catalog cache is live, so the grants' timeline lines name products from memory.
	f.app.Start(f.ctx)
	b.Cleanup(f.app.Close)
	if err := f.app.Services.Catalog.Sync(f.ctx, f.pool); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		res, err := f.imp.CommitFile(f.ctx, "bench.csv", file, importer.Options{RecordPayments: true})
		first := time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		if res.Created != rows || res.Granted != rows {
			b.Fatalf("first import %+v", res)
		}
		// What the first import wrote: a contact, an import grant (from the file's start) and an import row per sale.
		if n := f.count(`SELECT count(*) FROM contacts WHERE email LIKE 'student%'`); n != rows {
			b.Fatalf("%d contacts, want %d", n, rows)
		}
		if n := f.count(`SELECT count(*) FROM access_grants g JOIN contacts c ON c.id = g.contact_id
			WHERE c.email LIKE 'student%' AND g.source = 'import' AND g.starts_at = $1 AND g.ends_at = $2`,
			benchDay(f, -1), benchDay(f, 12).AddDate(0, 0, 1)); n != rows {
			b.Fatalf("%d grants from the file's start to its end, want %d", n, rows)
		}
		if n := f.count(`SELECT count(*) FROM import_rows WHERE import_id = $1`, res.ImportID); n != rows {
			b.Fatalf("%d import rows, want %d", n, rows)
		}
		if n := f.count(`SELECT count(*) FROM contact_events WHERE kind = $1`, importer.EventExternalPayment); n != rows {
			b.Fatalf("%d payment lines, want %d", n, rows)
		}
		before := f.state()
		start = time.Now()
		again, err := f.imp.CommitFile(f.ctx, "bench.csv", file, importer.Options{RecordPayments: true})
		second := time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		if again.Unchanged != rows || again.Created+again.Updated+again.Granted+again.Extended != 0 {
			b.Fatalf("second import %+v", again)
		}
		if after := f.state(); after != before {
			b.Fatalf("the second import changed:\n%s\n%s", before, after)
		}
		b.ReportMetric(first.Seconds(), "s/import")
		b.ReportMetric(second.Seconds(), "s/reimport")
	}
	b.StopTimer()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		b.ReportMetric(float64(ru.Maxrss)/1024, "MB-peak-RSS") // Linux reports kilobytes
	}
	b.ReportMetric(float64(len(file))/(1<<20), "MB-file")
	b.ReportMetric(float64(rows), "rows")
}

// benchFile is a CSV of n sales, each a new contact named from prefix.
func benchFile(n int, products []offer.Product, now time.Time, prefix string) []byte {
	var sb strings.Builder
	sb.Grow(n * 120)
	sb.WriteString("email,name,phone,product,start,end,amount,currency,external_reference\n")
	start := now.UTC().AddDate(0, -1, 0).Format(time.DateOnly)
	end := now.UTC().AddDate(1, 0, 0).Format(time.DateOnly)
	for i := range n {
		p := products[i%len(products)]
		product := p.Name
		if i%2 == 1 {
			product = strconv.FormatInt(p.ID, 10)
		}
		phone := ""
		if i%2 == 0 {
			phone = fmt.Sprintf("+34 600 %06d", i)
		}
		fmt.Fprintf(&sb, "%s%06d@example.com,Student %d,%s,%s,%s,%s,%d.%02d,EUR,%s-%06d\n",
			prefix, i, i, phone, product, start, end, 20+i%200, i%100, prefix, i)
	}
	return []byte(sb.String())
}

// benchDay is the start of the day months from the fixture's now, as the file writes it (UTC dates, read in the
// school's zone).
func benchDay(f *fixture, months int) time.Time {
	school, err := f.app.Services.Settings.GetTx(f.ctx, f.pool)
	if err != nil {
		f.t.Fatal(err)
	}
	d, err := time.ParseInLocation(time.DateOnly, f.now.UTC().AddDate(0, months, 0).Format(time.DateOnly), school.Location())
	if err != nil {
		f.t.Fatal(err)
	}
	return d
}
