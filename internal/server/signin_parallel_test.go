package server

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/bursar/bursar/internal/account"
	"github.com/bursar/bursar/internal/staff"
)

// postAll posts one sign-in form per entry of forms at the same moment, alternating between the processes, and
// counts the answers by status code.
func postAll(t *testing.T, procs []*testApp, path string, forms []url.Values) map[int]int {
	t.Helper()
	var (
		mu     sync.Mutex
		wg     sync.WaitGroup
		start  = make(chan struct{})
		status = map[int]int{}
		errs   []error
	)
	for i, form := range forms {
		wg.Go(func() {
			<-start
			res, err := procs[i%len(procs)].client().PostForm(procs[i%len(procs)].ts.URL+path, form)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			status[res.StatusCode]++
		})
	}
	close(start)
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("posts failed: %v", errs)
	}
	return status
}

func signInForms(email, pw string, n int) []url.Values {
	out := make([]url.Values, n)
	for i := range out {
		out[i] = url.Values{"email": {email}, "password": {pw}}
	}
	return out
}

// TestAdminLockoutParallel: wrong passwords for one admin posted all at once to two processes on one database are
// counted before any is checked: exactly EmailMaxFailures answer "wrong", the rest "locked", and then even the
// right password is refused.
func TestAdminLockoutParallel(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	procs := []*testApp{a, secondProcess(t, a)}
	a.createAdmin(testOwnerEmail, staff.RoleOwner)

	if got := postAll(t, procs, "/admin/login", signInForms(testOwnerEmail, testPassword, 3)); got[http.StatusSeeOther] != 3 {
		t.Fatalf("right passwords under the limit: %v, want 3 × 303", got)
	}
	const guesses = 24
	got := postAll(t, procs, "/admin/login", signInForms(testOwnerEmail, "wrong-password", guesses))
	if got[http.StatusUnauthorized] != staff.EmailMaxFailures || got[http.StatusTooManyRequests] != guesses-staff.EmailMaxFailures {
		t.Fatalf("%d guesses at once: %v; want %d × 401 and the rest 429", guesses, got, staff.EmailMaxFailures)
	}
	res, doc := procs[1].postFormDoc(a.client(), "/admin/login", url.Values{"email": {testOwnerEmail}, "password": {testPassword}})
	if res.StatusCode != http.StatusTooManyRequests || !strings.Contains(doc.Find("[data-testid=login-error]").Text(), "try again in 15 minutes") {
		t.Fatalf("right password while locked: %d %q", res.StatusCode, doc.Find("[data-testid=login-error]").Text())
	}
}

// TestAdminAddressLimitParallel: guesses at many e-mails from one address, posted all at once to two processes,
// are checked only up to IPMaxFailures; the next sign-in from the address is refused, even with a right password.
func TestAdminAddressLimitParallel(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	procs := []*testApp{a, secondProcess(t, a)}
	a.createAdmin(testOwnerEmail, staff.RoleOwner)

	forms := make([]url.Values, staff.IPMaxFailures+6)
	for i := range forms {
		forms[i] = url.Values{"email": {"guess" + itoa(int64(i)) + "@school.test"}, "password": {"wrong-password"}}
	}
	got := postAll(t, procs, "/admin/login", forms)
	if got[http.StatusUnauthorized] != staff.IPMaxFailures || got[http.StatusTooManyRequests] != len(forms)-staff.IPMaxFailures {
		t.Fatalf("%d guesses from one address: %v; want %d × 401 and the rest 429", len(forms), got, staff.IPMaxFailures)
	}
	if res := a.postForm(a.client(), "/admin/login", url.Values{"email": {testOwnerEmail}, "password": {testPassword}}); res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("right password from a locked address: %d, want 429", res.StatusCode)
	}
}

// TestStudentLockoutParallel is TestAdminLockoutParallel for students' sign-in.
func TestStudentLockoutParallel(t *testing.T) {
	t.Parallel()
	a := newTestApp(t)
	procs := []*testApp{a, secondProcess(t, a)}
	a.student("ana@school.test")

	if got := postAll(t, procs, "/account/login", signInForms("ana@school.test", testPassword, 3)); got[http.StatusSeeOther] != 3 {
		t.Fatalf("right passwords under the limit: %v, want 3 × 303", got)
	}
	const guesses = 24
	got := postAll(t, procs, "/account/login", signInForms("ana@school.test", "wrong password", guesses))
	if got[http.StatusUnauthorized] != account.EmailMaxFailures || got[http.StatusTooManyRequests] != guesses-account.EmailMaxFailures {
		t.Fatalf("%d guesses at once: %v; want %d × 401 and the rest 429", guesses, got, account.EmailMaxFailures)
	}
	res, doc := procs[1].postFormDoc(a.client(), "/account/login", url.Values{"email": {"ana@school.test"}, "password": {testPassword}})
	if res.StatusCode != http.StatusTooManyRequests || doc.Find("[data-testid=login-error]").Length() != 1 {
		t.Fatalf("right password while locked: %d", res.StatusCode)
	}
}
