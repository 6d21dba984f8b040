package server

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bursar/bursar/internal/crm"
)

// TestCheckoutManualOnceAtOnce: the manual checkout's form token is claimed inside the order's transaction
// (issue 12: one transaction fewer per form), so the same form posted four times at once still makes one order and
// every answer leads to it: the later posts wait for the first's transaction at the token, then find it taken.
func TestCheckoutManualOnceAtOnce(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	_, pay := a.checkoutFixture()
	c := a.student("ana@school.test")
	token := a.formToken(c, pay)
	submit := url.Values{"form_token": {token}, "paid_on": {time.Now().UTC().Format(time.DateOnly)}, "comment": {"1234"}}
	var wg sync.WaitGroup
	where := make(chan string, 4)
	for range 4 {
		wg.Go(func() {
			res, err := c.PostForm(a.ts.URL+pay, submit)
			if err != nil {
				t.Error(err)
				return
			}
			res.Body.Close()
			if res.StatusCode != http.StatusSeeOther {
				t.Errorf("status %d", res.StatusCode)
			}
			where <- res.Header.Get("Location")
		})
	}
	wg.Wait()
	close(where)
	var first string
	for w := range where {
		if first == "" {
			first = w
		}
		if !strings.HasPrefix(w, "/account/orders/") || w != first {
			t.Errorf("a submission led to %q, another to %q", w, first)
		}
	}
	if n := a.count("SELECT count(*) FROM orders"); n != 1 {
		t.Errorf("%d orders, want 1", n)
	}
	if n := a.count("SELECT count(*) FROM form_tokens WHERE token = $1 AND result_url = $2", token, first); n != 1 {
		t.Errorf("the token is not claimed with the order's page as its result")
	}
}

// TestCheckoutPayerEmailChanged: a checkout post reads the student's account, not the contact (the session keeps
// the e-mail from sign-in, for the audit label): an e-mail changed since sign-in is still the one the order's
// payment and its "received" e-mail use, read by the order in its transaction.
func TestCheckoutPayerEmailChanged(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	_, pay := a.checkoutFixture()
	c := a.student("old@school.test")
	var id int64
	if err := a.pool.QueryRow(a.ctx(), `SELECT id FROM contacts WHERE email = 'old@school.test'`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	email := "new@school.test"
	if _, err := a.srv.contacts.Update(a.ctx(), id, crm.Patch{Email: &email}); err != nil {
		t.Fatal(err)
	}
	res := a.postForm(c, pay, url.Values{"form_token": {a.formToken(c, pay)},
		"paid_on": {time.Now().UTC().Format(time.DateOnly)}})
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/account/orders/") {
		t.Fatalf("submit: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	if n := a.count("SELECT count(*) FROM payments WHERE payer_email = $1", email); n != 1 {
		t.Errorf("the payment does not carry the contact's current e-mail")
	}
	if n := a.count("SELECT count(*) FROM outbound_emails WHERE to_address = $1 AND dedup_key LIKE 'order:%:received'", email); n != 1 {
		t.Errorf("the received e-mail does not go to the contact's current e-mail")
	}
}
