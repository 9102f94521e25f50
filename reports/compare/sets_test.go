package compare

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evbench/evbench/internal/golden"
	"github.com/evbench/evbench/reports/junit/junittest"
	"github.com/evbench/evbench/reports/results"
)

// jitter is a fixed run-to-run wobble of about ±4%, so samples overlap the
// way real repeats do.
var jitter = []float64{1.00, 1.03, 0.97, 1.04, 0.98, 1.01, 0.96, 1.02}

// repeats is a document with n repeats of one webhook point; the inventory
// subscriber's body and tail latencies are scaled by factor and jittered.
func repeats(t *testing.T, n int, factor float64, offset int) *results.Results {
	t.Helper()
	d := doc(t)
	d.Points = nil
	for i := 0; i < n; i++ {
		p := point(t, "webhook")
		p.Repeat = i + 1
		j := factor * jitter[(i+offset)%len(jitter)]
		p.Subscribers[0] = subscriber(t, "inventory", 1000, 0, int64(2000*j), int64(10000*j))
		p.AchievedPerS = 100 * (2 - jitter[(i+offset+3)%len(jitter)])
		d.Points = append(d.Points, p)
	}
	d.Environment.Noise = &results.Noise{CPUSpreadPct: 4, CPULoopMedianUS: 2000, TimerLateP50US: 60, TimerLateP99US: 300, Samples: 40, DurationMS: 130}
	return d
}

// split turns a document's repeats into one document per repeat.
func split(t *testing.T, d *results.Results) []*results.Results {
	var out []*results.Results
	for _, p := range d.Points {
		c := *d
		p.Repeat = 1
		c.Points = []results.Point{p}
		out = append(out, &c)
	}
	return out
}

func metricOf(t *testing.T, rep *Report, sub, name string) Metric {
	t.Helper()
	for _, p := range rep.Points {
		for _, m := range p.Metrics {
			if sub == "" && m.Name == name {
				return m
			}
		}
		for _, s := range p.Subscribers {
			for _, m := range s.Metrics {
				if s.Name == sub && m.Name == name {
					return m
				}
			}
		}
	}
	t.Fatalf("no metric %s/%s", sub, name)
	return Metric{}
}

func TestCompareSets(t *testing.T) {
	tests := []struct {
		name        string
		base, cand  []*results.Results
		opts        func(*Options)
		regressions []string // metric names of the inventory subscriber (p50 rises 0.6ms, under the 1ms floor)
		unjudged    int
		p99         Verdict
	}{
		{"same distribution, 5 repeats each", []*results.Results{repeats(t, 5, 1, 0)}, []*results.Results{repeats(t, 5, 1, 3)}, nil, nil, 0, Same},
		{"latency +30%, 5 repeats each", []*results.Results{repeats(t, 5, 1, 0)}, []*results.Results{repeats(t, 5, 1.3, 3)}, nil,
			[]string{MetricE2EP99, MetricE2EP999, MetricE2EMax}, 0, Regressed},
		{"latency +30% in 5 documents per side", split(t, repeats(t, 5, 1, 0)), split(t, repeats(t, 5, 1.3, 3)), nil,
			[]string{MetricE2EP99, MetricE2EP999, MetricE2EMax}, 0, Regressed},
		{"latency +30% over 3 repeats cannot be judged", []*results.Results{repeats(t, 3, 1, 0)}, []*results.Results{repeats(t, 3, 1.3, 3)}, nil,
			nil, 9, Unjudged}, // achieved/s and 4 latencies of each subscriber
		{"latency +6% is significant but within the 10% tolerance", []*results.Results{repeats(t, 6, 1, 0)}, []*results.Results{repeats(t, 6, 1.06, 0)}, nil,
			nil, 0, Same},
		{"latency +30% beyond a 50% tolerance is no regression", []*results.Results{repeats(t, 5, 1, 0)}, []*results.Results{repeats(t, 5, 1.3, 3)},
			func(o *Options) { o.LatencyTolerance = 0.5 }, nil, 0, Same},
		{"ignored metrics do not gate", []*results.Results{repeats(t, 5, 1, 0)}, []*results.Results{repeats(t, 5, 1.3, 3)},
			func(o *Options) { o.Ignore = []string{MetricE2EP50, MetricE2EP99, MetricE2EP999, MetricE2EMax} }, nil, 0, Ignored},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := DefaultOptions()
			if tc.opts != nil {
				tc.opts(&opts)
			}
			rep, err := CompareSets(tc.base, tc.cand, opts)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Mode != ModeSamples {
				t.Fatalf("mode %s", rep.Mode)
			}
			var got []string
			for _, g := range rep.Regressions {
				got = append(got, g.Name)
			}
			if strings.Join(got, ",") != strings.Join(tc.regressions, ",") || rep.Unjudged != tc.unjudged {
				t.Errorf("regressions %v (want %v), unjudged %d (want %d): %v", got, tc.regressions, rep.Unjudged, tc.unjudged, rep.Regressions)
			}
			m := metricOf(t, rep, "inventory", MetricE2EP99)
			if m.Verdict != tc.p99 || m.Stats == nil {
				t.Fatalf("e2e p99 verdict %s (want %s), stats %+v, reason %q", m.Verdict, tc.p99, m.Stats, m.Reason)
			}
			if st := m.Stats; st.Judgeable && st.ChangeLoPct != nil && m.ChangePct != nil && (*st.ChangeLoPct > *m.ChangePct+0.5 || *st.ChangeHiPct < *m.ChangePct-0.5) {
				t.Errorf("change %+.1f%% outside its CI [%+.1f%%, %+.1f%%]", *m.ChangePct, *st.ChangeLoPct, *st.ChangeHiPct)
			}
			if tc.p99 == Regressed && (!strings.Contains(m.Reason, "significant (") || m.Stats.P > 0.05) {
				t.Errorf("regression reason %q, p %v", m.Reason, m.Stats.P)
			}
		})
	}
}

func TestCompareSetsPairedFallbackAndErrors(t *testing.T) {
	rep, err := CompareSets([]*results.Results{doc(t)}, []*results.Results{doc(t)}, DefaultOptions())
	if err != nil || rep.Mode != ModePaired {
		t.Fatalf("one document per side: mode %v, err %v", rep, err)
	}
	if _, err := CompareSets(nil, []*results.Results{doc(t)}, DefaultOptions()); err == nil {
		t.Error("no base accepted")
	}
	broken := repeats(t, 2, 1, 0)
	broken.Points[1].Subscribers[0].Accounting.Lost = 5
	if _, err := CompareSets([]*results.Results{broken}, []*results.Results{repeats(t, 2, 1, 0)}, DefaultOptions()); err == nil || !strings.Contains(err.Error(), "accounting") {
		t.Errorf("invalid base: %v", err)
	}
	other := repeats(t, 5, 1, 0)
	for i := range other.Points {
		other.Points[i].Params["rate_per_s"] = 900
	}
	if _, err := CompareSets([]*results.Results{repeats(t, 5, 1, 0)}, []*results.Results{other}, DefaultOptions()); err == nil {
		t.Error("nothing in common accepted")
	}
}

func TestCompareSetsStatusAndLoss(t *testing.T) {
	base, cand := repeats(t, 5, 1, 0), repeats(t, 5, 1, 0)
	cand.Points[2].Status, cand.Points[2].Error = results.StatusFailed, "sink crashed"
	cand.Points[4].Subscribers[0] = subscriber(t, "inventory", 1000, 2, 2000, 10000)
	rep, err := CompareSets([]*results.Results{base}, []*results.Results{cand}, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, g := range rep.Regressions {
		got = append(got, g.Name+": "+g.Reason)
	}
	want := []string{"status: 1 of 5 candidate run(s) of the point did not complete: sink crashed",
		"lost: lost rose 0 -> 0.5; any increase is a regression (mean per run, n=5+4)"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("regressions\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestCompareNoiseWarnings(t *testing.T) {
	base, cand := repeats(t, 5, 1, 0), repeats(t, 5, 1, 3)
	cand.Environment.Noise.CPUSpreadPct = 12
	cand.Environment.Noise.TimerLateP99US = 2500
	rep, err := CompareSets([]*results.Results{base}, []*results.Results{cand}, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	w := strings.Join(rep.Warnings, "\n")
	for _, want := range []string{"this machine's noise is ±12% (spread of a fixed CPU loop at run start); a 10% latency gate is finer than the noise",
		"timer wake-ups on this machine were up to 2.50ms late (p99) at run start, more than the 1.00ms latency floor"} {
		if !strings.Contains(w, want) {
			t.Errorf("warnings lack %q:\n%s", want, w)
		}
	}
	// Single runs: the gate cannot be judged at all.
	b1, c1 := doc(t), doc(t)
	c1.Environment.Noise = &results.Noise{CPUSpreadPct: 12}
	rep, err = Compare(b1, c1, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if w := strings.Join(rep.Warnings, "\n"); !strings.Contains(w, "a 10% latency gate cannot be judged from single runs") {
		t.Errorf("paired warnings: %s", w)
	}
	// One unlucky calibration among five runs per side does not decide.
	bs, cs := split(t, repeats(t, 5, 1, 0)), split(t, repeats(t, 5, 1, 3))
	for i, d := range append(bs, cs...) {
		n := *d.Environment.Noise
		if i == 2 {
			n.CPUSpreadPct = 500
		}
		d.Environment.Noise = &n
	}
	rep, err = CompareSets(bs, cs, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Noise.CPUSpreadPct != 4 || len(rep.Warnings) != 0 {
		t.Errorf("typical noise %+v, warnings %v: want ±4%% and none", *rep.Noise, rep.Warnings)
	}
	// Quiet machine: no warning.
	c1.Environment.Noise.CPUSpreadPct = 3
	rep, _ = Compare(b1, c1, DefaultOptions())
	if len(rep.Warnings) != 0 {
		t.Errorf("quiet machine warned: %v", rep.Warnings)
	}
}

// TestCIOutputsGolden checks the Markdown and JUnit renderings of a
// samples-mode comparison with a regression, an unjudged point and a
// failing candidate threshold, and of a paired comparison; every JUnit
// document is checked against the JUnit schema's rules.
func TestCIOutputsGolden(t *testing.T) {
	base, cand := repeats(t, 5, 1, 0), repeats(t, 5, 1.3, 3)
	cand.Points[0].Thresholds = []results.Threshold{{Expr: "e2e.p99 < 12ms", Value: 13000}, {Expr: "lost == 0", Value: 0, Pass: true}}
	k := point(t, "kafka")
	base.Points = append(base.Points, k, k, k)
	cand.Points = append(cand.Points, k, k, k)
	samples, err := CompareSets([]*results.Results{base}, []*results.Results{cand}, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	samples.Base.Label, samples.Candidate.Label = "base.json", "candidate.json"
	samples.BaseDocs[0].Label, samples.CandidateDocs[0].Label = "base.json", "candidate.json"
	pb, pc := doc(t), doc(t)
	*sub(t, pc, "webhook", "inventory") = subscriber(t, "inventory", 1000, 1, 2000, 13000)
	paired, err := Compare(pb, pc, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	paired.Base.Label, paired.Candidate.Label = "base.json", "candidate.json"
	for _, g := range []struct {
		file  string
		rep   *Report
		write func(*Report, *bytes.Buffer) error
	}{
		{"samples.md", samples, func(r *Report, b *bytes.Buffer) error { return r.WriteMarkdown(b) }},
		{"samples.junit.xml", samples, func(r *Report, b *bytes.Buffer) error { return r.WriteJUnit(b) }},
		{"samples.txt", samples, func(r *Report, b *bytes.Buffer) error { return r.WriteText(b) }},
		{"paired.md", paired, func(r *Report, b *bytes.Buffer) error { return r.WriteMarkdown(b) }},
		{"paired.junit.xml", paired, func(r *Report, b *bytes.Buffer) error { return r.WriteJUnit(b) }},
	} {
		t.Run(g.file, func(t *testing.T) {
			var buf bytes.Buffer
			if err := g.write(g.rep, &buf); err != nil {
				t.Fatal(err)
			}
			if strings.HasSuffix(g.file, ".xml") {
				if err := junittest.CheckSchema(buf.Bytes()); err != nil {
					t.Errorf("not valid JUnit: %v", err)
				}
			}
			golden.Check(t, filepath.Join("testdata", g.file), buf.Bytes())
		})
	}
}

func TestChangeCIHeader(t *testing.T) {
	for alpha, want := range map[float64]string{0.05: "CI of change (≥95%)", 0.01: "CI of change (≥99%)", 0.1: "CI of change (≥90%)", 0.001: "CI of change (≥99.9%)"} {
		r := &Report{Options: Options{Alpha: alpha}}
		if got := r.changeCIHeader(); got != want {
			t.Errorf("alpha %g: %q, want %q", alpha, got, want)
		}
	}
}
