package main

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/evbench/evbench/reports/results"
)

// shardSinkSecret is the signing secret of the standalone-sink tests.
const shardSinkSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// startSinkProcess starts `evbench sink` on a free loopback port and
// returns its webhook URL; the process is ended by its PID at cleanup.
func startSinkProcess(t *testing.T, bin, name, processing string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "sink", "--addr", addr, "--name", name, "--secret-env", "EVBENCH_SHARD_SECRET", "--processing", processing)
	cmd.Env = append(os.Environ(), "EVBENCH_SHARD_SECRET="+shardSinkSecret)
	var o bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &o
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill() // by PID
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("sink %s output:\n%s", name, o.String())
		}
	})
	url := "http://" + addr + "/webhook/" + name
	for deadline := time.Now().Add(10 * time.Second); ; {
		// Any answer (401 for an unsigned ledger request) means it is up.
		if resp, err := http.Get(url + "/ledger"); err == nil {
			resp.Body.Close()
			return url
		}
		if time.Now().After(deadline) {
			t.Fatalf("sink %s did not come up on %s", name, addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestShardedSinksMergeToSingleRun is issue 13's local path with shared
// subscribers: two standalone `evbench sink` processes are the scenario's
// url + sink_ledger subscribers, the built binary runs the scenario once
// as a single host, then as 3 shard processes from one --start-at, every
// shard sending to the same two sinks and reading only its own events
// from their ledgers; `evbench merge` combines the shards. Merged sent,
// delivered, duplicates and lost equal the single run's exactly, the
// merged histograms hold one value per delivery, each shard recorded its
// clock offset against the sinks, and the merged p50 is within the bound
// below of the single run's.
func TestShardedSinksMergeToSingleRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary six times")
	}
	bin := binary(t)
	dir := t.TempDir()
	fast := startSinkProcess(t, bin, "fast", "1ms")
	slow := startSinkProcess(t, bin, "slow", "3ms")
	scen := filepath.Join(dir, "shardsink.yaml")
	if err := os.WriteFile(scen, []byte(fmt.Sprintf(`name: shardsink
load: {arrival: constant, rate: 300/s, duration: 2s, warmup: 0s, drain: 3s}
event: {size: 256B, keys: 20}
subscribers:
  - {name: fast, url: %q, sink_ledger: true}
  - {name: slow, url: %q, sink_ledger: true}
systems:
  webhook:
    retry: {max_attempts: 3}
    signing: {secret_env: EVBENCH_SHARD_SECRET}
`, fast, slow)), 0o644); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "EVBENCH_SHARD_SECRET="+shardSinkSecret)
	run := func(out string, extra ...string) (string, error) {
		cmd := exec.Command(bin, append([]string{"run", scen, "--out", out, "--quiet", "--no-report"}, extra...)...)
		cmd.Env = env
		b, err := cmd.CombinedOutput()
		return string(b), err
	}
	single := filepath.Join(dir, "single")
	if o, err := run(single); err != nil {
		t.Fatalf("single run: %v\n%s", err, o)
	}
	one, err := results.ReadFile(filepath.Join(single, "results.json"))
	if err != nil {
		t.Fatal(err)
	}

	at := time.Now().Add(3 * time.Second).UTC().Truncate(time.Millisecond)
	var wg sync.WaitGroup
	outs, errs := make([]string, 3), make([]string, 3)
	for i := range 3 {
		outs[i] = filepath.Join(dir, "shard", fmt.Sprint(i))
		wg.Add(1)
		go func() {
			defer wg.Done()
			if o, err := run(outs[i], "--shard", fmt.Sprintf("%d/3", i), "--start-at", at.Format(time.RFC3339Nano)); err != nil {
				errs[i] = err.Error() + "\n" + o
			}
		}()
	}
	wg.Wait()
	for i, e := range errs {
		if e != "" {
			t.Fatalf("shard %d/3: %s", i, e)
		}
	}
	var parts []string
	var shardSent [2]int64
	for i, o := range outs {
		path := filepath.Join(o, "results.json")
		parts = append(parts, path)
		r, err := results.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		p := r.Points[0]
		if p.Status != results.StatusComplete {
			t.Fatalf("shard %d: status %s: %s", i, p.Status, p.Error)
		}
		sh := p.Shard
		if sh == nil || sh.ClockOffsetUS == nil || sh.ClockOffsetBoundUS == nil || !strings.HasPrefix(sh.ClockReference, "sink ") {
			t.Fatalf("shard %d: no clock offset recorded: %+v", i, sh)
		}
		// One host: the clocks are the same, so the estimate is within
		// its bound (half the ledger request's round trip) plus 1 ms.
		if off, b := *sh.ClockOffsetUS, *sh.ClockOffsetBoundUS; abs64(off) > b+1000 {
			t.Errorf("shard %d: clock offset %d us against %s (bound %d us) on one host", i, off, sh.ClockReference, b)
		}
		for j, s := range p.Subscribers {
			shardSent[j] += s.Accounting.Sent
			if s.Endpoint == nil || s.Endpoint.Mode != results.EndpointSinkLedger {
				t.Errorf("shard %d %s: endpoint %+v, want the sink-ledger mode", i, s.Name, s.Endpoint)
			}
			if s.E2E.LatencyUS.Count != s.Accounting.Delivered {
				t.Errorf("shard %d %s: its part of the sink's histogram holds %d values for %d deliveries", i, s.Name, s.E2E.LatencyUS.Count, s.Accounting.Delivered)
			}
		}
		t.Logf("shard %d/3: sent %d, clock offset %d us (bound %d us) against %s", i, p.Subscribers[0].Accounting.Sent, *sh.ClockOffsetUS, *sh.ClockOffsetBoundUS, sh.ClockReference)
	}
	mergedPath := filepath.Join(dir, "merged.json")
	if _, stderr, code := runBin(t, bin, append(append([]string{"merge"}, parts...), "--out", mergedPath)...); code != 0 {
		t.Fatalf("merge: exit %d\n%s", code, stderr)
	}
	m, err := results.ReadFile(mergedPath)
	if err != nil {
		t.Fatal(err)
	}
	sch := resultsSchema(t)
	for _, path := range append(parts, mergedPath) {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := validateResults(t, sch, b); err != nil {
			t.Errorf("%s does not match docs/results.schema.json: %v", path, err)
		}
	}
	mp, sp := m.Points[0], one.Points[0]
	notes := strings.Join(mp.Notes, "\n")
	if !strings.Contains(notes, "shards: 3 of 3 merged") || !strings.Contains(notes, "clocks: ") {
		t.Errorf("merged notes lack the shard or clock note: %q", mp.Notes)
	}
	t.Logf("%-8s %-4s %6s %9s %10s %4s %7s %7s %7s", "run", "sub", "sent", "delivered", "duplicates", "lost", "p50 us", "p99 us", "count")
	for j, ms := range mp.Subscribers {
		ss := sp.Subscribers[j]
		for _, row := range []struct {
			run string
			s   results.Subscriber
		}{{"single", ss}, {"3 shards", ms}} {
			a, l := row.s.Accounting, row.s.E2E.LatencyUS
			t.Logf("%-8s %-4s %6d %9d %10d %4d %7d %7d %7d", row.run, row.s.Name, a.Sent, a.Delivered, a.Duplicates, a.Lost, l.P50, l.P99, l.Count)
		}
		a, b := ms.Accounting, ss.Accounting
		if ms.Name != ss.Name || a.Sent != b.Sent || a.Delivered != b.Delivered || a.Duplicates != b.Duplicates || a.Lost != b.Lost {
			t.Errorf("%s: merged sent/delivered/duplicates/lost %d/%d/%d/%d, single run %d/%d/%d/%d",
				ms.Name, a.Sent, a.Delivered, a.Duplicates, a.Lost, b.Sent, b.Delivered, b.Duplicates, b.Lost)
		}
		if a.Sent != shardSent[j] {
			t.Errorf("%s: merged sent %d, the shards sent %d", ms.Name, a.Sent, shardSent[j])
		}
		// Loopback sinks lose nothing: a count that matches only because
		// both runs lost everything would prove nothing.
		if b.Delivered != b.Sent || b.Sent < 500 {
			t.Errorf("%s: single run delivered %d of %d", ms.Name, b.Delivered, b.Sent)
		}
		if ms.E2E.LatencyUS.Count != a.Delivered {
			t.Errorf("%s: merged histogram holds %d values for %d deliveries", ms.Name, ms.E2E.LatencyUS.Count, a.Delivered)
		}
		set, err := results.DecodeIDSet(ms.DeliveredIDs)
		if err != nil || int64(set.GetCardinality()) != a.Delivered {
			t.Errorf("%s: merged delivered set: %v, %v", ms.Name, set.GetCardinality(), err)
		}
		// Separate runs differ in timing, so percentiles cannot be equal
		// to HdrHistogram's precision (0.1%) as sums of one run's would
		// be: the p50 is the sinks' fixed processing (1 or 3 ms) plus
		// loopback and scheduling jitter, which three processes on two
		// shared cores add to; bound it by 2 ms or 50%, whichever is
		// larger, which a wrong histogram (another shard's part, or all
		// parts in every shard: 3x the count) would not pass the count
		// check above anyway.
		d, tol := abs64(ms.E2E.LatencyUS.P50-ss.E2E.LatencyUS.P50), max(int64(2000), ss.E2E.LatencyUS.P50/2)
		if d > tol {
			t.Errorf("%s: merged p50 %d us, single run %d us: apart by more than %d us", ms.Name, ms.E2E.LatencyUS.P50, ss.E2E.LatencyUS.P50, tol)
		}
	}
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}
