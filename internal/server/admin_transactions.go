package server

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/crm"
	"github.com/bursar/bursar/internal/csvcell"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/money"
	"github.com/bursar/bursar/internal/order"
	"github.com/bursar/bursar/templates/admin"
)

const txnPageSize = 50

// txnDefaultDays is how far back the Transactions screen looks when neither date is given (today included). Its
// totals are summed from the rows the filters select, so the range bounds their cost; a From cleared by hand (from=
// in the query) asks for every date.
const txnDefaultDays = 30

// txnDefaultRange gives q the default range when it names neither date, and says whether it did.
func txnDefaultRange(q url.Values, now time.Time) bool {
	if q.Has("from") || q.Has("to") {
		return false
	}
	q.Set("from", now.UTC().AddDate(0, 0, 1-txnDefaultDays).Format(time.DateOnly))
	return true
}

// txnFilterForm reads the Transactions filters from a query string (the screen, its CSV export and the API share
// them); bad values are named in the returned errors.
func txnFilterForm(q url.Values) (admin.TxnFilter, order.TxnFilter, check.Errors) {
	v := admin.TxnFilter{SystemID: q.Get("payment_system_id"), Kind: q.Get("kind"), Status: q.Get("status"),
		Currency: strings.ToUpper(strings.TrimSpace(q.Get("currency"))), From: q.Get("from"), To: q.Get("to"),
		Query: strings.TrimSpace(q.Get("q"))}
	switch q.Get("attempts") {
	case "", "0", "false":
	default:
		v.Attempts = true
	}
	f := order.TxnFilter{Kind: v.Kind, Status: v.Status, Currency: v.Currency, Search: v.Query, Attempts: v.Attempts,
		Cursor: q.Get("cursor")}
	e := check.Errors{}
	if v.SystemID != "" {
		n, err := strconv.ParseInt(v.SystemID, 10, 64)
		if err != nil || n <= 0 {
			e.Add("payment_system_id", "must be a positive whole number")
		}
		f.PaymentSystemID = n
	}
	for _, d := range []struct{ field, v string }{{"from", v.From}, {"to", v.To}} {
		if d.v == "" {
			continue
		}
		if _, err := time.Parse(time.DateOnly, d.v); err != nil {
			e.Add(d.field, "must be a date such as 2026-01-31")
		}
	}
	f.From, f.To = dateRange(v.From, v.To)
	return v, f, e
}

// txnContacts is what the Transactions show of the contacts of some rows, looked up through the CRM (the order
// module never reads contacts): each contact once, and whether it is a placeholder made for a payment without
// the payer's e-mail.
type txnContacts struct {
	s      *Server
	domain string // the school's placeholder domain, "@" included
	known  map[int64]crm.Contact
}

func (s *Server) newTxnContacts(ctx context.Context) (*txnContacts, error) {
	sc, err := s.settings.Get(ctx)
	if err != nil {
		return nil, err
	}
	return &txnContacts{s: s, domain: "@" + strings.ToLower(sc.PlaceholderDomain), known: map[int64]crm.Contact{}}, nil
}

// load looks up every contact of txns not seen yet, in one query.
func (c *txnContacts) load(ctx context.Context, txns []order.Txn) error {
	var missing []int64
	for _, t := range txns {
		if _, ok := c.known[t.ContactID]; !ok && t.ContactID > 0 && !slices.Contains(missing, t.ContactID) {
			missing = append(missing, t.ContactID)
		}
	}
	found, err := c.s.contacts.ContactsByID(ctx, missing)
	if err != nil {
		return err
	}
	for _, id := range missing {
		ct, ok := found[id]
		if !ok {
			ct = crm.Contact{ID: id, Email: "contact #" + itoa(id)}
		}
		c.known[id] = ct
	}
	return nil
}

// of is contact id's e-mail and whether it is a placeholder.
func (c *txnContacts) of(id int64) (email string, placeholder bool) {
	ct, ok := c.known[id]
	if !ok {
		return "", false
	}
	return ct.Email, ct.Placeholder || strings.HasSuffix(strings.ToLower(ct.Email), c.domain)
}

// signed formats m for people, with a minus sign before the currency symbol when negative.
func signed(m money.Money) string {
	if m.Amount < 0 {
		return "−" + money.New(-m.Amount, m.Currency).Format("en")
	}
	return m.Format("en")
}

func txnStatuses() []string {
	out := slices.Clone(order.PaymentStatuses)
	for _, st := range order.RefundStatuses {
		if !slices.Contains(out, st) {
			out = append(out, st)
		}
	}
	return out
}

func (s *Server) adminTransactions(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	defaulted := txnDefaultRange(q, time.Now())
	form, f, errs := txnFilterForm(q)
	v := admin.TxnList{Page: s.adminPage(r, "Transactions", "transactions"), Filter: form, Statuses: txnStatuses(),
		Errors: errs}
	if defaulted {
		v.DefaultDays = txnDefaultDays
	}
	csvQ := url.Values{}
	for k, vs := range q {
		if k != "cursor" {
			csvQ[k] = vs
		}
	}
	v.CSVURL = "/admin/transactions.csv"
	if len(csvQ) > 0 {
		v.CSVURL += "?" + csvQ.Encode()
	}
	systems, err := s.systemNames(ctx)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	for _, sys := range systems {
		v.Systems = append(v.Systems, admin.Option{Value: itoa(sys.ID), Label: sys.Name})
	}
	slices.SortFunc(v.Systems, func(a, b admin.Option) int { return strings.Compare(a.Label, b.Label) })
	if len(errs) > 0 {
		s.render(w, r, http.StatusUnprocessableEntity, admin.TransactionsPage(v))
		return
	}
	f.Limit = txnPageSize
	page, err := s.orders.Transactions(ctx, f)
	var totals []order.TxnTotal
	if err == nil {
		totals, err = s.orders.TransactionTotals(ctx, f)
	}
	if e, ok := check.AsErrors(err); ok {
		v.Errors = e
		s.render(w, r, http.StatusUnprocessableEntity, admin.TransactionsPage(v))
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	for _, t := range totals {
		v.Totals = append(v.Totals, admin.TxnTotalRow{Currency: t.Currency,
			Payments: money.New(t.Payments, t.Currency).Format("en"), Refunds: money.New(t.Refunds, t.Currency).Format("en"),
			Fees: money.New(t.Fees, t.Currency).Format("en"), Net: signed(money.New(t.Net, t.Currency)),
			PaymentCount: t.PaymentCount, RefundCount: t.RefundCount})
	}
	contacts, err := s.newTxnContacts(ctx)
	if err == nil {
		err = contacts.load(ctx, page.Txns)
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	for _, t := range page.Txns {
		v.Rows = append(v.Rows, txnRow(t, systems, contacts))
	}
	if page.NextCursor != "" {
		nq := url.Values{}
		for k, vs := range q {
			if k != "cursor" {
				nq[k] = vs
			}
		}
		nq.Set("cursor", page.NextCursor)
		v.NextURL = "/admin/transactions?" + nq.Encode()
	}
	s.render(w, r, http.StatusOK, admin.TransactionsPage(v))
}

func txnRow(t order.Txn, systems map[int64]gateway.System, contacts *txnContacts) admin.TxnRow {
	row := admin.TxnRow{Kind: t.Kind, ID: t.ID, At: t.At.UTC().Format(timeFormat), OrderID: t.OrderID,
		OrderNumber: t.OrderNumber, ContactID: t.ContactID, System: systems[t.PaymentSystemID].Name,
		GatewayRef: t.GatewayRef, RefundRef: t.RefundRef, Amount: t.Amount.Format("en"),
		Net: signed(money.New(t.Net, t.Amount.Currency)), Status: t.Status}
	if t.Kind == order.TxnPayment {
		row.Fee = money.New(t.Fee, t.Amount.Currency).Format("en")
	}
	row.Contact, row.Placeholder = contacts.of(t.ContactID)
	return row
}

// csvHeader is the export's header row: amounts as decimal strings in the row's currency, and in minor units.
var csvHeader = []string{"date", "kind", "id", "order_number", "contact_email", "placeholder_contact", "payment_system",
	"gateway_ref", "refund_ref", "currency", "amount", "fee", "net", "amount_minor", "fee_minor", "net_minor", "status",
	"paid_on"}

// startCSV answers w with a CSV download named <name>-<day>.csv (RFC 4180 line breaks) whose first row is header.
func startCSV(w http.ResponseWriter, name string, day time.Time, header []string) *csv.Writer {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`-`+day.UTC().Format(time.DateOnly)+`.csv"`)
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	_ = cw.Write(header)
	return cw
}

// csvText keeps a text cell from being read as a formula by a spreadsheet.
func csvText(s string) string { return csvcell.Text(s) }

func (s *Server) adminTransactionsCSV(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	_, f, errs := txnFilterForm(r.URL.Query())
	f.Cursor = ""
	if len(errs) > 0 {
		s.htmlError(w, r, errs)
		return
	}
	f.Limit = order.MaxList
	// The first page is read before anything is written, so bad filters still get a proper answer.
	page, err := s.orders.Transactions(ctx, f)
	if _, ok := check.AsErrors(err); ok {
		s.htmlError(w, r, err)
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	systems, err := s.systemNames(ctx)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	contacts, err := s.newTxnContacts(ctx)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	cw := startCSV(w, "transactions", time.Now(), csvHeader)
	for {
		if err := contacts.load(ctx, page.Txns); err != nil {
			s.log.Error("transactions export", "err", err)
			return // the file ends short; the status line is gone already
		}
		for _, t := range page.Txns {
			email, placeholder := contacts.of(t.ContactID)
			cur := t.Amount.Currency
			fee := ""
			if t.Kind == order.TxnPayment {
				fee = money.New(t.Fee, cur).Decimal()
			}
			paidOn := ""
			if !t.PaidOn.IsZero() {
				paidOn = t.PaidOn.Format(time.DateOnly)
			}
			_ = cw.Write([]string{t.At.UTC().Format(time.RFC3339), t.Kind, itoa(t.ID), csvText(t.OrderNumber),
				csvText(email), strconv.FormatBool(placeholder), csvText(systems[t.PaymentSystemID].Name),
				csvText(t.GatewayRef), csvText(t.RefundRef), cur, t.Amount.Decimal(), fee, money.New(t.Net, cur).Decimal(),
				strconv.FormatInt(t.Amount.Amount, 10), strconv.FormatInt(t.Fee, 10), strconv.FormatInt(t.Net, 10),
				t.Status, paidOn})
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return // the client went away
		}
		if page.NextCursor == "" {
			return
		}
		f.Cursor = page.NextCursor
		if page, err = s.orders.Transactions(ctx, f); err != nil {
			s.log.Error("transactions export", "err", err)
			return
		}
	}
}
