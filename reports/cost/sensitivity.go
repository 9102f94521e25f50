package cost

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/evbench/evbench/reports/chart"
	"github.com/evbench/evbench/reports/results"
)

// Range is a low and high value for one profile key.
type Range struct {
	Key    string
	Lo, Hi float64
	// Why says where the range comes from ("--vary", or the default
	// rule).
	Why string
}

// ParseVary parses "key=lo..hi" (the --vary flag) and checks the key
// exists and both ends are valid values for it.
func ParseVary(s string) (Range, error) {
	k, rest, ok := strings.Cut(s, "=")
	lo, hi, ok2 := strings.Cut(rest, "..")
	if !ok || !ok2 || strings.TrimSpace(k) == "" {
		return Range{}, fmt.Errorf("--vary %q: want key=lo..hi, e.g. kafka.broker_month=50..300", s)
	}
	k = strings.TrimSpace(k)
	l, err := strconv.ParseFloat(strings.TrimSpace(lo), 64)
	if err != nil {
		return Range{}, fmt.Errorf("--vary %s: low value %q is not a number", k, lo)
	}
	h, err := strconv.ParseFloat(strings.TrimSpace(hi), 64)
	if err != nil {
		return Range{}, fmt.Errorf("--vary %s: high value %q is not a number", k, hi)
	}
	if l > h {
		return Range{}, fmt.Errorf("--vary %s: low %v is above high %v", k, l, h)
	}
	var p Profile
	for _, pr := range p.params() {
		if pr.key != k {
			continue
		}
		for _, x := range []float64{l, h} {
			if msg := pr.check(x); msg != "" {
				return Range{}, fmt.Errorf("--vary %s: %s, got %v", k, msg, x)
			}
		}
		return Range{Key: k, Lo: l, Hi: h, Why: "--vary"}, nil
	}
	return Range{}, fmt.Errorf("--vary: unknown key %q (allowed: %s)", k, strings.Join(Keys(), ", "))
}

// defaultRanges are the ranges of the assumptions whose plausible span is
// not "half to twice" the profile's value (zero values, fractions, and
// choices such as keep-alive versus a connection per delivery).
var defaultRanges = map[string][2]float64{
	"compute.utilization":                 {0.25, 0.8},
	"network.cross_zone_fraction":         {0, 1},
	"webhook.added_latency_s":             {0, 2},
	"webhook.tls_handshakes_per_delivery": {0, 1},
	"webhook.egress_per_gb":               {0.01, 0.09},
	"kafka.retention_hours":               {24, 720},
	"kafka.replication_factor":            {2, 3},
}

// skipByDefault are keys that are conventions or switches, not
// assumptions to vary.
var skipByDefault = map[string]bool{"hours_per_month": true, "webhook.buy": true}

// DefaultRanges returns a range for every key of p: the table above where
// it has one, otherwise half to twice the profile's value (whole numbers
// rounded outwards, fractions capped at 1); keys at 0 without a table
// entry, and switches, are left out.
func DefaultRanges(p *Profile) []Range {
	var out []Range
	for _, pr := range p.params() {
		if skipByDefault[pr.key] || *pr.ptr == nil {
			continue
		}
		val := (*pr.ptr).Value
		if r, ok := defaultRanges[pr.key]; ok {
			out = append(out, Range{Key: pr.key, Lo: r[0], Hi: r[1], Why: "default plausible range"})
			continue
		}
		if val == 0 {
			continue
		}
		lo, hi := val/2, val*2
		// Whole numbers round outwards, fractions are capped at 1.
		for _, fix := range []func(float64) float64{math.Floor, func(float64) float64 { return val }} {
			if pr.check(lo) != "" {
				lo = fix(lo)
			}
		}
		for _, fix := range []func(float64) float64{math.Ceil, func(float64) float64 { return 1 }, func(float64) float64 { return val }} {
			if pr.check(hi) != "" {
				hi = fix(hi)
			}
		}
		if pr.check(lo) != "" || pr.check(hi) != "" || lo == hi {
			continue
		}
		out = append(out, Range{Key: pr.key, Lo: lo, Hi: hi, Why: "half to twice the profile value"})
	}
	return out
}

// Outcome is the verdict at one setting: where webhook and the other
// design first cross at Subscribers, and which is cheaper at the reference
// rate.
type Outcome struct {
	// BreakEven is the first crossing in events/hour; 0 when none in
	// range.
	BreakEven float64
	// Cheapest is the cheaper design at ReferenceRate; Gap is the other
	// design's monthly cost minus the webhook's there.
	Cheapest string
	Gap      float64
}

// Effect is one key's sensitivity.
type Effect struct {
	Range
	Base, AtLo, AtHi Outcome
	// Swing is how far the break-even moves between the ends, in
	// decades of events/hour (a break-even outside the range counts as
	// at its edge, 100 or 1G).
	Swing float64
	// GapSwing is |gap(hi) - gap(lo)| at the reference rate.
	GapSwing float64
	// Flips is true when an end changes the cheaper design at the
	// reference rate.
	Flips bool
	// EdgeLo and EdgeHi are the break-even at each end with "none in
	// range" placed at the range's edge (what the tornado draws).
	EdgeLo, EdgeHi float64
}

// Sensitivity is a one-at-a-time sensitivity analysis of the break-even
// between webhook and Other at Subscribers.
type Sensitivity struct {
	Profile       *Profile
	Other         string
	Subscribers   int
	ReferenceRate float64
	Base          Outcome
	// BaseEdge is the base break-even with "none" at the range's edge.
	BaseEdge float64
	// Effects are ranked: largest break-even swing first, then flips,
	// then the change of the cost gap.
	Effects []Effect
}

// effectiveBE places "no crossing" at the edge of the range on the side
// it belongs (the push-family system, push, cheaper throughout: beyond the
// top).
func effectiveBE(o Outcome, cheapAtMin, push string) float64 {
	if o.BreakEven > 0 {
		return o.BreakEven
	}
	if cheapAtMin == push {
		return MaxEventsPerHour
	}
	return MinEventsPerHour
}

func outcome(p *Profile, usage map[string]Usage, push, other string, n int, ref float64) (Outcome, string, error) {
	m := NewModel(p, usage)
	pts, cheapAtMin, err := m.BreakEvenPoints(push, other, n)
	if err != nil {
		return Outcome{}, "", err
	}
	var o Outcome
	if len(pts) > 0 {
		o.BreakEven = pts[0].EventsPerHour
	}
	w, err := m.Cost(push, ref, n)
	if err != nil {
		return o, "", err
	}
	k, err := m.Cost(other, ref, n)
	if err != nil {
		return o, "", err
	}
	o.Gap = k.Total - w.Total
	o.Cheapest = push
	if o.Gap < 0 {
		o.Cheapest = other
	}
	return o, cheapAtMin, nil
}

// Analyze varies each range one at a time around profile p and ranks the
// keys by how much they move the break-even between webhook and the other
// design (kafka when measured) at n subscribers; ref is the reference rate
// for which design is cheaper.
func Analyze(p *Profile, usage map[string]Usage, ranges []Range, n int, ref float64) (*Sensitivity, error) {
	m := NewModel(p, usage)
	push, ok := m.First(results.FamilyPush)
	other, _ := m.First(results.FamilyLog)
	for _, s := range m.Systems() {
		if other == "" && s != push {
			other = s
		}
	}
	if !ok || other == "" {
		return nil, fmt.Errorf("sensitivity: needs a push-family system (webhook) and another priced system (kafka)")
	}
	base, baseMin, err := outcome(p, usage, push, other, n, ref)
	if err != nil {
		return nil, err
	}
	s := &Sensitivity{Profile: p, Other: other, Subscribers: n, ReferenceRate: ref, Base: base, BaseEdge: effectiveBE(base, baseMin, push)}
	for _, r := range ranges {
		e := Effect{Range: r, Base: base}
		var ends [2]float64
		for i, val := range []float64{r.Lo, r.Hi} {
			q, err := p.WithOverrides(map[string]float64{r.Key: val}, "sensitivity")
			if err != nil {
				return nil, err
			}
			o, cm, err := outcome(q, usage, push, other, n, ref)
			if err != nil {
				return nil, err
			}
			if i == 0 {
				e.AtLo = o
			} else {
				e.AtHi = o
			}
			ends[i] = effectiveBE(o, cm, push)
			e.Flips = e.Flips || o.Cheapest != base.Cheapest
		}
		e.EdgeLo, e.EdgeHi = ends[0], ends[1]
		e.Swing = math.Abs(math.Log10(ends[1]) - math.Log10(ends[0]))
		e.GapSwing = math.Abs(e.AtHi.Gap - e.AtLo.Gap)
		s.Effects = append(s.Effects, e)
	}
	sort.SliceStable(s.Effects, func(i, j int) bool {
		a, b := s.Effects[i], s.Effects[j]
		if math.Abs(a.Swing-b.Swing) > 1e-9 {
			return a.Swing > b.Swing
		}
		if a.Flips != b.Flips {
			return a.Flips
		}
		return a.GapSwing > b.GapSwing
	})
	return s, nil
}

func beString(o Outcome) string {
	if o.BreakEven > 0 {
		return Rate(o.BreakEven)
	}
	return "none in 100-1G/h"
}

// Table lists every key's range and what each end does to the verdict.
func (s *Sensitivity) Table() chart.Table {
	t := chart.Table{
		Caption: fmt.Sprintf("Sensitivity of webhook vs %s at %d subscribers, profile %s (base break-even %s; at %s %s is cheaper by %s a month)",
			s.Other, s.Subscribers, s.Profile.Label(), beString(s.Base), Rate(s.ReferenceRate), s.Base.Cheapest, Money(math.Abs(s.Base.Gap))),
		Header: []string{"key", "low", "high", "break-even at low", "at high", "swing (decades)", "cheaper at ref. (low / high)", "range from"},
	}
	for _, e := range s.Effects {
		t.Rows = append(t.Rows, []string{e.Key, strconv.FormatFloat(e.Lo, 'g', 4, 64), strconv.FormatFloat(e.Hi, 'g', 4, 64),
			beString(e.AtLo), beString(e.AtHi), strconv.FormatFloat(e.Swing, 'f', 2, 64),
			e.AtLo.Cheapest + " / " + e.AtHi.Cheapest, e.Why})
	}
	return t
}

// Hinges returns the k keys the verdict is most sensitive to (the top of
// the ranking, keys that move nothing left out).
func (s *Sensitivity) Hinges(k int) []Effect {
	var out []Effect
	for _, e := range s.Effects {
		if len(out) == k {
			break
		}
		if e.Swing > 0 || e.Flips || e.GapSwing > 0 {
			out = append(out, e)
		}
	}
	return out
}

// Statement says in one paragraph which assumptions the verdict hinges on.
func (s *Sensitivity) Statement() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Under %s at %d subscribers the break-even of webhook against %s is %s, and at %s %s is cheaper by %s a month. ",
		s.Profile.Label(), s.Subscribers, s.Other, beString(s.Base), Rate(s.ReferenceRate), s.Base.Cheapest, Money(math.Abs(s.Base.Gap)))
	h := s.Hinges(3)
	if len(h) == 0 {
		b.WriteString("None of the varied assumptions moves it.")
		return b.String()
	}
	var parts []string
	for _, e := range h {
		p := fmt.Sprintf("%s (%g..%g: break-even %s .. %s", e.Key, e.Lo, e.Hi, beString(e.AtLo), beString(e.AtHi))
		if e.Flips {
			p += ", and it changes which design is cheaper at " + Rate(s.ReferenceRate)
		} else {
			p += fmt.Sprintf(", gap %s .. %s", signedMoney(e.AtLo.Gap), signedMoney(e.AtHi.Gap))
		}
		parts = append(parts, p+")")
	}
	fmt.Fprintf(&b, "The verdict hinges most on %s.", strings.Join(parts, "; "))
	return b.String()
}

func signedMoney(x float64) string {
	if x < 0 {
		return "-" + Money(-x)
	}
	return "+" + Money(x)
}
