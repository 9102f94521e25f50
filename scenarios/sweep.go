package scenarios

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
)

// Parameter keys every point's Params has (results.Point.Params in
// results.json); a swept setting's key is its path (e.g.
// "kafka.topic.partitions"). They are defined here, where points are made,
// because scenarios is the bottom of the import graph (results does not
// import it, and it imports nothing above it).
const (
	// ParamRate is the point's offered peak rate, events per second.
	ParamRate = "rate_per_s"
	// ParamSubscribers is the point's subscriber count.
	ParamSubscribers = "subscribers"
	// ParamFindMaxProbe numbers a saturation-search probe point (1, 2, ...).
	ParamFindMaxProbe = "find_max_probe"
)

// PointSpec is one point of an expanded scenario.
type PointSpec struct {
	// Params are the point's parameters as results record them: always
	// ParamRate (the load shape's peak rate) and ParamSubscribers (the
	// count), plus every swept setting by its path (e.g.
	// "kafka.topic.partitions").
	Params map[string]float64
	// Repeat is 1..sweep.repeats.
	Repeat int
	// Scenario is a deep copy with the point's values applied and Sweep
	// cleared: a plain single-point scenario a runner can take as is.
	Scenario *Scenario
}

// SweepParam describes one numeric setting that sweep.params may vary.
type SweepParam struct {
	// Path is the key used under sweep.params and in point params.
	Path string
	// Unit is the unit of the swept numbers ("count", "ms", "bytes").
	Unit string
	// Doc says what the setting does.
	Doc string
	// Integer settings reject fractional values.
	Integer bool
	// Min and Max bound the values.
	Min, Max float64

	// Apply sets the value on the block of the system that registered
	// the parameter (RegisterSystem); settings outside systems use set.
	Apply func(b Block, v float64)

	system string // the registering system, or "" (always present)
	set    func(s *Scenario, v float64)
}

// apply sets v on s.
func (sp SweepParam) apply(s *Scenario, v float64) {
	if sp.system != "" {
		sp.Apply(s.Systems.Get(sp.system), v)
		return
	}
	sp.set(s, v)
}

func (sp SweepParam) check(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "not a finite number"
	}
	if sp.Integer && v != math.Trunc(v) {
		return fmt.Sprintf("%v is not a whole number", v)
	}
	if v < sp.Min || v > sp.Max {
		return fmt.Sprintf("%v is out of range", v)
	}
	return ""
}

func (sp SweepParam) allowed() string {
	kind := "numbers"
	if sp.Integer {
		kind = "whole numbers"
	}
	return fmt.Sprintf("%s from %v to %v (%s)", kind, sp.Min, sp.Max, sp.Unit)
}

// needs says why the setting cannot be swept in s (its system block is
// absent), or "".
func (sp SweepParam) needs(s *Scenario) string {
	if sp.system == "" || s.Systems.Has(sp.system) {
		return ""
	}
	msg := fmt.Sprintf("sweeps a %s setting but systems.%s is not in the scenario", sp.system, sp.system)
	if b, ok := LookupSystem(sp.system); ok && b.SweepNote != "" {
		msg += " (" + b.SweepNote + ")"
	}
	return msg
}

func ms(v float64) Duration { return Duration(v * float64(time.Millisecond)) }

// sweepTable is the explicit list of sweepable settings.
var sweepTable = []SweepParam{
	{Path: "event.size_bytes", Unit: "bytes", Doc: "fixed event payload size", Integer: true, Min: 0, Max: float64(MaxEventSize),
		set: func(s *Scenario, v float64) { s.Event.Size = Dist{Kind: DistFixed, Value: v} }},
	{Path: "event.keys", Unit: "count", Doc: "distinct event keys", Integer: true, Min: 1, Max: MaxKeys,
		set: func(s *Scenario, v float64) { s.Event.Keys = int(v) }},
}

// sweepCache is sweepables' map, rebuilt after a registration.
var sweepCache map[string]SweepParam

// sweepables maps every sweepable path, the scenario's own and the
// registered systems', to its parameter.
func sweepables() map[string]SweepParam {
	regMu.RLock()
	m := sweepCache
	regMu.RUnlock()
	if m != nil {
		return m
	}
	regMu.Lock()
	defer regMu.Unlock()
	return sweepablesLocked()
}

// sweepablesLocked is sweepables with regMu held for writing.
func sweepablesLocked() map[string]SweepParam {
	if sweepCache != nil {
		return sweepCache
	}
	m := map[string]SweepParam{}
	for _, sp := range sweepTable {
		m[sp.Path] = sp
	}
	for _, b := range registry {
		for _, sp := range b.Sweep {
			m[sp.Path] = sp
		}
	}
	sweepCache = m
	return m
}

// Ms converts a number of milliseconds (a swept "_ms" setting) to a Duration.
func Ms(v float64) Duration { return ms(v) }

// Sweepable lists the settings sweep.params accepts, sorted by path.
func Sweepable() []SweepParam {
	var out []SweepParam
	for _, sp := range sweepables() {
		out = append(out, sp)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

func sweepableList() []string { return sortedKeys(sweepables()) }

func sweepablePaths() string { return strings.Join(sweepableList(), ", ") }

// template is the subscriber sweep.subscribers copies N times: the only
// entry written in the file, or the only subscriber of a scenario built in
// Go. nil when several are declared (the sweep then takes the first N).
func (s *Scenario) template() *Subscriber {
	if s.tmpl != nil {
		return s.tmpl
	}
	if len(s.Subscribers) == 1 {
		return &s.Subscribers[0]
	}
	return nil
}

// Expand turns the scenario into its points: the cartesian product of
// sweep.subscribers x sweep.params (by path, sorted) x sweep.rate, each
// repeated sweep.repeats times, in that nesting order (the rate varies
// fastest, so each throughput curve runs contiguously; repeats of a point
// run back to back). Values keep the order they are listed in. A scenario
// without a sweep expands to one point.
//
// Applying a rate: a constant or Poisson arrival runs at it; other shapes
// are scaled so that their peak (the larger end of a ramp, the largest
// step, the spike's peak) equals it, keeping their form.
//
// Applying a subscriber count N: the first N subscribers, or, when the file
// declares a single subscriber entry, N copies of it named name-1 ... name-N
// (N == 1 keeps the name), exactly as count: N would.
//
// find_max is not expanded here: the saturation search chooses its rates
// as it goes.
func (s *Scenario) Expand() ([]PointSpec, error) {
	if err := s.validate(false); err != nil {
		return nil, err
	}
	sw := s.Sweep
	if sw == nil {
		sw = &Sweep{}
	}
	var axes []sweepAxis
	if len(sw.Subscribers) > 0 {
		vals := make([]float64, len(sw.Subscribers))
		for i, n := range sw.Subscribers {
			vals[i] = float64(n)
		}
		axes = append(axes, sweepAxis{ParamSubscribers, vals})
	}
	for _, p := range sortedKeys(sw.Params) {
		axes = append(axes, sweepAxis{p, sw.Params[p]})
	}
	if len(sw.Rate) > 0 {
		vals := make([]float64, len(sw.Rate))
		for i, r := range sw.Rate {
			vals[i] = float64(r)
		}
		axes = append(axes, sweepAxis{ParamRate, vals})
	}
	repeats := max(1, sw.Repeats)
	var out []PointSpec
	combo := make([]float64, len(axes))
	var walk func(i int) error
	walk = func(i int) error {
		if i < len(axes) {
			for _, v := range axes[i].vals {
				combo[i] = v
				if err := walk(i + 1); err != nil {
					return err
				}
			}
			return nil
		}
		pt, params, err := s.point(axes2map(axes, combo))
		if err != nil {
			return err
		}
		for r := 1; r <= repeats; r++ {
			sc := pt
			if r > 1 {
				sc = pt.Clone()
			}
			out = append(out, PointSpec{Params: cloneParams(params), Repeat: r, Scenario: sc})
		}
		return nil
	}
	if err := walk(0); err != nil {
		return nil, err
	}
	return out, nil
}

// sweepAxis is one swept dimension: a path and its values in order.
type sweepAxis struct {
	path string
	vals []float64
}

func axes2map(axes []sweepAxis, combo []float64) map[string]float64 {
	m := make(map[string]float64, len(axes))
	for i, a := range axes {
		m[a.path] = combo[i]
	}
	return m
}

func cloneParams(p map[string]float64) map[string]float64 {
	out := make(map[string]float64, len(p))
	for k, v := range p {
		out[k] = v
	}
	return out
}

// point builds one point's scenario from swept values.
func (s *Scenario) point(vals map[string]float64) (*Scenario, map[string]float64, error) {
	pt := s.Clone()
	pt.Sweep = nil
	params := map[string]float64{}
	for path, v := range vals {
		switch path {
		case ParamRate:
			pt.Load = pt.Load.withPeak(Rate(v))
		case ParamSubscribers:
			subs, err := s.firstN(int(v))
			if err != nil {
				return nil, nil, err
			}
			pt.Subscribers = subs
		default:
			sp, ok := sweepables()[path]
			if !ok {
				return nil, nil, &Error{File: s.File, Key: "sweep.params." + path, Msg: fmt.Sprintf("%q is not a sweepable setting", path), Allowed: sweepablePaths()}
			}
			if why := sp.needs(pt); why != "" {
				return nil, nil, &Error{File: s.File, Key: "sweep.params." + path, Msg: why}
			}
			sp.apply(pt, v)
			params[path] = v
		}
	}
	params[ParamRate] = float64(pt.Load.PeakRate())
	params[ParamSubscribers] = float64(len(pt.Subscribers))
	if probs := check(pt, false); len(probs) > 0 {
		p := probs[0]
		return nil, nil, &Error{File: s.File, Key: p.key, Msg: fmt.Sprintf("point %s: %s", formatParams(params), p.msg), Allowed: p.allowed}
	}
	return pt, params, nil
}

func formatParams(p map[string]float64) string {
	var parts []string
	for _, k := range sortedKeys(p) {
		parts = append(parts, fmt.Sprintf("%s=%v", k, p[k]))
	}
	return strings.Join(parts, " ")
}

// firstN returns the subscriber list for a swept count.
func (s *Scenario) firstN(n int) ([]Subscriber, error) {
	if t := s.template(); t != nil {
		base := cloneSubscriber(*t)
		return expand(base, n), nil
	}
	if n < 1 || n > len(s.Subscribers) {
		return nil, &Error{File: s.File, Key: "sweep.subscribers", Msg: fmt.Sprintf("%d subscribers, but %d are declared", n, len(s.Subscribers))}
	}
	out := make([]Subscriber, n)
	for i := range out {
		out[i] = cloneSubscriber(s.Subscribers[i])
	}
	return out, nil
}
