// Command startup measures how fast `bursar serve` starts and how much memory it holds at idle, and how long CLI
// commands take, for one or more bursar binaries, interleaved round by round so a shared machine's noise falls on
// all of them alike (docs/PERFORMANCE.md, "Cold start and idle memory"). scripts/startup.sh builds the binaries and
// the database; run it through `make startup`.
//
//	go run ./scripts/startup [-runs 11] [-idle 3s] LABEL=BINARY ...
//
// DATABASE_URL must name a migrated database; BURSAR_SECRET_KEY and the rest of the environment pass through.
// For each binary and round it records: serve's time from exec to the first 200 from /healthz, its VmRSS after
// -idle more (and VmHWM, the peak), then the wall and CPU time of `help`, `migrate status` and `apikey create`. It
// prints medians and ranges as a markdown table.
package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// metrics are the names of what is measured, in the order of the table's rows.
var metrics = []string{"serve ready (ms)", "serve idle VmRSS (MB)", "serve VmHWM (MB)",
	"help (ms)", "help CPU (ms)", "migrate status (ms)", "migrate status CPU (ms)", "apikey create (ms)", "apikey create CPU (ms)"}

func main() {
	runs := flag.Int("runs", 11, "rounds; each measures every binary once")
	idle := flag.Duration("idle", 3*time.Second, "how long serve idles after ready before its memory is read")
	flag.Parse()
	if flag.NArg() == 0 || os.Getenv("DATABASE_URL") == "" {
		fmt.Fprintln(os.Stderr, "usage: DATABASE_URL=… startup [-runs N] [-idle D] LABEL=BINARY ...")
		os.Exit(2)
	}
	var labels, bins []string
	for _, a := range flag.Args() {
		label, bin, ok := strings.Cut(a, "=")
		if !ok {
			label, bin = a, a
		}
		labels, bins = append(labels, label), append(bins, bin)
	}
	got := make([]map[string][]float64, len(bins))
	for i := range got {
		got[i] = map[string][]float64{}
	}
	for round := range *runs {
		for k := range bins {
			// Alternate the order each round: whichever runs second may find caches warmer.
			i := k
			if round%2 == 1 {
				i = len(bins) - 1 - k
			}
			if err := measure(bins[i], *idle, round, got[i]); err != nil {
				fmt.Fprintf(os.Stderr, "%s: %v\n", labels[i], err)
				os.Exit(1)
			}
		}
		fmt.Fprintf(os.Stderr, "round %d of %d done\n", round+1, *runs)
	}
	fmt.Printf("| metric (median, range; %d runs) |", *runs)
	for _, l := range labels {
		fmt.Printf(" %s |", l)
	}
	fmt.Printf("\n| --- |%s\n", strings.Repeat(" --- |", len(labels)))
	for _, m := range metrics {
		fmt.Printf("| %s |", m)
		for i := range bins {
			fmt.Printf(" %s |", summary(got[i][m]))
		}
		fmt.Println()
	}
}

// measure runs one round for bin, appending to got.
func measure(bin string, idle time.Duration, round int, got map[string][]float64) error {
	ready, rss, hwm, err := serve(bin, idle)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	got[metrics[0]] = append(got[metrics[0]], ms(ready))
	got[metrics[1]] = append(got[metrics[1]], rss)
	got[metrics[2]] = append(got[metrics[2]], hwm)
	cmds := [][]string{{"help"}, {"migrate", "status"}, {"apikey", "create", "--name", "startup " + strconv.Itoa(round)}}
	for j, args := range cmds {
		wall, cpu, err := timed(bin, args...)
		if err != nil {
			return fmt.Errorf("%s: %w", strings.Join(args, " "), err)
		}
		got[metrics[3+2*j]] = append(got[metrics[3+2*j]], ms(wall))
		got[metrics[4+2*j]] = append(got[metrics[4+2*j]], ms(cpu))
	}
	return nil
}

// serve starts `bin serve` on a free loopback port, waits for /healthz to answer 200, lets it idle, reads its
// memory and stops it with SIGTERM.
func serve(bin string, idle time.Duration) (ready time.Duration, rssMB, hwmMB float64, err error) {
	addr, err := freeAddr()
	if err != nil {
		return 0, 0, 0, err
	}
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(), "BURSAR_ADDR="+addr, "BURSAR_LOG_LEVEL=warn")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, 0, err
	}
	exited := make(chan struct{})
	var waitErr error
	go func() {
		waitErr = cmd.Wait()
		close(exited)
	}()
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	}()
	client := &http.Client{Timeout: time.Second}
	url := "http://" + addr + "/healthz"
	for {
		if time.Since(start) > 30*time.Second {
			return 0, 0, 0, errors.New("not ready after 30s")
		}
		select {
		case <-exited:
			return 0, 0, 0, fmt.Errorf("exited before ready (%v): %s", waitErr, stderr.String())
		default:
		}
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	ready = time.Since(start)
	client.CloseIdleConnections()
	time.Sleep(idle)
	rssMB, hwmMB, err = memory(cmd.Process.Pid)
	return ready, rssMB, hwmMB, err
}

// timed runs bin with args and returns its wall time and its CPU time (user and system): on a shared machine the
// wall time includes waiting for a core, the CPU time is the process's own work.
func timed(bin string, args ...string) (wall, cpu time.Duration, err error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "BURSAR_LOG_LEVEL=warn")
	start := time.Now()
	out, err := cmd.CombinedOutput()
	wall = time.Since(start)
	if err != nil {
		return 0, 0, fmt.Errorf("%w: %s", err, out)
	}
	return wall, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), nil
}

// memory reads VmRSS and VmHWM of pid, in MB (10^6 bytes).
func memory(pid int) (rss, hwm float64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	for line := range strings.Lines(string(b)) {
		f := strings.Fields(line)
		if len(f) != 3 || f[2] != "kB" {
			continue
		}
		kb, err := strconv.ParseFloat(f[1], 64)
		if err != nil {
			return 0, 0, err
		}
		switch f[0] {
		case "VmRSS:":
			rss = kb * 1024 / 1e6
		case "VmHWM:":
			hwm = kb * 1024 / 1e6
		}
	}
	if rss == 0 {
		return 0, 0, errors.New("no VmRSS in /proc status")
	}
	return rss, hwm, nil
}

// freeAddr returns a loopback address with a port free a moment ago.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// summary is "median (min–max)".
func summary(v []float64) string {
	if len(v) == 0 {
		return "–"
	}
	s := slices.Sorted(slices.Values(v))
	med := s[len(s)/2]
	if len(s)%2 == 0 {
		med = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return fmt.Sprintf("%.1f (%.1f–%.1f)", med, s[0], s[len(s)-1])
}
