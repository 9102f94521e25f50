package measure_test

import (
	"bufio"
	"context"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/evbench/evbench/runners/load"
	"github.com/evbench/evbench/runners/measure"
	"github.com/evbench/evbench/scenarios"
)

// vmHWM is the kernel's own peak-RSS figure for this process (VmHWM in
// /proc/self/status, in bytes), read independently of getrusage; 0 where
// /proc is not available.
func vmHWM(t *testing.T) int64 {
	t.Helper()
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatalf("VmHWM %q: %v", v, err)
			}
			return kb << 10
		}
	}
	return 0
}

// TestMaxRSSCoversTouchedAllocation: the point's max_rss_bytes is the
// process's peak, not its resident set at the end: a 160 MiB block the test
// allocates, writes to every page of and frees before the point runs must
// still be counted, in bytes (ru_maxrss is KiB on Linux; a figure taken as
// bytes would be 1,024 times too small). Where /proc is available the
// figure is also checked against the kernel's VmHWM.
func TestMaxRSSCoversTouchedAllocation(t *testing.T) {
	const block = 160 << 20
	buf := make([]byte, block)
	for i := 0; i < len(buf); i += 4096 {
		buf[i] = 1 // every page resident
	}
	runtime.KeepAlive(buf)
	buf = nil
	runtime.GC()
	hwm := vmHWM(t)

	sc := &scenarios.Scenario{Name: "t",
		Load:  scenarios.Load{Rate: 100, Duration: scenarios.Duration(200 * time.Millisecond)},
		Event: scenarios.Event{Size: scenarios.Dist{Kind: scenarios.DistFixed, Value: 100}, Keys: 1, Seed: 1}}
	gen, err := load.New(sc)
	if err != nil {
		t.Fatal(err)
	}
	mp := measure.NewPoint("test", gen, []string{"a"}, 1)
	start := load.Now() + int64(10*time.Millisecond)
	mp.Start(start)
	gen.Run(context.Background(), start, func(e load.Event) { mp.Subs[0].Delivered(e.ID, e.Key, e.Intended, load.Now()) })
	res, err := mp.Finish(direct, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := res.Resources.MaxRSSBytes
	if got < block {
		t.Errorf("max_rss_bytes %d (%.1f MiB), want at least the %d MiB block the test touched", got, float64(got)/(1<<20), block>>20)
	}
	// getrusage reads the kernel's per-CPU RSS counters without summing
	// their pending deltas, /proc/self/status sums them: the two differ by
	// a few dozen pages (seen: 88 KiB). 1 MiB of slack keeps the check
	// that the figure is the peak in bytes (a KiB/bytes mix-up is a factor
	// of 1,024).
	if hwm > 0 && got < hwm-1<<20 {
		t.Errorf("max_rss_bytes %d, below the kernel's VmHWM %d read before the point by more than 1 MiB", got, hwm)
	}
	if p := measure.PeakRSS(); p < got {
		t.Errorf("PeakRSS() %d after the point, below the point's %d: the high-water mark went down", p, got)
	}
}
