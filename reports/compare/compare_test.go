package compare

import (
	"bytes"
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/evbench/evbench/internal/golden"
	"github.com/evbench/evbench/reports/internal/fixture"
	"github.com/evbench/evbench/reports/results"
)

// regressed lists regressions as "system/subscriber/metric" (subscriber
// "-" for point-level metrics), sorted.
func regressed(r *Report) []string {
	var out []string
	for _, g := range r.Regressions {
		s := g.Subscriber
		if s == "" {
			s = "-"
		}
		out = append(out, g.Point.System+"/"+s+"/"+g.Name)
	}
	slices.Sort(out)
	return out
}

func TestCompareRegressions(t *testing.T) {
	tail := func(system, name string, tailUS int64) func(t *testing.T, r *results.Results) {
		return func(t *testing.T, r *results.Results) {
			s := sub(t, r, system, name)
			s.E2E = latency(t, [2]int64{s.E2E.LatencyUS.P50, 980}, [2]int64{tailUS, 20})
		}
	}
	fast := func(t *testing.T, r *results.Results) { // a 100µs body, 200µs tail
		s := sub(t, r, "webhook", "inventory")
		s.E2E = latency(t, [2]int64{100, 980}, [2]int64{200, 20})
	}
	defaults := DefaultOptions()
	tests := []struct {
		name string
		// both changes base and candidate alike, baseOnly the base, cand
		// the candidate.
		both, baseOnly, cand func(t *testing.T, r *results.Results)
		opts                 *Options
		want                 []string
		// verdict, when set, is checked for webhook/inventory's metric.
		metric  string
		verdict Verdict
	}{
		{name: "identical runs", want: nil},
		{name: "p99 up 30% (10ms -> 13ms) is a regression", cand: tail("webhook", "inventory", 13000),
			want: []string{"webhook/inventory/e2e_max_us", "webhook/inventory/e2e_p999_us", "webhook/inventory/e2e_p99_us"}},
		{name: "p99 up 5% is within the 10% tolerance", cand: tail("webhook", "inventory", 10500),
			want: nil, metric: MetricE2EP99, verdict: Same},
		{name: "p99 up 30% of 200µs is under the 1ms floor", both: fast,
			cand: func(t *testing.T, r *results.Results) {
				fast(t, r)
				tail("webhook", "inventory", 260)(t, r)
			}, want: nil, metric: MetricE2EP99, verdict: Same},
		{name: "the same +60µs with no floor is a regression", both: fast,
			cand: func(t *testing.T, r *results.Results) {
				fast(t, r)
				tail("webhook", "inventory", 260)(t, r)
			}, opts: &Options{LatencyTolerance: 0.10, ThroughputTolerance: 0.05},
			want: []string{"webhook/inventory/e2e_max_us", "webhook/inventory/e2e_p999_us", "webhook/inventory/e2e_p99_us"}},
		{name: "p50 up 30% above the floor", cand: func(t *testing.T, r *results.Results) {
			s := sub(t, r, "kafka", "shipping")
			s.E2E = latency(t, [2]int64{6500, 980}, [2]int64{20000, 20})
		}, want: []string{"kafka/shipping/e2e_p50_us"}},
		{name: "lost 0 -> 1 is a regression", cand: func(t *testing.T, r *results.Results) {
			*sub(t, r, "webhook", "shipping") = subscriber(t, "shipping", 1000, 1, 5000, 20000)
		}, want: []string{"webhook/shipping/lost"}},
		{name: "lost 1 -> 0 is an improvement", baseOnly: func(t *testing.T, r *results.Results) {
			*sub(t, r, "webhook", "inventory") = subscriber(t, "inventory", 1000, 1, 2000, 10000)
		}, want: nil, metric: MetricLost, verdict: Improved},
		{name: "dead-lettered up is a regression", cand: func(t *testing.T, r *results.Results) {
			sub(t, r, "webhook", "inventory").Accounting.DeadLettered = 2
		}, want: []string{"webhook/inventory/dead_lettered"}},
		{name: "duplicates up are reported, not a regression", cand: func(t *testing.T, r *results.Results) {
			sub(t, r, "webhook", "inventory").Accounting.Duplicates = 40
		}, want: nil, metric: MetricDuplicates, verdict: Info},
		{name: "throughput down 10% is a regression", cand: func(t *testing.T, r *results.Results) {
			pt(t, r, "kafka").AchievedPerS = 90
		}, want: []string{"kafka/-/achieved_per_s"}},
		{name: "throughput down 3% is within the 5% tolerance", cand: func(t *testing.T, r *results.Results) {
			pt(t, r, "kafka").AchievedPerS = 97
		}, want: nil},
		{name: "publish p99 up 30% is a regression", cand: func(t *testing.T, r *results.Results) {
			l := latency(t, [2]int64{1000, 980}, [2]int64{5200, 20})
			pt(t, r, "kafka").Publish = &l
		}, want: []string{"kafka/-/publish_p99_us"}},
		{name: "a candidate point that failed is a regression", cand: func(t *testing.T, r *results.Results) {
			p := pt(t, r, "kafka")
			p.Status, p.Error = results.StatusFailed, "broker unreachable"
		}, want: []string{"kafka/-/status"}},
		{name: "ignored metrics are shown, not gated", cand: tail("webhook", "inventory", 13000),
			opts: &Options{LatencyTolerance: 0.10, LatencyFloor: time.Millisecond, ThroughputTolerance: 0.05, Ignore: []string{MetricE2EMax, MetricE2EP999}},
			want: []string{"webhook/inventory/e2e_p99_us"}, metric: MetricE2EMax, verdict: Ignored},
		{name: "p99 down 30% is an improvement", cand: tail("webhook", "inventory", 7000),
			want: nil, metric: MetricE2EP99, verdict: Improved},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			base, cand := doc(t), doc(t)
			if tc.both != nil {
				tc.both(t, base)
				tc.both(t, cand)
			}
			if tc.baseOnly != nil {
				tc.baseOnly(t, base)
			}
			if tc.cand != nil {
				tc.cand(t, cand)
			}
			opts := defaults
			if tc.opts != nil {
				opts = *tc.opts
			}
			rep, err := Compare(base, cand, opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := regressed(rep); !slices.Equal(got, tc.want) {
				t.Errorf("regressions %v, want %v", got, tc.want)
			}
			if rep.Regressed() != (len(tc.want) > 0) {
				t.Errorf("Regressed() = %t with %d regressions", rep.Regressed(), len(tc.want))
			}
			// 2 points x (achieved/s + 2 subscribers x 7 metrics) + kafka's
			// publish p99, + the status of a point that failed.
			wantN := 2*(1+2*7) + 1
			if slices.Contains(tc.want, "kafka/-/status") {
				wantN++
			}
			if rep.Compared != wantN {
				t.Errorf("compared %d metrics, want %d", rep.Compared, wantN)
			}
			if tc.metric != "" {
				m := findMetric(t, rep, "webhook", "inventory", tc.metric)
				if m.Verdict != tc.verdict {
					t.Errorf("%s verdict %q, want %q (%+v)", tc.metric, m.Verdict, tc.verdict, m)
				}
			}
			for _, g := range rep.Regressions {
				if g.Reason == "" {
					t.Errorf("regression without a reason: %+v", g)
				}
			}
		})
	}
}

func findMetric(t *testing.T, r *Report, system, subscriber, metric string) Metric {
	t.Helper()
	for _, p := range r.Points {
		if p.Key.System != system {
			continue
		}
		for _, s := range p.Subscribers {
			if s.Name != subscriber {
				continue
			}
			for _, m := range s.Metrics {
				if m.Name == metric {
					return m
				}
			}
		}
	}
	t.Fatalf("no %s for %s/%s", metric, system, subscriber)
	return Metric{}
}

func TestCompareChangeFigures(t *testing.T) {
	base, cand := doc(t), doc(t)
	s := sub(t, cand, "webhook", "inventory")
	s.E2E = latency(t, [2]int64{2000, 980}, [2]int64{13000, 20})
	rep, err := Compare(base, cand, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	m := findMetric(t, rep, "webhook", "inventory", MetricE2EP99)
	bp99 := sub(t, base, "webhook", "inventory").E2E.LatencyUS.P99
	cp99 := s.E2E.LatencyUS.P99
	if m.Base != float64(bp99) || m.Candidate != float64(cp99) || m.Change != float64(cp99-bp99) {
		t.Errorf("p99 metric %+v, want base %d candidate %d", m, bp99, cp99)
	}
	// HdrHistogram reports a bucket's highest equivalent value, so 10ms
	// and 13ms come back within 0.1%: the change is 30% +- 0.2%.
	if m.ChangePct == nil || *m.ChangePct < 29.8 || *m.ChangePct > 30.2 {
		t.Errorf("change %v%%, want about +30%%", m.ChangePct)
	}
	if !strings.Contains(m.Reason, "e2e p99 rose") || !strings.Contains(m.Reason, "10% tolerance") || !strings.Contains(m.Reason, "1.00ms floor") {
		t.Errorf("reason %q does not explain the rule", m.Reason)
	}
	// A base of 0 has no relative change: it is absent, not Inf or NaN.
	lost := findMetric(t, rep, "webhook", "inventory", MetricLost)
	if lost.ChangePct != nil {
		t.Errorf("lost 0 -> 0 has a relative change %v", *lost.ChangePct)
	}
	var buf bytes.Buffer
	if err := rep.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var back struct {
		Options struct {
			LatencyFloorUS int64 `json:"latency_floor_us"`
		} `json:"options"`
		Regressions []map[string]any `json:"regressions"`
	}
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatalf("JSON output does not decode: %v", err)
	}
	if back.Options.LatencyFloorUS != 1000 || len(back.Regressions) != 3 || back.Regressions[0]["metric"] == nil || back.Regressions[0]["point"] == nil {
		t.Errorf("JSON: floor %d µs, regressions %v", back.Options.LatencyFloorUS, back.Regressions)
	}
}

func TestCompareUnmatchedAreReported(t *testing.T) {
	base, cand := doc(t), doc(t)
	// The candidate lost its kafka point, gained a bridge point, and
	// its webhook point has fraud instead of shipping.
	cand.Points = cand.Points[:1]
	extra := point(t, "bridge")
	cand.Points = append(cand.Points, extra)
	sub(t, cand, "webhook", "shipping").Name = "fraud"
	// A different repeat is a different point.
	rep1 := point(t, "webhook")
	rep1.Repeat = 2
	base.Points = append(base.Points, rep1)

	rep, err := Compare(base, cand, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	keys := func(ks []Key) []string {
		var s []string
		for _, k := range ks {
			s = append(s, k.String())
		}
		return s
	}
	if got, want := keys(rep.BaseOnlyPoints), []string{"kafka rate_per_s=100 subscribers=2", "webhook rate_per_s=100 subscribers=2 repeat=2"}; !slices.Equal(got, want) {
		t.Errorf("base-only points %q, want %q", got, want)
	}
	if got, want := keys(rep.CandidateOnlyPoints), []string{"bridge rate_per_s=100 subscribers=2"}; !slices.Equal(got, want) {
		t.Errorf("candidate-only points %q, want %q", got, want)
	}
	if len(rep.Points) != 1 {
		t.Fatalf("%d matched points, want 1", len(rep.Points))
	}
	p := rep.Points[0]
	if !slices.Equal(p.BaseOnlySubscribers, []string{"shipping"}) || !slices.Equal(p.CandidateOnlySubscribers, []string{"fraud"}) {
		t.Errorf("unmatched subscribers base %v candidate %v, want [shipping] and [fraud]", p.BaseOnlySubscribers, p.CandidateOnlySubscribers)
	}
	if rep.Regressed() {
		t.Errorf("unmatched items are not regressions: %v", regressed(rep))
	}
	var buf bytes.Buffer
	if err := rep.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"point only in the base, not compared: kafka", "point only in the candidate, not compared: bridge",
		"subscriber shipping only in the base", "subscriber fraud only in the candidate", "3 point(s) on one side only"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("text output lacks %q:\n%s", want, buf.String())
		}
	}
}

func TestCompareWarnsAboutEnvironments(t *testing.T) {
	base, cand := doc(t), doc(t)
	cand.Environment.CPUs = 16
	cand.Environment.BrokerKind = "Apache Kafka 4.1.1"
	cand.Environment.Embedded = false
	cand.Environment.Revision = "2222222"
	cand.Scenario = json.RawMessage(`{"name":"orders","load":{"rate_per_s":100,"duration_ns":60e9}}`)
	rep, err := Compare(base, cand, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(rep.Warnings, "\n")
	for _, want := range []string{"cpus differ (base 2, candidate 16)", "brokers differ", "embedded", "scenarios differ in: load"} {
		if !strings.Contains(all, want) {
			t.Errorf("warnings lack %q:\n%s", want, all)
		}
	}
	if rep.Regressed() {
		t.Errorf("environment differences are warnings, not regressions: %v", regressed(rep))
	}
	var buf bytes.Buffer
	if err := rep.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "revision 1111111") || !strings.Contains(buf.String(), "revision 2222222") {
		t.Errorf("text output does not show both revisions:\n%s", buf.String())
	}
	if rep2, _ := Compare(base, doc(t), DefaultOptions()); len(rep2.Warnings) != 0 {
		t.Errorf("same environment warned: %v", rep2.Warnings)
	}
}

func TestCompareRefuses(t *testing.T) {
	other := doc(t)
	for i := range other.Points {
		other.Points[i].Params["rate_per_s"] = 5000
	}
	broken := doc(t)
	broken.Points[0].Subscribers[0].Accounting.Lost = 7
	tests := []struct {
		name       string
		base, cand *results.Results
		opts       Options
		want       string
	}{
		{"no point in common", doc(t), other, DefaultOptions(), "no point in common"},
		{"negative tolerance", doc(t), doc(t), Options{LatencyTolerance: -0.1}, "latency tolerance"},
		{"throughput tolerance over 100%", doc(t), doc(t), Options{ThroughputTolerance: 1.5}, "throughput tolerance"},
		{"unknown ignored metric", doc(t), doc(t), Options{Ignore: []string{"p99"}}, "unknown metric"},
		{"accounting does not add up", doc(t), broken, DefaultOptions(), "candidate: point 0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compare(tc.base, tc.cand, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
	if _, err := Compare(doc(t), other, DefaultOptions()); !errors.Is(err, ErrNothingToCompare) {
		t.Errorf("error %v is not ErrNothingToCompare", err)
	}
}

// TestCompareRealistic compares the ecommerce fixture (three systems,
// three subscribers, an outage) with itself, then with the webhook
// fraud-check latencies 40% slower, kafka 8% slower and webhook 2% slower
// to send, and one event lost on the bridge.
func TestCompareRealistic(t *testing.T) {
	base := fixture.Realistic()
	same, err := Compare(base, fixture.Realistic(), DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if same.Regressed() || len(same.Warnings) != 0 || same.Compared != 3*(1+3*7)+2 {
		t.Errorf("a run against itself: regressions %v, warnings %v, %d metrics compared", regressed(same), same.Warnings, same.Compared)
	}
	cand := fixture.Realistic()
	for i := range cand.Points {
		p := &cand.Points[i]
		switch p.System {
		case "webhook":
			p.AchievedPerS *= 0.98
			s := &p.Subscribers[2]
			h, err := results.DecodeHistogram(s.E2E.Histogram)
			if err != nil {
				t.Fatal(err)
			}
			slow := results.NewHistogram()
			for _, b := range h.Distribution() {
				if b.Count > 0 {
					_ = slow.RecordValues(b.To*14/10, b.Count)
				}
			}
			if s.E2E, err = results.NewLatency(slow); err != nil {
				t.Fatal(err)
			}
		case "kafka":
			p.AchievedPerS *= 0.92
		case "bridge":
			a := &p.Subscribers[0].Accounting
			a.Delivered--
			a.Lost++
		}
	}
	rep, err := Compare(base, cand, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"bridge/inventory/lost", "kafka/-/achieved_per_s", "webhook/fraud-check/e2e_max_us",
		"webhook/fraud-check/e2e_p50_us", "webhook/fraud-check/e2e_p999_us", "webhook/fraud-check/e2e_p99_us"}
	if got := regressed(rep); !slices.Equal(got, want) {
		t.Errorf("regressions %v, want %v", got, want)
	}
}

// TestCompareTextGolden checks the text table: p99 up 30% on one
// subscriber, throughput down 10% and one event lost on kafka, a
// subscriber and a point on one side only, and a CPU count difference.
func TestCompareTextGolden(t *testing.T) {
	base, cand := doc(t), doc(t)
	cand.Environment.Revision = "2222222"
	cand.Environment.CPUs = 4
	s := sub(t, cand, "webhook", "inventory")
	s.E2E = latency(t, [2]int64{2000, 980}, [2]int64{13000, 20})
	pt(t, cand, "kafka").AchievedPerS = 90
	*sub(t, cand, "kafka", "shipping") = subscriber(t, "shipping", 1000, 1, 5000, 20000)
	sub(t, cand, "kafka", "inventory").Accounting.Duplicates = 4
	sub(t, cand, "webhook", "shipping").Name = "fraud"
	cand.Points = append(cand.Points, point(t, "bridge"))
	rep, err := Compare(base, cand, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	rep.Base.Label, rep.Candidate.Label = "base.json", "candidate.json"
	var buf bytes.Buffer
	if err := rep.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "compare.golden"), buf.Bytes())
}
