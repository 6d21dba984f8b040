package order

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/order/orderq"
)

// Check is what asking the gateway about one payment attempt came to.
type Check struct {
	PaymentID int64
	Ref       string // the attempt's gateway reference
	System    string // the payment system's name
	// Kind is the gateway's answer ("" when it could not be asked).
	Kind gateway.EventKind
	// Result is what applying the answer did: an Outcome's Result, ResultDuplicate when the gateway said what it
	// said at an earlier re-check ("" when it could not be asked).
	Result string
	// Err says why the gateway could not be asked: it wraps gateway.ErrUnsupported (this gateway cannot be asked),
	// gateway.ErrUnavailable (try again later), or is the gateway's refusal. It is never a database error: those
	// are Recheck's own error.
	Err error
}

// Unsupported reports whether the gateway cannot be asked about payments at all.
func (c Check) Unsupported() bool { return errors.Is(c.Err, gateway.ErrUnsupported) }

// Unavailable reports whether the gateway could not be reached (asking again later may work).
func (c Check) Unavailable() bool { return errors.Is(c.Err, gateway.ErrUnavailable) }

// Changed reports whether the answer changed the attempt or the order (a new state applied, or an exception).
func (c Check) Changed() bool { return c.Err == nil && c.Result != "" && c.Result != ResultDuplicate }

// Recheckable lists the attempts of o that a re-check asks the gateway about: those still pending or processing
// with a gateway reference, while o is open.
func Recheckable(o Order) []Payment {
	out := []Payment{}
	if o.Status != StatusOpen {
		return out
	}
	for _, p := range o.Payments {
		if p.GatewayRef != "" && (p.Status == PaymentPending || p.Status == PaymentProcessing) {
			out = append(out, p)
		}
	}
	return out
}

// Recheck asks the gateway about every attempt of open order orderID that is still pending or processing and has a
// gateway reference, and applies each answer as the gateway's notification would be applied (Ingest), under the
// synthetic event id "status:<ref>:<kind>": a re-check finding what an earlier one found is a duplicate and does
// nothing, one finding the attempt paid completes the order exactly once even if the webhook arrives too. It returns
// one Check per attempt, oldest first; a gateway that cannot be asked or reached is reported in its Check, not as
// an error. An order that is not open is ErrNotOpen.
func (s *Service) Recheck(ctx context.Context, orderID int64) ([]Check, error) {
	return s.recheck(ctx, orderID, s.deps.Gateways)
}

// recheck is Recheck asking via.
func (s *Service) recheck(ctx context.Context, orderID int64, via StatusAsker) ([]Check, error) {
	o, err := getOrder(ctx, s.db, orderID)
	if err != nil {
		return nil, err
	}
	if o.Status != StatusOpen {
		return nil, stateError(o, ErrNotOpen)
	}
	out := []Check{}
	for _, p := range Recheckable(o) {
		if err := orderq.New(s.db).PaymentMarkChecked(ctx, p.ID); err != nil {
			return out, fmt.Errorf("payment %d checked: %w", p.ID, err)
		}
		c, err := s.ask(ctx, p, via)
		if err != nil {
			return out, err
		}
		out = append(out, c)
	}
	return out, nil
}

// statusBody is what a re-check stores as the raw "notification": the gateway's answer, normalized.
type statusBody struct {
	Source    string `json:"source"`
	PaymentID int64  `json:"payment_id"`
	Ref       string `json:"ref"`
	AltRef    string `json:"alt_ref,omitempty"`
	Type      string `json:"type"`
	Kind      string `json:"kind"`
	OrderID   int64  `json:"order_id,omitempty"`
	Amount    int64  `json:"amount"`
	Currency  string `json:"currency,omitempty"`
	Asked     string `json:"asked_at"`
}

// ask asks the gateway about attempt p and applies the answer.
func (s *Service) ask(ctx context.Context, p Payment, via StatusAsker) (Check, error) {
	sys, err := s.deps.Systems.Get(ctx, p.PaymentSystemID)
	if err != nil {
		return Check{}, fmt.Errorf("payment system of payment %d: %w", p.ID, err)
	}
	c := Check{PaymentID: p.ID, Ref: p.GatewayRef, System: sys.Name}
	if sys.Type == gateway.TypeManual {
		c.Err = fmt.Errorf("%s is a manual payment system: %w", sys.Name, gateway.ErrUnsupported)
		return c, nil
	}
	ev, err := via.Status(ctx, sys, p.GatewayRef)
	if err != nil {
		c.Err = err
		return c, nil
	}
	echoed := ev.OrderID
	// The answer is about the attempt asked about, whatever the gateway echoes: it is applied to that attempt and
	// its order (a paid answer for another amount or currency still becomes an exception there).
	ev.Ref, ev.OrderID = p.GatewayRef, p.OrderID
	ev.ID = fmt.Sprintf("status:%s:%s", p.GatewayRef, ev.Kind)
	if ev.Type == "" {
		ev.Type = "status"
	}
	body, err := json.Marshal(statusBody{Source: "status_check", PaymentID: p.ID, Ref: p.GatewayRef, AltRef: ev.AltRef,
		Type: ev.Type, Kind: string(ev.Kind), OrderID: echoed, Amount: ev.Amount.Amount, Currency: ev.Amount.Currency,
		Asked: time.Now().UTC().Format(time.RFC3339)})
	if err != nil {
		return c, fmt.Errorf("status body: %w", err)
	}
	out, err := s.Ingest(ctx, sys, ev, body)
	if err != nil {
		return c, fmt.Errorf("apply status of payment %d: %w", p.ID, err)
	}
	c.Kind, c.Result = ev.Kind, out.Result
	return c, nil
}

// Defaults of RecheckConfig.
const (
	DefaultRecheckAfter = 30 * time.Minute
	DefaultRecheckEvery = 5 * time.Minute
	DefaultRecheckBatch = 50
)

// RecheckConfig tunes the periodic re-check; the zero value is production's.
type RecheckConfig struct {
	// After is how long an attempt stays pending or processing before the job asks the gateway about it
	// (BURSAR_RECHECK_AFTER; DefaultRecheckAfter when 0).
	After time.Duration
	// Every is how often the job runs; each attempt is asked about at most once per Every (DefaultRecheckEvery).
	Every time.Duration
	// Batch bounds how many attempts one run asks about (DefaultRecheckBatch).
	Batch int
}

// WithDefaults fills in unset values.
func (c RecheckConfig) WithDefaults() RecheckConfig {
	if c.After <= 0 {
		c.After = DefaultRecheckAfter
	}
	if c.Every <= 0 {
		c.Every = DefaultRecheckEvery
	}
	if c.Batch <= 0 {
		c.Batch = DefaultRecheckBatch
	}
	return c
}

// RecheckSummary is what one run of the periodic re-check did.
type RecheckSummary struct {
	Asked       int // attempts the gateway was asked about
	Changed     int // answers that changed an attempt or an order
	Unavailable int // the gateway could not be reached
	Refused     int // the gateway refused the question, or cannot be asked
}

// RecheckStale asks the gateways about attempts of open orders pending or processing for longer than cfg.After and
// not asked about in the last cfg.Every, at most cfg.Batch of them, oldest question first. Each is claimed (its
// last_checked_at set) before it is asked about, so runs in several processes never ask about the same attempt in
// the same interval.
func (s *Service) RecheckStale(ctx context.Context, cfg RecheckConfig) (RecheckSummary, error) {
	return s.recheckStale(ctx, s.deps.Gateways, cfg)
}

// recheckStale is RecheckStale asking via.
func (s *Service) recheckStale(ctx context.Context, via StatusAsker, cfg RecheckConfig) (RecheckSummary, error) {
	cfg = cfg.WithDefaults()
	var sum RecheckSummary
	now := time.Now()
	rows, err := orderq.New(s.db).PaymentsClaimRecheck(ctx, orderq.PaymentsClaimRecheckParams{
		CreatedBefore: now.Add(-cfg.After), CheckedBefore: now.Add(-cfg.Every), Lim: int32(cfg.Batch)})
	if err != nil {
		return sum, fmt.Errorf("claim payments to re-check: %w", err)
	}
	for _, r := range rows {
		if err := ctx.Err(); err != nil {
			return sum, err // the rest wait for the next interval
		}
		o, err := getOrder(ctx, s.db, r.OrderID)
		if err != nil {
			return sum, err
		}
		p, ok := paymentByID(o, r.ID)
		if !ok || o.Status != StatusOpen || (p.Status != PaymentPending && p.Status != PaymentProcessing) {
			continue // decided between the claim and now
		}
		c, err := s.ask(ctx, p, via)
		if err != nil {
			return sum, err
		}
		sum.Asked++
		switch {
		case c.Unavailable():
			sum.Unavailable++
		case c.Err != nil:
			sum.Refused++
		case c.Changed():
			sum.Changed++
		}
	}
	return sum, nil
}

// RecheckArgs is the periodic River job that re-checks gateway payment attempts left pending (see RecheckStale) and
// settles refunds left pending (see SettleRefunds).
type RecheckArgs struct{}

// Kind names the job in River's table.
func (RecheckArgs) Kind() string { return "order.recheck" }

// InsertOpts are the job's defaults: one attempt, since the next interval's run is the retry.
func (RecheckArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 1} }

// RecheckWorker works RecheckArgs jobs.
type RecheckWorker struct {
	river.WorkerDefaults[RecheckArgs]
	svc *Service
	cfg RecheckConfig
	log *slog.Logger
}

// NewRecheckWorker returns the re-check worker of svc, asking the gateways svc was given.
func NewRecheckWorker(svc *Service, cfg RecheckConfig, log *slog.Logger) *RecheckWorker {
	return &RecheckWorker{svc: svc, cfg: cfg.WithDefaults(), log: log}
}

// Register adds the worker to River's registry (internal/jobs calls it).
func (w *RecheckWorker) Register(ws *river.Workers) error { return river.AddWorkerSafely(ws, w) }

// PeriodicJob is the job's schedule: every cfg.Every, enqueued by whichever process River elected leader. Add it
// to the working client's PeriodicJobs.
func (w *RecheckWorker) PeriodicJob() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(w.cfg.Every),
		func() (river.JobArgs, *river.InsertOpts) { return RecheckArgs{}, nil },
		&river.PeriodicJobOpts{ID: RecheckArgs{}.Kind()})
}

// Timeout bounds a run to one interval: what it did not reach is claimed again by the next run.
func (w *RecheckWorker) Timeout(*river.Job[RecheckArgs]) time.Duration { return w.cfg.Every }

// Work re-checks one batch of stale attempts and settles one batch of pending refunds, as the system.
func (w *RecheckWorker) Work(ctx context.Context, _ *river.Job[RecheckArgs]) error {
	sum, err := w.svc.RecheckStale(systemCtx(ctx), w.cfg)
	if err != nil {
		return err
	}
	level := slog.LevelDebug
	if sum.Changed > 0 || sum.Unavailable > 0 || sum.Refused > 0 {
		level = slog.LevelInfo
	}
	w.log.Log(ctx, level, "payments re-checked", "asked", sum.Asked, "changed", sum.Changed,
		"unavailable", sum.Unavailable, "refused", sum.Refused)
	rs, err := w.svc.SettleRefunds(systemCtx(ctx), w.cfg)
	if err != nil {
		return err
	}
	if rs != (RefundSettlement{}) {
		w.log.Log(ctx, slog.LevelInfo, "pending refunds settled", "asked", rs.Asked, "recorded", rs.Recorded,
			"unavailable", rs.Unavailable, "handed_over", rs.HandedOver)
	}
	return nil
}

// GatewayEvent is a gateway notification stored for an order, verbatim, with what applying it did (a status
// re-check is stored the same way, its body being the gateway's answer as Bursar read it).
type GatewayEvent struct {
	ID              int64
	PaymentSystemID int64
	EventID         string // the gateway's id ("status:<ref>:<kind>" for a re-check)
	Type            string // the gateway's event type
	Kind            gateway.EventKind
	Result          string // what applying it did; ResultApplyFailed while it has not applied (ReplayEvent)
	Body            string // as received
	ReceivedAt      time.Time
	ProcessedAt     *time.Time
	Failures        int        // how many times applying it failed (it may have applied since)
	FailedAt        *time.Time // when applying it last failed
}

// MaxGatewayEvents bounds how many of an order's notifications GatewayEvents returns.
const MaxGatewayEvents = 200

// GatewayEvents returns order id's stored gateway notifications and re-checks, newest first (at most
// MaxGatewayEvents).
func (s *Service) GatewayEvents(ctx context.Context, id int64) ([]GatewayEvent, error) {
	rows, err := orderq.New(s.db).GatewayEventsOfOrder(ctx, orderq.GatewayEventsOfOrderParams{OrderID: &id,
		Lim: MaxGatewayEvents})
	if err != nil {
		return nil, fmt.Errorf("gateway events of order %d: %w", id, err)
	}
	out := make([]GatewayEvent, 0, len(rows))
	for _, r := range rows {
		out = append(out, gatewayEventOf(r))
	}
	return out, nil
}
