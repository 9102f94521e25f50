package scenarios

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// MaxTimeScale bounds time_scale: a million-fold compression turns a day
// into 86 ms, below every useful resolution of the runners' timers.
const MaxTimeScale = 1_000_000

// Compressed reports whether the scenario runs time-compressed.
func (s *Scenario) Compressed() bool { return s.TimeScale > 1 }

// ScenarioTime converts a real (compressed) duration of a run into the
// scenario's own time: d x time_scale.
func (s *Scenario) ScenarioTime(d Duration) Duration {
	if !s.Compressed() {
		return d
	}
	return Duration(math.Round(float64(d) * s.TimeScale))
}

// compress divides every duration of the scenario's timeline by
// time_scale (see the time_scale section of docs/scenarios.md for which
// durations are on the timeline and why the others are not). It runs once,
// at load time, so runners only ever see real durations.
func (s *Scenario) compress() {
	if !s.Compressed() {
		return
	}
	f := s.TimeScale
	c := func(d *Duration) { *d = Duration(math.Round(float64(*d) / f)) }
	l := &s.Load
	c(&l.At)
	c(&l.For)
	c(&l.Warmup)
	c(&l.Drain)
	if l.Arrival == ArrivalSteps && len(l.Steps) > 0 {
		// The duration is the sum of the steps: recompute it from the
		// rounded steps so the two stay equal.
		l.Duration = 0
		for i := range l.Steps {
			c(&l.Steps[i].For)
			l.Duration += l.Steps[i].For
		}
	} else {
		c(&l.Duration)
	}
	for i := range s.Subscribers {
		c(&s.Subscribers[i].JoinAt)
		for j := range s.Subscribers[i].Faults {
			c(&s.Subscribers[i].Faults[j].At)
			c(&s.Subscribers[i].Faults[j].For)
		}
	}
	if s.tmpl != nil {
		c(&s.tmpl.JoinAt)
		for j := range s.tmpl.Faults {
			c(&s.tmpl.Faults[j].At)
			c(&s.tmpl.Faults[j].For)
		}
	}
	for i := range s.Subscribers {
		compressRetry(s.Subscribers[i].Retry, c)
	}
	if s.tmpl != nil {
		compressRetry(s.tmpl.Retry, c)
	}
	for _, n := range s.Systems.Names() {
		if b, ok := s.Systems.Get(n).(BlockScaler); ok {
			b.ScaleBlock(c, f)
		}
	}
	if fm := s.Sweep.findMax(); fm != nil {
		c(&fm.Duration)
	}
}

// scaledKeys are the dotted-path prefixes of settings time_scale
// compresses; a problem with one of them says so.
var scaledKeys = []string{"load.at", "load.for", "load.duration", "load.warmup", "load.drain", "load.steps",
	"sweep.find_max.duration"}

// allScaledKeys is scaledKeys and every registered block's Scaled keys.
func allScaledKeys() []string {
	out := slices.Clone(scaledKeys)
	for _, b := range SystemBlocks() {
		for _, k := range b.Scaled {
			out = append(out, "systems."+b.Name+"."+k)
		}
	}
	return out
}

// explainScale adds to problems about compressed durations that the value
// checked is the written one divided by time_scale, so a too-short value is
// recognisable as the compression's doing.
func explainScale(probs []problem, scale float64) {
	if scale <= 1 {
		return
	}
	for i, p := range probs {
		scaled := strings.HasSuffix(p.key, ".join_at") || strings.Contains(p.key, ".faults[") && (strings.HasSuffix(p.key, ".at") || strings.HasSuffix(p.key, ".for")) ||
			strings.Contains(p.msg, "events in the measured period") || strings.Contains(p.key, "retention.ms")
		for _, k := range allScaledKeys() {
			scaled = scaled || p.key == k || strings.HasPrefix(p.key, k+".") || strings.HasPrefix(p.key, k+"[")
		}
		if scaled {
			probs[i].msg += fmt.Sprintf(" (after time_scale x%s: the value checked is the one written divided by %s; use a smaller time_scale or a longer value)", fmtScale(scale), fmtScale(scale))
		}
	}
}

// fmtScale formats a time_scale factor without trailing zeros.
func fmtScale(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// CompressionNote describes a time-compressed run for summaries and
// reports, from the resolved scenario as results.json records it: the
// factor, and the run's durations in real and in scenario time. It returns
// "" for a run in real time or a scenario it cannot read.
func CompressionNote(resolved []byte) string {
	var sc struct {
		TimeScale float64 `json:"time_scale"`
		Load      struct {
			Duration Duration `json:"duration_ns"`
			Warmup   Duration `json:"warmup_ns"`
			Drain    Duration `json:"drain_ns"`
		} `json:"load"`
	}
	if len(resolved) == 0 || json.Unmarshal(resolved, &sc) != nil || sc.TimeScale <= 1 {
		return ""
	}
	s := &Scenario{TimeScale: sc.TimeScale}
	f := fmtScale(sc.TimeScale)
	both := func(d Duration) string { return fmt.Sprintf("%v (%v in scenario time)", d, s.ScenarioTime(d)) }
	return fmt.Sprintf("time-compressed x%s: every scenario duration ran %s times faster (fault windows, retry delays, retention, run length); "+
		"measured period %s, warm-up %s, drain up to %s. Latencies are real time and not scaled: retry waits inside them are compressed; processing times and timeouts were not compressed.",
		f, f, both(sc.Load.Duration), both(sc.Load.Warmup), both(sc.Load.Drain))
}
