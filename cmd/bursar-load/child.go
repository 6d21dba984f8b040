package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// child is a process this run started; it is stopped by its pid and nothing else.
type child struct {
	name string
	cmd  *exec.Cmd
	log  string        // its standard output and error
	exit chan struct{} // closed once it has been waited for
	err  error         // its exit error, once exit is closed
}

// startChild starts bin with args and env, its output in logPath, and waits until GET ready answers 200 (at most
// 90 s), or fails with the end of its log if it exits first.
func startChild(ctx context.Context, name, bin string, env []string, logPath, ready string, args ...string) (*child, error) {
	f, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = dieWithParent()
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	c := &child{name: name, cmd: cmd, log: logPath, exit: make(chan struct{})}
	go func() {
		c.err = cmd.Wait()
		f.Close()
		close(c.exit)
	}()
	if err := c.waitReady(ctx, ready); err != nil {
		c.stop()
		return nil, err
	}
	return c, nil
}

// waitReady polls url every 100 ms until it answers 200, the child exits, ctx ends or 90 s pass.
func (c *child) waitReady(ctx context.Context, url string) error {
	hc := &http.Client{Timeout: 2 * time.Second}
	deadline := time.NewTimer(90 * time.Second)
	defer deadline.Stop()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		if res, err := hc.Get(url); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-c.exit:
			return fmt.Errorf("%s exited while starting (%v); the end of its log:\n%s", c.name, c.err, tail(c.log, 30))
		case <-deadline.C:
			return fmt.Errorf("%s not ready after 90s; the end of its log:\n%s", c.name, tail(c.log, 30))
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

func (c *child) pid() int { return c.cmd.Process.Pid }

// stop sends SIGTERM to the child's pid and waits for it to exit; after 30 s, SIGKILL.
func (c *child) stop() {
	select {
	case <-c.exit:
		return
	default:
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.exit:
	case <-time.After(30 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.exit
	}
}

// failed reports whether the child has exited with an error other than the SIGTERM stop sent.
func (c *child) failed() bool {
	select {
	case <-c.exit:
	default:
		return false
	}
	if c.err == nil {
		return false
	}
	if ee, ok := c.err.(*exec.ExitError); ok {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGTERM {
			return false
		}
	}
	return true
}

// freeLoopbackAddr is a 127.0.0.1 address with a port nobody listens on right now.
func freeLoopbackAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}
