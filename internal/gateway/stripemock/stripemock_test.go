package stripemock

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestStartAnswersLikeStripe(t *testing.T) {
	t.Parallel()
	url := Start(t)
	req, err := http.NewRequest(http.MethodGet, url+"/v1/checkout/sessions/cs_test_1", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth("sk_test_123", "")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET session from stripe-mock: %v", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("stripe-mock answered %s", res.Status)
	}
}

func TestInstallBuildsThePinnedVersion(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds stripe-mock")
	}
	bin, err := install()
	if err != nil {
		t.Fatalf("install = %v", err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(filepath.Dir(bin)) })
	out, err := exec.Command("go", "version", "-m", bin).CombinedOutput()
	if err != nil {
		t.Fatalf("go version -m: %v: %s", err, out)
	}
	if !strings.Contains(string(out), "github.com/stripe/stripe-mock\t"+Version) {
		t.Fatalf("built binary is not stripe-mock %s:\n%s", Version, out)
	}
}
