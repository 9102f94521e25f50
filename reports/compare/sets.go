package compare

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/evbench/evbench/reports/results"
)

// Comparison modes.
const (
	// ModePaired compares one run per side point by point, with the
	// tolerance rules alone: a single run has no spread to test.
	ModePaired = "paired"
	// ModeSamples compares several runs per side (repeats of each point,
	// several documents, or both) with a significance test.
	ModeSamples = "samples"
)

// CompareSets compares the candidate documents against the base documents.
//
// With one document per side and no repeated point it is Compare (paired
// mode). Otherwise (samples mode) the points of every document of a side
// are grouped by system and params, every repeat of a point in every
// document being one sample, and each metric is compared over the samples
// as benchstat does: the medians, their 95% confidence intervals, the
// Mann-Whitney U test's p-value (golang.org/x/perf/benchmath) and a
// Hodges-Lehmann confidence interval of the change. A latency or
// throughput metric regresses only when the change of the medians is
// beyond the tolerance (and the floor) AND significant (p <= alpha). When
// the samples are too few for the test to ever reach alpha (fewer than 4
// per side at alpha 0.05) the metric's verdict is Unjudged and it does not
// gate. Lost and dead-lettered events are compared as means per run and
// any increase regresses: loss is a correctness signal, not noise.
func CompareSets(bases, cands []*results.Results, opts Options) (*Report, error) {
	if len(bases) == 0 || len(cands) == 0 {
		return nil, errors.New("compare: no base or no candidate document")
	}
	if len(bases) == 1 && len(cands) == 1 && !repeated(bases[0]) && !repeated(cands[0]) {
		return Compare(bases[0], cands[0], opts)
	}
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	for i, d := range bases {
		if d == nil {
			return nil, errors.New("compare: nil document")
		}
		if err := d.Validate(); err != nil {
			return nil, fmt.Errorf("base %d: %w", i+1, err)
		}
	}
	for i, d := range cands {
		if d == nil {
			return nil, errors.New("compare: nil document")
		}
		if err := d.Validate(); err != nil {
			return nil, fmt.Errorf("candidate %d: %w", i+1, err)
		}
	}
	rep := &Report{Mode: ModeSamples, Base: docOf(bases[0]), Candidate: docOf(cands[0]), Options: opts,
		Warnings: envWarnings(bases[0], cands[0]), Points: []PointDiff{}, BaseOnlyPoints: []Key{},
		CandidateOnlyPoints: []Key{}, Regressions: []Regression{}}
	for _, d := range bases {
		rep.BaseDocs = append(rep.BaseDocs, docOf(d))
	}
	for _, d := range cands {
		rep.CandidateDocs = append(rep.CandidateDocs, docOf(d))
	}
	for i, d := range bases[1:] {
		for _, w := range envWarnings(bases[0], d) {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("base documents 1 and %d: %s", i+2, w))
		}
	}
	for i, d := range cands[1:] {
		for _, w := range envWarnings(cands[0], d) {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("candidate documents 1 and %d: %s", i+2, w))
		}
	}
	bg, cg := group(bases), group(cands)
	for _, g := range bg.order {
		c, ok := cg.points[g]
		if !ok {
			rep.BaseOnlyPoints = append(rep.BaseOnlyPoints, KeyOf(bg.points[g][0]).grouped())
			continue
		}
		pd := comparePointSet(bg.points[g], c, opts)
		for _, m := range pd.Metrics {
			rep.add(pd.Key, "", m)
		}
		for _, s := range pd.Subscribers {
			for _, m := range s.Metrics {
				rep.add(pd.Key, s.Name, m)
			}
		}
		rep.Points = append(rep.Points, pd)
	}
	for _, g := range cg.order {
		if _, ok := bg.points[g]; !ok {
			rep.CandidateOnlyPoints = append(rep.CandidateOnlyPoints, KeyOf(cg.points[g][0]).grouped())
		}
	}
	if len(rep.Points) == 0 {
		return rep, fmt.Errorf("%w: no (system, params) on both sides", ErrNothingToCompare)
	}
	rep.finish(bases, cands)
	return rep, rep.comparableErr()
}

// repeated reports whether a document holds repeats of a point.
func repeated(r *results.Results) bool {
	seen := map[string]bool{}
	for i := range r.Points {
		if r.Points[i].Repeat > 1 {
			return true
		}
		id := KeyOf(&r.Points[i]).grouped().id()
		if seen[id] {
			return true
		}
		seen[id] = true
	}
	return false
}

// grouped is the key without its repeat: the identity of a sample group.
func (k Key) grouped() Key { k.Repeat = 0; return k }

type groups struct {
	order  []string
	points map[string][]*results.Point
}

// group collects every point of docs by (system, params). Saturation
// probes (repeat 0 in a document with a find_max result) are left out:
// their rates are chosen by the search, not by the scenario.
func group(docs []*results.Results) groups {
	g := groups{points: map[string][]*results.Point{}}
	for _, d := range docs {
		for i := range d.Points {
			p := &d.Points[i]
			if p.Repeat == 0 && len(d.MaxSustainable) > 0 {
				continue
			}
			id := KeyOf(p).grouped().id()
			if _, ok := g.points[id]; !ok {
				g.order = append(g.order, id)
			}
			g.points[id] = append(g.points[id], p)
		}
	}
	return g
}

func completed(ps []*results.Point) []*results.Point {
	var out []*results.Point
	for _, p := range ps {
		if p.Status == results.StatusComplete {
			out = append(out, p)
		}
	}
	return out
}

// notOverloaded leaves out runs whose load generator could not keep its
// schedule: their offered load was not applied.
func notOverloaded(ps []*results.Point) []*results.Point {
	var out []*results.Point
	for _, p := range ps {
		if !p.Overloaded {
			out = append(out, p)
		}
	}
	return out
}

func comparePointSet(bps, cps []*results.Point, opts Options) PointDiff {
	bc, cc := completed(bps), completed(cps)
	pd := PointDiff{Key: KeyOf(bps[0]).grouped(), Metrics: []Metric{}, Subscribers: []SubscriberDiff{},
		BaseSamples: len(bps), CandidateSamples: len(cps),
		BaseStatus:      fmt.Sprintf("%d/%d complete", len(bc), len(bps)),
		CandidateStatus: fmt.Sprintf("%d/%d complete", len(cc), len(cps))}
	if len(bc) > 0 && len(cc) < len(cps) {
		m := Metric{Name: MetricStatus, Base: float64(len(bc)) / float64(len(bps)), Candidate: float64(len(cc)) / float64(len(cps)),
			Verdict: Regressed, Reason: fmt.Sprintf("%d of %d candidate run(s) of the point did not complete", len(cps)-len(cc), len(cps))}
		m.Change = m.Candidate - m.Base
		for _, p := range cps {
			if p.Error != "" {
				m.Reason += ": " + p.Error
				break
			}
		}
		if opts.ignored(MetricStatus) {
			m.Verdict = Ignored
		}
		pd.Metrics = append(pd.Metrics, m)
	}
	if len(bc) == 0 || len(cc) == 0 {
		pd.Notes = append(pd.Notes, "no completed run on one side; metrics not compared")
		return pd
	}
	if len(bc) < len(bps) || len(cc) < len(cps) {
		pd.Notes = append(pd.Notes, "only completed runs are compared")
	}
	bo, co := notOverloaded(bc), notOverloaded(cc)
	for _, n := range []string{overloadNote("base", bc), overloadNote("candidate", cc)} {
		if n == "" {
			continue
		}
		if len(bo) == 0 || len(co) == 0 {
			pd.Notes = append(pd.Notes, "not comparable: "+n+": the offered load was not applied, so throughput, latencies and losses are not judged")
		} else {
			pd.Notes = append(pd.Notes, n+": those runs are left out")
		}
	}
	if len(bo) == 0 || len(co) == 0 {
		pd.NotComparable = true
		return pd
	}
	bc, cc = bo, co
	pd.Metrics = append(pd.Metrics, judgeSamples(MetricAchieved, values(bc, func(p *results.Point) (float64, bool) { return p.AchievedPerS, true }),
		values(cc, func(p *results.Point) (float64, bool) { return p.AchievedPerS, true }), opts))
	pub := func(p *results.Point) (float64, bool) {
		if s := present(p.Publish); s != nil {
			return float64(s.P99), true
		}
		return 0, false
	}
	switch bv, cv := values(bc, pub), values(cc, pub); {
	case len(bv) > 0 && len(cv) > 0:
		pd.Metrics = append(pd.Metrics, judgeSamples(MetricPublishP99, bv, cv, opts))
	case len(bv) > 0 || len(cv) > 0:
		pd.Notes = append(pd.Notes, "publish latency measured on one side only; not compared")
	}
	bnames, cnames := subscriberNames(bc), subscriberNames(cc)
	for _, name := range bnames {
		if !slices.Contains(cnames, name) {
			pd.BaseOnlySubscribers = append(pd.BaseOnlySubscribers, name)
			continue
		}
		pd.Subscribers = append(pd.Subscribers, compareSubscriberSet(name, bc, cc, opts))
	}
	for _, name := range cnames {
		if !slices.Contains(bnames, name) {
			pd.CandidateOnlySubscribers = append(pd.CandidateOnlySubscribers, name)
		}
	}
	return pd
}

func values(ps []*results.Point, f func(*results.Point) (float64, bool)) []float64 {
	var out []float64
	for _, p := range ps {
		if v, ok := f(p); ok {
			out = append(out, v)
		}
	}
	return out
}

func subscriberNames(ps []*results.Point) []string {
	var names []string
	for _, p := range ps {
		for _, s := range p.Subscribers {
			if !slices.Contains(names, s.Name) {
				names = append(names, s.Name)
			}
		}
	}
	return names
}

func findSub(p *results.Point, name string) *results.Subscriber {
	for i := range p.Subscribers {
		if p.Subscribers[i].Name == name {
			return &p.Subscribers[i]
		}
	}
	return nil
}

func compareSubscriberSet(name string, bc, cc []*results.Point, opts Options) SubscriberDiff {
	sd := SubscriberDiff{Name: name, Metrics: []Metric{}}
	lat := func(pick func(results.Summary) int64) func(*results.Point) (float64, bool) {
		return func(p *results.Point) (float64, bool) {
			s := findSub(p, name)
			if s == nil || s.E2E.LatencyUS.Count == 0 {
				return 0, false
			}
			return float64(pick(s.E2E.LatencyUS)), true
		}
	}
	type latMetric struct {
		name string
		pick func(results.Summary) int64
	}
	bn := len(values(bc, lat(func(s results.Summary) int64 { return s.P50 })))
	cn := len(values(cc, lat(func(s results.Summary) int64 { return s.P50 })))
	if bn > 0 && cn > 0 {
		for _, x := range []latMetric{
			{MetricE2EP50, func(s results.Summary) int64 { return s.P50 }},
			{MetricE2EP99, func(s results.Summary) int64 { return s.P99 }},
			{MetricE2EP999, func(s results.Summary) int64 { return s.P999 }},
			{MetricE2EMax, func(s results.Summary) int64 { return s.Max }},
		} {
			sd.Metrics = append(sd.Metrics, judgeSamples(x.name, values(bc, lat(x.pick)), values(cc, lat(x.pick)), opts))
		}
	} else {
		sd.Notes = append(sd.Notes, "no deliveries on one side; latency not compared")
	}
	count := func(pick func(results.Accounting) int64) func(*results.Point) (float64, bool) {
		return func(p *results.Point) (float64, bool) {
			s := findSub(p, name)
			if s == nil {
				return 0, false
			}
			return float64(pick(s.Accounting)), true
		}
	}
	for _, x := range []struct {
		name string
		pick func(results.Accounting) int64
	}{
		{MetricLost, func(a results.Accounting) int64 { return a.Lost }},
		{MetricDeadLettered, func(a results.Accounting) int64 { return a.DeadLettered }},
		{MetricDuplicates, func(a results.Accounting) int64 { return a.Duplicates }},
	} {
		sd.Metrics = append(sd.Metrics, judgeSamples(x.name, values(bc, count(x.pick)), values(cc, count(x.pick)), opts))
	}
	return sd
}

func mean(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

// minSamples is the smallest equal sample size at which the U test can
// reach alpha.
func minSamples(alpha float64) int {
	for n := 1; n < 100; n++ {
		if minUTestP(n, n) <= alpha {
			return n
		}
	}
	return 100
}

// judgeSamples applies the metric's rule to two samples (see CompareSets).
func judgeSamples(name string, b, c []float64, opts Options) Metric {
	k := metricKind(name)
	if k == kindAnyIncrease || k == kindInfo {
		m := judge(name, mean(b), mean(c), opts)
		if m.Reason != "" {
			m.Reason += fmt.Sprintf(" (mean per run, n=%d+%d)", len(b), len(c))
		}
		return m
	}
	alpha := opts.alpha()
	bm, cm, st := sampleStats(b, c, alpha)
	m := judge(name, bm, cm, opts) // the tolerance rules on the medians
	m.Stats = st
	label := Label(name)
	sig := fmt.Sprintf("p=%.3f, n=%d+%d", st.P, st.BaseN, st.CandidateN)
	if st.ChangeLoPct != nil {
		sig = fmt.Sprintf("%.0f%% CI %+.1f%% to %+.1f%%, ", 100*st.ChangeConfidence, *st.ChangeLoPct, *st.ChangeHiPct) + sig
	}
	switch {
	case !st.Judgeable:
		m.Verdict = Unjudged
		m.Reason = fmt.Sprintf("%s: %d against %d samples cannot reach significance at alpha %g (at least %d per side needed); not gated",
			label, st.BaseN, st.CandidateN, alpha, minSamples(alpha))
	case (m.Verdict == Regressed || m.Verdict == Ignored || m.Verdict == Improved) && !st.Significant:
		m.Verdict = Same
		m.Reason = fmt.Sprintf("%s median %s -> %s (%s) is beyond the tolerance but not significant (%s)", label,
			FormatValue(name, bm), FormatValue(name, cm), fmtPct(m.ChangePct, ""), sig)
	case m.Verdict == Regressed || m.Verdict == Ignored || m.Verdict == Improved:
		m.Reason = "median " + strings.TrimSuffix(m.Reason, " (ignored)") + "; significant (" + sig + ")"
		if m.Verdict == Ignored {
			m.Reason += " (ignored)"
		}
	}
	return m
}

// ciPct is a confidence interval's half-width in percent of the center,
// benchstat's "± x%"; "∞" when the interval is unbounded.
func ciPct(center float64, lo, hi *float64) string {
	if lo == nil || hi == nil {
		return "∞"
	}
	if center == 0 {
		if *lo == 0 && *hi == 0 {
			return "0%"
		}
		return "?"
	}
	v := math.Max(*hi/center-1, 1-*lo/center)
	return fmt.Sprintf("%.0f%%", 100*v)
}
