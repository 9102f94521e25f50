package scenarios_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/evbench/evbench/internal/golden"
	"github.com/evbench/evbench/runners/bridge"
	"github.com/evbench/evbench/runners/kafka"
	"github.com/evbench/evbench/runners/webhook"
	. "github.com/evbench/evbench/scenarios"
)

func mustLoad(t *testing.T, yaml string) *Scenario {
	t.Helper()
	s, err := LoadBytes("test.yaml", []byte(yaml))
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return s
}

func TestParseRate(t *testing.T) {
	cases := []struct {
		in   string
		want float64
		err  string
	}{
		{"200/s", 200, ""},
		{"1.5/s", 1.5, ""},
		{"90/min", 1.5, ""},
		{"7200/h", 2, ""},
		{" 10 / s ", 10, ""},
		{"1e3/s", 1000, ""},
		{".5/s", 0.5, ""},
		{"0/s", 0, ""},
		{"100", 0, "has no unit"},
		{"100/sec", 0, "unknown rate unit"},
		{"-5/s", 0, "not a non-negative number"},
		{"inf/s", 0, "not a non-negative number"},
		{"NaN/s", 0, "not a non-negative number"},
		{"0x10/s", 0, "not a non-negative number"},
		{"fast", 0, "is not a rate"},
		{"20000000/s", 0, "more than the maximum"},
	}
	for _, tc := range cases {
		got, err := ParseRate(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseRate(%q) = %v, %v; want error containing %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || math.Abs(float64(got)-tc.want) > 1e-12 {
			t.Errorf("ParseRate(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func TestParseDuration(t *testing.T) {
	cases := []struct {
		in   string
		want time.Duration
		err  string
	}{
		{"250ms", 250 * time.Millisecond, ""},
		{"1m30s", 90 * time.Second, ""},
		{"1.5s", 1500 * time.Millisecond, ""},
		{"100us", 100 * time.Microsecond, ""},
		{"0", 0, ""},
		{"30", 0, "has no unit"},
		{"2.5", 0, "has no unit"},
		{"-1s", 0, "negative"},
		{"5 seconds", 0, "not a duration"},
		{"9999999h", 0, "not a duration"},
	}
	for _, tc := range cases {
		got, err := ParseDuration(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseDuration(%q) = %v, %v; want error containing %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || got.D() != tc.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func TestParseByteSize(t *testing.T) {
	cases := []struct {
		in   string
		want int64
		err  string
	}{
		{"512B", 512, ""},
		{"1KB", 1000, ""},
		{"1KiB", 1024, ""},
		{"1.5KiB", 1536, ""},
		{"2MB", 2_000_000, ""},
		{"1MiB", 1 << 20, ""},
		{"1GB", 1_000_000_000, ""},
		{"1GiB", 1 << 30, ""},
		{"0B", 0, ""},
		{"10 KiB", 10240, ""},
		{"1024", 0, "has no unit"},
		{"1kb", 0, "unknown size unit"},
		{"1TiB", 0, "unknown size unit"},
		{"1.3B", 0, "whole number of bytes"},
		{"-1KiB", 0, "not a size"},
		{"100GiB", 0, "more than the maximum"},
	}
	for _, tc := range cases {
		got, err := ParseByteSize(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseByteSize(%q) = %v, %v; want error containing %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || int64(got) != tc.want {
			t.Errorf("ParseByteSize(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func TestUnitStrings(t *testing.T) {
	if s := Rate(2.5).String(); s != "2.5/s" {
		t.Errorf("Rate.String = %q", s)
	}
	for in, want := range map[ByteSize]string{1024: "1KiB", 1 << 20: "1MiB", 1500: "1500B", 0: "0B", 3 << 30: "3GiB"} {
		if got := in.String(); got != want {
			t.Errorf("ByteSize(%d).String = %q, want %q", int64(in), got, want)
		}
	}
	if s := Duration(1500 * time.Millisecond).String(); s != "1.5s" {
		t.Errorf("Duration.String = %q", s)
	}
}

// TestDists checks every distribution form and that values land in base
// units (ns for processing, bytes for sizes).
func TestDists(t *testing.T) {
	cases := []struct {
		yaml string
		want Dist
	}{
		{"5ms", Dist{Kind: DistFixed, Value: 5e6}},
		{"0", Dist{Kind: DistFixed, Value: 0}},
		{"{dist: fixed, value: 2ms}", Dist{Kind: DistFixed, Value: 2e6}},
		{"{dist: uniform, min: 1ms, max: 5ms}", Dist{Kind: DistUniform, Min: 1e6, Max: 5e6}},
		{"{dist: lognormal, median: 20ms, p99: 120ms}", Dist{Kind: DistLognormal, Median: 20e6, P99: 120e6}},
		{"{dist: exponential, mean: 8ms}", Dist{Kind: DistExponential, Mean: 8e6}},
	}
	for _, tc := range cases {
		s := mustLoad(t, "load: {rate: 1/s}\nsubscribers:\n  - name: a\n    processing: "+tc.yaml+"\nsystems: {webhook: {}}\n")
		if got := s.Subscribers[0].Processing; got != tc.want {
			t.Errorf("processing %s = %+v, want %+v", tc.yaml, got, tc.want)
		}
	}
	s := mustLoad(t, "load: {rate: 1/s}\nevent: {size: {dist: uniform, min: 512B, max: 2KiB}}\nsubscribers: [{name: a}]\nsystems: {webhook: {}}\n")
	if got, want := s.Event.Size, (Dist{Kind: DistUniform, Min: 512, Max: 2048}); got != want {
		t.Errorf("event size = %+v, want %+v", got, want)
	}
	// The lognormal given by median and p99 must reproduce them when sampled.
	d := Dist{Kind: DistLognormal, Median: 20e6, P99: 120e6}
	r := rand.New(rand.NewPCG(1, 2))
	const n = 200_000
	vals := make([]float64, n)
	for i := range vals {
		vals[i] = d.Sample(r)
	}
	med, p99 := quantile(vals, 0.5), quantile(vals, 0.99)
	if math.Abs(med/20e6-1) > 0.03 || math.Abs(p99/120e6-1) > 0.05 {
		t.Errorf("lognormal sample median %.3gms p99 %.3gms, want 20ms and 120ms", med/1e6, p99/1e6)
	}
}

func quantile(v []float64, q float64) float64 {
	c := append([]float64(nil), v...)
	sort.Float64s(c)
	return c[int(q*float64(len(c)-1))]
}

func TestDefaults(t *testing.T) {
	s := mustLoad(t, "load: {rate: 50/s}\nsubscribers: [{name: a}]\nsystems: {webhook: {}, kafka: {acks: 1}, bridge: {}}\n")
	if s.Name != "test" {
		t.Errorf("name %q, want the file's base name", s.Name)
	}
	l := s.Load
	if l.Arrival != ArrivalConstant || l.Warmup.D() != 2*time.Second || l.Drain.D() != 10*time.Second || l.Duration.D() != 30*time.Second {
		t.Errorf("load defaults: %+v", l)
	}
	e := s.Event
	if e.Size != (Dist{Kind: DistFixed, Value: 1024}) || e.Keys != 1000 || e.Seed != 1 || e.Type != "order.created" {
		t.Errorf("event defaults: %+v", e)
	}
	sub := s.Subscribers[0]
	if sub.Ack != AckAfterProcessing || sub.Processing != (Dist{Kind: DistFixed}) || sub.Count != 1 {
		t.Errorf("subscriber defaults: %+v", sub)
	}
	w := webhook.ConfigOf(s)
	if w.Timeout.D() != 5*time.Second || w.Retry.MaxAttempts != 5 || w.Retry.Backoff != BackoffExponential ||
		w.Retry.Initial.D() != 100*time.Millisecond || w.Retry.Max.D() != 10*time.Second || w.Retry.Jitter != 0.2 ||
		w.Retry.HonourRetryAfter == nil || !*w.Retry.HonourRetryAfter || w.MaxInFlight != 64 || w.QueueLimit != 100000 ||
		w.Connections != ConnKeepalive || !w.Signing.On() || w.Signing.Enabled == nil {
		t.Errorf("webhook defaults: %+v", w)
	}
	k := kafka.ConfigOf(s)
	if k.Brokers != "embedded" || k.Topic.Partitions != 12 || k.Topic.ReplicationFactor != 1 || k.Producers != 1 ||
		k.Acks != "1" || k.Linger.D() != 5*time.Millisecond || k.BatchMaxBytes != 1<<20 || k.Compression != "none" ||
		k.Idempotent == nil || *k.Idempotent || k.MaxBufferedRecords != 100000 || k.Members != 1 ||
		k.Commit != CommitAfterProcessing || k.CommitMode != CommitModeAsync || k.StartOffset != OffsetEarliest {
		t.Errorf("kafka defaults (acks 1 -> idempotent false): %+v", k)
	}
	b := bridge.ConfigOf(s)
	if b.Ack != BridgeAckAfterProduce || b.Timeout.D() != 5*time.Second || b.MaxInFlight != 256 || !b.Signing.On() {
		t.Errorf("bridge defaults: %+v", b)
	}
	s2 := mustLoad(t, "load: {rate: 50/s}\nsubscribers: [{name: a}]\nsystems: {kafka: ~}\n")
	if k := kafka.ConfigOf(s2); k == nil || k.Idempotent == nil || !*k.Idempotent || k.Acks != AcksAll {
		t.Errorf("kafka: ~ should enable kafka with acks all and idempotence: %+v", k)
	}
	// Explicit zeros that mean something are kept, not replaced by defaults.
	s3 := mustLoad(t, "load: {rate: 50/s, warmup: 0s, drain: 0}\nevent: {seed: 0}\nsubscribers: [{name: a}]\nsystems:\n  webhook: {retry: {jitter: 0, honour_retry_after: false}, signing: {enabled: false}}\n  kafka: {linger: 0s}\n")
	if s3.Load.Warmup != 0 || s3.Load.Drain != 0 || s3.Event.Seed != 0 || webhook.ConfigOf(s3).Retry.Jitter != 0 ||
		*webhook.ConfigOf(s3).Retry.HonourRetryAfter || webhook.ConfigOf(s3).Signing.On() || kafka.ConfigOf(s3).Linger != 0 {
		t.Errorf("explicit zero values lost: %+v %+v", s3.Load, webhook.ConfigOf(s3))
	}
	// Fault defaults: errors get status 503 and probability 1.
	s4 := mustLoad(t, "load: {rate: 1/s}\nsubscribers: [{name: a, faults: [{kind: errors, at: 1s, for: 2s}]}]\nsystems: {webhook: {}}\n")
	if f := s4.Subscribers[0].Faults[0]; f.Status != 503 || f.Probability != 1 || f.At.D() != time.Second || f.For.D() != 2*time.Second {
		t.Errorf("fault defaults: %+v", f)
	}
	// A schedule backoff implies its attempts.
	s5 := mustLoad(t, "load: {rate: 1/s}\nsubscribers: [{name: a}]\nsystems: {webhook: {retry: {schedule: [1s, 5s, 30s]}}}\n")
	if r := webhook.ConfigOf(s5).Retry; r.Backoff != BackoffSchedule || r.MaxAttempts != 4 || len(r.Schedule) != 3 || r.Schedule[2].D() != 30*time.Second {
		t.Errorf("schedule retry: %+v", r)
	}
}

func TestArrivals(t *testing.T) {
	sub := "subscribers: [{name: a}]\nsystems: {webhook: {}}\n"
	s := mustLoad(t, "load: {arrival: steps, steps: [{rate: 10/s, for: 5s}, {rate: 60/min, for: 10s}]}\n"+sub)
	if s.Load.Duration.D() != 15*time.Second || s.Load.Steps[1].Rate != 1 {
		t.Errorf("steps: %+v", s.Load)
	}
	if s.Load.PeakRate() != 10 {
		t.Errorf("steps peak %v", s.Load.PeakRate())
	}
	s = mustLoad(t, "load: {arrival: ramp, from: 0/s, to: 500/s, duration: 10s}\n"+sub)
	if s.Load.From != 0 || s.Load.To != 500 || s.Load.PeakRate() != 500 {
		t.Errorf("ramp: %+v", s.Load)
	}
	s = mustLoad(t, "load: {arrival: spike, base: 100/s, peak: 1000/s, at: 10s, for: 5s}\n"+sub)
	if s.Load.Base != 100 || s.Load.Peak != 1000 || s.Load.At.D() != 10*time.Second || s.Load.For.D() != 5*time.Second {
		t.Errorf("spike: %+v", s.Load)
	}
	s = mustLoad(t, "load: {arrival: poisson, rate: 3600/h}\n"+sub)
	if s.Load.Rate != 1 {
		t.Errorf("poisson: %+v", s.Load)
	}
}

func TestCountExpansion(t *testing.T) {
	s := mustLoad(t, `load: {rate: 10/s}
subscribers:
  - name: inventory
    processing: 2ms
  - name: shard
    count: 3
    processing: {dist: uniform, min: 1ms, max: 3ms}
    faults: [{kind: slow, add: 5ms, at: 1s, for: 1s}]
  - name: single
    count: 1
systems: {webhook: {}}
`)
	var names []string
	for _, sub := range s.Subscribers {
		names = append(names, sub.Name)
		if sub.Count != 1 {
			t.Errorf("%s: count %d after expansion, want 1", sub.Name, sub.Count)
		}
	}
	if want := []string{"inventory", "shard-1", "shard-2", "shard-3", "single"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("names %v, want %v", names, want)
	}
	for i := 1; i <= 3; i++ {
		if s.Subscribers[i].Processing.Kind != DistUniform || len(s.Subscribers[i].Faults) != 1 {
			t.Errorf("copy %d lost its settings: %+v", i, s.Subscribers[i])
		}
	}
	s.Subscribers[1].Faults[0].Add = 0
	if s.Subscribers[2].Faults[0].Add == 0 {
		t.Error("expanded copies share their faults slice")
	}
	// fan-out to 100 endpoints is one line
	s = mustLoad(t, "load: {rate: 10/s}\nsubscribers: [{name: ep, count: 100}]\nsystems: {webhook: {}}\n")
	if len(s.Subscribers) != 100 || s.Subscribers[99].Name != "ep-100" {
		t.Errorf("count 100: %d subscribers, last %q", len(s.Subscribers), s.Subscribers[len(s.Subscribers)-1].Name)
	}
}

func TestAnchorsAndMergeKeys(t *testing.T) {
	s := mustLoad(t, `load: {rate: 10/s}
subscribers:
  - &base
    name: a
    processing: {dist: uniform, min: 1ms, max: 3ms}
    ack: before-processing
  - <<: *base
    name: b
systems: {webhook: {}}
`)
	if len(s.Subscribers) != 2 || s.Subscribers[1].Name != "b" || s.Subscribers[1].Ack != AckBeforeProcessing || s.Subscribers[1].Processing.Max != 3e6 {
		t.Errorf("merge key: %+v", s.Subscribers)
	}
}

func TestExpr(t *testing.T) {
	cases := []struct {
		in   string
		want Expr
		err  string
	}{
		{"e2e.p99 < 500ms", Expr{"e2e.p99", "<", 500_000, UnitMicros}, ""},
		{"e2e.p999<=1.5s", Expr{"e2e.p999", "<=", 1_500_000, UnitMicros}, ""},
		{"publish.mean > 250us", Expr{"publish.mean", ">", 250, UnitMicros}, ""},
		{"attempt.max >= 2s", Expr{"attempt.max", ">=", 2_000_000, UnitMicros}, ""},
		{"generator_lag.p99 < 1ms", Expr{"generator_lag.p99", "<", 1000, UnitMicros}, ""},
		{"lost == 0", Expr{"lost", "==", 0, UnitCount}, ""},
		{"duplicates != 3", Expr{"duplicates", "!=", 3, UnitCount}, ""},
		{"retries < 1e3", Expr{"retries", "<", 1000, UnitCount}, ""},
		{"lost_ratio <= 0.1%", Expr{"lost_ratio", "<=", 0.001, UnitRatio}, ""},
		{"lost_ratio < 0.5", Expr{"lost_ratio", "<", 0.5, UnitRatio}, ""},
		{"achieved_per_s >= 900/s", Expr{"achieved_per_s", ">=", 900, UnitPerSecond}, ""},
		{"achieved_per_s >= 60/min", Expr{"achieved_per_s", ">=", 1, UnitPerSecond}, ""},
		{"e2e.p99 < 500", Expr{}, "has no unit"},
		{"e2e.p99 < -5ms", Expr{}, "negative"},
		{"e2e.p98 < 5ms", Expr{}, "unknown metric"},
		{"lost = 0", Expr{}, "expected a comparison"},
		{"lost ==", Expr{}, "missing the value"},
		{"lost == -1", Expr{}, "not a non-negative number"},
		{"lost_ratio < 2", Expr{}, "more than 1"},
		{"achieved_per_s > 900", Expr{}, "has no unit"},
		{"< 5ms", Expr{}, "does not start with a metric"},
		{"", Expr{}, "does not start with a metric"},
	}
	for _, tc := range cases {
		got, err := ParseExpr(tc.in)
		if tc.err != "" {
			var e *Error
			if err == nil || !strings.Contains(err.Error(), tc.err) || !errors.As(err, &e) {
				t.Errorf("ParseExpr(%q) = %+v, %v; want *Error containing %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseExpr(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
	holds := []struct {
		expr string
		v    float64
		want bool
	}{
		{"e2e.p99 < 500ms", 499_999, true},
		{"e2e.p99 < 500ms", 500_000, false},
		{"e2e.p99 <= 500ms", 500_000, true},
		{"lost == 0", 0, true},
		{"lost == 0", 1, false},
		{"lost != 0", 1, true},
		{"achieved_per_s >= 900/s", 899.9, false},
		{"achieved_per_s > 900/s", 901, true},
		{"e2e.p99 < 500ms", math.NaN(), false},
	}
	for _, h := range holds {
		e, err := ParseExpr(h.expr)
		if err != nil {
			t.Fatal(err)
		}
		if got := e.Holds(h.v); got != h.want {
			t.Errorf("%q.Holds(%v) = %v, want %v", h.expr, h.v, got, h.want)
		}
	}
	e, _ := ParseExpr("e2e.p99<1.5s")
	if e.String() != "e2e.p99 < 1.5s" || e.Family() != "e2e" {
		t.Errorf("String %q Family %q", e.String(), e.Family())
	}
}

const sweepYAML = `load: {rate: 100/s, duration: 5s}
subscribers:
  - name: worker
    processing: 1ms
systems:
  webhook: {}
  kafka: {}
sweep:
  rate: [500/s, 1000/s, 2000/s]
  subscribers: [1, 3]
  params:
    kafka.topic.partitions: [3, 12]
    webhook.timeout_ms: [250, 1000]
  repeats: 2
`

func TestExpandCartesian(t *testing.T) {
	s := mustLoad(t, sweepYAML)
	pts, err := s.Expand()
	if err != nil {
		t.Fatal(err)
	}
	if want := 3 * 2 * 2 * 2 * 2; len(pts) != want {
		t.Fatalf("%d points, want %d", len(pts), want)
	}
	seen := map[string]int{}
	for i, p := range pts {
		keys := SortedParams(p.Params)
		if want := []string{"kafka.topic.partitions", "rate_per_s", "subscribers", "webhook.timeout_ms"}; !reflect.DeepEqual(keys, want) {
			t.Fatalf("point %d params %v, want keys %v", i, keys, want)
		}
		sc := p.Scenario
		if sc.Sweep != nil {
			t.Errorf("point %d still has a sweep", i)
		}
		if float64(sc.Load.Rate) != p.Params["rate_per_s"] {
			t.Errorf("point %d rate %v, params %v", i, sc.Load.Rate, p.Params["rate_per_s"])
		}
		if len(sc.Subscribers) != int(p.Params["subscribers"]) {
			t.Errorf("point %d has %d subscribers, params say %v", i, len(sc.Subscribers), p.Params["subscribers"])
		}
		if float64(kafka.ConfigOf(sc).Topic.Partitions) != p.Params["kafka.topic.partitions"] {
			t.Errorf("point %d partitions %d, params %v", i, kafka.ConfigOf(sc).Topic.Partitions, p.Params)
		}
		if webhook.ConfigOf(sc).Timeout.D() != time.Duration(p.Params["webhook.timeout_ms"])*time.Millisecond {
			t.Errorf("point %d timeout %v, params %v", i, webhook.ConfigOf(sc).Timeout, p.Params)
		}
		seen[fmt.Sprint(p.Params, p.Repeat)]++
	}
	if len(seen) != len(pts) {
		t.Errorf("%d distinct (params, repeat) among %d points", len(seen), len(pts))
	}
	// Stable order: subscribers outermost, params by path, rate fastest,
	// repeats back to back.
	order := func(i int) string {
		p := pts[i].Params
		return fmt.Sprintf("n=%v part=%v to=%v rate=%v r=%d", p["subscribers"], p["kafka.topic.partitions"], p["webhook.timeout_ms"], p["rate_per_s"], pts[i].Repeat)
	}
	wantFirst := []string{
		"n=1 part=3 to=250 rate=500 r=1",
		"n=1 part=3 to=250 rate=500 r=2",
		"n=1 part=3 to=250 rate=1000 r=1",
		"n=1 part=3 to=250 rate=1000 r=2",
		"n=1 part=3 to=250 rate=2000 r=1",
		"n=1 part=3 to=250 rate=2000 r=2",
		"n=1 part=3 to=1000 rate=500 r=1",
	}
	for i, w := range wantFirst {
		if got := order(i); got != w {
			t.Errorf("point %d = %s, want %s", i, got, w)
		}
	}
	if got := order(len(pts) - 1); got != "n=3 part=12 to=1000 rate=2000 r=2" {
		t.Errorf("last point %s", got)
	}
	// Template copies: 3 subscribers named worker-1..3, 1 keeps the name.
	last := pts[len(pts)-1].Scenario
	if last.Subscribers[2].Name != "worker-3" || last.Subscribers[2].Processing.Value != 1e6 {
		t.Errorf("template copies: %+v", last.Subscribers)
	}
	if pts[0].Scenario.Subscribers[0].Name != "worker" {
		t.Errorf("1 copy renamed: %q", pts[0].Scenario.Subscribers[0].Name)
	}
	// Points are independent deep copies.
	kafka.ConfigOf(pts[0].Scenario).Topic.Partitions = 999
	pts[0].Scenario.Subscribers[0].Name = "changed"
	if kafka.ConfigOf(pts[1].Scenario).Topic.Partitions == 999 || kafka.ConfigOf(s).Topic.Partitions == 999 || pts[1].Scenario.Subscribers[0].Name == "changed" {
		t.Error("points share state with each other or the scenario")
	}
}

func TestExpandFirstNAndShapes(t *testing.T) {
	s := mustLoad(t, `load: {arrival: ramp, from: 100/s, to: 400/s, duration: 10s}
subscribers: [{name: a}, {name: b}, {name: c}]
systems: {webhook: {}}
sweep: {rate: [800/s], subscribers: [2, 3]}
`)
	pts, err := s.Expand()
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != 2 {
		t.Fatalf("%d points", len(pts))
	}
	if n := pts[0].Scenario.Subscribers; len(n) != 2 || n[0].Name != "a" || n[1].Name != "b" {
		t.Errorf("first N: %+v", n)
	}
	// A ramp is scaled so its peak equals the swept rate.
	if l := pts[0].Scenario.Load; l.From != 200 || l.To != 800 || l.Arrival != ArrivalRamp {
		t.Errorf("scaled ramp: %+v", l)
	}
	if pts[0].Params["rate_per_s"] != 800 {
		t.Errorf("params %v", pts[0].Params)
	}
	// No sweep: exactly one point with rate and subscriber count.
	one := mustLoad(t, minimal)
	p1, err := one.Expand()
	if err != nil || len(p1) != 1 || p1[0].Repeat != 1 || p1[0].Params["rate_per_s"] != 100 || p1[0].Params["subscribers"] != 1 || len(p1[0].Params) != 2 {
		t.Errorf("plain scenario: %+v %v", p1, err)
	}
	// Steps and spikes keep their shape.
	st := mustLoad(t, "load: {arrival: steps, steps: [{rate: 10/s, for: 1s}, {rate: 40/s, for: 1s}]}\nsubscribers: [{name: a}]\nsystems: {webhook: {}}\nsweep: {rate: [80/s]}\n")
	ps, err := st.Expand()
	if err != nil {
		t.Fatal(err)
	}
	if steps := ps[0].Scenario.Load.Steps; steps[0].Rate != 20 || steps[1].Rate != 80 {
		t.Errorf("scaled steps: %+v", steps)
	}
	sp := mustLoad(t, "load: {arrival: spike, base: 10/s, peak: 100/s, at: 1s, for: 1s, duration: 5s}\nsubscribers: [{name: a}]\nsystems: {webhook: {}}\nsweep: {rate: [50/s]}\n")
	ps, err = sp.Expand()
	if err != nil {
		t.Fatal(err)
	}
	if l := ps[0].Scenario.Load; l.Base != 5 || l.Peak != 50 {
		t.Errorf("scaled spike: %+v", l)
	}
}

func TestRateFromSweep(t *testing.T) {
	s := mustLoad(t, "load: {duration: 5s}\nsubscribers: [{name: a}]\nsystems: {webhook: {}}\nsweep: {rate: [300/s, 600/s], find_max: {slo: \"e2e.p99 < 50ms\"}}\n")
	if s.Load.Rate != 300 {
		t.Errorf("load rate from sweep: %v", s.Load.Rate)
	}
	fm := s.Sweep.FindMax
	if fm.Start != 300 || fm.Duration.D() != 5*time.Second || fm.Tolerance != 0.05 || fm.MaxLoss != 0 {
		t.Errorf("find_max defaults: %+v", fm)
	}
}

func TestExamples(t *testing.T) {
	names := Examples()
	if want := []string{"durability", "ecommerce", "hybrid-ecommerce", "internet", "migration", "outage", "quickstart", "sweep"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("examples %v, want %v", names, want)
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			for _, arg := range []string{name, name + ".yaml", "examples/" + name + ".yaml", "scenarios/examples/" + name + ".yaml"} {
				s, err := Open(arg)
				if err != nil {
					t.Fatalf("Open(%q): %v", arg, err)
				}
				// A file at that path wins over the embedded copy (the
				// tests run inside scenarios/, where examples/ exists).
				wantFile := ""
				if _, err := os.Stat(arg); err == nil {
					wantFile = arg
				}
				if s.Name != name || s.File != wantFile {
					t.Errorf("Open(%q): name %q file %q, want file %q", arg, s.Name, s.File, wantFile)
				}
			}
			// The file on disk and the embedded copy are the same scenario.
			disk, err := LoadFile(filepath.Join("examples", name+".yaml"))
			if err != nil {
				t.Fatal(err)
			}
			s, _ := Open(name)
			disk.File = ""
			if !reflect.DeepEqual(disk, s) {
				t.Error("disk and embedded example differ")
			}
			wantSystems := []string{"webhook", "kafka", "bridge"}
			if name == "outage" { // webhook retry budgets vs Kafka retention (see the file)
				wantSystems = []string{"webhook", "kafka"}
			}
			if name == "migration" { // the bridge's parallel run covers both paths
				wantSystems = []string{"bridge"}
			}
			if got := s.Systems.Names(); !reflect.DeepEqual(got, wantSystems) {
				t.Errorf("systems %v, want %v", got, wantSystems)
			}
			pts, err := s.Expand()
			if err != nil {
				t.Fatal(err)
			}
			// Rough wall-clock budget per example: points x systems x
			// (warm-up + duration + drain), the worst case.
			per := (s.Load.Warmup + s.Load.Duration + s.Load.Drain).D()
			budget := time.Duration(len(pts)*len(s.Systems.Names())) * per
			t.Logf("%s: %d points x %d systems, at most %v of load+drain (drain usually ends early)", name, len(pts), len(s.Systems.Names()), budget)
			switch name {
			case "quickstart":
				if len(s.Subscribers) != 3 || s.Load.Rate != 200 || s.Load.Warmup.D() != time.Second || s.Load.Duration.D() != 5*time.Second || s.Load.Drain.D() != 5*time.Second {
					t.Errorf("quickstart shape: %d subscribers, %+v", len(s.Subscribers), s.Load)
				}
				// Without the drain (which ends once everything is
				// delivered) three systems run 18 s of load.
				if load := 3 * (s.Load.Warmup + s.Load.Duration).D(); load > 20*time.Second {
					t.Errorf("quickstart load time %v", load)
				}
				seen := map[Dist]bool{}
				for _, sub := range s.Subscribers {
					seen[sub.Processing] = true
				}
				if len(seen) != 3 {
					t.Error("quickstart subscribers should differ in processing time")
				}
			case "ecommerce":
				names := map[string]Subscriber{}
				for _, sub := range s.Subscribers {
					names[sub.Name] = sub
				}
				if names["fraud"].Processing.Kind != DistLognormal || names["analytics"].Ack != AckBeforeProcessing ||
					len(names["notifications"].Faults) != 1 || names["notifications"].Faults[0].Probability != 0.3 || s.Load.Rate != 300 {
					t.Errorf("ecommerce shape: %+v", names)
				}
			case "internet":
				// Issue 11: webhook subscribers on internet (one flaky),
				// producers cross-zone, groups same-zone, ingress internet.
				var nets []string
				for _, sub := range s.Subscribers {
					nets = append(nets, sub.Network.Label()+"/"+kafka.ConsumerNetwork(s, sub).Label())
				}
				k, b := kafka.ConfigOf(s), bridge.ConfigOf(s)
				if want := []string{"internet/same-zone", "internet/same-zone", "flaky-internet/same-zone"}; !reflect.DeepEqual(nets, want) ||
					k.ProducerNetwork.Profile != "cross-zone" || k.ConsumerNetwork.Profile != "same-zone" || b.IngressNetwork.Profile != "internet" {
					t.Errorf("internet shape: subscriber links %v, producer %s, ingress %s", nets, k.ProducerNetwork.Label(), b.IngressNetwork.Label())
				}
			case "sweep":
				if len(pts) != 8 || s.Sweep.FindMax == nil {
					t.Errorf("sweep: %d points, find_max %+v", len(pts), s.Sweep.FindMax)
				}
				// 24 sweep points at most 11 s each, well inside 10 minutes
				// before the saturation search.
				if budget > 5*time.Minute {
					t.Errorf("sweep budget %v", budget)
				}
			}
		})
	}
	if _, err := Open("no-such-scenario"); err == nil || !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "built-in examples") {
		t.Errorf("Open of a missing file: %v", err)
	}
	if _, err := Example("nope"); err == nil {
		t.Error("Example(nope) succeeded")
	}
}

func TestOpenPrefersFiles(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "quickstart.yaml")
	if err := os.WriteFile(p, []byte("name: mine\n"+minimal), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Open(p)
	if err != nil || s.Name != "mine" || s.File != p {
		t.Errorf("Open(file) = %+v, %v", s, err)
	}
	// Relative TLS paths resolve against the scenario file's folder.
	q := filepath.Join(dir, "tls.yaml")
	abs := filepath.Join(dir, "abs", "c.pem")
	writePEMs(t, filepath.Join(dir, "certs", "ca.pem"), abs, filepath.Join(dir, "c.key"))
	os.WriteFile(q, []byte("load: {rate: 1/s}\nsubscribers: [{name: a}]\nsystems:\n  kafka:\n    brokers: k1:9093,k2:9093\n    tls: {ca_file: certs/ca.pem, cert_file: "+abs+", key_file: c.key}\n"), 0o644)
	s, err = LoadFile(q)
	if err != nil {
		t.Fatal(err)
	}
	if tl := kafka.ConfigOf(s).TLS; tl.CAFile != filepath.Join(dir, "certs/ca.pem") || tl.CertFile != abs || tl.KeyFile != filepath.Join(dir, "c.key") {
		t.Errorf("tls paths: %+v", tl)
	}
	_, err = LoadFile(filepath.Join(dir, "missing.yaml"))
	var e *Error
	if !errors.As(err, &e) || !errors.Is(err, fs.ErrNotExist) || e.Line != 0 {
		t.Errorf("missing file: %#v", err)
	}
}

func TestGoldenQuickstart(t *testing.T) {
	s, err := Open("quickstart")
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.JSON()
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	golden.Check(t, filepath.Join("testdata", "quickstart.resolved.json"), got)
	var m map[string]any
	if err := json.Unmarshal(got, &m); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(got), `\u003c`) {
		t.Error("threshold operators are HTML-escaped")
	}
}

func TestRedactedAndClone(t *testing.T) {
	s := mustLoad(t, `load: {rate: 1/s}
subscribers: [{name: a}]
systems:
  webhook: {signing: {secret_env: EVBENCH_SECRET}}
  kafka:
    brokers: k:9092
    sasl: {mechanism: scram-sha-512, username_env: KU, password_env: KP}
    topic:
      name: orders
      configs: {retention.ms: 3600000, sasl.jaas.config: "user=x password=y", min.insync.replicas: 2}
`)
	r := s.Redacted()
	b, err := s.JSON()
	if err != nil {
		t.Fatal(err)
	}
	js := string(b)
	if strings.Contains(js, "password=y") || kafka.ConfigOf(r).Topic.Configs["sasl.jaas.config"] != "[redacted]" {
		t.Errorf("secret-looking config leaked: %s", js)
	}
	for _, keep := range []string{"EVBENCH_SECRET", "KU", "KP", `"retention.ms": "3600000"`, `"min.insync.replicas": "2"`} {
		if !strings.Contains(js, keep) {
			t.Errorf("JSON lacks %s", keep)
		}
	}
	if kafka.ConfigOf(s).Topic.Configs["sasl.jaas.config"] != "user=x password=y" {
		t.Error("Redacted changed the original")
	}
	c := s.Clone()
	*webhook.ConfigOf(c).Signing.Enabled = false
	kafka.ConfigOf(c).Topic.Configs["x"] = "y"
	c.Subscribers[0].Name = "z"
	if !webhook.ConfigOf(s).Signing.On() || kafka.ConfigOf(s).Topic.Configs["x"] == "y" || s.Subscribers[0].Name != "a" {
		t.Error("Clone shares state")
	}
}

func TestWithRateAndDuration(t *testing.T) {
	s := mustLoad(t, "load: {arrival: steps, steps: [{rate: 10/s, for: 2s}, {rate: 20/s, for: 8s}]}\nsubscribers: [{name: a}]\nsystems: {webhook: {}}\n")
	r, err := s.WithRate(100)
	if err != nil {
		t.Fatal(err)
	}
	if r.Load.Steps[0].Rate != 50 || r.Load.Steps[1].Rate != 100 || s.Load.Steps[1].Rate != 20 {
		t.Errorf("WithRate: %+v (original %+v)", r.Load.Steps, s.Load.Steps)
	}
	d, err := s.WithDuration(Duration(5 * time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if d.Load.Duration.D() != 5*time.Second || d.Load.Steps[0].For.D() != time.Second || d.Load.Steps[1].For.D() != 4*time.Second {
		t.Errorf("WithDuration: %+v", d.Load)
	}
	if _, err := s.WithRate(0); err == nil {
		t.Error("WithRate(0) accepted")
	}
	f := mustLoad(t, "load: {rate: 1/s, duration: 30s}\nsubscribers: [{name: a, faults: [{kind: down, at: 20s}]}]\nsystems: {webhook: {}}\n")
	if _, err := f.WithDuration(Duration(5 * time.Second)); err == nil || !strings.Contains(err.Error(), "never happen") {
		t.Errorf("a fault beyond the shortened run: %v", err)
	}
}

func TestErrorFormat(t *testing.T) {
	cases := []struct {
		e    Error
		want string
	}{
		{Error{File: "a.yaml", Line: 3, Column: 7, Key: "load.rate", Msg: "bad", Allowed: "N/s"}, "a.yaml:3:7: load.rate: bad (allowed: N/s)"},
		{Error{File: "a.yaml", Line: 1, Column: 1, Msg: "empty"}, "a.yaml:1:1: empty"},
		{Error{File: "a.yaml", Msg: "cannot read"}, "a.yaml: cannot read"},
		{Error{Key: "k", Msg: "m"}, "k: m"},
	}
	for _, tc := range cases {
		if got := tc.e.Error(); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}

func TestSweepable(t *testing.T) {
	list := Sweepable()
	if len(list) < 10 {
		t.Fatalf("only %d sweepable settings", len(list))
	}
	for _, sp := range list {
		if sp.Doc == "" || sp.Unit == "" || !HasSetter(sp) || sp.Min > sp.Max {
			t.Errorf("incomplete entry %+v", sp)
		}
		// Every setter must work on a scenario with every system.
		s := mustLoad(t, "load: {rate: 1/s}\nsubscribers: [{name: a}]\nsystems: {webhook: {}, kafka: {}, bridge: {}}\n")
		v := math.Max(sp.Min, math.Min(sp.Max, 2048))
		ApplySweep(sp, s, v)
		if err := s.Validate(); err != nil {
			t.Errorf("%s = %v: %v", sp.Path, v, err)
		}
	}
}
