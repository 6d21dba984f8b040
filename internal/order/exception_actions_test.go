package order_test

import (
	"testing"

	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/money"
	"github.com/bursar/bursar/internal/order"
)

func TestExceptionActionsOffered(t *testing.T) {
	t.Parallel()
	stripe := gateway.System{ID: 1, Type: gateway.TypeStripe}
	manual := gateway.System{ID: 2, Type: gateway.TypeManual}
	item := func(kind order.ExceptionKind, orderStatus order.Status, edit ...func(*order.ExceptionItem)) order.ExceptionItem {
		x := order.ExceptionItem{Exception: order.Exception{ID: 7, Kind: kind, OrderID: 3, PaymentSystemID: 1,
			GatewayRef: "cs_test_1", Amount: money.New(100, "EUR"), Status: order.ExceptionOpen},
			OrderNumber: "B-000003", OrderStatus: orderStatus}
		if orderStatus == "" {
			x.OrderID, x.OrderNumber = 0, ""
		}
		for _, e := range edit {
			e(&x)
		}
		return x
	}
	resolved := func(x *order.ExceptionItem) { x.Status = order.ExceptionResolved }
	noRef := func(x *order.ExceptionItem) { x.GatewayRef = "" }
	noAmount := func(x *order.ExceptionItem) { x.Amount = money.New(0, "EUR") }
	viaManual := func(x *order.ExceptionItem) { x.PaymentSystemID = manual.ID }
	refunding := func(x *order.ExceptionItem) { x.RefundStatus = order.ExceptionRefundPending }
	tests := []struct {
		name       string
		x          order.ExceptionItem
		sys        gateway.System
		wantAccept bool
		wantRefund bool
	}{
		{"AmountOpenOrder", item(order.ExAmountMismatch, order.StatusOpen), stripe, true, true},
		{"CurrencyOpenOrder", item(order.ExCurrencyMismatch, order.StatusOpen), stripe, true, true},
		{"AmountCompletedMeanwhile", item(order.ExAmountMismatch, order.StatusCompleted), stripe, false, true},
		{"LateOnFinalOrder", item(order.ExLatePayment, order.StatusRefunded), stripe, true, true},
		{"LateOnOpenOrder", item(order.ExLatePayment, order.StatusOpen), stripe, false, true},
		{"UnknownOrder", item(order.ExUnknownOrder, ""), stripe, false, true},
		{"NoEmail", item(order.ExNoEmail, order.StatusCompleted), stripe, false, false},
		{"OutsideRefund", item(order.ExOutsideRefund, order.StatusRefunded), stripe, false, false},
		{"Resolved", item(order.ExAmountMismatch, order.StatusOpen, resolved), stripe, false, false},
		{"NoReference", item(order.ExAmountMismatch, order.StatusOpen, noRef), stripe, true, false},
		{"NoAmount", item(order.ExAmountMismatch, order.StatusOpen, noAmount), stripe, false, false},
		{"ManualHasNoRefundAPI", item(order.ExLatePayment, order.StatusCompleted, viaManual), manual, true, false},
		{"AnotherSystem", item(order.ExLatePayment, order.StatusCompleted), manual, true, false},
		{"RefundPending", item(order.ExAmountMismatch, order.StatusOpen, refunding), stripe, true, false},
		{"RefundUnconfirmed", item(order.ExRefundUnconfirmed, order.StatusCompleted), stripe, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.x.CanAccept(); got != tt.wantAccept {
				t.Errorf("CanAccept = %v, want %v", got, tt.wantAccept)
			}
			if got := tt.x.CanRefund(tt.sys); got != tt.wantRefund {
				t.Errorf("CanRefund = %v, want %v", got, tt.wantRefund)
			}
		})
	}
}
