package main

import (
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/evbench/evbench/reports/results"
)

// bigSweep is a results document shaped like a long real sweep: n points
// cycling through the three systems, rates and subscriber counts, two
// subscribers each with e2e (and, for webhook, per-attempt) histograms of
// a thousand-odd values, and ten seconds of time series per point.
func bigSweep(t testing.TB, n int) *results.Results {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	start := time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	r := &results.Results{Schema: results.Schema, Status: results.StatusComplete, Command: "evbench run big-sweep",
		Scenario:    []byte(`{"name":"big-sweep"}`),
		Environment: results.Environment{Go: "go1.26", OS: "linux", Arch: "amd64", CPUs: 2, StartedAt: start}}
	systems := []string{"webhook", "kafka", "bridge"}
	lat := func(scale float64, count int) results.Latency {
		h := results.NewHistogram()
		for i := 0; i < count; i++ {
			_ = h.RecordValue(int64(500 + scale*rng.ExpFloat64()*1000))
		}
		l, err := results.NewLatency(h)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	for i := 0; i < n; i++ {
		sys := systems[i%3]
		rate := float64(100 * (1 + (i/3)%40))
		subs := 1 + (i/120)%3
		p := results.Point{System: sys, Params: map[string]float64{"rate_per_s": rate, "subscribers": float64(subs), "partitions": float64(1 + i/360)},
			Repeat: 1, Status: results.StatusComplete, OfferedPerS: rate, AchievedPerS: rate * 0.99, DurationS: 5,
			StartedAt: start.Add(time.Duration(i) * 10 * time.Second),
			Resources: results.Resources{CPUUserS: 1, CPUSysS: 0.5, MaxRSSBytes: 80 << 20, BytesSent: int64(rate) * 5000}}
		scale := 1 + float64(i%40)/10
		if sys != "webhook" {
			pub := lat(scale/2, 1000)
			p.Publish = &pub
			p.PublishErrors = &results.Errors{}
		}
		for s := 0; s < 2; s++ {
			e2e := lat(scale, 1000)
			sub := results.Subscriber{Name: "sub-" + strconv.Itoa(s), E2E: e2e,
				Accounting: results.Accounting{Sent: 1000, Delivered: 1000}}
			if sys == "webhook" {
				att := lat(scale, 1000)
				sub.Attempt = &att
			}
			p.Subscribers = append(p.Subscribers, sub)
		}
		for s := 1; s <= 10; s++ {
			p.Timeseries = append(p.Timeseries, results.Sample{TS: float64(s), Offered: rate, Achieved: rate, P50US: 1000, P99US: int64(3000 * scale), Delivered: int64(rate)})
		}
		r.Points = append(r.Points, p)
	}
	return r
}

// TestWriteBigSweep writes the big sweep document for measuring `evbench
// report` by hand (see README "Benchmarks"):
//
//	EVBENCH_BIG_SWEEP=/tmp/big.json go test -run TestWriteBigSweep ./cmd/evbench/
//	/usr/bin/time -v evbench report /tmp/big.json --out /tmp/big-report
func TestWriteBigSweep(t *testing.T) {
	path := os.Getenv("EVBENCH_BIG_SWEEP")
	if path == "" {
		t.Skip("EVBENCH_BIG_SWEEP not set")
	}
	n := 4000
	if v, err := strconv.Atoi(os.Getenv("EVBENCH_BIG_SWEEP_POINTS")); err == nil {
		n = v
	}
	if err := results.WriteFile(path, bigSweep(t, n)); err != nil {
		t.Fatal(err)
	}
}

// maxRSS returns the peak resident set of a finished child process.
func maxRSS(t *testing.T, ps *os.ProcessState) int64 {
	t.Helper()
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		t.Skip("no rusage on this platform")
	}
	return ru.Maxrss * 1024 // kilobytes on Linux
}

// TestReportMemoryBounded runs `evbench report` on a 1,000-point sweep and
// checks its peak RSS. The interval logs used to hold every point's
// decoded histograms at once (about 190 KB each): 846 MB for this document,
// 3.4 GB for 4,000 points (issue 9 item 13). Now each histogram is decoded
// on its own and its encoding reused: about 64 MB here.
func TestReportMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds a 1,000-point document")
	}
	bin := binary(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "results.json")
	if err := results.WriteFile(path, bigSweep(t, 1000)); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "report", path, "--out", filepath.Join(dir, "report"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("report: %v\n%s", err, out)
	}
	const limit = 256 << 20
	if rss := maxRSS(t, cmd.ProcessState); rss > limit {
		t.Errorf("evbench report on a 1,000-point sweep peaked at %d MB RSS, want under %d MB", rss>>20, limit>>20)
	} else {
		t.Logf("peak RSS %d MB", rss>>20)
	}
}
