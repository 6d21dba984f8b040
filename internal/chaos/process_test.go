package chaos

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// buildBursar builds the real binary into dir.
func buildBursar(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "bursar")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/bursar/bursar/cmd/bursar").CombinedOutput()
	if err != nil {
		t.Fatalf("go build ./cmd/bursar: %v\n%s", err, out)
	}
	return bin
}

// freeAddr is a loopback address with a port nobody listens on right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// server is one `bursar serve` process, on a fixed loopback address across restarts.
type server struct {
	name, addr string
	bin        string
	env        []string
	logDir     string

	mu    sync.Mutex
	cmd   *exec.Cmd
	exit  chan struct{} // closed when the current process has been waited for
	runs  int
	kills int
}

// start launches the process and waits until /readyz answers 200.
func (s *server) start() error {
	s.mu.Lock()
	s.runs++
	logPath := filepath.Join(s.logDir, fmt.Sprintf("%s.%d.log", s.name, s.runs))
	f, err := os.Create(logPath)
	if err != nil {
		s.mu.Unlock()
		return err
	}
	cmd := exec.Command(s.bin, "serve")
	cmd.Env = append(append([]string{}, s.env...), "BURSAR_ADDR="+s.addr, "BURSAR_BASE_URL=http://"+s.addr)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		s.mu.Unlock()
		f.Close()
		return fmt.Errorf("start %s: %w", s.name, err)
	}
	exit := make(chan struct{})
	s.cmd, s.exit = cmd, exit
	s.mu.Unlock()
	go func() {
		_ = cmd.Wait()
		f.Close()
		close(exit)
	}()
	deadline := time.Now().Add(90 * time.Second)
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		res, err := client.Get("http://" + s.addr + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-exit:
			return fmt.Errorf("%s exited while starting:\n%s", s.name, tail(logPath, 40))
		case <-time.After(100 * time.Millisecond): // polling /readyz, with a deadline
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready after 90s:\n%s", s.name, tail(logPath, 40))
		}
	}
}

// kill SIGKILLs the process (it started it: by its pid) and waits until it is gone.
func (s *server) kill() error {
	s.mu.Lock()
	cmd, exit := s.cmd, s.exit
	s.kills++
	s.mu.Unlock()
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		return err
	}
	select {
	case <-exit:
		return nil
	case <-time.After(30 * time.Second):
		return errors.New("still running 30s after SIGKILL")
	}
}

// stop ends the process gracefully (SIGTERM), then with SIGKILL if it has not exited after 30 s.
func (s *server) stop() {
	s.mu.Lock()
	cmd, exit := s.cmd, s.exit
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	select {
	case <-exit:
		return
	default:
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exit:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-exit
	}
}

// logs is the tail of every log this server wrote.
func (s *server) logs(lines int) string {
	var b strings.Builder
	s.mu.Lock()
	runs := s.runs
	s.mu.Unlock()
	for i := 1; i <= runs; i++ {
		fmt.Fprintf(&b, "--- %s run %d\n%s", s.name, i, tail(filepath.Join(s.logDir, fmt.Sprintf("%s.%d.log", s.name, i)), lines))
	}
	return b.String()
}

func tail(path string, lines int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error() + "\n"
	}
	all := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n") + "\n"
}
