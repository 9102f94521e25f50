package kafka

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/runners/internal/childproc"
	"github.com/evbench/evbench/runners/measure"
	"github.com/evbench/evbench/scenarios"
)

// groupsScenario is n consumer groups at 200 events/s (issue 15 item 4).
func groupsScenario(name, brokers string, n int, d time.Duration) *scenarios.Scenario {
	sc := testScenario(name, brokers, scOpts{rate: 200, warmup: time.Second, duration: d, drain: 30 * time.Second,
		subs: 1, members: 1, partitions: 12, acks: AcksAll})
	spec := sc.Subscribers[0]
	sc.Subscribers = nil
	for i := 0; i < n; i++ {
		spec.Name = fmt.Sprintf("g-%d", i+1)
		sc.Subscribers = append(sc.Subscribers, spec)
	}
	return sc
}

// checkExact asserts every group processed every measured event once.
func checkExact(t *testing.T, res *results.Point, n int) {
	t.Helper()
	if len(res.Subscribers) != n {
		t.Fatalf("%d subscribers, want %d", len(res.Subscribers), n)
	}
	sent := res.Subscribers[0].Accounting.Sent
	var delivered int64
	for _, s := range res.Subscribers {
		a := s.Accounting
		if a.Sent != sent || a.Delivered != a.Sent || a.Lost != 0 || a.Duplicates != 0 {
			t.Errorf("%s: %+v: want every one of %d measured events delivered once", s.Name, a, sent)
		}
		if s.E2E.LatencyUS.Count != a.Delivered {
			t.Errorf("%s: e2e histogram holds %d values, %d delivered", s.Name, s.E2E.LatencyUS.Count, a.Delivered)
		}
		delivered += a.Delivered
	}
	if want := int64(n) * sent; delivered != want || sent == 0 {
		t.Errorf("delivered %d in all, want %d groups x %d", delivered, n, sent)
	}
}

func hasNote(res *results.Point, sub string) bool {
	for _, n := range res.Notes {
		if strings.Contains(n, sub) {
			return true
		}
	}
	return false
}

// TestIsolatedGroupsKeepTheSchedule is issue 15 item 4's correctness test
// for consumer groups in child processes (isolate.go): with 100 groups at
// 200 events/s the accounting must stay exact (every group delivers every
// measured event once, e2e histograms complete, as forwarded from the
// children), the point must say where the groups ran and that its
// resources include the children's CPU time, and IsolateEnv=off must keep
// them in the generator's process. A 1-group control runs beside them.
//
// The generator lag of the three runs is logged, not bound: it is a speed
// figure, and on a shared machine it measures the machine's load as much as
// the consumers. `make bench-long` (scripts/bench-long.sh, BENCH_LONG_ONLY=
// groups) measures it on an idle machine, with the same three runs. There,
// with the real broker, lag p99 was 0.65 ms for 1 group, 1.12 ms for 100
// groups in child processes and 48.5 ms for 100 groups in this process;
// but in a CI run of `make test`, with other test packages running beside
// it, the 100 isolated groups showed 51 ms against 19 ms in this process.
func TestIsolatedGroupsKeepTheSchedule(t *testing.T) {
	if testing.Short() {
		t.Skip("100 consumer groups")
	}
	noteRealBroker(t)
	const n = 100
	for _, tg := range targets(t) {
		t.Run(tg.name, func(t *testing.T) {
			control := runPoint(t, &Runner{}, groupsScenario("isolate-control", tg.brokers, 1, 8*time.Second))
			checkExact(t, control, 1)
			if hasNote(control, "child process") {
				t.Errorf("one group ran in a child process: %q", control.Notes)
			}
			res := runPoint(t, &Runner{}, groupsScenario("isolate", tg.brokers, n, 8*time.Second))
			checkExact(t, res, n)
			if !hasNote(res, fmt.Sprintf("the %d consumer groups ran in 2 child process(es)", n)) {
				t.Errorf("no note of the groups' child processes: %q", res.Notes)
			}
			if !hasNote(res, "resources include the consumer group processes' CPU time") {
				t.Errorf("the groups' CPU time is not in the point's resources: %q", res.Notes)
			}
			t.Setenv(IsolateEnv, "off")
			inproc := runPoint(t, &Runner{}, groupsScenario("isolate-off", tg.brokers, n, 8*time.Second))
			checkExact(t, inproc, n)
			if hasNote(inproc, "child process") {
				t.Errorf("%s=off: the groups ran in child processes: %q", IsolateEnv, inproc.Notes)
			}
			lag, off := res.GeneratorLagUS.P99, inproc.GeneratorLagUS.P99
			t.Logf("generator lag p99: %d groups in child processes %d us (max %d us), in this process %d us (max %d us); 1 group %d us",
				n, lag, res.GeneratorLagUS.Max, off, inproc.GeneratorLagUS.Max, control.GeneratorLagUS.P99)
		})
	}
}

// TestIsolateThreshold: IsolateEnv's values, and what keeps groups in the
// generator's process.
func TestIsolateThreshold(t *testing.T) {
	for _, c := range []struct {
		env  string
		want int
		bad  bool
	}{{"", IsolateFrom, false}, {"auto", IsolateFrom, false}, {"off", 0, false}, {"on", 1, false}, {"20", 20, false}, {"0", 0, true}, {"x", 0, true}} {
		t.Setenv(IsolateEnv, c.env)
		got, err := isolateThreshold()
		if (err != nil) != c.bad || got != c.want {
			t.Errorf("%s=%q: %d, %v; want %d (error %v)", IsolateEnv, c.env, got, err, c.want, c.bad)
		}
	}
	late := GroupsConfig{Subscribers: []scenarios.Subscriber{{Name: "a"}, {Name: "b", JoinAt: scenarios.Duration(time.Second)}}}
	for _, c := range []struct {
		name   string
		cfg    GroupsConfig
		hooked bool
		want   string
	}{
		{"plain", GroupsConfig{Subscribers: []scenarios.Subscriber{{Name: "a"}}}, false, ""},
		{"hooked", GroupsConfig{}, true, "OnGroups"},
		{"late join", late, false, "join_at"},
		{"flow", GroupsConfig{OnDelivered: func(string, RecordMeta, int64) {}}, false, "flow"},
		{"external", GroupsConfig{External: true}, false, "evbench consume"},
	} {
		if got := isolateBlocker(c.cfg, c.hooked); (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("%s: %q, want it to mention %q", c.name, got, c.want)
		}
	}
}

// recorded is a groupRecorder that keeps what it was told.
type recorded struct {
	calls []string
}

func (r *recorded) Claim(uint64) bool { r.calls = append(r.calls, "claim"); return true }
func (r *recorded) Release(uint64)    { r.calls = append(r.calls, "release") }
func (r *recorded) Duplicate(id uint64, intended int64) {
	r.calls = append(r.calls, fmt.Sprintf("dup %d %d", id, intended))
}
func (r *recorded) Delivered(id uint64, key int, intended, done int64) {
	r.calls = append(r.calls, fmt.Sprintf("delivered %d %d %d %d", id, key, intended, done))
}
func (r *recorded) Error(c measure.ErrClass) { r.calls = append(r.calls, fmt.Sprintf("error %d", c)) }
func (r *recorded) Retry()                   { r.calls = append(r.calls, "retry") }

// TestGroupFramesRoundTrip: what a child's forwarder writes is what the
// parent replays on the group's accounting, field for field; duplicates
// are decided in the child (Claim, Release), never forwarded as claims.
func TestGroupFramesRoundTrip(t *testing.T) {
	var pipe bytes.Buffer
	fw := childproc.NewFrameWriter(&pipe)
	const base = uint64(1) << 63
	f0 := &forwarder{fw: fw, g: 0, base: base, claimed: map[uint64]*[claimWords]uint64{}}
	f1 := &forwarder{fw: fw, g: 1, base: base, claimed: map[uint64]*[claimWords]uint64{}}
	if !f0.Claim(base+5) || f0.Claim(base+5) || f0.Claim(base-1) || f0.Claim(base+1<<40) {
		t.Fatal("claim: want the first claim of an id of this run only")
	}
	f0.Release(base + 5)
	if !f0.Claim(base + 5) {
		t.Fatal("a released id could not be claimed again")
	}
	f0.Delivered(base+5, 42, -7, 1<<62)
	if f1.Claim(base+70000) != true || f1.Claim(base+70000) {
		t.Fatal("claim across chunks")
	}
	f1.Duplicate(base+70000, 123)
	f1.Error(measure.ErrBroker)
	f1.Retry()
	end := append([]byte{'Z'}, make([]byte, 32)...) // two groups' received, abandoned
	end = binary.BigEndian.AppendUint64(end, uint64(3*time.Second))
	fw.Write(binary.BigEndian.AppendUint64(end, uint64(time.Second)), nil)
	if err := fw.Sync(); err != nil {
		t.Fatal(err)
	}
	r0, r1 := &recorded{}, &recorded{}
	p := &groupProc{groups: []*Group{{sub: r0}, {sub: r1}}, ready: make(chan struct{})}
	if err := p.replay(bufio.NewReader(&pipe)); err != nil {
		t.Fatal(err)
	}
	want0 := []string{fmt.Sprintf("delivered %d 42 -7 %d", base+5, int64(1)<<62)}
	want1 := []string{fmt.Sprintf("dup %d 123", base+70000), fmt.Sprintf("error %d", measure.ErrBroker), "retry"}
	if fmt.Sprint(r0.calls) != fmt.Sprint(want0) || fmt.Sprint(r1.calls) != fmt.Sprint(want1) {
		t.Errorf("replayed %q and %q, want %q and %q", r0.calls, r1.calls, want0, want1)
	}
	if !p.ended || p.cpuUser != 3*time.Second || p.cpuSys != time.Second {
		t.Errorf("end frame: ended %v, cpu %v user %v system; want 3s and 1s", p.ended, p.cpuUser, p.cpuSys)
	}
}
