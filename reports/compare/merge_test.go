package compare

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/evbench/evbench/reports/internal/fixture"
	"github.com/evbench/evbench/reports/results"
)

// lognormal draws n latencies (µs) with the given median and p99 (ms).
func lognormal(rng *rand.Rand, n int, medianMS, p99MS float64) []int64 {
	mu := math.Log(medianMS * 1000)
	sigma := (math.Log(p99MS*1000) - mu) / 2.3263478740408408
	out := make([]int64, n)
	for i := range out {
		out[i] = max(1, int64(math.Exp(mu+sigma*rng.NormFloat64())))
	}
	return out
}

func histOf(t *testing.T, values ...[]int64) *hdr.Histogram {
	t.Helper()
	h := results.NewHistogram()
	for _, vs := range values {
		for _, v := range vs {
			if err := h.RecordValue(v); err != nil {
				t.Fatal(err)
			}
		}
	}
	return h
}

func latencyOf(t *testing.T, values ...[]int64) results.Latency {
	t.Helper()
	l, err := results.NewLatency(histOf(t, values...))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestMergeIsExact merges two hosts' documents whose histograms hold known
// values: host A is fast (median 2ms), host B has a slow tail (median 3ms,
// p99 80ms), so the merged p99 is neither input's p99 and only an exact
// histogram sum gets it right.
func TestMergeIsExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	aE2E, bE2E := lognormal(rng, 12000, 2, 9), lognormal(rng, 8000, 3, 80)
	aPub, bPub := lognormal(rng, 12000, 1, 4), lognormal(rng, 8000, 1.5, 6)

	a, b := doc(t), doc(t)
	b.Environment.StartedAt = a.Environment.StartedAt.Add(-time.Second)
	b.Environment.FinishedAt = a.Environment.FinishedAt.Add(2 * time.Second)
	b.Environment.CPUs = 8
	setup := func(r *results.Results, e2e, pub []int64, lost int64, cpu float64, rss int64) {
		k := pt(t, r, "kafka")
		pl := latencyOf(t, pub)
		k.Publish = &pl
		k.PublishErrors = &results.Errors{Timeout: 1}
		k.OfferedPerS, k.AchievedPerS = float64(len(e2e)+int(lost))/10, float64(len(e2e)+int(lost))/10
		k.Resources = results.Resources{CPUUserS: cpu, CPUSysS: cpu / 4, MaxRSSBytes: rss, BytesSent: int64(len(e2e)) * 600}
		s := sub(t, r, "kafka", "inventory")
		s.E2E = latencyOf(t, e2e)
		s.Accounting = results.Accounting{Sent: int64(len(e2e)) + lost, Delivered: int64(len(e2e)), Lost: lost, Duplicates: 2, Retries: 5, DeadLettered: lost}
		s.Errors = results.Errors{Broker: 3, Timeout: 1}
	}
	setup(a, aE2E, aPub, 0, 1.5, 70<<20)
	setup(b, bE2E, bPub, 4, 1.0, 90<<20)
	pt(t, b, "kafka").StartedAt = pt(t, a, "kafka").StartedAt.Add(500 * time.Millisecond)
	pt(t, b, "kafka").GeneratorLagUS = results.Lag{P99: 900, Max: 4000}
	pt(t, a, "kafka").GeneratorLagUS = results.Lag{P99: 1200, Max: 3000}
	pt(t, a, "kafka").Notes = []string{"kafka: embedded broker"}
	pt(t, b, "kafka").Notes = []string{"kafka: embedded broker"}
	aJSON, _ := json.Marshal(a)
	bJSON, _ := json.Marshal(b)

	m, err := Merge(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Validate(); err != nil {
		t.Fatalf("merged document invalid: %v", err)
	}
	if len(m.Points) != 2 {
		t.Fatalf("%d points, want 2 (webhook and kafka, each merged)", len(m.Points))
	}
	k := pt(t, m, "kafka")
	s := sub(t, m, "kafka", "inventory")

	// Histograms: exactly the summary of one histogram holding every value.
	if want := results.Summarize(histOf(t, aE2E, bE2E)); s.E2E.LatencyUS != want {
		t.Errorf("merged e2e %+v, want %+v (one histogram of all 20000 values)", s.E2E.LatencyUS, want)
	}
	if s.E2E.LatencyUS.Count != 20000 {
		t.Errorf("merged count %d, want 20000", s.E2E.LatencyUS.Count)
	}
	ap99 := sub(t, a, "kafka", "inventory").E2E.LatencyUS.P99
	bp99 := sub(t, b, "kafka", "inventory").E2E.LatencyUS.P99
	if p := s.E2E.LatencyUS.P99; p <= ap99 || p >= bp99 {
		t.Errorf("merged p99 %d not between host A's %d and host B's %d", p, ap99, bp99)
	}
	dec, err := results.DecodeHistogram(s.E2E.Histogram)
	if err != nil {
		t.Fatal(err)
	}
	if !dec.Equals(histOf(t, aE2E, bE2E)) {
		t.Errorf("merged histogram differs from the histogram of all values")
	}
	if want := results.Summarize(histOf(t, aPub, bPub)); k.Publish.LatencyUS != want {
		t.Errorf("merged publish %+v, want %+v", k.Publish.LatencyUS, want)
	}

	// Accounting and errors add; the identity holds.
	wantAcc := results.Accounting{Sent: 20004, Delivered: 20000, Lost: 4, Duplicates: 4, Retries: 10, DeadLettered: 4}
	if s.Accounting != wantAcc {
		t.Errorf("accounting %+v, want %+v", s.Accounting, wantAcc)
	}
	if s.Errors != (results.Errors{Broker: 6, Timeout: 2}) || *k.PublishErrors != (results.Errors{Timeout: 2}) {
		t.Errorf("errors %+v, publish errors %+v", s.Errors, *k.PublishErrors)
	}
	// The untouched subscriber: 1000 + 1000.
	if sh := sub(t, m, "kafka", "shipping"); sh.Accounting.Sent != 2000 || sh.E2E.LatencyUS.Count != 2000 {
		t.Errorf("shipping: sent %d, e2e count %d, want 2000 each", sh.Accounting.Sent, sh.E2E.LatencyUS.Count)
	}

	// Rates add; resources: cpu and bytes add, max_rss is the max.
	if k.OfferedPerS != 2000.4 || k.AchievedPerS != 2000.4 {
		t.Errorf("offered %g achieved %g, want 2000.4 each", k.OfferedPerS, k.AchievedPerS)
	}
	wantRes := results.Resources{CPUUserS: 2.5, CPUSysS: 0.625, MaxRSSBytes: 90 << 20, BytesSent: 20000 * 600}
	if k.Resources != wantRes {
		t.Errorf("resources %+v, want %+v", k.Resources, wantRes)
	}
	if k.GeneratorLagUS != (results.Lag{P99: 1200, Max: 4000}) {
		t.Errorf("generator lag %+v, want the largest p99 and max", k.GeneratorLagUS)
	}
	// Time series add second by second; percentiles are the largest.
	if len(k.Timeseries) != 10 || k.Timeseries[3].Achieved != 200 || k.Timeseries[3].Delivered != 400 || k.Timeseries[3].P99US != 9800 {
		t.Errorf("time series %d samples, sample 4 %+v", len(k.Timeseries), k.Timeseries[3])
	}
	// The measured period spans both; the environment too.
	if !k.StartedAt.Equal(pt(t, a, "kafka").StartedAt) || k.DurationS != 10.5 {
		t.Errorf("point period %v + %gs, want A's start + 10.5s", k.StartedAt, k.DurationS)
	}
	if !m.Environment.StartedAt.Equal(b.Environment.StartedAt) || !m.Environment.FinishedAt.Equal(b.Environment.FinishedAt) || m.Environment.CPUs != 2 {
		t.Errorf("environment %+v: want the first's, started earliest, finished latest", m.Environment)
	}
	// Notes once each plus the merge note; stale thresholds are gone.
	if len(k.Notes) != 2 || !strings.Contains(k.Notes[1], "merged from 2 documents") {
		t.Errorf("notes %q", k.Notes)
	}
	// The inputs are untouched.
	if a2, _ := json.Marshal(a); string(a2) != string(aJSON) {
		t.Error("Merge modified its first input")
	}
	if b2, _ := json.Marshal(b); string(b2) != string(bJSON) {
		t.Error("Merge modified its second input")
	}
	// And the document survives a write and a read.
	path := filepath.Join(t.TempDir(), "merged.json")
	if err := results.WriteFile(path, m); err != nil {
		t.Fatal(err)
	}
	back, err := results.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if sub(t, back, "kafka", "inventory").E2E.LatencyUS != s.E2E.LatencyUS {
		t.Error("summary changed through a write and a read")
	}
}

func TestMergeAppendsWhatDoesNotMatch(t *testing.T) {
	a, b := doc(t), doc(t)
	b.Points = b.Points[:1] // webhook only
	b.Points = append(b.Points, point(t, "bridge"))
	b.Points[0].Subscribers[1] = subscriber(t, "fraud", 1000, 0, 9000, 30000)
	m, err := Merge(a, b)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range m.Points {
		var subs []string
		for _, s := range p.Subscribers {
			subs = append(subs, s.Name+":"+fmtInt(s.Accounting.Sent))
		}
		got = append(got, p.System+"["+strings.Join(subs, ",")+"]")
	}
	want := []string{"webhook[inventory:2000,shipping:1000,fraud:1000]", "kafka[inventory:1000,shipping:1000]", "bridge[inventory:1000,shipping:1000]"}
	if !slices.Equal(got, want) {
		t.Errorf("points %v, want %v", got, want)
	}
	// Only the point merged from two documents says so.
	for _, p := range m.Points {
		merged := slices.ContainsFunc(p.Notes, func(n string) bool { return strings.Contains(n, "merged from") })
		if merged != (p.System == "webhook") {
			t.Errorf("%s: merge note %t, notes %q", p.System, merged, p.Notes)
		}
	}
}

func fmtInt(v int64) string { b, _ := json.Marshal(v); return string(b) }

func TestMergeThresholdsAndStatus(t *testing.T) {
	a, b, c := doc(t), doc(t), doc(t)
	for _, r := range []*results.Results{a, b, c} {
		for i := range r.Points {
			r.Points[i].Thresholds = []results.Threshold{{Expr: "lost == 0", Value: 0, Pass: true}}
		}
	}
	*sub(t, c, "webhook", "inventory") = subscriber(t, "inventory", 1000, 3, 2000, 10000)
	c.Status = results.StatusInterrupted
	pt(t, c, "webhook").Status = results.StatusInterrupted

	// Without an evaluator the parts' threshold marks are dropped.
	m, err := Merge(a, b, c)
	if err != nil {
		t.Fatal(err)
	}
	if m.Status != results.StatusInterrupted || pt(t, m, "webhook").Status != results.StatusInterrupted || pt(t, m, "kafka").Status != results.StatusComplete {
		t.Errorf("status %s, webhook %s, kafka %s: want the worst of the parts", m.Status, pt(t, m, "webhook").Status, pt(t, m, "kafka").Status)
	}
	if th := pt(t, m, "webhook").Thresholds; th != nil {
		t.Errorf("stale thresholds kept: %+v", th)
	}
	// With one, they are evaluated on the merged numbers.
	m, err = MergeWith(MergeOptions{Thresholds: func(p *results.Point) []results.Threshold {
		var lost int64
		for _, s := range p.Subscribers {
			lost += s.Accounting.Lost
		}
		return []results.Threshold{{Expr: "lost == 0", Value: float64(lost), Pass: lost == 0}}
	}}, a, b, c)
	if err != nil {
		t.Fatal(err)
	}
	if th := pt(t, m, "webhook").Thresholds; len(th) != 1 || th[0].Pass || th[0].Value != 3 {
		t.Errorf("webhook thresholds %+v, want lost == 0 failing with 3", th)
	}
	if s := sub(t, m, "webhook", "inventory"); s.Accounting.Sent != 3000 || s.Accounting.Lost != 3 || s.E2E.LatencyUS.Count != 2997 {
		t.Errorf("three-way accounting %+v, e2e count %d", s.Accounting, s.E2E.LatencyUS.Count)
	}
}

func TestMergeRefuses(t *testing.T) {
	other := doc(t)
	other.Scenario = json.RawMessage(`{"name":"payments"}`)
	v2 := doc(t)
	v2.Schema = "evbench/results/v2"
	broken := doc(t)
	broken.Points[1].Subscribers[0].Accounting.Delivered++
	badHist := doc(t)
	badHist.Points[0].Subscribers[0].E2E.Histogram = "SElTVEY="
	// Accounting moved by one with the identity kept: only the histogram
	// cross-check catches it (issue 9 item 13).
	skewed := doc(t)
	skewed.Points[0].Subscribers[0].Accounting.Delivered--
	skewed.Points[0].Subscribers[0].Accounting.Lost++
	tests := []struct {
		name     string
		opts     MergeOptions
		docs     []*results.Results
		want     string
		mismatch bool
	}{
		{"different scenarios", MergeOptions{Names: []string{"a.json", "b.json"}}, []*results.Results{doc(t), other},
			`a.json is scenario "orders", b.json is scenario "payments"`, true},
		{"different schemas, even forced", MergeOptions{Force: true}, []*results.Results{doc(t), v2}, "schema", true},
		{"an invalid document", MergeOptions{}, []*results.Results{doc(t), broken}, "document 2: point 1", false},
		{"a corrupt histogram", MergeOptions{}, []*results.Results{doc(t), badHist}, "e2e: decode histogram", false},
		{"histogram count differs from delivered", MergeOptions{Names: []string{"a.json", "b.json"}}, []*results.Results{doc(t), skewed},
			"b.json: point 0 (webhook) subscriber", false},
		{"nothing", MergeOptions{}, nil, "no documents", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := MergeWith(tc.opts, tc.docs...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
			if errors.Is(err, ErrMismatch) != tc.mismatch {
				t.Errorf("errors.Is(err, ErrMismatch) = %t, want %t", !tc.mismatch, tc.mismatch)
			}
		})
	}
	m, err := MergeWith(MergeOptions{Force: true}, doc(t), other)
	if err != nil {
		t.Fatalf("--force: %v", err)
	}
	if ScenarioName(m) != "orders" {
		t.Errorf("forced merge kept scenario %q, want the first's", ScenarioName(m))
	}
}

// TestMergeRealistic merges the ecommerce fixture (webhook retries,
// attempts per delivery, bridge ingress) with itself: every count doubles,
// every percentile stays, and the document is valid.
func TestMergeRealistic(t *testing.T) {
	one := fixture.Realistic()
	m, err := Merge(one, fixture.Realistic())
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range m.Points {
		q := one.Points[i]
		for j, s := range p.Subscribers {
			r := q.Subscribers[j]
			if s.Accounting.Sent != 2*r.Accounting.Sent || s.Accounting.Retries != 2*r.Accounting.Retries ||
				s.E2E.LatencyUS.Count != 2*r.E2E.LatencyUS.Count || s.E2E.LatencyUS.P99 != r.E2E.LatencyUS.P99 {
				t.Errorf("%s/%s: %+v p99 %d, from %+v p99 %d", p.System, s.Name, s.Accounting, s.E2E.LatencyUS.P99, r.Accounting, r.E2E.LatencyUS.P99)
			}
			if r.AttemptsPerDelivery != nil && (s.AttemptsPerDelivery.Count != 2*r.AttemptsPerDelivery.Count || s.AttemptsPerDelivery.P99 != r.AttemptsPerDelivery.P99) {
				t.Errorf("%s/%s attempts per delivery %+v from %+v", p.System, s.Name, *s.AttemptsPerDelivery, *r.AttemptsPerDelivery)
			}
			if r.Attempt != nil && s.Attempt.LatencyUS.Count != 2*r.Attempt.LatencyUS.Count {
				t.Errorf("%s/%s attempt count %d from %d", p.System, s.Name, s.Attempt.LatencyUS.Count, r.Attempt.LatencyUS.Count)
			}
		}
		if q.Ingress != nil && p.Ingress.LatencyUS.Count != 2*q.Ingress.LatencyUS.Count {
			t.Errorf("%s ingress count %d from %d", p.System, p.Ingress.LatencyUS.Count, q.Ingress.LatencyUS.Count)
		}
	}
	if !reflect.DeepEqual(m.MaxSustainable, one.MaxSustainable) {
		t.Errorf("max sustainable %+v, want the one set", m.MaxSustainable)
	}
	// A merged document compares against a single-host one point by point.
	rep, err := Compare(one, m, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Points) != 3 || len(rep.BaseOnlyPoints)+len(rep.CandidateOnlyPoints) != 0 {
		t.Errorf("merged vs single: %d matched, %d unmatched", len(rep.Points), len(rep.BaseOnlyPoints)+len(rep.CandidateOnlyPoints))
	}
}

// TestMergeOverloadAndDeadLetterCounts: one overloaded load generator makes
// the merged point overloaded (its offered load was not applied), and
// delivered_after_dead_letter adds up like the other counts (issue 9
// items 2 and 4).
func TestMergeOverloadAndDeadLetterCounts(t *testing.T) {
	a, b := doc(t), doc(t)
	pt(t, b, "webhook").Overloaded = true
	pt(t, b, "webhook").OverloadReason = "the generator took 25.0 s to emit a 11.0 s schedule"
	pt(t, b, "webhook").EmittedS = 25
	sub(t, a, "webhook", "inventory").Accounting.DeliveredAfterDeadLetter = 2
	sub(t, b, "webhook", "inventory").Accounting.DeliveredAfterDeadLetter = 3
	m, err := Merge(a, b)
	if err != nil {
		t.Fatal(err)
	}
	w := pt(t, m, "webhook")
	if !w.Overloaded || w.OverloadReason != "the generator took 25.0 s to emit a 11.0 s schedule" || w.EmittedS != 25 || pt(t, m, "kafka").Overloaded {
		t.Errorf("merged webhook overloaded %v (%q, emitted %v), kafka overloaded %v: want webhook only", w.Overloaded, w.OverloadReason, w.EmittedS, pt(t, m, "kafka").Overloaded)
	}
	if n := sub(t, m, "webhook", "inventory").Accounting.DeliveredAfterDeadLetter; n != 5 {
		t.Errorf("delivered_after_dead_letter = %d, want 2 + 3", n)
	}
}
