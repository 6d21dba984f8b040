//go:build !linux

package main

import (
	"errors"
	"syscall"
	"time"
)

// dieWithParent has no portable equivalent outside Linux: tearDown stops the children.
func dieWithParent() *syscall.SysProcAttr { return nil }

// cpuTime is not measured outside Linux.
func cpuTime(int) (time.Duration, error) {
	return 0, errors.New("CPU time is read from /proc on Linux only")
}
