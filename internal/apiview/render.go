package apiview

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/access"
	"github.com/bursar/bursar/internal/billing"
	"github.com/bursar/bursar/internal/crm"
	"github.com/bursar/bursar/internal/db"
	"github.com/bursar/bursar/internal/events"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/order"
	"github.com/bursar/bursar/internal/paylink"
	"github.com/bursar/bursar/internal/subscription"
)

// What Renderer reads, each inside the emitting transaction: the modules' …Tx reads.

// Orders reads orders, payments and refunds (internal/order).
type Orders interface {
	DetailTx(ctx context.Context, tx db.DBTX, id int64) (order.Detail, error)
	RefundsOfTx(ctx context.Context, tx db.DBTX, id int64) ([]order.RefundRecord, error)
	PaymentTx(ctx context.Context, tx db.DBTX, id int64) (order.Payment, error)
	RefundTx(ctx context.Context, tx db.DBTX, id int64) (order.RefundRecord, int64, error)
}

// Grants reads access grants (internal/access).
type Grants interface {
	GetTx(ctx context.Context, tx db.DBTX, id int64) (access.Grant, error)
}

// Contacts reads contacts (internal/crm).
type Contacts interface {
	GetTx(ctx context.Context, tx db.DBTX, id int64) (crm.Contact, error)
}

// Links reads payment links and their timelines (internal/paylink); Now is its clock (a link's status as of now).
type Links interface {
	GetTx(ctx context.Context, tx db.DBTX, id int64) (paylink.Link, error)
	EventsTx(ctx context.Context, tx db.DBTX, id int64) ([]paylink.Event, error)
	Now() time.Time
}

// Billing reads receipts and enrollments (internal/billing).
type Billing interface {
	ReceiptTx(ctx context.Context, tx db.DBTX, id int64) (billing.Receipt, error)
	PaymentsTx(ctx context.Context, tx db.DBTX, id int64) ([]billing.Payment, error)
	EnrollmentTx(ctx context.Context, tx db.DBTX, id int64) (billing.Enrollment, error)
	ReceiptsTx(ctx context.Context, tx db.DBTX, f billing.ReceiptFilter) (billing.ReceiptPage, error)
	EventsTx(ctx context.Context, tx db.DBTX, id int64) ([]billing.Event, error)
}

// Subscriptions reads subscriptions (internal/subscription).
type Subscriptions interface {
	DetailTx(ctx context.Context, tx db.DBTX, id int64) (subscription.Detail, error)
}

// Systems reads payment systems (internal/gateway): a subscription's tells who charges it.
type Systems interface {
	GetTx(ctx context.Context, tx db.DBTX, id int64) (gateway.System, error)
}

// Renderer renders an event's object as GET /api/v1/<resource>/{id} returns it (Render is an events.Render). The
// app builds it empty, hands Render to the webhooks' service, and fills it once the module services exist (they
// take the webhooks' service as their Emitter): a Render before then is an error, never a guess.
type Renderer struct {
	Orders   Orders
	Grants   Grants
	Contacts Contacts
	Links    Links
	Billing  Billing
	// Subscriptions renders the subscription.* events' object: the subscription as GET /subscriptions/{id} returns
	// it, with its charges and timeline.
	Subscriptions Subscriptions
	// Systems tells a subscription's schedule (subscription.OwnSchedule of its payment system).
	Systems Systems
	// Now is the clock a grant is active by (time.Now when nil), as the API's answers are.
	Now func() time.Time
}

var _ events.Render = (*Renderer)(nil).Render

// Render reads object id of kind k in tx and marshals it as the API returns it.
func (r *Renderer) Render(ctx context.Context, tx pgx.Tx, k events.Kind, id int64) (json.RawMessage, error) {
	v, err := r.view(ctx, tx, k, id)
	if err != nil {
		return nil, fmt.Errorf("render %s %d: %w", k, id, err)
	}
	return json.Marshal(v)
}

// view is object id of kind k as its API type.
func (r *Renderer) view(ctx context.Context, tx pgx.Tx, k events.Kind, id int64) (any, error) {
	if r.Orders == nil || r.Grants == nil || r.Contacts == nil || r.Links == nil || r.Billing == nil ||
		r.Subscriptions == nil || r.Systems == nil {
		return nil, fmt.Errorf("apiview: the renderer is not wired")
	}
	switch k {
	case events.KindOrder:
		d, err := r.Orders.DetailTx(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		refunds, err := r.Orders.RefundsOfTx(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		return OrderDetailOf(d, refunds), nil
	case events.KindPayment:
		p, err := r.Orders.PaymentTx(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		return OrderPayment{Payment: PaymentOf(p), OrderID: p.OrderID}, nil
	case events.KindRefund:
		rf, orderID, err := r.Orders.RefundTx(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		return OrderRefund{Refund: RefundOf(rf), OrderID: orderID}, nil
	case events.KindAccess:
		g, err := r.Grants.GetTx(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		return GrantOf(g, r.now()), nil
	case events.KindContact:
		c, err := r.Contacts.GetTx(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		return ContactOf(c), nil
	case events.KindPaymentLink:
		l, err := r.Links.GetTx(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		evs, err := r.Links.EventsTx(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		return PaymentLinkDetailOf(l, r.Links.Now(), evs), nil
	case events.KindReceipt:
		rc, err := r.Billing.ReceiptTx(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		pays, err := r.Billing.PaymentsTx(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		return ReceiptDetailOf(rc, pays), nil
	case events.KindEnrollment:
		en, err := r.Billing.EnrollmentTx(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		rp, err := r.Billing.ReceiptsTx(ctx, tx, billing.ReceiptFilter{EnrollmentID: id, Limit: billing.MaxList})
		if err != nil {
			return nil, err
		}
		evs, err := r.Billing.EventsTx(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		return EnrollmentDetailOf(en, "", rp.Receipts, evs), nil
	case events.KindSubscription:
		d, err := r.Subscriptions.DetailTx(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		sys, err := r.Systems.GetTx(ctx, tx, d.PaymentSystemID)
		if err != nil {
			return nil, err
		}
		return SubscriptionDetailOf(d, subscription.OwnSchedule(sys)), nil
	}
	return nil, fmt.Errorf("apiview: unknown kind %q", k)
}

func (r *Renderer) now() time.Time {
	if r.Now == nil {
		return time.Now()
	}
	return r.Now()
}
