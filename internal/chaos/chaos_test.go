package chaos

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/bursar/bursar/internal/db"
	"github.com/bursar/bursar/internal/db/dbtest"
	"github.com/bursar/bursar/internal/gateway/stripemock"
)

// TestMain starts the test database only for a chaos run, so that `make test` skips TestChaos at once.
func TestMain(m *testing.M) {
	if os.Getenv("BURSAR_CHAOS_N") == "" {
		os.Exit(m.Run())
	}
	dbtest.Main(m)
}

const (
	servers       = 3
	copies        = 3  // deliveries of each event
	senders       = 16 // concurrent deliveries
	openers       = 8  // concurrent visitors at checkout
	perAddress    = 25 // checkouts per client address: the public form limit is 30 per address in 10 minutes
	webhookSecret = "whsec_chaos_harness"
	harnessApp    = "bursar-chaos" // application_name of the harness's own connections, spared by the terminations
	smtpFailRate  = 0.05
	smtpMinDelay  = 50 * time.Millisecond
	smtpMaxDelay  = 200 * time.Millisecond
	maxAttempts   = 60 // a gateway gives up on a delivery after this many tries
)

// paidOrder is an order opened at checkout and the payment the gateway will report for it.
type paidOrder struct {
	sess  session
	payer string
	body  []byte // the checkout.session.completed event, the same bytes at every delivery
}

// TestChaos is issue 10's chaos run: see the package documentation and docs/RELIABILITY.md.
func TestChaos(t *testing.T) {
	raw := os.Getenv("BURSAR_CHAOS_N")
	if raw == "" {
		t.Skip("chaos: set BURSAR_CHAOS_N to the number of orders to run the chaos harness (make chaos)")
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 10 || n > 100_000 {
		t.Fatalf("BURSAR_CHAOS_N %q must be a number of orders from 10 to 100000", raw)
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("BURSAR_CHAOS_SEED"); s != "" {
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("BURSAR_CHAOS_SEED %q must be an unsigned integer", s)
		}
	}
	t.Logf("chaos: N=%d seed=%d (BURSAR_CHAOS_SEED reproduces the shuffle and the SMTP failures)", n, seed)
	began := time.Now()

	// The peers: a fresh migrated database, Stripe's API (stripe-mock behind the recording proxy), a flaky SMTP
	// server, and the real binary.
	dbURL := dbtest.URL(t)
	pool := openHarnessPool(t, dbURL)
	gw := startStripeGateway(t, stripemock.Start(t))
	ib := startFlakyInbox(t, seed, smtpFailRate, smtpMinDelay, smtpMaxDelay)
	dir := t.TempDir()
	bin := buildBursar(t, dir)
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + dir,
		"DATABASE_URL=" + dbURL,
		"BURSAR_SECRET_KEY=" + randomHex(32),
		"BURSAR_DATA_DIR=" + filepath.Join(dir, "data"),
		"BURSAR_SMTP_URL=" + ib.URL,
		"BURSAR_MAIL_FROM=Chaos School <school@chaos.example.org>",
		"BURSAR_STRIPE_API_URL=" + gw.URL,
		"BURSAR_JOB_RESCUE_AFTER=15s",
		"BURSAR_LOG_LEVEL=warn",
	}
	key := apiKey(t, bin, env)

	srvs := make([]*server, servers)
	for i := range srvs {
		srvs[i] = &server{name: fmt.Sprintf("serve%d", i+1), addr: freeAddr(t), bin: bin, env: env, logDir: dir}
		t.Cleanup(srvs[i].stop)
		if err := srvs[i].start(); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		if t.Failed() {
			for _, s := range srvs {
				t.Log(s.logs(60))
			}
		}
	})
	sysID, slug := setUpSchool(t, srvs[0], key)

	// Visitors open the orders through the real checkout, spread over the processes.
	t0 := time.Now()
	orders := openOrders(t, srvs, gw, sysID, slug, n)
	opened := time.Since(t0)
	if got := gw.sessions(); got != n {
		t.Fatalf("the gateway saw %d checkout sessions for %d checkouts", got, n)
	}
	if got := count(t, pool, `SELECT count(*) FROM orders WHERE status = 'open'`); got != n {
		t.Fatalf("%d open orders after %d checkouts", got, n)
	}

	// The storm, with the chaos.
	t0 = time.Now()
	st := storm(t, pool, srvs, sysID, orders, seed)
	stormTime := time.Since(t0)
	if st.err != nil {
		t.Fatal(st.err)
	}

	// Wait until everything the storm caused has settled: every order decided, every e-mail sent.
	t0 = time.Now()
	waitSettled(t, pool, n, 3*time.Minute+time.Duration(n)*60*time.Millisecond)
	settle := time.Since(t0)

	checks := []struct {
		name  string
		query string
		want  int
	}{
		{"Orders", `SELECT count(*) FROM orders`, n},
		{"CompletedOrders", `SELECT count(*) FROM orders WHERE status = 'completed'`, n},
		{"SucceededPayments", `SELECT count(*) FROM payments WHERE status = 'succeeded'`, n},
		{"Payments", `SELECT count(*) FROM payments`, n},
		{"Grants", `SELECT count(*) FROM access_grants WHERE revoked_at IS NULL`, n},
		{"AllGrants", `SELECT count(*) FROM access_grants`, n},
		{"OrderGrants", `SELECT count(*) FROM order_grants`, n},
		{"Completions", `SELECT count(*) FROM order_events WHERE kind = 'order.completed'`, n},
		{"Payers", `SELECT count(*) FROM contacts`, n},
		{"Exceptions", `SELECT count(*) FROM payment_exceptions`, 0},
		{"StoredEvents", `SELECT count(*) FROM gateway_events`, n},
		{"DistinctEvents", `SELECT count(DISTINCT (payment_system_id, event_id)) FROM gateway_events`, n},
		{"CompletingEvents", `SELECT count(*) FROM gateway_events WHERE processed_at IS NOT NULL AND result = 'completed'`, n},
		{"Emails", `SELECT count(*) FROM outbound_emails`, n},
		{"SentEmails", `SELECT count(*) FROM outbound_emails WHERE status = 'sent'`, n},
	}
	for _, c := range checks {
		if got := count(t, pool, c.query); got != c.want {
			t.Errorf("%s: %d, want %d (%s)", c.name, got, c.want, c.query)
		}
	}
	in := ib.counts()
	var lost, doubled []string
	for _, o := range orders {
		switch ib.has(o.payer) {
		case 0:
			lost = append(lost, o.payer)
		case 1:
		default:
			doubled = append(doubled, o.payer)
		}
	}
	if len(lost) > 0 || len(doubled) > 0 || in.Distinct != n || in.Recipients != n || in.NoID != 0 {
		t.Errorf("SMTP server: %d distinct Message-IDs for %d recipients, want %d and %d; %d payers got none %v, "+
			"%d got several distinct ones %v; %d messages without a Message-ID",
			in.Distinct, in.Recipients, n, n, len(lost), first(lost, 5), len(doubled), first(doubled, 5), in.NoID)
	}
	resends := outboxResends(t, pool)
	rescued := count(t, pool, `SELECT count(*) FROM river_job WHERE kind = 'notify.email' AND errors::text LIKE '%rescued%'`)
	retriedJobs := count(t, pool, `SELECT count(*) FROM river_job WHERE kind = 'notify.email' AND attempt > 1`)
	maxAttempt := count(t, pool, `SELECT coalesce(max(attempt), 0) FROM river_job WHERE kind = 'notify.email'`)
	kills := 0
	for _, s := range srvs {
		kills += s.kills
	}
	summary := fmt.Sprintf("chaos: N=%d servers=%d orders=%d completed=%d grants=%d exceptions=%d events=%d "+
		"deliveries=%d (retried %d: %d connection errors, %d 5xx; gave up %d) kills=%d db_terminations=%d "+
		"(backends %d) smtp_refused=%d emails=%d (accepted %d, resends %d; outbox resends %s; e-mail jobs retried %d, rescued %d, most attempts %d) "+
		"lost=%d doubled=%d time: open %s, storm %s, settle %s, total %s seed=%d",
		n, servers, count(t, pool, `SELECT count(*) FROM orders`),
		count(t, pool, `SELECT count(*) FROM orders WHERE status = 'completed'`),
		count(t, pool, `SELECT count(*) FROM access_grants WHERE revoked_at IS NULL`),
		count(t, pool, `SELECT count(*) FROM payment_exceptions`),
		count(t, pool, `SELECT count(*) FROM gateway_events`),
		st.delivered, st.connErrors+st.serverErrors, st.connErrors, st.serverErrors, st.gaveUp, kills,
		st.terminations, st.backends, in.Refused, in.Distinct, in.Accepted, in.Resends, resends, retriedJobs, rescued, maxAttempt, len(lost), len(doubled), opened.Round(time.Millisecond), stormTime.Round(time.Millisecond),
		settle.Round(time.Millisecond), time.Since(began).Round(time.Second), seed)
	t.Logf("the e-mails that took longest:\n%s", lastEmails(t, pool, 3))
	t.Log(summary)
	fmt.Println(summary)
}

// openHarnessPool is the harness's own pool on the database, named so the terminations spare it.
func openHarnessPool(t *testing.T, dbURL string) *pgxpool.Pool {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("application_name", harnessApp)
	u.RawQuery = q.Encode()
	pool, err := db.Open(context.Background(), u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// apiKey creates an API key with the binary's CLI.
func apiKey(t *testing.T, bin string, env []string) string {
	t.Helper()
	cmd := exec.Command(bin, "apikey", "create", "--name", "chaos harness")
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("bursar apikey create: %v\n%s", err, stderr.String())
	}
	lines := strings.Fields(strings.TrimSpace(string(out)))
	if len(lines) == 0 {
		t.Fatal("bursar apikey create printed no key")
	}
	return lines[len(lines)-1]
}

// setUpSchool creates, through the API of s, a Stripe payment system with a webhook secret, a product and a
// published offer that visitors may pay without signing in. It returns the system's id and the offer's slug.
func setUpSchool(t *testing.T, s *server, key string) (int64, string) {
	t.Helper()
	sys := apiPost(t, s, key, "/api/v1/payment-systems", map[string]any{"type": "stripe", "name": "Cards",
		"mode": "test", "credentials": map[string]string{"secret_key": "sk_test_chaos", "webhook_secret": webhookSecret}})
	prod := apiPost(t, s, key, "/api/v1/products", map[string]any{"name": "Chaos course", "kind": "course"})
	const slug = "chaos-course"
	apiPost(t, s, key, "/api/v1/offers", map[string]any{"title": "Chaos course", "slug": slug, "status": "published",
		"amount": 4900, "currency": "EUR", "product_ids": []int64{id(prod)}, "payment_system_ids": []int64{id(sys)},
		"guest_checkout": true, "contact": map[string]string{"email": "hello@chaos.example.org"}})
	return id(sys), slug
}

func id(obj map[string]any) int64 {
	f, _ := obj["id"].(float64)
	return int64(f)
}

func apiPost(t *testing.T, s *server, key, path string, body any) map[string]any {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, "http://"+s.addr+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("POST %s: %d %s", path, res.StatusCode, raw)
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil || id(out) == 0 {
		t.Fatalf("POST %s: %s", path, raw)
	}
	return out
}

var formTokenRE = regexp.MustCompile(`name="form_token" value="([^"]+)"`)

// openOrders has n visitors pay the offer through the real checkout (GET the pay page, POST it, follow nothing:
// the answer is the redirect to the gateway's page). Visitors come from different loopback addresses, perAddress
// each, so the per-address limit on public form posts is respected as real visitors would.
func openOrders(t *testing.T, srvs []*server, gw *stripeGateway, sysID int64, slug string, n int) []paidOrder {
	t.Helper()
	pay := fmt.Sprintf("/o/%s/pay?system=%d", slug, sysID)
	orders := make([]paidOrder, n)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	next := make(chan int)
	for range openers {
		wg.Go(func() {
			for i := range next {
				o, err := checkout(srvs[i%len(srvs)], visitorAddr(i), pay, gw)
				if err != nil {
					mu.Lock()
					errs = append(errs, fmt.Errorf("visitor %d: %w", i, err))
					mu.Unlock()
					continue
				}
				o.payer = fmt.Sprintf("payer%06d@chaos.example.org", i)
				o.body = paidEvent(fmt.Sprintf("evt_chaos%06d", i), o.sess, o.payer)
				orders[i] = o
			}
		})
	}
	for i := range n {
		mu.Lock()
		failed := len(errs) > 0
		mu.Unlock()
		if failed {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d checkouts failed; first: %v", len(errs), errs[0])
	}
	return orders
}

// visitorAddr is visitor i's loopback address: 127.0.x.y, perAddress visitors each.
func visitorAddr(i int) net.IP {
	k := i / perAddress
	return net.IPv4(127, 0, byte(k/250), byte(2+k%250))
}

// checkout is one visitor paying: the pay page, then its form posted.
func checkout(s *server, from net.IP, pay string, gw *stripeGateway) (paidOrder, error) {
	jar, _ := cookiejar.New(nil)
	tr := &http.Transport{DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: from}}).DialContext}
	defer tr.CloseIdleConnections()
	c := &http.Client{Jar: jar, Transport: tr, Timeout: time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	base := "http://" + s.addr
	res, err := c.Get(base + pay)
	if err != nil {
		return paidOrder{}, err
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := formTokenRE.FindSubmatch(page)
	if res.StatusCode != http.StatusOK || m == nil {
		return paidOrder{}, fmt.Errorf("GET %s on %s: %d, no form token", pay, s.name, res.StatusCode)
	}
	res, err = c.PostForm(base+pay, url.Values{"form_token": {string(m[1])}})
	if err != nil {
		return paidOrder{}, err
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "https://checkout.stripe.com/c/pay/") {
		return paidOrder{}, fmt.Errorf("POST %s on %s: %d to %q: %.300s", pay, s.name, res.StatusCode, loc, body)
	}
	sess, ok := gw.lookup(loc[strings.LastIndex(loc, "/")+1:])
	if !ok {
		return paidOrder{}, fmt.Errorf("POST %s on %s: redirected to %q, a session the gateway never created", pay, s.name, loc)
	}
	return paidOrder{sess: sess}, nil
}

// stormResult is what the storm did.
type stormResult struct {
	delivered    int64 // deliveries answered 200
	connErrors   int64
	serverErrors int64
	gaveUp       int64
	terminations int   // rounds of pg_terminate_backend
	backends     int64 // connections terminated in all
	err          error // the first unexpected answer, or a chaos action that failed
}

// storm delivers every order's event copies times, shuffled, from senders concurrent senders spread over the
// servers; a delivery that fails with a connection error or a 5xx is retried on the next server, as a gateway
// retries. At 30 % of the deliveries the last server is SIGKILLed and restarted; at 50 % and 75 % every database
// connection of the servers is terminated.
func storm(t *testing.T, pool *pgxpool.Pool, srvs []*server, sysID int64, orders []paidOrder, seed uint64) stormResult {
	t.Helper()
	type delivery struct {
		n    int
		body []byte
	}
	queue := make([]delivery, 0, len(orders)*copies)
	for _, o := range orders {
		for range copies {
			queue = append(queue, delivery{body: o.body})
		}
	}
	rng := mrand.New(mrand.NewPCG(seed, 0xc4a05))
	rng.Shuffle(len(queue), func(i, j int) { queue[i], queue[j] = queue[j], queue[i] })
	for i := range queue {
		queue[i].n = i
	}

	var (
		res     stormResult
		errOnce sync.Once
		done    atomic.Int64
	)
	fail := func(err error) { errOnce.Do(func() { res.err = err }) }
	total := int64(len(queue))
	const (
		actKill = iota
		actTerminate
	)
	milestones := map[int64]int{total * 30 / 100: actKill, total * 50 / 100: actTerminate, total * 75 / 100: actTerminate}
	actions := make(chan int, len(milestones))
	chaosDone := make(chan struct{})
	go func() {
		defer close(chaosDone)
		for a := range actions {
			switch a {
			case actKill:
				victim := srvs[len(srvs)-1]
				if err := victim.kill(); err != nil {
					fail(fmt.Errorf("SIGKILL %s: %w", victim.name, err))
					continue
				}
				if err := victim.start(); err != nil {
					fail(fmt.Errorf("restart %s after SIGKILL: %w", victim.name, err))
				}
			case actTerminate:
				var k int64
				err := pool.QueryRow(context.Background(), `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
					WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
					AND application_name <> $1`, harnessApp).Scan(&k)
				if err != nil {
					fail(fmt.Errorf("terminate the servers' connections: %w", err))
					continue
				}
				res.terminations++
				res.backends += k
			}
		}
	}()

	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: senders}}
	var delivered, connErrs, serverErrs, gaveUp atomic.Int64
	work := make(chan delivery)
	var wg sync.WaitGroup
	for range senders {
		wg.Go(func() {
			for d := range work {
				for attempt := 0; ; attempt++ {
					if attempt == maxAttempts {
						gaveUp.Add(1)
						fail(fmt.Errorf("delivery %d given up after %d attempts", d.n, maxAttempts))
						break
					}
					if attempt > 0 { // a gateway's retry schedule, much compressed
						time.Sleep(min(50*time.Millisecond<<min(attempt-1, 5), time.Second))
					}
					s := srvs[(d.n+attempt)%len(srvs)]
					req, _ := http.NewRequest(http.MethodPost, fmt.Sprintf("http://%s/webhooks/%d", s.addr, sysID),
						bytes.NewReader(d.body))
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("Stripe-Signature", stripeSignature(webhookSecret, time.Now(), d.body))
					r, err := client.Do(req)
					if err != nil {
						connErrs.Add(1)
						continue
					}
					body, _ := io.ReadAll(io.LimitReader(r.Body, 4096))
					r.Body.Close()
					if r.StatusCode >= 500 {
						serverErrs.Add(1)
						continue
					}
					if r.StatusCode != http.StatusOK {
						fail(fmt.Errorf("delivery %d to %s: %d %s", d.n, s.name, r.StatusCode, body))
						break
					}
					delivered.Add(1)
					if a, ok := milestones[done.Add(1)]; ok {
						actions <- a
					}
					break
				}
			}
		})
	}
	for _, d := range queue {
		work <- d
	}
	close(work)
	wg.Wait()
	close(actions)
	<-chaosDone
	res.delivered, res.connErrors, res.serverErrors, res.gaveUp = delivered.Load(), connErrs.Load(), serverErrs.Load(), gaveUp.Load()
	if res.err == nil && res.delivered != total {
		res.err = fmt.Errorf("%d of %d deliveries answered 200", res.delivered, total)
	}
	return res
}

// waitSettled polls until every order is completed and every e-mail is sent with no e-mail job left, or fails with
// what is still pending. The deadline is within, extended to follow River's retry schedule (an e-mail job that
// failed k times — refused by the SMTP server, cut off by a terminated connection, rescued after the SIGKILL — waits
// about k⁴ seconds before its next try): while a job is scheduled to run again, the wait lasts until a minute after
// that, up to maxSettle in all.
func waitSettled(t *testing.T, pool *pgxpool.Pool, n int, within time.Duration) {
	t.Helper()
	const (
		kind      = "notify.email" // notify.EmailArgs.Kind
		maxSettle = 12 * time.Minute
	)
	start := time.Now()
	deadline := start.Add(within)
	for {
		var completed, emails, unsent, failed, jobs int
		var nextRun float64 // seconds until the last scheduled e-mail job is due
		err := pool.QueryRow(context.Background(), `SELECT
			(SELECT count(*) FROM orders WHERE status = 'completed'),
			(SELECT count(*) FROM outbound_emails),
			(SELECT count(*) FROM outbound_emails WHERE status <> 'sent'),
			(SELECT count(*) FROM outbound_emails WHERE status = 'failed'),
			(SELECT count(*) FROM river_job WHERE kind = $1 AND state NOT IN ('completed', 'cancelled', 'discarded')),
			(SELECT coalesce(extract(epoch FROM max(scheduled_at) - now()), 0) FROM river_job
				WHERE kind = $1 AND state IN ('available', 'scheduled', 'retryable'))`,
			kind).Scan(&completed, &emails, &unsent, &failed, &jobs, &nextRun)
		if err != nil {
			t.Fatalf("poll: %v", err)
		}
		if failed > 0 {
			t.Fatalf("%d e-mails failed for good:\n%s", failed, breakdown(t, pool))
		}
		if completed >= n && emails >= n && unsent == 0 && jobs == 0 {
			return
		}
		if due := time.Now().Add(time.Duration(nextRun*float64(time.Second)) + time.Minute); due.After(deadline) {
			deadline = due
			if limit := start.Add(maxSettle); deadline.After(limit) {
				deadline = limit
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("not settled after %s: %d of %d orders completed, %d e-mails, %d not sent, %d e-mail jobs "+
				"pending\n%s", time.Since(start).Round(time.Second), completed, n, emails, unsent, jobs, breakdown(t, pool))
		}
		time.Sleep(250 * time.Millisecond) // polling a condition with a deadline
	}
}

// breakdown is the outbox and the e-mail jobs by state, for a failure message.
func breakdown(t *testing.T, pool *pgxpool.Pool) string {
	t.Helper()
	var b strings.Builder
	for _, q := range []string{
		`SELECT 'outbox ' || status, count(*) FROM outbound_emails GROUP BY 1 ORDER BY 1`,
		`SELECT 'job ' || state || ' attempt ' || attempt, count(*) FROM river_job WHERE kind = 'notify.email' GROUP BY 1 ORDER BY 1`,
		`SELECT 'order ' || status, count(*) FROM orders GROUP BY 1 ORDER BY 1`,
	} {
		rows, err := pool.Query(context.Background(), q)
		if err != nil {
			fmt.Fprintf(&b, "%s: %v\n", q, err)
			continue
		}
		for rows.Next() {
			var k string
			var v int
			if err := rows.Scan(&k, &v); err == nil {
				fmt.Fprintf(&b, "  %s: %d\n", k, v)
			}
		}
		rows.Close()
	}
	rows, err := pool.Query(context.Background(), `SELECT id, state, attempt, scheduled_at, attempted_by,
		coalesce((SELECT string_agg(e->>'at' || ' attempt ' || (e->>'attempt') || ': ' || (e->>'error'), E'\n      ')
			FROM unnest(errors) AS e), '')
		FROM river_job WHERE kind = 'notify.email' AND state NOT IN ('completed', 'cancelled') ORDER BY id LIMIT 20`)
	if err != nil {
		fmt.Fprintf(&b, "unfinished e-mail jobs: %v\n", err)
		return b.String()
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id, attempt int64
			state, errs string
			at          time.Time
			by          []string
		)
		if err := rows.Scan(&id, &state, &attempt, &at, &by, &errs); err != nil {
			fmt.Fprintf(&b, "unfinished e-mail jobs: %v\n", err)
			break
		}
		fmt.Fprintf(&b, "  job %d %s attempt %d, scheduled %s, attempted by %v:\n      %s\n", id, state, attempt,
			at.Format(time.RFC3339), by, errs)
	}
	return b.String()
}

// lastEmails describes the k e-mail jobs that finished last, with their attempts: what the settle time waited for.
func lastEmails(t *testing.T, pool *pgxpool.Pool, k int) string {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT id, attempt, created_at, finalized_at,
		coalesce((SELECT string_agg(to_char((e->>'at')::timestamptz, 'HH24:MI:SS') || ' attempt ' || (e->>'attempt') ||
			': ' || left(e->>'error', 120), E'\n      ') FROM unnest(errors) AS e), '')
		FROM river_job WHERE kind = 'notify.email' AND finalized_at IS NOT NULL ORDER BY finalized_at DESC LIMIT $1`, k)
	if err != nil {
		return err.Error()
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var (
			id, attempt    int64
			created, final time.Time
			errs           string
		)
		if err := rows.Scan(&id, &attempt, &created, &final, &errs); err != nil {
			return err.Error()
		}
		fmt.Fprintf(&b, "  job %d: created %s, done %s after %d attempts\n      %s\n", id, created.Format("15:04:05"),
			final.Format("15:04:05"), attempt, errs)
	}
	return b.String()
}

// outboxResends is the outbox's own count of maybe-sent attempts sent again, or "n/a" before the outbox counts
// them.
func outboxResends(t *testing.T, pool *pgxpool.Pool) string {
	t.Helper()
	var n int64
	err := pool.QueryRow(context.Background(), `SELECT coalesce(sum(resends), 0) FROM outbound_emails`).Scan(&n)
	if err != nil {
		return "n/a"
	}
	return strconv.FormatInt(n, 10)
}

func count(t *testing.T, pool *pgxpool.Pool, q string) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), q).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func first(s []string, k int) []string { return s[:min(len(s), k)] }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
