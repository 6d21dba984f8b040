package dbtest

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/bursar/bursar/internal/db"
)

// Counter counts what a pool sends PostgreSQL: transactions (an explicit BEGIN … COMMIT, or a statement or batch
// sent outside one, which PostgreSQL runs as its own transaction) and statements (every query, batched or not,
// BEGIN and COMMIT included). It counts by connection, so concurrent work is counted exactly; a test reads it
// around the work it measures, with nothing else running on the pool.
type Counter struct {
	mu           sync.Mutex
	inTx         map[*pgx.Conn]bool
	transactions int
	statements   int
	// Trace, when set before the work, receives each statement's first line as it is sent, marked "tx" when it
	// starts a transaction (a batch is a line "batch", its statements indented under it).
	Trace func(line string)
}

// Counts is a Counter's reading.
type Counts struct {
	Transactions int
	Statements   int
}

// Sub is c - o.
func (c Counts) Sub(o Counts) Counts {
	return Counts{Transactions: c.Transactions - o.Transactions, Statements: c.Statements - o.Statements}
}

// Read returns the counts so far.
func (c *Counter) Read() Counts {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Counts{Transactions: c.transactions, Statements: c.statements}
}

// statement counts one statement sent on conn.
func (c *Counter) statement(conn *pgx.Conn, sql string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.statements++
	word := strings.ToLower(strings.Fields(strings.TrimSpace(sql) + " x")[0])
	mark := "  "
	switch {
	case word == "begin" || word == "start":
		c.inTx[conn] = true
		c.transactions++
		mark = "tx"
	case word == "commit" || word == "rollback" || word == "end":
		c.inTx[conn] = false
	case !c.inTx[conn]:
		c.transactions++
		mark = "tx"
	}
	if c.Trace != nil {
		first, _, _ := strings.Cut(strings.TrimSpace(sql), "\n")
		c.Trace(mark + " " + first)
	}
}

// TraceQueryStart implements pgx.QueryTracer.
func (c *Counter) TraceQueryStart(ctx context.Context, conn *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	c.statement(conn, d.SQL)
	return ctx
}

// TraceQueryEnd implements pgx.QueryTracer.
func (c *Counter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// TraceBatchStart implements pgx.BatchTracer: a batch outside a transaction is one implicit transaction.
func (c *Counter) TraceBatchStart(ctx context.Context, conn *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	c.mu.Lock()
	defer c.mu.Unlock()
	mark := "  "
	if !c.inTx[conn] {
		c.transactions++
		mark = "tx"
	}
	if c.Trace != nil {
		c.Trace(mark + " batch")
	}
	return ctx
}

// TraceBatchQuery implements pgx.BatchTracer.
func (c *Counter) TraceBatchQuery(_ context.Context, _ *pgx.Conn, d pgx.TraceBatchQueryData) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.statements++
	if c.Trace != nil {
		first, _, _ := strings.Cut(strings.TrimSpace(d.SQL), "\n")
		c.Trace("   " + first)
	}
}

// TraceBatchEnd implements pgx.BatchTracer.
func (c *Counter) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}

// TraceCopyFromStart implements pgx.CopyFromTracer.
func (c *Counter) TraceCopyFromStart(ctx context.Context, conn *pgx.Conn, _ pgx.TraceCopyFromStartData) context.Context {
	c.statement(conn, "copy")
	return ctx
}

// TraceCopyFromEnd implements pgx.CopyFromTracer.
func (c *Counter) TraceCopyFromEnd(context.Context, *pgx.Conn, pgx.TraceCopyFromEndData) {}

// NewCounted is New with a Counter on the pool.
func NewCounted(t testing.TB) (*pgxpool.Pool, *Counter) {
	t.Helper()
	c := &Counter{inTx: map[*pgx.Conn]bool{}}
	pool, err := db.Open(context.Background(), URL(t), func(cfg *pgxpool.Config) { cfg.ConnConfig.Tracer = c })
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool, c
}
