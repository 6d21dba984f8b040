package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// bareEnv names the page file when this program runs as the bare baseline's process.
const bareEnv = "BURSAR_LOAD_BARE_PAGE"

// page is a response to serve again: its headers (without Date, which every server sets itself) and body.
type page struct {
	Header http.Header `json:"header"`
	Body   []byte      `json:"body"`
}

// bareHandler writes p's headers and body, nothing else: the least any Go server can do to answer with that page.
func bareHandler(p page) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		h := w.Header()
		for k, v := range p.Header {
			h[k] = v
		}
		_, _ = w.Write(p.Body)
	})
}

// newHTTPServer is an http.Server with bursar serve's timeouts, so the baseline pays for the same connection
// deadlines.
func newHTTPServer(h http.Handler) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second}
}

// bareServer is the baseline: a child process of this program (the default, so that it runs as bursar serve does,
// a process of its own with its own runtime), or a listener in this process (-bare-inline).
type bareServer struct {
	url   string
	child *child
	srv   *http.Server
}

func (b *bareServer) stop() {
	if b.child != nil {
		b.child.stop()
	}
	if b.srv != nil {
		_ = b.srv.Close()
	}
}

// startBare serves p on a free 127.0.0.1 port.
func startBare(ctx context.Context, p page, inline bool, dir, logDir string, runtimeEnv []string) (*bareServer, error) {
	if inline {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		srv := newHTTPServer(bareHandler(p))
		go func() { _ = srv.Serve(ln) }()
		return &bareServer{url: "http://" + ln.Addr().String(), srv: srv}, nil
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "page.json")
	b, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return nil, err
	}
	addr, err := freeLoopbackAddr()
	if err != nil {
		return nil, err
	}
	env := append([]string{bareEnv + "=" + path, "BURSAR_LOAD_BARE_ADDR=" + addr}, runtimeEnv...)
	c, err := startChild(ctx, "bare", self, env, filepath.Join(logDir, "bare.log"), "http://"+addr+"/healthz")
	if err != nil {
		return nil, err
	}
	return &bareServer{url: "http://" + addr, child: c}, nil
}

// serveBare is the bare process: it serves the page in the file at path on BURSAR_LOAD_BARE_ADDR (loopback
// only) until it is signalled, answering /healthz for startChild.
func serveBare(path string, stdout io.Writer) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var p page
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	addr := os.Getenv("BURSAR_LOAD_BARE_ADDR")
	host, _, err := net.SplitHostPort(addr)
	if err != nil || net.ParseIP(host) == nil || !net.ParseIP(host).IsLoopback() {
		return fmt.Errorf("BURSAR_LOAD_BARE_ADDR %q: want a loopback address", addr)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(http.ResponseWriter, *http.Request) {})
	mux.Handle("/", bareHandler(p))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, "bare baseline on", ln.Addr())
	err = newHTTPServer(mux).Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// fetchPage GETs url and returns its answer as a page to serve again, with the transfer encoding it came with.
func fetchPage(ctx context.Context, c *http.Client, url string) (page, []string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return page{}, nil, err
	}
	res, err := c.Do(req)
	if err != nil {
		return page{}, nil, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return page{}, nil, err
	}
	if res.StatusCode != http.StatusOK {
		return page{}, nil, fmt.Errorf("GET %s: status %d", url, res.StatusCode)
	}
	h := res.Header.Clone()
	h.Del("Date")
	return page{Header: h, Body: body}, res.TransferEncoding, nil
}

// samePage returns an error unless a and b (with their transfer encodings) are the same bytes and headers.
func samePage(a page, ate []string, b page, bte []string) error {
	if string(a.Body) != string(b.Body) {
		return fmt.Errorf("bodies differ: %d and %d bytes", len(a.Body), len(b.Body))
	}
	if strings.Join(ate, ",") != strings.Join(bte, ",") {
		return fmt.Errorf("transfer encodings differ: %v and %v", ate, bte)
	}
	if len(a.Header) != len(b.Header) {
		return fmt.Errorf("headers differ: %v and %v", a.Header, b.Header)
	}
	for k, v := range a.Header {
		if strings.Join(v, "\n") != strings.Join(b.Header[k], "\n") {
			return fmt.Errorf("header %s differs: %q and %q", k, v, b.Header[k])
		}
	}
	return nil
}

// headerLines is a page's headers, one "Name: value" a line, sorted, indented for the report.
func headerLines(p page) string {
	var b strings.Builder
	_ = p.Header.WriteSubset(&b, nil)
	return "    " + strings.ReplaceAll(strings.TrimRight(b.String(), "\r\n"), "\r\n", "\n    ")
}
