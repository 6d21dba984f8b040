package server

// The admin's Webhooks screens (settings area): the endpoints, the new and edit form, an endpoint's page with its
// actions (send a test event, rotate the secret with an overlap, delete) and delivery log, and a delivery's page
// (its tries and payload, Resend). Managers read; owners change (requireOwner on every POST and form), as on
// Settings. Every change is one internal/webhook use case, the ones /api/v1/webhook-endpoints calls. The signing
// secret is in the answer to the create or the rotation only: it is never stored in clear nor shown again.

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/events"
	"github.com/bursar/bursar/internal/webhook"
	"github.com/bursar/bursar/templates/admin"
)

// kindLabels name the groups of the event types' checkboxes.
var kindLabels = map[events.Kind]string{
	events.KindOrder: "Orders", events.KindPayment: "Payments", events.KindRefund: "Refunds",
	events.KindAccess: "Access", events.KindContact: "Contacts", events.KindPaymentLink: "Payment links",
	events.KindReceipt: "Receipts", events.KindEnrollment: "Enrollments", events.KindSubscription: "Subscriptions",
}

// overlapChoices are the rotation's overlaps offered: how long the old secret keeps signing.
var overlapChoices = []admin.Option{
	{Value: "0s", Label: "no time: stop it now"}, {Value: "1h", Label: "1 hour"}, {Value: "24h", Label: "24 hours"},
	{Value: "72h", Label: "3 days"}, {Value: "168h", Label: "7 days"},
}

func webhookRow(e webhook.Endpoint) admin.WebhookRow {
	row := admin.WebhookRow{ID: e.ID, URL: e.URL, Description: e.Description, Enabled: e.Enabled,
		DisabledReason: e.DisabledReason, SecretPrefix: e.SecretPrefix, Created: e.CreatedAt.UTC().Format(timeFormat)}
	for _, t := range e.Types {
		row.Types = append(row.Types, string(t))
	}
	if !e.FailingSince.IsZero() {
		row.FailingSince = e.FailingSince.UTC().Format(timeFormat)
	}
	if !e.PreviousSecretUntil.IsZero() {
		row.PreviousUntil = e.PreviousSecretUntil.UTC().Format(timeFormat)
	}
	return row
}

func deliveryRow(d webhook.Delivery) admin.DeliveryRow {
	row := admin.DeliveryRow{ID: d.ID, EventID: d.EventID, Type: string(d.EventType), Status: d.Status,
		Attempts: d.Attempts, Created: d.CreatedAt.UTC().Format(timeFormat)}
	if d.Status == webhook.StatusPending && !d.NextAt.IsZero() {
		row.NextAt = d.NextAt.UTC().Format(timeFormat)
	}
	return row
}

func (s *Server) adminWebhooks(w http.ResponseWriter, r *http.Request) {
	es, err := s.webhooks.List(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	page := s.adminPage(r, "Webhooks", "webhooks")
	v := admin.Webhooks{Page: page, CanEdit: page.IsOwner}
	for _, e := range es {
		v.Rows = append(v.Rows, webhookRow(e))
	}
	s.render(w, r, http.StatusOK, admin.WebhooksPage(v))
}

// webhookForm is the form's view with the types' checkboxes grouped by the kind of object they carry.
func (s *Server) webhookForm(r *http.Request, id int64, in webhook.Input, errs check.Errors) admin.WebhookForm {
	title := "New webhook endpoint"
	if id != 0 {
		title = "Edit webhook endpoint"
	}
	v := admin.WebhookForm{Page: s.adminPage(r, title, "webhooks"), ID: id, URL: in.URL, Description: in.Description,
		Enabled: in.Enabled, Errors: errs}
	for _, t := range events.Types {
		label := kindLabels[t.Kind]
		if n := len(v.Groups); n == 0 || v.Groups[n-1].Label != label {
			v.Groups = append(v.Groups, admin.TypeGroup{Label: label})
		}
		g := &v.Groups[len(v.Groups)-1]
		g.Types = append(g.Types, admin.TypeChoice{Value: string(t.Type), Selected: slices.Contains(in.Types, t.Type)})
	}
	return v
}

// webhookInput reads the form.
func webhookInput(r *http.Request) webhook.Input {
	in := webhook.Input{URL: r.PostFormValue("url"), Description: r.PostFormValue("description"),
		Enabled: r.PostFormValue("enabled") != ""}
	for _, t := range r.PostForm["types"] {
		in.Types = append(in.Types, events.Type(t))
	}
	return in
}

func (s *Server) adminWebhookNew(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, admin.WebhookFormPage(s.webhookForm(r, 0, webhook.Input{Enabled: true}, nil)))
}

// adminWebhookCreate makes the endpoint and answers its page with the secret, the one time it is shown.
func (s *Server) adminWebhookCreate(w http.ResponseWriter, r *http.Request) {
	in := webhookInput(r)
	e, secret, err := s.webhooks.Create(r.Context(), in)
	if ce, ok := check.AsErrors(err); ok {
		s.render(w, r, http.StatusUnprocessableEntity, admin.WebhookFormPage(s.webhookForm(r, 0, in, ce)))
		return
	}
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	s.renderWebhook(w, r, e, secret)
}

func (s *Server) adminWebhook(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	var e webhook.Endpoint
	if err == nil {
		e, err = s.webhooks.Get(r.Context(), id)
	}
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	s.renderWebhook(w, r, e, "")
}

// renderWebhook shows endpoint e with its delivery log (?status=, ?before=) and, when secret is set, the secret.
func (s *Server) renderWebhook(w http.ResponseWriter, r *http.Request, e webhook.Endpoint, secret string) {
	q := r.URL.Query()
	f := webhook.DeliveryFilter{Status: q.Get("status"), Limit: 50}
	f.Before, _ = strconv.ParseInt(q.Get("before"), 10, 64)
	ds, err := s.webhooks.Deliveries(r.Context(), e.ID, f)
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	page := s.adminPage(r, "Webhook endpoint", "webhooks")
	v := admin.WebhookPage{Page: page, CanEdit: page.IsOwner, Endpoint: webhookRow(e), Secret: secret, Status: f.Status,
		Overlaps: overlapChoices}
	for _, d := range ds {
		v.Deliveries = append(v.Deliveries, deliveryRow(d))
	}
	if len(ds) == f.Limit {
		next := url.Values{"before": {itoa(ds[len(ds)-1].ID)}}
		if f.Status != "" {
			next.Set("status", f.Status)
		}
		v.NextURL = webhookPath(e.ID) + "?" + next.Encode() + "#deliveries"
	}
	// The secret is in this answer only: no cache may keep it.
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, r, http.StatusOK, admin.WebhookEndpointPage(v))
}

func webhookPath(id int64) string { return "/admin/webhooks/" + itoa(id) }

func (s *Server) adminWebhookEdit(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	var e webhook.Endpoint
	if err == nil {
		e, err = s.webhooks.Get(r.Context(), id)
	}
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	in := webhook.Input{URL: e.URL, Description: e.Description, Types: e.Types, Enabled: e.Enabled}
	s.render(w, r, http.StatusOK, admin.WebhookFormPage(s.webhookForm(r, id, in, nil)))
}

func (s *Server) adminWebhookUpdate(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	in := webhookInput(r)
	_, err = s.webhooks.Update(r.Context(), id, in)
	if ce, ok := check.AsErrors(err); ok {
		s.render(w, r, http.StatusUnprocessableEntity, admin.WebhookFormPage(s.webhookForm(r, id, in, ce)))
		return
	}
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	s.flash(r, "Webhook endpoint saved.")
	http.Redirect(w, r, webhookPath(id), http.StatusSeeOther)
}

// adminWebhookRotate makes a new secret, the old one signing alongside for the overlap chosen, and answers the
// endpoint's page with the new secret, the one time it is shown.
func (s *Server) adminWebhookRotate(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	overlap, perr := time.ParseDuration(r.PostFormValue("overlap"))
	if perr != nil || !slices.ContainsFunc(overlapChoices, func(o admin.Option) bool { return o.Value == r.PostFormValue("overlap") }) {
		s.htmlError(w, r, check.Field("overlap", "choose how long the current secret keeps signing"))
		return
	}
	e, secret, err := s.webhooks.RotateSecret(r.Context(), id, overlap)
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	s.renderWebhook(w, r, e, secret)
}

func (s *Server) adminWebhookTest(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err == nil {
		_, err = s.webhooks.SendTest(r.Context(), id)
	}
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	s.flash(r, "A test event is on its way: its delivery is at the top of the log.")
	http.Redirect(w, r, webhookPath(id)+"#deliveries", http.StatusSeeOther)
}

func (s *Server) adminWebhookDelete(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	if r.PostFormValue("confirm") != "yes" {
		s.flash(r, "Tick the box to confirm the deletion; nothing was deleted.")
		http.Redirect(w, r, webhookPath(id), http.StatusSeeOther)
		return
	}
	e, err := s.webhooks.Get(r.Context(), id)
	if err == nil {
		err = s.webhooks.Delete(r.Context(), id)
	}
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	s.flash(r, "Webhook endpoint "+e.URL+" deleted.")
	http.Redirect(w, r, "/admin/webhooks", http.StatusSeeOther)
}

// endpointDelivery reads the endpoint and the delivery of the path, a delivery of another endpoint being not found.
func (s *Server) endpointDelivery(r *http.Request) (webhook.Endpoint, webhook.Delivery, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return webhook.Endpoint{}, webhook.Delivery{}, err
	}
	did, err := pathID(r, "delivery")
	if err != nil {
		return webhook.Endpoint{}, webhook.Delivery{}, err
	}
	d, err := s.webhooks.Delivery(r.Context(), did)
	if err == nil && d.EndpointID != id {
		err = webhook.ErrNotFound
	}
	if err != nil {
		return webhook.Endpoint{}, webhook.Delivery{}, err
	}
	e, err := s.webhooks.Get(r.Context(), id)
	return e, d, err
}

func (s *Server) adminWebhookDelivery(w http.ResponseWriter, r *http.Request) {
	e, d, err := s.endpointDelivery(r)
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	page := s.adminPage(r, "Webhook delivery", "webhooks")
	v := admin.DeliveryPage{Page: page, CanEdit: page.IsOwner, Endpoint: webhookRow(e), Delivery: deliveryRow(d),
		Payload: string(d.Payload)}
	for _, t := range d.Tries {
		row := admin.TryRow{At: t.At.UTC().Format("2006-01-02 15:04:05"), StatusCode: "—", Error: t.Error,
			ResponseBody: t.ResponseBody, Duration: t.Duration.Round(time.Millisecond).String()}
		if t.StatusCode != 0 {
			row.StatusCode = strconv.Itoa(t.StatusCode)
		}
		v.Tries = append(v.Tries, row)
	}
	s.render(w, r, http.StatusOK, admin.WebhookDeliveryPage(v))
}

func (s *Server) adminWebhookResend(w http.ResponseWriter, r *http.Request) {
	e, d, err := s.endpointDelivery(r)
	if err == nil {
		_, err = s.webhooks.Resend(r.Context(), d.ID)
	}
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	s.flash(r, "The delivery is being sent again; its try will appear below.")
	http.Redirect(w, r, webhookPath(e.ID)+"/deliveries/"+itoa(d.ID), http.StatusSeeOther)
}
