package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/evbench/evbench/internal/brokertest"
	"github.com/evbench/evbench/reports/compare"
	"github.com/evbench/evbench/reports/results"
)

// TestKafkaClockShiftDetected is the fault-injected clock offset of issue
// 13 item 5 for Kafka: on the real broker, 2 producer shards
// (--external-consumers) and 2 `evbench consume` processes run one
// scenario, one consume process with --clock-shift 40ms (as if its host's
// clock were 40 ms ahead). Every process estimates its offset against the
// broker: on one host the true offsets are the shifts (0 and 40 ms), and
// each estimate is within its bound of its shift; `evbench merge` warns on
// stderr and in the notes that the shifted process and a producer are
// about 40 ms apart, and the drill is noted in results.
func TestKafkaClockShiftDetected(t *testing.T) {
	brokers := brokertest.RequireReal(t)
	if testing.Short() {
		t.Skip("runs the binary five times")
	}
	const shift = 40 * time.Millisecond
	bin := binary(t)
	dir := t.TempDir()
	topic := fmt.Sprintf("evbench-clockdrill-test-%d", time.Now().UnixNano())
	t.Cleanup(func() { deleteTopic(t, brokers, topic) })
	scen := filepath.Join(dir, "drill.yaml")
	if err := os.WriteFile(scen, []byte(consumeScenario(brokers, topic)), 0o644); err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(20 * time.Second).UTC().Truncate(time.Millisecond)
	start := at.Format(time.RFC3339Nano)
	var docs []string
	var waits []func() (string, error)
	for i, d := range []time.Duration{0, shift} {
		out := filepath.Join(dir, "consumer", fmt.Sprint(i))
		docs = append(docs, filepath.Join(out, "results.json"))
		waits = append(waits, startConsume(t, bin, scen, "--start-at", start, "--shards", "2", "--members", "1",
			"--name", fmt.Sprintf("consumer-%d", i), "--out", out, "--clock-shift", d.String()))
	}
	var wg sync.WaitGroup
	errs := make([]string, 2)
	for i := range 2 {
		out := filepath.Join(dir, "shard", fmt.Sprint(i))
		docs = append(docs, filepath.Join(out, "results.json"))
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(bin, "run", scen, "--out", out, "--quiet", "--no-report",
				"--shard", fmt.Sprintf("%d/2", i), "--start-at", start, "--external-consumers")
			if b, err := cmd.CombinedOutput(); err != nil {
				errs[i] = fmt.Sprintf("shard %d/2: %v\n%s", i, err, b)
			}
		}()
	}
	wg.Wait()
	for i, w := range waits {
		if o, err := w(); err != nil {
			t.Errorf("consumer %d: %v\n%s", i, err, o)
		}
	}
	for _, e := range errs {
		if e != "" {
			t.Error(e)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	for i, path := range docs {
		r, err := results.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		p := r.Points[0]
		var off, bound *int64
		var ref string
		want := time.Duration(0)
		if p.Consumer != nil {
			off, bound, ref = p.Consumer.ClockOffsetUS, p.Consumer.ClockOffsetBoundUS, p.Consumer.ClockReference
			if p.Consumer.Name == "consumer-1" {
				want = shift
			}
		} else if p.Shard != nil {
			off, bound, ref = p.Shard.ClockOffsetUS, p.Shard.ClockOffsetBoundUS, p.Shard.ClockReference
		}
		if off == nil || bound == nil || ref != "kafka broker" {
			t.Fatalf("%s: no clock offset against the broker; notes %q", path, p.Notes)
		}
		got := time.Duration(*off) * time.Microsecond
		// Within the bound, plus 1 ms for the wall clock's slewing while
		// the processes ran (each anchors its clock once, at its start).
		b := time.Duration(*bound) * time.Microsecond
		t.Logf("document %d: clock offset %v (bound %v), injected %v", i, got, b, want)
		if (got - want).Abs() > b+time.Millisecond {
			t.Errorf("%s: clock offset %v ± %v, injected %v", path, got, b, want)
		}
		drill := strings.Contains(strings.Join(p.Notes, "\n"), "--clock-shift "+shift.String())
		if drill != (want != 0) {
			t.Errorf("%s: drill noted %v, shift %v: %q", path, drill, want, p.Notes)
		}
	}
	mergedPath := filepath.Join(dir, "merged.json")
	_, stderr, code := runBin(t, bin, append(append([]string{"merge"}, docs...), "--out", mergedPath)...)
	if code != 0 {
		t.Fatalf("merge: exit %d\n%s", code, stderr)
	}
	m, err := results.ReadFile(mergedPath)
	if err != nil {
		t.Fatal(err)
	}
	var note string
	for _, n := range m.Points[0].Notes {
		if strings.HasPrefix(n, compare.ClockNotePrefix) {
			note = n
		}
	}
	t.Logf("merge: %s", note)
	if !strings.Contains(note, "WARNING: shard ") || !strings.Contains(note, "off consume process consumer-1's (each against kafka broker") {
		t.Errorf("merged clock note does not warn about consumer-1: %q", note)
	}
	if !strings.Contains(stderr, "warning: point ") || !strings.Contains(stderr, "consume process consumer-1") {
		t.Errorf("merge did not warn on stderr:\n%s", stderr)
	}
}
