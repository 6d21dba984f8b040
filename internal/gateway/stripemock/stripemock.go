// Package stripemock starts stripe-mock (Stripe's stateless API fake, github.com/stripe/stripe-mock) for tests, on
// loopback ports of its own, and stops it when the test ends.
//
// The binary is looked up on PATH, then in bin/tools of the module (make test installs it there); failing both it
// is built once per test binary with go install into a temporary GOBIN.
package stripemock

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// Version is the pinned stripe-mock (the Makefile's STRIPE_MOCK_VERSION).
const Version = "v0.203.0"

// startTimeout bounds waiting for stripe-mock to answer.
const startTimeout = 30 * time.Second

// build is the once-per-test-binary go install of stripe-mock: its binary path or why it failed.
var build struct {
	once sync.Once
	path string
	err  error
}

// Start runs a stripe-mock for t and returns its HTTP base URL ("http://127.0.0.1:<port>"). It is killed in
// t.Cleanup. When stripe-mock can be neither found nor built the test is skipped, unless CI is set (then it fails).
func Start(t testing.TB) string {
	t.Helper()
	bin, err := binary()
	if err != nil {
		if os.Getenv("CI") == "" {
			t.Skipf("stripe-mock %s is not available (run make test, or put stripe-mock on PATH): %v", Version, err)
		}
		t.Fatalf("stripe-mock %s: %v", Version, err)
	}
	var lastErr error
	for range 3 { // a port taken between choosing it and binding it is retried with new ones
		url, err := start(t, bin)
		if err == nil {
			return url
		}
		lastErr = err
	}
	t.Fatalf("stripe-mock: %v", lastErr)
	return ""
}

// start launches bin on two free loopback ports and waits until it answers.
func start(t testing.TB, bin string) (string, error) {
	httpPort, err := freePort()
	if err != nil {
		return "", err
	}
	httpsPort, err := freePort()
	if err != nil {
		return "", err
	}
	var out bytes.Buffer
	cmd := exec.Command(bin, "-http-addr", fmt.Sprintf("127.0.0.1:%d", httpPort),
		"-https-addr", fmt.Sprintf("127.0.0.1:%d", httpsPort))
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("start %s: %w", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		_ = cmd.Process.Kill()
		<-exited //nolint:errcheck // "signal: killed": the kill asked for it
	}
	url := fmt.Sprintf("http://127.0.0.1:%d", httpPort)
	if err := waitReady(url, exited); err != nil {
		stop()
		return "", fmt.Errorf("%w; output: %s", err, out.String())
	}
	t.Cleanup(stop)
	return url, nil
}

// waitReady polls url until stripe-mock answers (any HTTP status), it exits, or startTimeout passes.
func waitReady(url string, exited <-chan error) error {
	c := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(startTimeout)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return fmt.Errorf("stripe-mock exited before answering: %v", err)
		default:
		}
		if res, err := c.Get(url + "/v1/balance"); err == nil {
			_ = res.Body.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("stripe-mock did not answer at %s within %s", url, startTimeout)
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// binary finds stripe-mock: PATH, the module's bin/tools, else a build.
func binary() (string, error) {
	if p, err := exec.LookPath("stripe-mock"); err == nil {
		return p, nil
	}
	if root, err := moduleRoot(); err == nil {
		p := filepath.Join(root, "bin", "tools", "stripe-mock")
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		}
	}
	build.once.Do(func() { build.path, build.err = install() })
	return build.path, build.err
}

// moduleRoot walks up from the working directory to the directory holding go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// install builds the pinned stripe-mock into a fresh temporary GOBIN (left for the OS to clean: test binaries
// have no end hook, and the directory is small).
func install() (string, error) {
	gobin, err := os.MkdirTemp("", "bursar-stripe-mock-")
	if err != nil {
		return "", err
	}
	cmd := exec.Command("go", "install", "github.com/stripe/stripe-mock@"+Version)
	cmd.Env = append(os.Environ(), "GOBIN="+gobin, "GOFLAGS=-buildvcs=false")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go install github.com/stripe/stripe-mock@%s: %w: %s", Version, err, out)
	}
	return filepath.Join(gobin, "stripe-mock"), nil
}
