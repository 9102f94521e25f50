// Package compare compares two evbench results documents metric by metric,
// the regression gate a CI job runs against a baseline, and merges
// documents measured at the same time on several load-generator hosts into
// one (see Merge).
//
// Compare matches points by (system, params, repeat) and subscribers by
// name. Latencies regress only when they rise by more than a relative
// tolerance AND by more than an absolute floor, so that microsecond noise
// on a fast path does not fail a build; throughput regresses when it falls
// by more than its tolerance; any increase in lost or dead-lettered events
// is a regression. Nothing is dropped silently: points and subscribers
// present on one side only are listed, and differences between the two
// environments are warnings because numbers from different machines are not
// comparable.
package compare

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/evbench/evbench/reports/junit"
	"github.com/evbench/evbench/reports/results"
)

// Metric names, as they appear in JSON output and in Options.Ignore.
const (
	MetricE2EP50       = "e2e_p50_us"
	MetricE2EP99       = "e2e_p99_us"
	MetricE2EP999      = "e2e_p999_us"
	MetricE2EMax       = "e2e_max_us"
	MetricPublishP99   = "publish_p99_us"
	MetricAchieved     = "achieved_per_s"
	MetricLost         = "lost"
	MetricDuplicates   = "duplicates"
	MetricDeadLettered = "dead_lettered"
	// MetricStatus is a point that completed in the base and did not in
	// the candidate (failed or interrupted).
	MetricStatus = "status"
)

// Metrics lists every metric name Compare produces, in display order.
var Metrics = []string{MetricStatus, MetricAchieved, MetricPublishP99, MetricE2EP50, MetricE2EP99, MetricE2EP999,
	MetricE2EMax, MetricLost, MetricDeadLettered, MetricDuplicates}

// kind says which rule decides a metric's verdict.
type kind int

const (
	// kindLatency: higher is worse; beyond the latency tolerance and floor.
	kindLatency kind = iota
	// kindThroughput: lower is worse; beyond the throughput tolerance.
	kindThroughput
	// kindAnyIncrease: higher is worse; any increase (lost, dead-lettered).
	kindAnyIncrease
	// kindInfo: reported, never a regression. Duplicates are expected
	// under at-least-once delivery (retries after timeouts, rebalances)
	// and their count depends on timing, so they would make a gate flaky.
	kindInfo
)

func metricKind(name string) kind {
	switch name {
	case MetricAchieved:
		return kindThroughput
	case MetricLost, MetricDeadLettered:
		return kindAnyIncrease
	case MetricDuplicates:
		return kindInfo
	}
	return kindLatency
}

// Options are the regression tolerances.
type Options struct {
	// LatencyTolerance is the relative latency increase allowed, as a
	// fraction (0.10 = 10%).
	LatencyTolerance float64
	// LatencyFloor is the absolute latency increase below which a change is
	// never a regression, whatever its relative size: +30% of 200µs is
	// noise, not a regression, when the floor is 1ms.
	LatencyFloor time.Duration
	// ThroughputTolerance is the relative drop of achieved_per_s allowed,
	// as a fraction (0.05 = 5%).
	ThroughputTolerance float64
	// Ignore names metrics (see Metrics) that are compared and shown but
	// never count as regressions, e.g. e2e_max_us for a noisy environment.
	Ignore []string
	// Alpha is the significance level of the Mann-Whitney U test when
	// several samples per side are compared (0 means DefaultAlpha).
	Alpha float64
}

func (o Options) alpha() float64 {
	if o.Alpha == 0 {
		return DefaultAlpha
	}
	return o.Alpha
}

// DefaultOptions are the tolerances `evbench compare` uses by default:
// latency +10% and at least +1ms, throughput -5%.
func DefaultOptions() Options {
	return Options{LatencyTolerance: 0.10, LatencyFloor: time.Millisecond, ThroughputTolerance: 0.05, Alpha: DefaultAlpha}
}

// Validate reports impossible tolerances and unknown metric names.
func (o Options) Validate() error {
	if o.LatencyTolerance < 0 || math.IsNaN(o.LatencyTolerance) || math.IsInf(o.LatencyTolerance, 0) {
		return fmt.Errorf("latency tolerance %v: must be a finite fraction >= 0", o.LatencyTolerance)
	}
	if o.ThroughputTolerance < 0 || o.ThroughputTolerance > 1 || math.IsNaN(o.ThroughputTolerance) {
		return fmt.Errorf("throughput tolerance %v: must be a fraction between 0 and 1", o.ThroughputTolerance)
	}
	if o.Alpha < 0 || o.Alpha >= 1 || math.IsNaN(o.Alpha) {
		return fmt.Errorf("alpha %v: must be a significance level between 0 and 1", o.Alpha)
	}
	if o.LatencyFloor < 0 {
		return fmt.Errorf("latency floor %v: must be >= 0", o.LatencyFloor)
	}
	for _, m := range o.Ignore {
		if !isMetric(m) {
			return fmt.Errorf("unknown metric %q to ignore (metrics: %s)", m, strings.Join(Metrics, ", "))
		}
	}
	return nil
}

func isMetric(name string) bool {
	for _, m := range Metrics {
		if m == name {
			return true
		}
	}
	return false
}

func (o Options) ignored(name string) bool {
	for _, m := range o.Ignore {
		if m == name {
			return true
		}
	}
	return false
}

// MarshalJSON writes the floor in microseconds, like every latency in
// evbench's JSON, and the tolerances as fractions.
func (o Options) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		LatencyTolerance    float64  `json:"latency_tolerance"`
		LatencyFloorUS      int64    `json:"latency_floor_us"`
		ThroughputTolerance float64  `json:"throughput_tolerance"`
		Ignore              []string `json:"ignore,omitempty"`
		Alpha               float64  `json:"alpha"`
	}{o.LatencyTolerance, o.LatencyFloor.Microseconds(), o.ThroughputTolerance, o.Ignore, o.alpha()})
}

// Verdict is the outcome of one metric's comparison.
type Verdict string

// Verdicts.
const (
	// Same: the change is within the tolerances.
	Same Verdict = "same"
	// Regressed: the candidate is worse beyond the tolerances.
	Regressed Verdict = "regression"
	// Improved: the candidate is better beyond the tolerances.
	Improved Verdict = "improved"
	// Ignored: the metric would have regressed but is in Options.Ignore.
	Ignored Verdict = "ignored"
	// Info: the metric is reported, never gated (duplicates).
	Info Verdict = "info"
	// Unjudged: with several samples per side, too few of them for the
	// significance test to ever reject "no difference" (e.g. 3 against
	// 3): the change is shown but cannot be judged and does not gate.
	Unjudged Verdict = "cannot_judge"
)

// Key identifies a point across documents.
type Key struct {
	System string             `json:"system"`
	Params map[string]float64 `json:"params"`
	Repeat int                `json:"repeat"`
}

// KeyOf returns the key of p.
func KeyOf(p *results.Point) Key { return Key{System: p.System, Params: p.Params, Repeat: p.Repeat} }

// String is "system k=v k=v [repeat=N]" with parameters sorted by name.
func (k Key) String() string {
	s := k.System
	if p := fmtParams(k.Params); p != "" {
		s += " " + p
	}
	// Repeats are numbered from 1; the first (usually the only) one is not
	// worth a mention.
	if k.Repeat > 1 {
		s += " repeat=" + strconv.Itoa(k.Repeat)
	}
	return s
}

// id is the exact matching identity (parameters with full precision).
func (k Key) id() string {
	keys := sortedKeys(k.Params)
	var b strings.Builder
	b.WriteString(k.System)
	for _, p := range keys {
		b.WriteString("\x00" + p + "=" + strconv.FormatFloat(k.Params[p], 'g', -1, 64))
	}
	b.WriteString("\x00#" + strconv.Itoa(k.Repeat))
	return b.String()
}

func sortedKeys(m map[string]float64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func fmtParams(m map[string]float64) string {
	var parts []string
	for _, k := range sortedKeys(m) {
		parts = append(parts, fmt.Sprintf("%s=%g", k, m[k]))
	}
	return strings.Join(parts, " ")
}

// Metric is one compared value.
type Metric struct {
	Name      string  `json:"metric"`
	Base      float64 `json:"base"`
	Candidate float64 `json:"candidate"`
	// Change is candidate - base, in the metric's unit.
	Change float64 `json:"change"`
	// ChangePct is 100 * change / base; absent when base is 0.
	ChangePct *float64 `json:"change_pct,omitempty"`
	Verdict   Verdict  `json:"verdict"`
	// Reason explains a regression or an improvement in words.
	Reason string `json:"reason,omitempty"`
	// Stats is set when the metric was compared over several samples per
	// side (repeats or several documents); Base, Candidate and Change are
	// then medians and the change of the medians.
	Stats *Stats `json:"stats,omitempty"`
}

// SubscriberDiff is one matched subscriber's metrics.
type SubscriberDiff struct {
	Name    string   `json:"name"`
	Metrics []Metric `json:"metrics"`
	// Notes say what could not be compared (no samples on one side).
	Notes []string `json:"notes,omitempty"`
}

// PointDiff is one matched point.
type PointDiff struct {
	Key             Key    `json:"point"`
	BaseStatus      string `json:"base_status"`
	CandidateStatus string `json:"candidate_status"`
	// Metrics are the point-level metrics: status, achieved_per_s and
	// publish p99 (kafka, bridge).
	Metrics     []Metric         `json:"metrics"`
	Subscribers []SubscriberDiff `json:"subscribers"`
	// BaseOnlySubscribers and CandidateOnlySubscribers are subscribers
	// present on one side only (not compared).
	BaseOnlySubscribers      []string `json:"base_only_subscribers,omitempty"`
	CandidateOnlySubscribers []string `json:"candidate_only_subscribers,omitempty"`
	Notes                    []string `json:"notes,omitempty"`
	// NotComparable is true when the load generator was overloaded on a
	// side (results.Point.Overloaded): the offered load was not applied,
	// so only the status is judged; Notes say which side and why.
	NotComparable bool `json:"not_comparable,omitempty"`
	// BaseSamples and CandidateSamples count the runs of this point on
	// each side (samples mode only).
	BaseSamples      int `json:"base_samples,omitempty"`
	CandidateSamples int `json:"candidate_samples,omitempty"`
}

// Regression is a metric that worsened beyond its tolerance.
type Regression struct {
	Point Key `json:"point"`
	// Subscriber is empty for point-level metrics.
	Subscriber string `json:"subscriber,omitempty"`
	Metric
}

// String is one line for a CI log.
func (r Regression) String() string {
	where := r.Point.String()
	if r.Subscriber != "" {
		where += " / " + r.Subscriber
	}
	return where + ": " + r.Reason
}

// Doc describes one side of the comparison.
type Doc struct {
	// Label names the document in output (the CLI sets the file path).
	Label      string    `json:"label,omitempty"`
	Scenario   string    `json:"scenario"`
	Status     string    `json:"status"`
	Revision   string    `json:"revision,omitempty"`
	Version    string    `json:"evbench_version,omitempty"`
	Go         string    `json:"go,omitempty"`
	StartedAt  time.Time `json:"started_at"`
	CPUs       int       `json:"cpus"`
	CPUModel   string    `json:"cpu_model,omitempty"`
	OS         string    `json:"os,omitempty"`
	Arch       string    `json:"arch,omitempty"`
	BrokerKind string    `json:"broker_kind,omitempty"`
	Embedded   bool      `json:"broker_embedded,omitempty"`
}

func docOf(r *results.Results) Doc {
	e := r.Environment
	return Doc{Scenario: ScenarioName(r), Status: r.Status, Revision: e.Revision, Version: e.Version, Go: e.Go,
		StartedAt: e.StartedAt, CPUs: e.CPUs, CPUModel: e.CPUModel, OS: e.OS, Arch: e.Arch,
		BrokerKind: e.BrokerKind, Embedded: e.Embedded}
}

// Report is the outcome of Compare. Its JSON form is what `evbench compare
// --json` prints.
type Report struct {
	// Mode is ModePaired (one run per side, point by point) or ModeSamples
	// (several runs per side, with significance).
	Mode string `json:"mode"`
	// Base and Candidate describe the first document of each side;
	// BaseDocs and CandidateDocs every document (samples mode).
	Base          Doc     `json:"base"`
	Candidate     Doc     `json:"candidate"`
	BaseDocs      []Doc   `json:"base_documents,omitempty"`
	CandidateDocs []Doc   `json:"candidate_documents,omitempty"`
	Options       Options `json:"options"`
	// Noise is the typical machine-noise calibration of the documents
	// (field-wise upper median, see typicalNoise; nil when none recorded one).
	Noise *results.Noise `json:"noise,omitempty"`
	// Warnings are reasons the comparison may not be meaningful
	// (different machines, brokers or scenarios, incomplete runs).
	Warnings []string    `json:"warnings"`
	Points   []PointDiff `json:"points"`
	// BaseOnlyPoints and CandidateOnlyPoints are points present on one
	// side only (not compared).
	BaseOnlyPoints      []Key        `json:"base_only_points"`
	CandidateOnlyPoints []Key        `json:"candidate_only_points"`
	Regressions         []Regression `json:"regressions"`
	// Compared is the number of metric pairs compared.
	Compared int `json:"metrics_compared"`
	// Unjudged counts metrics whose samples were too few to judge.
	Unjudged int `json:"metrics_unjudged,omitempty"`
	// Thresholds are the candidate documents' evaluated thresholds, for
	// CI reports (JUnit); they do not decide Regressed.
	Thresholds []PointThreshold `json:"candidate_thresholds,omitempty"`
}

// PointThreshold is one threshold of one candidate point.
type PointThreshold struct {
	Point  Key    `json:"point"`
	Status string `json:"status"`
	results.Threshold
}

// Regressed reports whether any metric regressed.
func (r *Report) Regressed() bool { return len(r.Regressions) > 0 }

// ErrNothingToCompare is returned when the documents share no point: a
// comparison that compares nothing must not pass a CI gate.
var ErrNothingToCompare = errors.New("the documents have no point in common (same system, params and repeat)")

// ErrNotComparable is returned (with the report) when every point the
// documents share is not comparable because the load generator was
// overloaded: nothing was judged, which must not pass a CI gate either.
var ErrNotComparable = errors.New("no point is comparable: the load generator was overloaded (offered load not applied) on every point the documents share")

// Compare compares cand against base. It returns an error for invalid
// options or documents and when no point matches (ErrNothingToCompare).
func Compare(base, cand *results.Results, opts Options) (*Report, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if base == nil || cand == nil {
		return nil, errors.New("compare: nil document")
	}
	if err := base.Validate(); err != nil {
		return nil, fmt.Errorf("base: %w", err)
	}
	if err := cand.Validate(); err != nil {
		return nil, fmt.Errorf("candidate: %w", err)
	}
	rep := &Report{Mode: ModePaired, Base: docOf(base), Candidate: docOf(cand), Options: opts, Warnings: envWarnings(base, cand),
		Points: []PointDiff{}, BaseOnlyPoints: []Key{}, CandidateOnlyPoints: []Key{}, Regressions: []Regression{}}
	candIdx := map[string]int{}
	for i := range cand.Points {
		id := KeyOf(&cand.Points[i]).id()
		if _, dup := candIdx[id]; !dup {
			candIdx[id] = i
		}
	}
	matched := map[string]bool{}
	for i := range base.Points {
		bp := &base.Points[i]
		id := KeyOf(bp).id()
		ci, ok := candIdx[id]
		if !ok || matched[id] {
			rep.BaseOnlyPoints = append(rep.BaseOnlyPoints, KeyOf(bp))
			continue
		}
		matched[id] = true
		pd := comparePoint(bp, &cand.Points[ci], opts)
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
	for i := range cand.Points {
		if !matched[KeyOf(&cand.Points[i]).id()] {
			rep.CandidateOnlyPoints = append(rep.CandidateOnlyPoints, KeyOf(&cand.Points[i]))
		}
	}
	if len(rep.Points) == 0 {
		return rep, fmt.Errorf("%w: base has %d point(s), candidate %d", ErrNothingToCompare, len(base.Points), len(cand.Points))
	}
	rep.finish([]*results.Results{base}, []*results.Results{cand})
	return rep, rep.comparableErr()
}

// comparableErr warns about points that were not comparable and returns
// ErrNotComparable when no point was (and nothing regressed).
func (r *Report) comparableErr() error {
	n := 0
	for _, p := range r.Points {
		if p.NotComparable {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	r.Warnings = append(r.Warnings, fmt.Sprintf("%d of %d point(s) not comparable: the load generator could not keep its schedule (overloaded), so their offered load was not applied and their throughput, latencies and losses are not judged; rerun them on a less loaded machine or at a lower rate", n, len(r.Points)))
	if n == len(r.Points) && !r.Regressed() {
		return ErrNotComparable
	}
	return nil
}

// overloadNote says which side of a comparison was overloaded and why;
// "" when neither was.
func overloadNote(side string, ps []*results.Point) string {
	var n int
	var reason string
	for _, p := range ps {
		if p.Overloaded {
			n++
			if reason == "" {
				reason = p.OverloadReason
			}
		}
	}
	if n == 0 {
		return ""
	}
	s := fmt.Sprintf("load generator overloaded in the %s", side)
	if len(ps) > 1 {
		s = fmt.Sprintf("load generator overloaded in %d of %d %s run(s)", n, len(ps), side)
	}
	if reason != "" {
		s += " (" + reason + ")"
	}
	return s
}

// finish adds what both modes share: the candidate's thresholds and the
// noise calibration with its warnings.
func (r *Report) finish(bases, cands []*results.Results) {
	for _, c := range cands {
		for _, p := range c.Points {
			for _, t := range p.Thresholds {
				r.Thresholds = append(r.Thresholds, PointThreshold{Point: KeyOf(&p), Status: p.Status, Threshold: t})
			}
		}
	}
	r.Noise = typicalNoise(append(slices.Clone(bases), cands...))
	r.Warnings = append(r.Warnings, noiseWarnings(r.Noise, r.Options, r.Mode)...)
}

// typicalNoise is the field-wise upper median of the documents' noise
// calibrations: the larger of two (either side being noisy makes a paired
// comparison unreliable), and with many runs a figure one unlucky
// calibration does not decide. Nil when no document has one.
func typicalNoise(docs []*results.Results) *results.Noise {
	var ns []*results.Noise
	for _, d := range docs {
		if d.Environment.Noise != nil {
			ns = append(ns, d.Environment.Noise)
		}
	}
	if len(ns) == 0 {
		return nil
	}
	med := func(f func(*results.Noise) float64) float64 {
		v := make([]float64, len(ns))
		for i, n := range ns {
			v[i] = f(n)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	return &results.Noise{
		CPUSpreadPct:    med(func(n *results.Noise) float64 { return n.CPUSpreadPct }),
		CPULoopMedianUS: med(func(n *results.Noise) float64 { return n.CPULoopMedianUS }),
		TimerLateP50US:  med(func(n *results.Noise) float64 { return n.TimerLateP50US }),
		TimerLateP99US:  med(func(n *results.Noise) float64 { return n.TimerLateP99US }),
		Samples:         int(med(func(n *results.Noise) float64 { return float64(n.Samples) })),
		DurationMS:      med(func(n *results.Noise) float64 { return n.DurationMS }),
	}
}

// noiseWarnings says when the machine noise recorded by the runs is larger
// than the tolerance asked: a single run then cannot tell a regression of
// that size from noise, and even repeats need many samples.
func noiseWarnings(n *results.Noise, o Options, mode string) []string {
	if n == nil {
		return nil
	}
	var w []string
	tolPct := 100 * o.LatencyTolerance
	if n.CPUSpreadPct > tolPct {
		msg := fmt.Sprintf("this machine's noise is ±%.0f%% (spread of a fixed CPU loop at run start); a %s latency gate", n.CPUSpreadPct, fmtTol(o.LatencyTolerance))
		if mode == ModePaired {
			msg += " cannot be judged from single runs: run repeats (sweep.repeats: 5 or more) or widen --latency-tolerance"
		} else {
			msg += " is finer than the noise: only the significance test separates a regression from it, so keep 5 or more repeats per side"
		}
		w = append(w, msg)
	}
	if floor := float64(o.LatencyFloor.Microseconds()); n.TimerLateP99US > floor {
		w = append(w, fmt.Sprintf("timer wake-ups on this machine were up to %s late (p99) at run start, more than the %s latency floor", fmtUS(n.TimerLateP99US), fmtUS(floor)))
	}
	return w
}

func (r *Report) add(k Key, sub string, m Metric) {
	r.Compared++
	if m.Verdict == Unjudged {
		r.Unjudged++
	}
	if m.Verdict == Regressed {
		r.Regressions = append(r.Regressions, Regression{Point: k, Subscriber: sub, Metric: m})
	}
}

func comparePoint(b, c *results.Point, opts Options) PointDiff {
	pd := PointDiff{Key: KeyOf(b), BaseStatus: b.Status, CandidateStatus: c.Status, Metrics: []Metric{}, Subscribers: []SubscriberDiff{}}
	if b.Status == results.StatusComplete && c.Status != results.StatusComplete {
		reason := fmt.Sprintf("point %s in the base, %s in the candidate", b.Status, c.Status)
		if c.Error != "" {
			reason += ": " + c.Error
		}
		m := Metric{Name: MetricStatus, Base: 1, Candidate: 0, Change: -1, Verdict: Regressed, Reason: reason}
		if opts.ignored(MetricStatus) {
			m.Verdict = Ignored
		}
		pd.Metrics = append(pd.Metrics, m)
	} else if b.Status != c.Status {
		pd.Notes = append(pd.Notes, fmt.Sprintf("status %s in the base, %s in the candidate", b.Status, c.Status))
	}
	if b.Overloaded || c.Overloaded {
		pd.NotComparable = true
		for _, n := range []string{overloadNote("base", []*results.Point{b}), overloadNote("candidate", []*results.Point{c})} {
			if n != "" {
				pd.Notes = append(pd.Notes, "not comparable: "+n+": the offered load was not applied, so throughput, latencies and losses are not judged")
			}
		}
		return pd
	}
	pd.Metrics = append(pd.Metrics, judge(MetricAchieved, b.AchievedPerS, c.AchievedPerS, opts))
	switch bl, cl := present(b.Publish), present(c.Publish); {
	case bl != nil && cl != nil:
		pd.Metrics = append(pd.Metrics, judge(MetricPublishP99, float64(bl.P99), float64(cl.P99), opts))
	case bl != nil || cl != nil:
		pd.Notes = append(pd.Notes, "publish latency measured on one side only; not compared")
	}
	cs := map[string]*results.Subscriber{}
	for i := range c.Subscribers {
		cs[c.Subscribers[i].Name] = &c.Subscribers[i]
	}
	seen := map[string]bool{}
	for i := range b.Subscribers {
		bs := &b.Subscribers[i]
		ss, ok := cs[bs.Name]
		if !ok || seen[bs.Name] {
			pd.BaseOnlySubscribers = append(pd.BaseOnlySubscribers, bs.Name)
			continue
		}
		seen[bs.Name] = true
		pd.Subscribers = append(pd.Subscribers, compareSubscriber(bs, ss, opts))
	}
	for _, s := range c.Subscribers {
		if !seen[s.Name] {
			pd.CandidateOnlySubscribers = append(pd.CandidateOnlySubscribers, s.Name)
		}
	}
	return pd
}

// present returns the summary of a latency that has samples, else nil.
func present(l *results.Latency) *results.Summary {
	if l == nil || l.LatencyUS.Count == 0 {
		return nil
	}
	return &l.LatencyUS
}

func compareSubscriber(b, c *results.Subscriber, opts Options) SubscriberDiff {
	sd := SubscriberDiff{Name: b.Name, Metrics: []Metric{}}
	bl, cl := b.E2E.LatencyUS, c.E2E.LatencyUS
	switch {
	case bl.Count > 0 && cl.Count > 0:
		for _, x := range []struct {
			name string
			b, c int64
		}{{MetricE2EP50, bl.P50, cl.P50}, {MetricE2EP99, bl.P99, cl.P99}, {MetricE2EP999, bl.P999, cl.P999}, {MetricE2EMax, bl.Max, cl.Max}} {
			sd.Metrics = append(sd.Metrics, judge(x.name, float64(x.b), float64(x.c), opts))
		}
	case bl.Count == 0 && cl.Count == 0:
		sd.Notes = append(sd.Notes, "no deliveries on either side; latency not compared")
	case bl.Count == 0:
		sd.Notes = append(sd.Notes, "no deliveries in the base; latency not compared")
	default:
		sd.Notes = append(sd.Notes, "no deliveries in the candidate; latency not compared")
	}
	ba, ca := b.Accounting, c.Accounting
	sd.Metrics = append(sd.Metrics,
		judge(MetricLost, float64(ba.Lost), float64(ca.Lost), opts),
		judge(MetricDeadLettered, float64(ba.DeadLettered), float64(ca.DeadLettered), opts),
		judge(MetricDuplicates, float64(ba.Duplicates), float64(ca.Duplicates), opts))
	return sd
}

// judge applies the metric's rule to one pair of values.
func judge(name string, b, c float64, opts Options) Metric {
	m := Metric{Name: name, Base: b, Candidate: c, Change: c - b, Verdict: Same}
	var rel float64
	if b != 0 {
		rel = (c - b) / b
		pct := 100 * rel
		m.ChangePct = &pct
	}
	label := Label(name)
	switch metricKind(name) {
	case kindLatency:
		tol, floor := opts.LatencyTolerance, float64(opts.LatencyFloor.Microseconds())
		beyond := func(d float64) bool { return d > floor && (b == 0 || math.Abs(d)/b > tol) }
		switch {
		case beyond(m.Change):
			m.Verdict = Regressed
			m.Reason = fmt.Sprintf("%s rose %s -> %s (%s%s), beyond the %s tolerance and the %s floor",
				label, FormatValue(name, b), FormatValue(name, c), FormatChange(name, m.Change), fmtPct(m.ChangePct, " "),
				fmtTol(tol), FormatValue(name, floor))
		case beyond(-m.Change):
			m.Verdict = Improved
			m.Reason = fmt.Sprintf("%s fell %s -> %s (%s%s)", label, FormatValue(name, b), FormatValue(name, c),
				FormatChange(name, m.Change), fmtPct(m.ChangePct, " "))
		}
	case kindThroughput:
		tol := opts.ThroughputTolerance
		switch {
		case b > 0 && -rel > tol:
			m.Verdict = Regressed
			m.Reason = fmt.Sprintf("%s fell %s -> %s (%s), beyond the %s tolerance", label, FormatValue(name, b),
				FormatValue(name, c), fmtPct(m.ChangePct, ""), fmtTol(tol))
		case b > 0 && rel > tol, b == 0 && c > 0:
			m.Verdict = Improved
			m.Reason = fmt.Sprintf("%s rose %s -> %s", label, FormatValue(name, b), FormatValue(name, c))
		}
	case kindAnyIncrease:
		switch {
		case c > b:
			m.Verdict = Regressed
			m.Reason = fmt.Sprintf("%s rose %s -> %s; any increase is a regression", label, FormatValue(name, b), FormatValue(name, c))
		case c < b:
			m.Verdict = Improved
			m.Reason = fmt.Sprintf("%s fell %s -> %s", label, FormatValue(name, b), FormatValue(name, c))
		}
	case kindInfo:
		m.Verdict = Info
	}
	if m.Verdict == Regressed && opts.ignored(name) {
		m.Verdict = Ignored
		m.Reason += " (ignored)"
	}
	return m
}

// Label is a metric's short human name ("e2e p99").
func Label(name string) string {
	switch name {
	case MetricE2EP50:
		return "e2e p50"
	case MetricE2EP99:
		return "e2e p99"
	case MetricE2EP999:
		return "e2e p99.9"
	case MetricE2EMax:
		return "e2e max"
	case MetricPublishP99:
		return "publish p99"
	case MetricAchieved:
		return "achieved/s"
	case MetricDeadLettered:
		return "dead-lettered"
	}
	return name
}

// FormatValue formats a metric value in its unit.
func FormatValue(name string, v float64) string {
	switch {
	case strings.HasSuffix(name, "_us"):
		return fmtUS(v)
	case name == MetricAchieved:
		return strconv.FormatFloat(v, 'f', 1, 64) + "/s"
	case name == MetricStatus:
		if v == 1 {
			return "complete"
		}
		return "not complete"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// FormatChange formats a signed change in the metric's unit.
func FormatChange(name string, d float64) string {
	if name == MetricStatus {
		return ""
	}
	sign := "+"
	if d < 0 {
		sign = "-"
	}
	return sign + FormatValue(name, math.Abs(d))
}

// fmtUS formats microseconds as a latency ("850µs", "12.3ms", "4.20s").
func fmtUS(v float64) string { return junit.FormatUS(v) }

func fmtPct(p *float64, sep string) string {
	if p == nil {
		return ""
	}
	return sep + fmt.Sprintf("%+.1f%%", *p)
}

func fmtTol(f float64) string { return strconv.FormatFloat(100*f, 'f', -1, 64) + "%" }

// ScenarioName is the name in a document's scenario ("" when it has none).
func ScenarioName(r *results.Results) string {
	var s struct {
		Name string `json:"name"`
	}
	if len(r.Scenario) > 0 {
		_ = json.Unmarshal(r.Scenario, &s)
	}
	return s.Name
}

// envWarnings lists why the two documents' numbers may not be comparable.
func envWarnings(base, cand *results.Results) []string {
	w := []string{}
	b, c := base.Environment, cand.Environment
	if b.CPUs != c.CPUs {
		w = append(w, fmt.Sprintf("cpus differ (base %d, candidate %d): numbers from different machines are not comparable", b.CPUs, c.CPUs))
	}
	if b.CPUModel != "" && c.CPUModel != "" && b.CPUModel != c.CPUModel {
		w = append(w, fmt.Sprintf("cpu models differ (base %q, candidate %q): numbers from different machines are not comparable", b.CPUModel, c.CPUModel))
	}
	if b.OS != c.OS || b.Arch != c.Arch {
		w = append(w, fmt.Sprintf("platforms differ (base %s/%s, candidate %s/%s)", b.OS, b.Arch, c.OS, c.Arch))
	}
	if b.BrokerKind != c.BrokerKind {
		w = append(w, fmt.Sprintf("brokers differ (base %q, candidate %q)", orNone(b.BrokerKind), orNone(c.BrokerKind)))
	}
	if b.Embedded != c.Embedded {
		w = append(w, fmt.Sprintf("one run used the in-memory embedded broker and the other did not (base embedded=%t, candidate embedded=%t)", b.Embedded, c.Embedded))
	}
	if bn, cn := ScenarioName(base), ScenarioName(cand); bn != cn {
		w = append(w, fmt.Sprintf("scenario names differ (base %q, candidate %q)", bn, cn))
	} else if keys := scenarioDiff(base.Scenario, cand.Scenario); len(keys) > 0 {
		w = append(w, fmt.Sprintf("scenarios differ in: %s", strings.Join(keys, ", ")))
	}
	for _, d := range []struct {
		side string
		r    *results.Results
	}{{"base", base}, {"candidate", cand}} {
		if d.r.Status != results.StatusComplete {
			msg := fmt.Sprintf("the %s run is %s, not complete", d.side, d.r.Status)
			if d.r.Error != "" {
				msg += ": " + d.r.Error
			}
			w = append(w, msg)
		}
	}
	return w
}

// scenarioDiff returns the top-level scenario keys whose values differ.
func scenarioDiff(a, b json.RawMessage) []string {
	var ma, mb map[string]any
	if json.Unmarshal(a, &ma) != nil || json.Unmarshal(b, &mb) != nil {
		return nil
	}
	var keys []string
	for k, v := range ma {
		if !reflect.DeepEqual(v, mb[k]) {
			keys = append(keys, k)
		}
	}
	for k := range mb {
		if _, ok := ma[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
