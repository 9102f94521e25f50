// Package curves turns a sweep's results into the report's throughput and
// saturation curves: delivered versus offered throughput per system, the
// end-to-end latency "hockey stick" (p50 and p99 versus offered rate) and
// the maximum sustainable rate versus subscriber count.
//
// Data extraction (Extract) is separate from drawing so that it can be
// tested exactly; ChartData turns it into reports/plot chart data, which
// Sections renders with reports/plot like every other chart. The
// package only reads results.json: it never runs anything.
package curves

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/scenarios"
)

// Parameter names with a fixed meaning in results.Point.Params.
const (
	ParamRate        = scenarios.ParamRate
	ParamSubscribers = scenarios.ParamSubscribers
	// ParamProbe marks saturation-search probe points; they are not
	// part of the swept curves.
	ParamProbe = scenarios.ParamFindMaxProbe
)

// Stat is the mean, minimum and maximum of one quantity over a point's
// repeats.
type Stat struct {
	Mean float64 `json:"mean"`
	Min  float64 `json:"min"`
	Max  float64 `json:"max"`
}

func statOf(vs []float64) Stat {
	if len(vs) == 0 {
		return Stat{}
	}
	s := Stat{Min: math.Inf(1), Max: math.Inf(-1)}
	for _, v := range vs {
		s.Mean += v
		s.Min = math.Min(s.Min, v)
		s.Max = math.Max(s.Max, v)
	}
	s.Mean /= float64(len(vs))
	return s
}

// RatePoint is one offered rate on a curve, averaged over repeats.
type RatePoint struct {
	// RatePerS is the swept offered rate (events/s).
	RatePerS float64 `json:"rate_per_s"`
	// OfferedPerS is the offered rate the pacer scheduled.
	OfferedPerS Stat `json:"offered_per_s"`
	// GeneratorPerS is the rate the generator actually sent; below
	// OfferedPerS when the generator itself fell behind.
	GeneratorPerS Stat `json:"generator_per_s"`
	// DeliveredPerS is the delivered throughput per subscriber during the
	// measured period (events/s), averaged over subscribers; see
	// DeliveredRate.
	DeliveredPerS Stat `json:"delivered_per_s"`
	// DeliveredApprox is true when some repeat had no usable time series
	// and DeliveredPerS fell back to the drain-inclusive accounting.
	DeliveredApprox bool `json:"delivered_approx,omitempty"`
	// P50US and P99US are the worst subscriber's end-to-end percentiles
	// (microseconds, from the intended send time).
	P50US Stat `json:"p50_us"`
	P99US Stat `json:"p99_us"`
	// Lost is the total lost deliveries over subscribers and repeats; a
	// point with loss has latencies of the delivered events only.
	Lost int64 `json:"lost"`
	// Sent is the total sent events times subscribers over repeats.
	Sent    int64 `json:"sent"`
	Repeats int   `json:"repeats"`
}

// Curve is one series: a system at one subscriber count and one value of
// every other swept setting, over offered rates.
type Curve struct {
	System      string `json:"system"`
	Subscribers int    `json:"subscribers"`
	// Params are the other swept settings (not rate or subscribers).
	Params map[string]float64 `json:"params,omitempty"`
	// Label names the series in legends.
	Label  string      `json:"label"`
	Points []RatePoint `json:"points"`
}

// MaxPoint is the maximum sustainable rate of a system at one subscriber
// count.
type MaxPoint struct {
	Subscribers int `json:"subscribers"`
	// RatePerS is averaged over repeated searches, if any.
	RatePerS Stat `json:"rate_per_s"`
	// Bounded is false when any search reached its limit without a
	// failing probe: the value is a lower bound.
	Bounded bool   `json:"bounded"`
	Probes  int    `json:"probes"`
	SLO     string `json:"slo"`
}

// MaxCurve is one system's maximum sustainable rate by subscriber count.
type MaxCurve struct {
	System string     `json:"system"`
	Points []MaxPoint `json:"points"`
}

// Data is everything the curves need, extracted from one results document.
type Data struct {
	Curves []Curve    `json:"curves"`
	Max    []MaxCurve `json:"max_sustainable,omitempty"`
	// Skipped explains points that were left out (failed, interrupted,
	// probe points).
	Skipped []string `json:"skipped,omitempty"`
	// Embedded is true when Kafka-based systems ran on the in-memory
	// broker; charts say so.
	Embedded   bool   `json:"broker_embedded,omitempty"`
	BrokerKind string `json:"broker_kind,omitempty"`
	// EmbeddedSystems are the systems whose points ran on the in-memory
	// embedded broker (results.Point.Broker): their labels say so.
	EmbeddedSystems []string `json:"embedded_systems,omitempty"`
	// Order ranks the systems (results.OrderOf the points): the charts'
	// colours.
	Order results.Order `json:"-"`
}

// DeliveredRate is a point's delivered throughput per subscriber during the
// measured period, in events/s. It uses the per-second time series: the
// deliveries in the samples that fall inside the measured period (the
// first sample is skipped because it may include warm-up), divided by the
// time they cover and by the number of subscribers. That is what the
// system kept up with while the load ran; deliveries that only completed
// in the drain do not count. ok is false when the series has fewer than
// two samples inside the measured period.
func DeliveredRate(p *results.Point) (rate float64, ok bool) {
	n := len(p.Subscribers)
	if n == 0 || p.DurationS <= 0 {
		return 0, false
	}
	var in []results.Sample
	for _, s := range p.Timeseries {
		if s.TS > 0 && s.TS <= p.DurationS+0.5 {
			in = append(in, s)
		}
	}
	if len(in) < 2 {
		return 0, false
	}
	span := in[len(in)-1].TS - in[0].TS
	if span <= 0 {
		return 0, false
	}
	var d int64
	for _, s := range in[1:] {
		d += s.Delivered
	}
	return float64(d) / span / float64(n), true
}

// worst returns the worst subscriber's e2e p50 and p99 (microseconds)
// among subscribers that delivered anything.
func worst(p *results.Point) (p50, p99 float64, ok bool) {
	for _, s := range p.Subscribers {
		l := s.E2E.LatencyUS
		if l.Count == 0 {
			continue
		}
		ok = true
		p50 = math.Max(p50, float64(l.P50))
		p99 = math.Max(p99, float64(l.P99))
	}
	return p50, p99, ok
}

func pointSubscribers(p *results.Point) int {
	if v, ok := p.Params[ParamSubscribers]; ok && v > 0 {
		return int(math.Round(v))
	}
	return len(p.Subscribers)
}

func pointRate(p *results.Point) float64 {
	if v, ok := p.Params[ParamRate]; ok && v > 0 {
		return v
	}
	return p.OfferedPerS
}

// otherParams are the point's swept settings other than rate, subscribers
// and probe markers.
func otherParams(p *results.Point) map[string]float64 {
	var out map[string]float64
	for k, v := range p.Params {
		if k == ParamRate || k == ParamSubscribers || k == ParamProbe {
			continue
		}
		if out == nil {
			out = map[string]float64{}
		}
		out[k] = v
	}
	return out
}

func paramsKey(m map[string]float64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%s,", k, strconv.FormatFloat(m[k], 'g', -1, 64))
	}
	return b.String()
}

// lessParams orders parameter sets by their sorted keys, then numerically
// by value (so partitions=6 comes before partitions=12).
func lessParams(a, b map[string]float64) bool {
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	for _, k := range sorted {
		va, oka := a[k]
		vb, okb := b[k]
		if oka != okb {
			return !oka
		}
		if va != vb {
			return va < vb
		}
	}
	return false
}

func curveLabel(system string, subs int, params map[string]float64) string {
	label := fmt.Sprintf("%s, %d sub", system, subs)
	if subs != 1 {
		label += "s"
	}
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		short := k
		if i := strings.LastIndex(k, "."); i >= 0 {
			short = k[i+1:]
		}
		label += fmt.Sprintf(", %s=%s", short, strconv.FormatFloat(params[k], 'g', -1, 64))
	}
	return label
}

// Extract groups a results document's points into curves (one per system,
// subscriber count and other swept settings), averages repeats and
// collects the saturation search results. Failed and interrupted points
// and saturation probes are left out and listed in Skipped.
func Extract(r *results.Results) (*Data, error) {
	if r == nil {
		return nil, fmt.Errorf("curves: nil results")
	}
	d := &Data{Embedded: r.Environment.Embedded, BrokerKind: r.Environment.BrokerKind}
	ord := results.OrderOf(r.Points)
	d.Order = ord
	for i := range r.Points {
		if _, emb := r.Points[i].Broker(r.Environment); emb && !slices.Contains(d.EmbeddedSystems, r.Points[i].System) {
			d.EmbeddedSystems = append(d.EmbeddedSystems, r.Points[i].System)
		}
	}
	ord.Sort(d.EmbeddedSystems)

	type acc struct {
		rate                              float64
		offered, gen, delivered, p50, p99 []float64
		approx                            bool
		lost, sent                        int64
		repeats                           int
	}
	type curveAcc struct {
		c      Curve
		points map[string]*acc // by rate
	}
	curves := map[string]*curveAcc{}
	for i := range r.Points {
		p := &r.Points[i]
		desc := fmt.Sprintf("point %d (%s %s)", i, p.System, paramsKey(p.Params))
		switch {
		case p.Params[ParamProbe] != 0:
			d.Skipped = append(d.Skipped, desc+": saturation probe")
			continue
		case p.Status != results.StatusComplete:
			reason := p.Status
			if p.Error != "" {
				reason += ": " + p.Error
			}
			d.Skipped = append(d.Skipped, desc+": "+reason)
			continue
		}
		subs := pointSubscribers(p)
		others := otherParams(p)
		ck := fmt.Sprintf("%s|%d|%s", p.System, subs, paramsKey(others))
		ca := curves[ck]
		if ca == nil {
			ca = &curveAcc{c: Curve{System: p.System, Subscribers: subs, Params: others, Label: curveLabel(p.System, subs, others)}, points: map[string]*acc{}}
			curves[ck] = ca
		}
		rate := pointRate(p)
		rk := strconv.FormatFloat(rate, 'g', -1, 64)
		a := ca.points[rk]
		if a == nil {
			a = &acc{rate: rate}
			ca.points[rk] = a
		}
		a.repeats++
		a.offered = append(a.offered, p.OfferedPerS)
		a.gen = append(a.gen, p.AchievedPerS)
		if v, ok := DeliveredRate(p); ok {
			a.delivered = append(a.delivered, v)
		} else if len(p.Subscribers) > 0 && p.DurationS > 0 {
			var del int64
			for _, s := range p.Subscribers {
				del += s.Accounting.Delivered
			}
			a.delivered = append(a.delivered, float64(del)/p.DurationS/float64(len(p.Subscribers)))
			a.approx = true
		}
		if p50, p99, ok := worst(p); ok {
			a.p50 = append(a.p50, p50)
			a.p99 = append(a.p99, p99)
		}
		for _, s := range p.Subscribers {
			a.lost += s.Accounting.Lost
			a.sent += s.Accounting.Sent
		}
	}
	for _, ca := range curves {
		for _, a := range ca.points {
			ca.c.Points = append(ca.c.Points, RatePoint{
				RatePerS: a.rate, OfferedPerS: statOf(a.offered), GeneratorPerS: statOf(a.gen),
				DeliveredPerS: statOf(a.delivered), DeliveredApprox: a.approx,
				P50US: statOf(a.p50), P99US: statOf(a.p99), Lost: a.lost, Sent: a.sent, Repeats: a.repeats,
			})
		}
		sort.Slice(ca.c.Points, func(i, j int) bool { return ca.c.Points[i].RatePerS < ca.c.Points[j].RatePerS })
		d.Curves = append(d.Curves, ca.c)
	}
	sort.Slice(d.Curves, func(i, j int) bool {
		a, b := d.Curves[i], d.Curves[j]
		if c := ord.Compare(a.System, b.System); c != 0 {
			return c < 0
		}
		if a.Subscribers != b.Subscribers {
			return a.Subscribers < b.Subscribers
		}
		return lessParams(a.Params, b.Params)
	})

	type maxAcc struct {
		rates   []float64
		bounded bool
		probes  int
		slo     string
	}
	maxes := map[string]map[int]*maxAcc{}
	for _, m := range r.MaxSustainable {
		bySubs := maxes[m.System]
		if bySubs == nil {
			bySubs = map[int]*maxAcc{}
			maxes[m.System] = bySubs
		}
		a := bySubs[m.Subscribers]
		if a == nil {
			a = &maxAcc{bounded: true, slo: m.SLO}
			bySubs[m.Subscribers] = a
		}
		a.rates = append(a.rates, m.RatePerS)
		a.bounded = a.bounded && m.Bounded
		a.probes += m.Probes
	}
	for sys, bySubs := range maxes {
		mc := MaxCurve{System: sys}
		for n, a := range bySubs {
			mc.Points = append(mc.Points, MaxPoint{Subscribers: n, RatePerS: statOf(a.rates), Bounded: a.bounded, Probes: a.probes, SLO: a.slo})
		}
		sort.Slice(mc.Points, func(i, j int) bool { return mc.Points[i].Subscribers < mc.Points[j].Subscribers })
		d.Max = append(d.Max, mc)
	}
	sort.Slice(d.Max, func(i, j int) bool {
		return ord.Less(d.Max[i].System, d.Max[j].System)
	})
	return d, nil
}

// onEmbedded reports whether system's points ran on the embedded broker,
// so its labels must say so.
func (d *Data) onEmbedded(system string) bool { return slices.Contains(d.EmbeddedSystems, system) }
