package access

import (
	"context"
	"fmt"
	"github.com/bursar/bursar/internal/events"
	"strconv"
	"strings"
	"time"

	"github.com/bursar/bursar/internal/access/accessq"
	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/crm"
	"github.com/bursar/bursar/internal/db"
)

// GrantManyTx is GrantTx for a batch of requests (an import's rows) inside the caller's transaction, in a handful
// of statements whatever the batch's size: the pairs' locks (taken in (contact, product) order), the grants in force
// read, the new grants inserted, the extended ones updated, the timeline lines and the audit entries, one statement
// each. GrantTx's rules hold for each pair of contact and product: a pair in force already is extended to the later
// end (forever wins), never granted twice; otherwise one grant is made, starting at its request's StartsAt (now when
// nil). A pair asked for several times in ns (one person's several purchases of a product) gets one grant, or one
// extension, to the latest end they ask, with one timeline line and audit entry. The grants come back in ns's
// order, with created true on the request that made a new grant (a pair's first) and false otherwise. The first
// bad request is the error (its index named), nothing written. access.granted (each grant made or extended) is
// added to evs, for the caller to emit with the rest of its batch.
func (s *Service) GrantManyTx(ctx context.Context, tx db.DBTX, ns []NewGrant, evs *events.Batch) ([]Grant, []bool, error) {
	if len(ns) == 0 {
		return nil, nil, nil
	}
	now := time.Now()
	type pairKey struct{ contact, product int64 }
	type pair struct {
		first int        // the index in ns of the pair's first request
		end   *time.Time // the latest end asked (nil: forever)
		cur   *Grant     // the grant in force, if any
		grant Grant
	}
	pairs := make(map[pairKey]*pair, len(ns))
	order := make([]pairKey, 0, len(ns))
	at := make([]pairKey, len(ns))
	for i := range ns {
		n := &ns[i]
		n.SourceRef = strings.TrimSpace(n.SourceRef)
		if err := n.Validate(now); err != nil {
			return nil, nil, fmt.Errorf("grant [%d]: %w", i, err)
		}
		k := pairKey{n.ContactID, n.ProductID}
		at[i] = k
		end := n.end(now)
		p, ok := pairs[k]
		if !ok {
			pairs[k] = &pair{first: i, end: end}
			order = append(order, k)
			continue
		}
		if later(end, p.end) {
			p.end = end
		}
	}
	q := accessq.New(tx)
	lock := accessq.GrantLockPairsParams{ContactIds: make([]int64, len(order)), ProductIds: make([]int64, len(order))}
	for j, k := range order {
		lock.ContactIds[j], lock.ProductIds[j] = k.contact, k.product
	}
	if err := q.GrantLockPairs(ctx, lock); err != nil {
		return nil, nil, fmt.Errorf("lock %d grants: %w", len(order), err)
	}
	active, err := q.GrantsActiveForPairs(ctx, accessq.GrantsActiveForPairsParams(lock))
	if err != nil {
		return nil, nil, fmt.Errorf("grants in force: %w", err)
	}
	for _, r := range active {
		g := fromRow(r)
		p := pairs[pairKey{g.ContactID, g.ProductID}]
		if p == nil {
			continue
		}
		// GrantActiveFor's choice: the latest end (forever first), then the first made.
		if p.cur == nil || later(g.EndsAt, p.cur.EndsAt) {
			p.cur = &g
		}
	}
	ins := accessq.GrantsCreateManyParams{}
	ext := accessq.GrantsSetEndsParams{}
	for _, k := range order {
		p := pairs[k]
		if p.cur != nil {
			p.grant = *p.cur
			if later(p.end, p.cur.EndsAt) {
				ext.Ids = append(ext.Ids, p.cur.ID)
				ext.HasEnds, ext.EndsAts = appendEnd(ext.HasEnds, ext.EndsAts, p.end)
			}
			continue
		}
		n := ns[p.first]
		ins.ContactIds, ins.ProductIds = append(ins.ContactIds, n.ContactID), append(ins.ProductIds, n.ProductID)
		ins.Sources, ins.SourceRefs = append(ins.Sources, n.Source), append(ins.SourceRefs, n.SourceRef)
		ins.TransferredFroms = append(ins.TransferredFroms, n.TransferredFrom)
		ins.HasStarts, ins.StartsAts = appendEnd(ins.HasStarts, ins.StartsAts, n.StartsAt)
		ins.HasEnds, ins.EndsAts = appendEnd(ins.HasEnds, ins.EndsAts, p.end)
	}
	var products []int64
	seenProduct := map[int64]bool{}
	for _, k := range order {
		if !seenProduct[k.product] {
			seenProduct[k.product] = true
			products = append(products, k.product)
		}
	}
	var (
		lines   []crm.Event
		entries []audit.Entry
		names   map[int64]string
	)
	name := func(id int64) string {
		if names == nil {
			names, _ = s.products.ProductNamesTx(ctx, tx, products)
		}
		if n := names[id]; n != "" {
			return n
		}
		return fmt.Sprintf("product #%d", id)
	}
	made := map[pairKey]bool{}
	if len(ins.ContactIds) > 0 {
		rows, err := q.GrantsCreateMany(ctx, ins)
		if err != nil {
			return nil, nil, storeErr(0, err)
		}
		for _, r := range rows {
			g := fromRow(r)
			k := pairKey{g.ContactID, g.ProductID}
			pairs[k].grant, made[k] = g, true
			evs.Add(events.Event{Type: events.AccessGranted, ID: g.ID})
			lines = append(lines, crm.Event{ContactID: g.ContactID, Kind: EventGranted,
				Message: fmt.Sprintf("Access to %s granted (%s) %s", name(g.ProductID), g.Source, until(g.EndsAt))})
			details := map[string]any{"contact_id": g.ContactID, "product_id": g.ProductID, "source": g.Source,
				"ends_at": g.EndsAt, "transferred_from": g.TransferredFrom}
			if ns[pairs[k].first].StartsAt != nil {
				details["starts_at"] = g.StartsAt
			}
			entries = append(entries, audit.Entry{Action: "access.grant", Entity: "access_grant",
				EntityID: strconv.FormatInt(g.ID, 10), Details: details})
		}
	}
	if len(ext.Ids) > 0 {
		rows, err := q.GrantsSetEnds(ctx, ext)
		if err != nil {
			return nil, nil, fmt.Errorf("extend %d grants: %w", len(ext.Ids), err)
		}
		for _, r := range rows {
			g := fromRow(r)
			p := pairs[pairKey{g.ContactID, g.ProductID}]
			from := p.cur.EndsAt
			p.grant = g
			evs.Add(events.Event{Type: events.AccessGranted, ID: g.ID})
			lines = append(lines, crm.Event{ContactID: g.ContactID, Kind: EventExtended,
				Message: fmt.Sprintf("Access to %s extended %s", name(g.ProductID), until(g.EndsAt))})
			entries = append(entries, audit.Entry{Action: "access.extend", Entity: "access_grant",
				EntityID: strconv.FormatInt(g.ID, 10), Details: map[string]any{"contact_id": g.ContactID,
					"product_id": g.ProductID, "from": from, "to": g.EndsAt}})
		}
	}
	for _, k := range order {
		if p := pairs[k]; p.grant.ID == 0 {
			return nil, nil, fmt.Errorf("grant of product %d to contact %d: neither made nor found", k.product, k.contact)
		}
	}
	if err := s.contacts.AddEventsTx(ctx, tx, lines); err != nil {
		return nil, nil, err
	}
	if err := s.audit.RecordManyTx(ctx, tx, entries); err != nil {
		return nil, nil, err
	}
	grants := make([]Grant, len(ns))
	created := make([]bool, len(ns))
	for i, k := range at {
		p := pairs[k]
		grants[i] = p.grant
		created[i] = made[k] && p.first == i
	}
	return grants, created, nil
}

// later reports whether end a is later than end b (nil is forever, later than any time).
func later(a, b *time.Time) bool {
	switch {
	case b == nil:
		return false
	case a == nil:
		return true
	}
	return a.After(*b)
}

// appendEnd appends an optional time to a pair of arrays (a flag, and the time or the zero time).
func appendEnd(has []bool, ts []time.Time, t *time.Time) ([]bool, []time.Time) {
	if t == nil {
		return append(has, false), append(ts, time.Time{})
	}
	return append(has, true), append(ts, *t)
}
