package server

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// cpuMeter adds up the CPU time (user + system) a benchmark's side costs the machine: this process (the server
// and its HTTP senders), a client process it ran (pgbench), and every process of the PostgreSQL server the pool is
// on — the postmaster, its live children (backends, background workers) and its children that exited meanwhile
// (a backend's time is added to the postmaster's cutime/cstime when it is reaped). Unlike throughput it barely moves
// with what other processes take of a shared machine, so the two sides' CPU per operation compare even on a loaded
// one. It reads /proc: Linux only, and only for the private test cluster this test binary started (without
// TEST_DATABASE_URL): a shared server's processes serve other work too. Otherwise nothing is reported.
type cpuMeter struct {
	postmaster int
	start      time.Duration
	ok         bool
}

// startCPU finds the PostgreSQL server of pool and reads the CPU time so far.
func startCPU(pool *pgxpool.Pool) *cpuMeter {
	m := &cpuMeter{}
	if os.Getenv("TEST_DATABASE_URL") != "" {
		return m
	}
	var dir string
	if err := pool.QueryRow(context.Background(), "SHOW data_directory").Scan(&dir); err != nil {
		return m
	}
	pidFile, err := os.ReadFile(filepath.Join(dir, "postmaster.pid"))
	if err != nil {
		return m
	}
	m.postmaster, err = strconv.Atoi(strings.TrimSpace(strings.SplitN(string(pidFile), "\n", 2)[0]))
	if err != nil {
		return m
	}
	m.start, m.ok = m.now()
	return m
}

// report adds the CPU time per operation since startCPU (client: a child process's CPU time, zero for none) to
// b's metrics as cpu-µs/op.
func (m *cpuMeter) report(b *testing.B, client time.Duration, ops int) {
	if !m.ok || ops == 0 {
		return
	}
	end, ok := m.now()
	if !ok {
		return
	}
	b.ReportMetric(float64((end-m.start+client).Microseconds())/float64(ops), "cpu-µs/op")
}

// now is this process's CPU time plus the PostgreSQL server's.
func (m *cpuMeter) now() (time.Duration, bool) {
	var self syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &self); err != nil {
		return 0, false
	}
	total := time.Duration(self.Utime.Nano() + self.Stime.Nano())
	pm, ok := procCPU(m.postmaster, true)
	if !ok {
		return 0, false
	}
	total += pm
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, false
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == m.postmaster {
			continue
		}
		if ppid, ok := procParent(pid); ok && ppid == m.postmaster {
			if t, ok := procCPU(pid, false); ok {
				total += t
			}
		}
	}
	return total, true
}

// procStat is the fields of /proc/pid/stat after the command's closing parenthesis (field 3 onwards).
func procStat(pid int) ([]string, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil, false
	}
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return nil, false
	}
	f := strings.Fields(string(b[i+1:]))
	return f, len(f) > 14
}

func procParent(pid int) (int, bool) {
	f, ok := procStat(pid)
	if !ok {
		return 0, false
	}
	ppid, err := strconv.Atoi(f[1])
	return ppid, err == nil
}

// procCPU is a process's utime + stime, with its reaped children's cutime + cstime when children.
func procCPU(pid int, children bool) (time.Duration, bool) {
	f, ok := procStat(pid)
	if !ok {
		return 0, false
	}
	fields := []int{11, 12} // utime, stime (fields 14 and 15 of the line)
	if children {
		fields = append(fields, 13, 14) // cutime, cstime
	}
	var ticks int64
	for _, i := range fields {
		n, err := strconv.ParseInt(f[i], 10, 64)
		if err != nil {
			return 0, false
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / clockTicks, true
}

// clockTicks is USER_HZ, the unit of /proc's times: 100 on every Linux platform Go supports.
const clockTicks = 100
