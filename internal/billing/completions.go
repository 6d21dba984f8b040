package billing

import (
	"errors"

	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/events"
	"github.com/bursar/bursar/internal/order"
)

// Completions follows completed orders for internal/order (order.Deps.Completions, after the payment links'): an
// order that paid a receipt's link pays that receipt (in full or in part), which activates a pending enrollment or
// resumes a suspended one. It is built before the order service, which the links (and so the billing Service) need.
type Completions struct {
	audit *audit.Log
	cfg   Config
	deps  Deps // Links is nil here: a completion makes no link
}

var _ order.Completions = (*Completions)(nil)

// NewCompletions returns billing's side of the order completion workflow; d.Links may be nil.
func NewCompletions(al *audit.Log, cfg Config, d Deps) (*Completions, error) {
	if al == nil {
		return nil, errors.New("billing: completions need an audit log")
	}
	d.Events = events.OrNop(d.Events)
	return &Completions{audit: al, cfg: cfg, deps: d}, nil
}
