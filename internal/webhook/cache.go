package webhook

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sync"
	"time"

	"github.com/bursar/bursar/internal/events"
)

// Channel is the PostgreSQL channel the endpoints' trigger notifies when a transaction changing which endpoints
// receive which types commits (migrations/00030_webhooks.sql).
const Channel = "bursar_webhooks"

// subscriptions caches the types some enabled endpoint receives, for EmitTx. It is live only while this process
// listens on Channel and has read the types since the listener connected: otherwise EmitTx reads them itself. A
// change committed elsewhere reaches the cache when its notification arrives (a moment after the commit); one
// made by this process's Service is in its cache as soon as the call returns.
type subscriptions struct {
	mu    sync.RWMutex
	types map[events.Type]bool
	live  bool
	gen   uint64        // bumped by every invalidation: a read begun before one is not stored after it
	ready chan struct{} // closed the first time the cache goes live
	once  sync.Once
	syncs map[string]chan struct{}
}

func newSubscriptions() *subscriptions {
	return &subscriptions{ready: make(chan struct{}), syncs: map[string]chan struct{}{}}
}

// subscribed returns the cached types and whether they can be trusted.
func (c *subscriptions) subscribed() (map[events.Type]bool, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.types, c.live
}

// invalidate stops trusting the cache until the next store; it returns the generation a read should store with.
func (c *subscriptions) invalidate(listening bool) uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.live = false
	if !listening {
		c.types = nil
	}
	return c.gen
}

// store keeps types read at generation gen, unless the cache was invalidated since; listening makes it live.
func (c *subscriptions) store(gen uint64, types map[events.Type]bool, listening bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	c.types, c.live = types, listening
	if listening {
		c.once.Do(func() { close(c.ready) })
	}
}

// Ready is closed once the cache of subscribed types first goes live (Run's listener connected and the types
// read): tests wait on it instead of sleeping.
func (s *Service) Ready() <-chan struct{} { return s.subs.ready }

// refresh re-reads the subscribed types after this process changed them. Only a live cache is refreshed: the
// listener re-reads when it connects.
func (s *Service) refresh(ctx context.Context) {
	s.listenMu.Lock()
	listening := s.listening
	s.listenMu.Unlock()
	if !listening {
		return
	}
	gen := s.subs.invalidate(true)
	types, err := subscribedTypes(ctx, s.db)
	if err != nil {
		s.log.Warn("webhook subscriptions not refreshed; read per event until the next notification", "err", err)
		return
	}
	s.subs.store(gen, types, true)
}

// Run keeps the cache of subscribed types fresh until ctx ends: it listens on Channel (re-reading the types at each
// notification) and re-reads them every Config.Refresh as a safety net, reconnecting with a growing pause after
// failures. While it is not connected EmitTx reads the subscriptions itself.
func (s *Service) Run(ctx context.Context) {
	go func() {
		t := time.NewTicker(s.cfg.Refresh)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				s.refresh(ctx)
			}
		}
	}()
	pause := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := s.listen(ctx)
		s.setListening(false)
		s.subs.invalidate(false)
		if ctx.Err() != nil {
			return
		}
		s.log.Warn("webhook subscriptions listener lost; events read the subscriptions until it is back", "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(pause):
		}
		pause = min(pause*2, 10*time.Second)
	}
}

func (s *Service) setListening(v bool) {
	s.listenMu.Lock()
	s.listening = v
	s.listenMu.Unlock()
}

func (s *Service) listen(ctx context.Context) error {
	pc, err := s.db.Acquire(ctx)
	if err != nil {
		return err
	}
	// The connection carries a LISTEN: it leaves the pool and is closed at the end.
	conn := pc.Hijack()
	defer conn.Close(context.WithoutCancel(ctx)) //nolint:errcheck
	if _, err := conn.Exec(ctx, "LISTEN "+Channel); err != nil {
		return err
	}
	s.setListening(true)
	load := func() error {
		gen := s.subs.invalidate(true)
		types, err := subscribedTypes(ctx, conn)
		if err != nil {
			return err
		}
		s.subs.store(gen, types, true)
		return nil
	}
	if err := load(); err != nil {
		return err
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		if n.Payload != "" {
			s.subs.mu.Lock()
			if ch, ok := s.subs.syncs[n.Payload]; ok {
				close(ch)
				delete(s.subs.syncs, n.Payload)
			}
			s.subs.mu.Unlock()
			continue
		}
		if err := load(); err != nil {
			return err
		}
	}
}

// Sync returns once this process's listener has handled every change to the endpoints committed before the call:
// it sends a marker through Channel and waits for it (notifications arrive in commit order), sending it again every
// 100 ms in case the listener was not yet listening. Tests use it instead of sleeping; it fails with ctx.
func (s *Service) Sync(ctx context.Context) error {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	token := "sync:" + hex.EncodeToString(b)
	ch := make(chan struct{})
	s.subs.mu.Lock()
	s.subs.syncs[token] = ch
	s.subs.mu.Unlock()
	defer func() {
		s.subs.mu.Lock()
		delete(s.subs.syncs, token)
		s.subs.mu.Unlock()
	}()
	resend := time.NewTicker(100 * time.Millisecond)
	defer resend.Stop()
	for {
		if _, err := s.db.Exec(ctx, "SELECT pg_notify($1, $2)", Channel, token); err != nil {
			return err
		}
		select {
		case <-ch:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		case <-resend.C:
		}
	}
}
