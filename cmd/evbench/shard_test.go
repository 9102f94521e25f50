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

	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/runners/kafka"
	"github.com/evbench/evbench/runners/load"
	"github.com/evbench/evbench/runners/webhook"
	"github.com/evbench/evbench/scenarios"
)

func TestShardPlan(t *testing.T) {
	now := time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	one := make([]scenarios.PointSpec, 1)
	webhookOnly := &scenarios.Scenario{Systems: scenarios.NewSystems(map[string]scenarios.Block{"webhook": &webhook.Config{}}),
		Load: scenarios.Load{Warmup: scenarios.Duration(time.Second), Duration: scenarios.Duration(30 * time.Second)}}
	twoSystems := &scenarios.Scenario{Systems: scenarios.NewSystems(map[string]scenarios.Block{"webhook": &webhook.Config{}, "kafka": &kafka.Config{}})}
	ledger := &scenarios.Scenario{Systems: scenarios.NewSystems(map[string]scenarios.Block{"webhook": &webhook.Config{}}),
		Load:        scenarios.Load{Duration: scenarios.Duration(30 * time.Second)},
		Subscribers: []scenarios.Subscriber{{Name: "remote", URL: "http://127.0.0.1:9/webhook/remote", SinkLedger: true}}}
	sharedTopic := &scenarios.Scenario{Systems: scenarios.NewSystems(map[string]scenarios.Block{"kafka": &kafka.Config{Topic: scenarios.Topic{Name: "orders"}}})}
	for _, c := range []struct {
		name   string
		f      shardFlags
		sc     *scenarios.Scenario
		points []scenarios.PointSpec
		want   *load.Plan
		err    string
	}{
		{"no flags", shardFlags{}, webhookOnly, one, nil, ""},
		{"clock shift too large", shardFlags{clockShift: 2 * time.Minute}, webhookOnly, one, nil, "--clock-shift 2m0s: at most 1m0s"},
		{"shard and start", shardFlags{shard: "2/3", startAt: "2026-03-14T09:01:00Z", external: false}, webhookOnly, one,
			&load.Plan{Shard: load.Shard{Index: 2, Count: 3}, StartAt: now.Add(time.Minute)}, ""},
		{"start only", shardFlags{shard: "", startAt: "2026-03-14T09:00:30.5+00:00", external: false}, webhookOnly, one,
			&load.Plan{Shard: load.Shard{Index: 0, Count: 1}, StartAt: now.Add(30500 * time.Millisecond)}, ""},
		{"shard without start", shardFlags{shard: "1/3", startAt: "", external: false}, webhookOnly, one, nil, "needs --start-at"},
		{"bad shard", shardFlags{shard: "3/3", startAt: "2026-03-14T09:01:00Z", external: false}, webhookOnly, one, nil, "0 <= INDEX < COUNT"},
		{"bad time", shardFlags{shard: "0/3", startAt: "09:01", external: false}, webhookOnly, one, nil, "RFC 3339"},
		{"late but within the schedule", shardFlags{shard: "0/3", startAt: "2026-03-14T08:59:40Z", external: false}, webhookOnly, one,
			&load.Plan{Shard: load.Shard{Index: 0, Count: 3}, StartAt: now.Add(-20 * time.Second)}, ""},
		{"stale", shardFlags{shard: "0/3", startAt: "2026-03-14T08:59:00Z", external: false}, webhookOnly, one, nil, "would be over"},
		{"too far", shardFlags{shard: "0/3", startAt: "2026-03-16T09:01:00Z", external: false}, webhookOnly, one, nil, "ahead"},
		{"sweep", shardFlags{shard: "0/3", startAt: "2026-03-14T09:01:00Z", external: false}, webhookOnly, make([]scenarios.PointSpec, 2), nil, "exactly one point"},
		{"two systems", shardFlags{shard: "0/3", startAt: "2026-03-14T09:01:00Z", external: false}, twoSystems, one, nil, "exactly one point"},
		{"sink ledger read per shard", shardFlags{shard: "0/3", startAt: "2026-03-14T09:01:00Z", external: false}, ledger, one,
			&load.Plan{Shard: load.Shard{Index: 0, Count: 3}, StartAt: now.Add(time.Minute)}, ""},
		{"shared kafka topic", shardFlags{shard: "0/3", startAt: "2026-03-14T09:01:00Z", external: false}, sharedTopic, one, nil, "shared by the shards"},
		{"shared kafka topic, external consumers", shardFlags{shard: "0/3", startAt: "2026-03-14T09:01:00Z", external: true}, sharedTopic, one,
			&load.Plan{Shard: load.Shard{Index: 0, Count: 3}, StartAt: now.Add(time.Minute), ExternalConsumers: true}, ""},
		{"external consumers without start", shardFlags{shard: "", startAt: "", external: true}, sharedTopic, one, nil, "needs --start-at"},
		{"external consumers, no topic name", shardFlags{shard: "0/3", startAt: "2026-03-14T09:01:00Z", external: true}, &scenarios.Scenario{Systems: scenarios.NewSystems(map[string]scenarios.Block{"kafka": &kafka.Config{}})}, one, nil, "topic.name"},
		{"external consumers, flows", shardFlags{shard: "0/3", startAt: "2026-03-14T09:01:00Z", external: true}, &scenarios.Scenario{Systems: sharedTopic.Systems, Flows: []scenarios.Flow{{Name: "orders"}}}, one, nil, "has flows"},
		{"external consumers, webhook", shardFlags{shard: "0/3", startAt: "2026-03-14T09:01:00Z", external: true}, webhookOnly, one, nil, "kafka system alone"},
		{"kafka, own topics", shardFlags{shard: "0/3", startAt: "2026-03-14T09:01:00Z", external: false}, &scenarios.Scenario{Systems: scenarios.NewSystems(map[string]scenarios.Block{"kafka": &kafka.Config{}})}, one,
			&load.Plan{Shard: load.Shard{Index: 0, Count: 3}, StartAt: now.Add(time.Minute)}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := shardPlan(c.f, c.sc, c.points, now)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err = %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (got == nil) != (c.want == nil) || got != nil && (got.Shard != c.want.Shard || !got.StartAt.Equal(c.want.StartAt)) {
				t.Fatalf("plan %+v, want %+v", got, c.want)
			}
		})
	}
}

// TestShardedRunMergesToSingleRun is the local path of docs/kubernetes.md:
// the built binary runs the scenario once as a single host, then as 3
// shard processes started together with one --start-at (shard 2 launched
// late on purpose), and evbench merge combines the shards. The merged
// sent equals the single run's exactly, every event is delivered once, the
// merged histogram holds one value per delivery, and the late shard
// recorded its lateness.
func TestShardedRunMergesToSingleRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary four times")
	}
	bin := binary(t)
	dir := t.TempDir()
	scen := "testdata/shard.yaml"
	single := filepath.Join(dir, "single")
	if _, stderr, code := runBin(t, bin, "run", scen, "--out", single, "--quiet", "--no-report"); code != 0 {
		t.Fatalf("single run: exit %d\n%s", code, stderr)
	}
	one, err := results.ReadFile(filepath.Join(single, "results.json"))
	if err != nil {
		t.Fatal(err)
	}

	at := time.Now().Add(3 * time.Second).UTC().Truncate(time.Millisecond)
	const late = 400 * time.Millisecond
	var wg sync.WaitGroup
	outs := make([]string, 3)
	errs := make([]string, 3)
	for i := range 3 {
		outs[i] = filepath.Join(dir, "shard", string(rune('0'+i)))
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i == 2 {
				time.Sleep(time.Until(at.Add(late)))
			}
			cmd := exec.Command(bin, "run", scen, "--out", outs[i], "--quiet", "--no-report",
				"--shard", string(rune('0'+i))+"/3", "--start-at", at.Format(time.RFC3339Nano))
			b, err := cmd.CombinedOutput()
			if err != nil {
				errs[i] = err.Error() + "\n" + string(b)
			} else if want := fmt.Sprintf("shard %d/3 (webhook): started ", i); !strings.Contains(string(b), want) {
				errs[i] = fmt.Sprintf("output lacks %q:\n%s", want, b)
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
	for i, o := range outs {
		path := filepath.Join(o, "results.json")
		parts = append(parts, path)
		r, err := results.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		p := r.Points[0]
		if p.Shard == nil || p.Shard.Index != i || p.Shard.Count != 3 || !p.Shard.StartAt.Equal(at) || p.IDs == nil || p.IDs.Stride != 3 {
			t.Fatalf("shard %d: shard block %+v, ids %+v", i, p.Shard, p.IDs)
		}
		lateUS := time.Duration(p.Shard.StartLateUS) * time.Microsecond
		if i == 2 && lateUS < late-50*time.Millisecond {
			t.Errorf("shard 2 was launched %v late but recorded %v", late, lateUS)
		}
		t.Logf("shard %d/3: sent %d, start late %v, generator lag max %d us", i, p.Subscribers[0].Accounting.Sent, lateUS, p.GeneratorLagUS.Max)
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
	if len(m.Points) != 1 || len(m.Points[0].Subscribers) != 2 {
		t.Fatalf("merged %d points", len(m.Points))
	}
	mp, sp := m.Points[0], one.Points[0]
	if !strings.Contains(strings.Join(mp.Notes, "\n"), "shards: 3 of 3 merged") {
		t.Errorf("merged notes lack the shard note: %q", mp.Notes)
	}
	t.Logf("%-8s %-6s %8s %9s %10s %5s %9s %9s", "run", "sub", "sent", "delivered", "duplicates", "lost", "p50 us", "p99 us")
	for j, ms := range mp.Subscribers {
		ss := sp.Subscribers[j]
		for _, row := range []struct {
			run string
			s   results.Subscriber
		}{{"single", ss}, {"3 shards", ms}} {
			a := row.s.Accounting
			t.Logf("%-8s %-6s %8d %9d %10d %5d %9d %9d", row.run, row.s.Name, a.Sent, a.Delivered, a.Duplicates, a.Lost, row.s.E2E.LatencyUS.P50, row.s.E2E.LatencyUS.P99)
		}
		if ms.Name != ss.Name || ms.Accounting.Sent != ss.Accounting.Sent {
			t.Errorf("%s: merged sent %d, single run sent %d", ms.Name, ms.Accounting.Sent, ss.Accounting.Sent)
		}
		// Loopback in-process sinks lose nothing, in either run.
		for _, a := range []results.Accounting{ss.Accounting, ms.Accounting} {
			if a.Delivered != a.Sent || a.Duplicates != 0 || a.Lost != 0 {
				t.Errorf("%s: accounting %+v, want every event delivered once", ms.Name, a)
			}
		}
		if ms.E2E.LatencyUS.Count != ms.Accounting.Delivered {
			t.Errorf("%s: merged histogram holds %d values for %d deliveries", ms.Name, ms.E2E.LatencyUS.Count, ms.Accounting.Delivered)
		}
		set, err := results.DecodeIDSet(ms.DeliveredIDs)
		if err != nil || int64(set.GetCardinality()) != ms.Accounting.Delivered {
			t.Errorf("%s: merged delivered set: %v, %v", ms.Name, set.GetCardinality(), err)
		}
	}
	if o, m := sp.OfferedPerS, mp.OfferedPerS; o < 0.99*m || o > 1.01*m {
		t.Errorf("merged offered %.1f/s, single %.1f/s", m, o)
	}
}

// TestMergeWaitsForShards: merge --wait merges once the last input holds
// its final results, and fails with exit 2 naming an input that never
// does (a checkpoint saved part-way through a run is not final).
func TestMergeWaitsForShards(t *testing.T) {
	bin := binary(t)
	dir := t.TempDir()
	doc := func(errText string) *results.Results {
		return &results.Results{Schema: results.Schema, Status: results.StatusComplete, Error: errText,
			Scenario: []byte(`{"name":"shard"}`), Points: []results.Point{}}
	}
	a, b := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
	if err := results.WriteFile(a, doc("")); err != nil {
		t.Fatal(err)
	}
	unfinished := doc(unfinishedPrefix + "saved after 0 point(s)")
	unfinished.Status = results.StatusInterrupted
	if err := results.WriteFile(b, unfinished); err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(1500 * time.Millisecond)
		_ = results.WriteFile(b, doc(""))
	}()
	t0 := time.Now()
	_, stderr, code := runBin(t, bin, "merge", "--wait", "60s", a, b, "--out", filepath.Join(dir, "m.json"))
	if code != 0 || time.Since(t0) < 1500*time.Millisecond || !strings.Contains(stderr, "run in progress") {
		t.Fatalf("exit %d after %v, want 0 after the last input was final\n%s", code, time.Since(t0), stderr)
	}
	_, stderr, code = runBin(t, bin, "merge", "--wait", "1s", a, filepath.Join(dir, "never.json"), "--out", filepath.Join(dir, "m2.json"))
	if code != exitBadInput || !strings.Contains(stderr, "never.json (not written yet)") {
		t.Fatalf("exit %d, want %d naming the missing input\n%s", code, exitBadInput, stderr)
	}
}

// TestNoteClockShift: a run with --clock-shift says so on every point,
// and a run without it adds nothing.
func TestNoteClockShift(t *testing.T) {
	res := &results.Results{Points: []results.Point{{}, {}}}
	noteClockShift(res)
	if len(res.Points[0].Notes) != 0 {
		t.Fatalf("no shift: notes %q", res.Points[0].Notes)
	}
	load.ShiftClock(-5 * time.Millisecond)
	defer load.ShiftClock(0)
	noteClockShift(res)
	for i, p := range res.Points {
		if len(p.Notes) != 1 || !strings.Contains(p.Notes[0], "--clock-shift -5ms") {
			t.Errorf("point %d: notes %q", i, p.Notes)
		}
	}
}
