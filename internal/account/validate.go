package account

import (
	"regexp"
	"slices"
	"strings"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/password"
)

// MaxAnswer bounds one registration answer; longer text belongs in a note, not a field.
const MaxAnswer = 1000

var phoneRE = regexp.MustCompile(`^\+?[0-9 ()\-]{5,40}$`)

// normalize trims the input, lower-cases the e-mail and keeps only the answers to the questions asked.
func (in SignUp) normalize() SignUp {
	in.Email = check.NormalizeEmail(in.Email)
	in.Name = strings.TrimSpace(in.Name)
	answers := make(map[string]string, len(in.Questions))
	for _, q := range in.Questions {
		v := strings.TrimSpace(in.Answers[q.Key])
		if q.Type == "email" {
			v = check.NormalizeEmail(v)
		}
		if v != "" {
			answers[q.Key] = v
		}
	}
	in.Answers = answers
	return in
}

// Validate checks a normalized sign-up and names every bad field; answers are named by AnswerField.
func (in SignUp) Validate() error {
	e := check.Errors{}
	e.Email("email", in.Email, true)
	if msg := password.Check(in.Password); msg != "" {
		e.Add("password", msg)
	}
	e.Text("name", in.Name, true, MaxName)
	for _, q := range in.Questions {
		validateAnswer(e, q, in.Answers[q.Key])
	}
	return e.Err()
}

func validateAnswer(e check.Errors, q Question, v string) {
	field := AnswerField(q.Key)
	if v == "" {
		if q.Required {
			e.Add(field, "is required")
		}
		return
	}
	max := MaxAnswer
	if q.Type != "textarea" {
		max = 200
	}
	e.Text(field, v, false, max)
	switch q.Type {
	case "email":
		e.Email(field, v, false)
	case "phone":
		if !phoneRE.MatchString(v) || !strings.ContainsAny(v, "0123456789") {
			e.Add(field, "is not a valid phone number")
		}
	case "select":
		if !slices.Contains(q.Options, v) {
			e.Add(field, "is not one of the choices")
		}
	}
}
