package server

import (
	"net/http"
	"strings"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/money"
	"github.com/bursar/bursar/templates/admin"
)

// paymentTypeBlurbs explain each type on the picker.
var paymentTypeBlurbs = map[string]string{
	gateway.TypeManual:    "Cash, bank transfer or card to card: the student reports the payment, a manager confirms it.",
	gateway.TypeStripe:    "Cards, Apple Pay and Google Pay; subscriptions; students may pay without an account.",
	gateway.TypePayPal:    "PayPal balance and cards; students may pay without an account.",
	gateway.TypeRedsys:    "Spanish bank cards and Bizum through your bank's Redsys terminal.",
	gateway.TypeWayForPay: "Ukrainian cards, Apple Pay and Google Pay; students may pay without an account.",
	gateway.TypeFondy:     "Cards through Fondy; students may pay without an account.",
}

func typeLabel(typ string) string {
	if spec, ok := gateway.Spec(typ); ok {
		return spec.Label
	}
	return typ
}

func (s *Server) adminPaymentSystems(w http.ResponseWriter, r *http.Request) {
	systems, err := s.paymentSystems.All(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	v := admin.PaymentSystemList{Page: s.adminPage(r, "Payment systems", "payment-systems")}
	for _, p := range systems {
		v.Rows = append(v.Rows, admin.PaymentSystemRow{ID: p.ID, TypeLabel: typeLabel(p.Type), Name: p.Name, Mode: p.Mode, Enabled: p.Enabled})
	}
	s.render(w, r, http.StatusOK, admin.PaymentSystemsPage(v))
}

func (s *Server) adminPaymentSystemNew(w http.ResponseWriter, r *http.Request) {
	typ := r.URL.Query().Get("type")
	spec, ok := gateway.Spec(typ)
	if !ok {
		v := admin.PaymentSystemPicker{Page: s.adminPage(r, "New payment system", "payment-systems")}
		if typ != "" {
			v.Error = "There is no payment system type called " + typ + ". Choose one below."
		}
		for _, t := range gateway.Types() {
			v.Types = append(v.Types, admin.PaymentSystemType{Type: t.Type, Label: t.Label, Description: paymentTypeBlurbs[t.Type]})
		}
		s.render(w, r, http.StatusOK, admin.PaymentSystemPickerPage(v))
		return
	}
	v := s.paymentSystemForm(r, spec, gateway.System{Mode: gateway.ModeTest, Enabled: true}, nil)
	v.Token = newFormToken()
	s.render(w, r, http.StatusOK, admin.PaymentSystemFormPage(v))
}

func (s *Server) adminPaymentSystemCreate(w http.ResponseWriter, r *http.Request) {
	spec, ok := gateway.Spec(r.PostFormValue("type"))
	if !ok {
		http.Redirect(w, r, "/admin/payment-systems/new", http.StatusSeeOther)
		return
	}
	in := gateway.Input{Type: spec.Type, Name: r.PostFormValue("name"), Description: r.PostFormValue("description"),
		ImageURL: r.PostFormValue("image_url"), Mode: r.PostFormValue("mode"), Enabled: r.PostFormValue("enabled") == "true"}
	in.Settings, in.Credentials = paymentFormValues(r, spec)
	err := s.submitOnce(w, r, "Payment system "+strings.TrimSpace(in.Name)+" created.", func() (string, error) {
		sys, err := s.paymentSystems.Create(r.Context(), in)
		if err != nil {
			return "", err
		}
		return "/admin/payment-systems/" + itoa(sys.ID), nil
	})
	if e, ok := check.AsErrors(err); ok {
		v := s.paymentSystemForm(r, spec, gateway.System{Type: spec.Type, Name: in.Name, Description: in.Description,
			ImageURL: in.ImageURL, Mode: in.Mode, Enabled: in.Enabled}, e)
		v.Token = r.PostFormValue("form_token")
		s.render(w, r, http.StatusUnprocessableEntity, admin.PaymentSystemFormPage(v))
		return
	}
	if err != nil {
		s.htmlError(w, r, err)
	}
}

func (s *Server) adminPaymentSystemEdit(w http.ResponseWriter, r *http.Request) {
	sys, spec, err := s.paymentSystemOf(r)
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, admin.PaymentSystemFormPage(s.paymentSystemForm(r, spec, sys, nil)))
}

func (s *Server) adminPaymentSystemUpdate(w http.ResponseWriter, r *http.Request) {
	sys, spec, err := s.paymentSystemOf(r)
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	name, desc, img, mode := r.PostFormValue("name"), r.PostFormValue("description"), r.PostFormValue("image_url"), r.PostFormValue("mode")
	p := gateway.Patch{Name: &name, Description: &desc, ImageURL: &img, Mode: &mode}
	p.Settings, p.Credentials = paymentFormValues(r, spec)
	_, err = s.paymentSystems.Update(r.Context(), sys.ID, p)
	if e, ok := check.AsErrors(err); ok {
		typed := sys
		typed.Name, typed.Description, typed.ImageURL, typed.Mode = name, desc, img, mode
		s.render(w, r, http.StatusUnprocessableEntity, admin.PaymentSystemFormPage(s.paymentSystemFormTitled(r, spec, typed, e, sys.Name)))
		return
	}
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	s.flash(r, "Payment system "+strings.TrimSpace(name)+" saved.")
	http.Redirect(w, r, "/admin/payment-systems/"+itoa(sys.ID), http.StatusSeeOther)
}

func (s *Server) adminPaymentSystemEnabled(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	v := r.PostFormValue("enabled")
	if v != "true" && v != "false" {
		http.Error(w, "enabled must be true or false", http.StatusUnprocessableEntity)
		return
	}
	if err := s.paymentSystems.SetEnabled(r.Context(), id, v == "true"); err != nil {
		s.htmlError(w, r, err)
		return
	}
	sys, err := s.paymentSystems.Get(r.Context(), id)
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	state := "disabled"
	if sys.Enabled {
		state = "enabled"
	}
	s.flash(r, "Payment system "+sys.Name+" "+state+".")
	back := "/admin/payment-systems"
	if strings.HasSuffix(r.Referer(), "/admin/payment-systems/"+itoa(id)) {
		back += "/" + itoa(id)
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

func (s *Server) paymentSystemOf(r *http.Request) (gateway.System, gateway.TypeSpec, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return gateway.System{}, gateway.TypeSpec{}, err
	}
	sys, err := s.paymentSystems.Get(r.Context(), id)
	if err != nil {
		return gateway.System{}, gateway.TypeSpec{}, err
	}
	spec, _ := gateway.Spec(sys.Type)
	return sys, spec, nil
}

// paymentFormValues reads the type's settings and credentials from the form. The fixed fee is typed as a decimal
// amount ("1,50") in its currency.
func paymentFormValues(r *http.Request, spec gateway.TypeSpec) (map[string]any, map[string]string) {
	settings, creds := map[string]any{}, map[string]string{}
	for _, f := range spec.Fields {
		v := r.PostFormValue(f.Name)
		switch {
		case f.Secret():
			creds[f.Name] = v
		case f.Kind == gateway.KindAmount:
			settings[f.Name] = gateway.DecimalAmount(v)
		default:
			settings[f.Name] = v
		}
	}
	return settings, creds
}

// paymentSystemForm builds the form view of sys. After a failed POST (errs not nil) the fields show what was typed.
func (s *Server) paymentSystemForm(r *http.Request, spec gateway.TypeSpec, sys gateway.System, errs check.Errors) admin.PaymentSystemForm {
	return s.paymentSystemFormTitled(r, spec, sys, errs, "New payment system")
}

// paymentSystemFormTitled is paymentSystemForm with the page title (the stored name when editing).
func (s *Server) paymentSystemFormTitled(r *http.Request, spec gateway.TypeSpec, sys gateway.System, errs check.Errors, title string) admin.PaymentSystemForm {
	if sys.ID != 0 && errs == nil {
		title = sys.Name
	}
	v := admin.PaymentSystemForm{Page: s.adminPage(r, title, "payment-systems"), ID: sys.ID, Type: spec.Type,
		TypeLabel: spec.Label, Title: title, Name: sys.Name, Description: sys.Description, ImageURL: sys.ImageURL, Mode: sys.Mode,
		Enabled: sys.Enabled, Errors: map[string]string{}, Currencies: money.Codes()}
	for _, k := range []string{"name", "description", "image_url", "mode", "type"} {
		if msg, ok := errs[k]; ok {
			v.Errors[k] = msg
		}
	}
	if sys.ID != 0 && spec.Type != gateway.TypeManual {
		v.WebhookURL = strings.TrimRight(s.cfg.BaseURL, "/") + "/webhooks/" + itoa(sys.ID)
	}
	for _, f := range spec.Fields {
		pf := admin.PaymentSystemField{Name: f.Name, Label: f.Label, Hint: f.Hint, Required: f.Required,
			Secret: f.Secret(), Currency: f.Kind == gateway.KindCurrency, Multiline: f.Kind == gateway.KindLongText}
		if f.Kind == gateway.KindPercent || f.Kind == gateway.KindAmount {
			pf.Input = "number"
		}
		if f.Secret() {
			pf.Set = sys.HasCredential(f.Name)
			pf.Error = errs["credentials."+f.Name]
			v.Credentials = append(v.Credentials, pf)
			continue
		}
		pf.Error = errs["settings."+f.Name]
		if errs != nil {
			pf.Value = r.PostFormValue(f.Name)
		} else {
			pf.Value = settingText(sys, f)
		}
		v.Settings = append(v.Settings, pf)
	}
	return v
}

// settingText is a stored setting as a person types it.
func settingText(sys gateway.System, f gateway.Field) string {
	switch f.Kind {
	case gateway.KindAmount:
		n, _ := sys.Settings[f.Name].(int64)
		if n == 0 {
			return ""
		}
		return money.New(n, sys.Setting(f.CurrencyField)).Decimal()
	case gateway.KindCurrencies:
		list, _ := sys.Settings[f.Name].([]string)
		return strings.Join(list, ", ")
	default:
		return sys.Setting(f.Name)
	}
}
