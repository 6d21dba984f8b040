package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// gcTrace follows a child's log written with GODEBUG=gctrace=1: each call to since reads the lines added after the
// previous call and sums up the collections they report.
type gcTrace struct {
	path   string
	offset int64
}

// gcStats are the garbage collections of one stretch of a run.
type gcStats struct {
	cycles  int
	stw     time.Duration // the two stop-the-world phases of every cycle, summed
	maxSTW  time.Duration // the longest stop-the-world phase
	mark    time.Duration // the concurrent mark phases' wall time, summed
	liveMB  int           // the live heap after the last cycle
	heapMB  int           // the largest heap at the start of a cycle
	unknown bool          // the log could not be read
}

func (g *gcTrace) since() gcStats {
	f, err := os.Open(g.path)
	if err != nil {
		return gcStats{unknown: true}
	}
	defer f.Close()
	if _, err := f.Seek(g.offset, io.SeekStart); err != nil {
		return gcStats{unknown: true}
	}
	var s gcStats
	r := bufio.NewReader(f)
	for {
		line, err := r.ReadString('\n')
		if err != nil { // a partial last line is read again next time
			break
		}
		g.offset += int64(len(line))
		parseGCLine(line, &s)
	}
	return s
}

// parseGCLine adds one gctrace line to s:
//
//	gc 7 @0.412s 2%: 0.021+1.3+0.004 ms clock, 0.042+0.31/0.55/0+0.008 ms cpu, 4->4->1 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 2 P
func parseGCLine(line string, s *gcStats) {
	if !strings.HasPrefix(line, "gc ") {
		return
	}
	_, rest, ok := strings.Cut(line, ": ")
	if !ok {
		return
	}
	parts := strings.Split(rest, ", ")
	if len(parts) < 3 {
		return
	}
	clock := strings.Split(strings.TrimSuffix(parts[0], " ms clock"), "+")
	heap := strings.Split(strings.TrimSuffix(parts[2], " MB"), "->")
	if len(clock) != 3 || len(heap) != 3 {
		return
	}
	ms := func(v string) time.Duration {
		f, _ := strconv.ParseFloat(v, 64)
		return time.Duration(f * float64(time.Millisecond))
	}
	s.cycles++
	for _, stw := range []time.Duration{ms(clock[0]), ms(clock[2])} {
		s.stw += stw
		s.maxSTW = max(s.maxSTW, stw)
	}
	s.mark += ms(clock[1])
	start, _ := strconv.Atoi(heap[0])
	s.heapMB = max(s.heapMB, start)
	s.liveMB, _ = strconv.Atoi(heap[2])
}

// add sums two stretches; the live heap is the later one's.
func (s gcStats) add(o gcStats) gcStats {
	s.unknown = s.unknown || o.unknown
	s.cycles += o.cycles
	s.stw += o.stw
	s.maxSTW = max(s.maxSTW, o.maxSTW)
	s.mark += o.mark
	s.heapMB = max(s.heapMB, o.heapMB)
	if o.cycles > 0 {
		s.liveMB = o.liveMB
	}
	return s
}

// String is one line for the report.
func (s gcStats) String(requests int) string {
	if s.unknown {
		return "GC: ?"
	}
	per := 0.0
	if requests > 0 {
		per = 1000 * float64(s.cycles) / float64(requests)
	}
	return fmt.Sprintf("GC %3d (%.2f/1000 req), mark %4.0fms, STW max %.2fms, heap ≤%d MB, live %d MB", s.cycles, per,
		float64(s.mark)/float64(time.Millisecond), float64(s.maxSTW)/float64(time.Millisecond), s.heapMB, s.liveMB)
}
