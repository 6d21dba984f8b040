package server

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/bursar/bursar/internal/account"
	"github.com/bursar/bursar/internal/billing"
	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/i18n"
	"github.com/bursar/bursar/internal/offer"
	"github.com/bursar/bursar/templates/public"
)

// The public enrollment form of a tuition or installments offer (F5), /o/{slug}/enroll: the signed-in payer
// answers the offer's registration fields, says whom they pay for, picks a payment method, and is sent to the
// payment link page of the first receipt (billing.Enroll). A visitor signs up or signs in first and comes back.

// enrollURL is the enrollment form of p.
func enrollURL(p offer.Page) string { return offerEnrollURL(p.Slug) }

// enrollTarget is the published offer of the URL when it enrolls (tuition, installments); anything else is not
// found.
func (s *Server) enrollTarget(r *http.Request) (offer.Page, error) {
	p, err := s.published.PublishedPage(r.Context(), chiURLParam(r, "slug"))
	if err != nil {
		return offer.Page{}, err
	}
	if !offer.Enrolled(p.Kind) {
		return offer.Page{}, check.ErrNotFound
	}
	return p, nil
}

// enrollStart is GET /o/{slug}/enroll: the form for a signed-in student, the sign-up form (with a way to sign in)
// that comes back here for a visitor.
func (s *Server) enrollStart(w http.ResponseWriter, r *http.Request) {
	p, err := s.enrollTarget(r)
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	st, ok, err := s.student(r)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	lang := p.Language
	if !ok {
		// The registration fields are asked on the enrollment form itself (they may be about someone else), not
		// at sign-up.
		v := signUpView(lang, enrollURL(p), nil)
		v.Intro = i18n.F(lang, i18n.EnrollSignUpIntro, p.Title)
		s.render(w, r, http.StatusOK, public.SignUpPage(v))
		return
	}
	v, err := s.enrollView(r, p, st.Email)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if len(v.Systems) == 1 {
		v.Systems[0].Checked = true
	}
	s.render(w, r, http.StatusOK, public.EnrollPage(v))
}

// enrollView is the empty form of p for the payer email: the offer's terms, its registration fields and its
// enabled payment systems.
func (s *Server) enrollView(r *http.Request, p offer.Page, email string) (public.Enroll, error) {
	lang := p.Language
	terms, err := s.offerBilling(r, p.Offer) // the offer page's own sentence
	if err != nil {
		return public.Enroll{}, err
	}
	v := public.Enroll{Lang: lang, Student: public.Student{Email: email}, Action: enrollURL(p),
		FormToken: newFormToken(), Title: p.Title, Price: p.Price().Format(lang), Terms: terms,
		PayerEmail: email, BackURL: "/o/" + url.PathEscape(p.Slug)}
	for _, f := range p.RegistrationFields {
		v.Questions = append(v.Questions, public.Question{Name: account.AnswerField(f.Key), Label: f.Label,
			Type: f.Type, Required: f.Required, Options: f.Options})
	}
	for _, id := range p.PaymentSystemIDs {
		sys, err := s.systems.Get(r.Context(), id)
		if errors.Is(err, check.ErrNotFound) || (err == nil && !sys.Enabled) {
			continue
		}
		if err != nil {
			return v, err
		}
		v.Systems = append(v.Systems, public.EnrollSystem{ID: itoa(sys.ID), Name: sys.Name,
			Description: sys.Description, ImageURL: sys.ImageURL})
	}
	return v, nil
}

// enrollSubmit is POST /o/{slug}/enroll: billing.Enroll, then 303 to the first receipt's payment link page. The
// form's one-time token makes a second click land on the same page without a second enrollment; bad input shows
// the form again with what was typed (422), nothing written.
func (s *Server) enrollSubmit(w http.ResponseWriter, r *http.Request) {
	p, err := s.enrollTarget(r)
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	lang := p.Language
	if !s.allowPost(w, r, "checkout", lang) {
		return
	}
	st, ok, err := s.payer(r)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if !ok {
		http.Redirect(w, r, enrollURL(p), http.StatusSeeOther)
		return
	}
	v, err := s.enrollView(r, p, st.Email)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	in := billing.EnrollInput{OfferID: p.ID, PayerID: st.ContactID, Answers: map[string]string{}, Language: lang}
	for i, f := range p.RegistrationFields {
		in.Answers[f.Key] = r.PostFormValue(account.AnswerField(f.Key))
		v.Questions[i].Value = in.Answers[f.Key]
	}
	v.ForOther = r.PostFormValue("for_other") != ""
	v.LearnerName = strings.TrimSpace(r.PostFormValue("learner_name"))
	v.LearnerEmail = strings.TrimSpace(r.PostFormValue("learner_email"))
	// The learner's fields count only with the box ticked (they are always in the form); billing finds or makes
	// the learner by e-mail, so the payer's own e-mail is the payer enrolling themself.
	if v.ForOther {
		in.Learner = &billing.LearnerInput{Email: v.LearnerEmail, Name: v.LearnerName}
	}
	// No method picked (possible only with several): the link's page offers them all.
	chosen := r.PostFormValue("payment_system")
	if id, err := strconv.ParseInt(chosen, 10, 64); err == nil && id > 0 {
		in.PaymentSystemID = id
	}
	for i := range v.Systems {
		v.Systems[i].Checked = v.Systems[i].ID == chosen
	}
	v.FormToken = r.PostFormValue("form_token")

	err = s.submitOnce(w, r, "", func() (string, error) {
		e, err := s.billing.Enroll(studentActor(r.Context(), st.Email), in)
		if err != nil {
			return "", err
		}
		return s.localURL(e.Receipt.PayURL), nil
	})
	if err == nil {
		return
	}
	e, ok := check.AsErrors(err)
	if !ok {
		s.htmlError(w, r, err)
		return
	}
	v.Errors = enrollErrors(lang, p, e)
	s.render(w, r, http.StatusUnprocessableEntity, public.EnrollPage(v))
}

// enrollErrors puts billing.Enroll's field errors on the form's fields, translated; what no field of the form
// can fix (the offer stopped enrolling, say) is the form's own error, under "form".
func enrollErrors(lang string, p offer.Page, e check.Errors) map[string]string {
	out := map[string]string{}
	for key, msg := range e {
		field := enrollField(p, key)
		switch field {
		case "payment_system":
			out[field] = i18n.T(lang, i18n.ErrChooseMethod)
		case "":
			out["form"] = i18n.T(lang, i18n.EnrollNotAvailable)
		default:
			out[field] = fieldMessage(lang, field, msg)
		}
	}
	return out
}

// enrollField is the form field billing.Enroll's error key names ("answers.<key>", "learner.email", …), "" when
// none.
func enrollField(p offer.Page, key string) string {
	switch key {
	case "payment_system_id":
		return "payment_system"
	case "learner.email":
		return "learner_email"
	case "learner.name":
		return "learner_name"
	}
	for _, f := range p.RegistrationFields {
		if key == "answers."+f.Key {
			return account.AnswerField(f.Key)
		}
	}
	return ""
}

// localURL is u without the server's base URL, so that a redirect stays on the host the browser came by.
func (s *Server) localURL(u string) string {
	if rest, ok := strings.CutPrefix(u, strings.TrimSuffix(s.cfg.BaseURL, "/")); ok && strings.HasPrefix(rest, "/") {
		return rest
	}
	return u
}
