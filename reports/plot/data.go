package plot

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/evbench/evbench/reports/lttb"
	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/scenarios"
)

// Chart kinds.
const (
	// KindLines is an x/y line chart.
	KindLines = "lines"
	// KindBars is a set of bar panels (small multiples).
	KindBars = "bars"
	// KindTiles is a grid of line charts (Tiles) under one title, with one
	// legend for all of them.
	KindTiles = "tiles"
)

// Axis scales.
const (
	ScaleLinear = "linear"
	ScaleLog    = "log"
	// ScaleNines is the HdrHistogram percentile axis: x = log10(1/(1-q)).
	ScaleNines = "nines"
)

// MaxSeriesPoints bounds the points of one time-series line: longer series
// are down-sampled with LTTB (peaks kept), so a one-hour run's charts stay
// small and quick to draw.
const MaxSeriesPoints = 500

// MaxSubscribersPerSystem bounds the subscribers drawn per system on the
// latency spectrum; the ones with the highest p99 are kept.
const MaxSubscribersPerSystem = 4

// MaxAccountingSubscribers bounds the subscribers on the accounting chart;
// the ones with the most lost, duplicate and dead-lettered events are kept.
const MaxAccountingSubscribers = 8

// Data is one chart's data, extracted from results and independent of
// rendering, so it can be checked against golden files. It is the one chart
// type of evbench: the latency charts here, the sweep curves
// (reports/curves) and the cost charts (reports/cost) all produce Data, and
// Render draws every one of them in the same style (palette, fonts, number
// format, legend beside the plot).
type Data struct {
	// Name is the file stem of the chart's PNG.
	Name  string `json:"name"`
	Title string `json:"title"`
	// Caption says in one or two sentences how to read the chart.
	Caption string   `json:"caption"`
	Kind    string   `json:"kind"`
	XLabel  string   `json:"x_label,omitempty"`
	YLabel  string   `json:"y_label,omitempty"`
	XScale  string   `json:"x_scale,omitempty"`
	YScale  string   `json:"y_scale,omitempty"`
	Series  []Series `json:"series,omitempty"`
	Panels  []Panel  `json:"panels,omitempty"`
	// Tiles are the charts of a KindTiles figure, drawn Columns to a row
	// (default 1); each is a KindLines chart with its own title.
	Tiles   []Data `json:"tiles,omitempty"`
	Columns int    `json:"columns,omitempty"`
	// XAxis and YAxis fix an axis' range or ticks; nil: from the data.
	XAxis *Axis `json:"x_axis,omitempty"`
	YAxis *Axis `json:"y_axis,omitempty"`
	// Areas are filled regions drawn under the lines.
	Areas []Area `json:"areas,omitempty"`
	// Marks are annotation glyphs drawn on top of the lines.
	Marks []Marks `json:"marks,omitempty"`
	// Width and Height are the image size in inches (0: the kind's
	// default, see Width, LineHeight and BarsHeight).
	Width  float64 `json:"width_in,omitempty"`
	Height float64 `json:"height_in,omitempty"`
	// Order ranks the systems drawn (results.OrderOf their points), which
	// picks their colours; nil: the legacy order. Tiles without one use
	// their figure's.
	Order results.Order `json:"-"`
}

// Axis fixes an axis: its range, and its ticks when Ticks is not empty.
type Axis struct {
	Min *float64 `json:"min,omitempty"`
	Max *float64 `json:"max,omitempty"`
	// Ticks replace the scale's ticks (categories, percentages).
	Ticks []Tick `json:"ticks,omitempty"`
}

// Tick is one fixed axis tick.
type Tick struct {
	Value float64 `json:"value"`
	Label string  `json:"label"`
}

// Area is a filled region: a polygon (X, Y) or rectangles, in one colour.
type Area struct {
	// Label is the legend entry ("": none).
	Label string `json:"label,omitempty"`
	// System picks the colour unless Color is set.
	System string `json:"system,omitempty"`
	// Color is "#RRGGBB" or "#RRGGBBAA" (see Palette).
	Color string    `json:"color,omitempty"`
	X     []float64 `json:"x,omitempty"`
	Y     []float64 `json:"y,omitempty"`
	// Rects are rectangles [x0, x1, y0, y1].
	Rects [][4]float64 `json:"rects,omitempty"`
}

// Marks are glyphs at points, for annotations ("lost > 0", "break-even").
type Marks struct {
	// Label is the legend entry ("": none).
	Label string `json:"label,omitempty"`
	// Shape is one of MarkCross, MarkRing, MarkCircle, MarkPyramid.
	Shape string `json:"shape"`
	// System or Color colour the marks; neither: black.
	System string `json:"system,omitempty"`
	Color  string `json:"color,omitempty"`
	// Radius in points (0: 4).
	Radius float64   `json:"radius_pt,omitempty"`
	X      []float64 `json:"x"`
	Y      []float64 `json:"y"`
	// Text, when set, labels each mark (same length as X).
	Text []string `json:"text,omitempty"`
}

// Mark shapes.
const (
	MarkCross   = "cross"
	MarkRing    = "ring"
	MarkCircle  = "circle"
	MarkPyramid = "pyramid"
)

// Series is one line.
type Series struct {
	Label string `json:"label"`
	// System picks the colour; "" is the offered load or a reference
	// line (black unless Color is set), drawn thinner and on top.
	System string `json:"system,omitempty"`
	// Color, "#RRGGBB", overrides the system colour.
	Color      string `json:"color,omitempty"`
	Subscriber string `json:"subscriber,omitempty"`
	// Dash indexes the dash patterns (0 solid, 1 dashed, 2 dotted, 3 dash-dot).
	Dash int `json:"dash"`
	// Markers draws a glyph (indexed by Dash) at every point.
	Markers bool      `json:"markers,omitempty"`
	X       []float64 `json:"x"`
	Y       []float64 `json:"y"`
	// Downsampled is the original number of points when LTTB reduced them.
	Downsampled int `json:"downsampled_from,omitempty"`
	// YLo and YHi, when set, draw error bars (repeat minimum and maximum).
	YLo []float64 `json:"y_lo,omitempty"`
	YHi []float64 `json:"y_hi,omitempty"`
}

// Panel is one bar chart of a small-multiples figure: one group of bars per
// category (subscriber), one bar per system within a group.
type Panel struct {
	Title      string      `json:"title"`
	YLabel     string      `json:"y_label"`
	Categories []string    `json:"categories"`
	Bars       []BarSeries `json:"bars"`
}

// BarSeries is one system's bars across a panel's categories.
type BarSeries struct {
	System string    `json:"system"`
	Values []float64 `json:"values"`
}

// DetailPoints returns, per system in the order the points record
// (results.Order: each system's descriptor order, then others by name), the index in r.Points of the point that
// the detail charts and the verdict show: the only point of a plain run,
// and for a sweep the point with the highest offered rate (then the most
// subscribers; the last one on ties). Points without any measurement (a
// failed point with no subscribers and no time series) are skipped.
func DetailPoints(r *results.Results) []int {
	best := map[string]int{}
	var systems []string
	for i, p := range r.Points {
		if len(p.Subscribers) == 0 && len(p.Timeseries) == 0 {
			continue
		}
		j, ok := best[p.System]
		if !ok {
			systems = append(systems, p.System)
			best[p.System] = i
			continue
		}
		q := r.Points[j]
		ri, rj := pointRate(p), pointRate(q)
		if ri > rj || (ri == rj && p.Params[scenarios.ParamSubscribers] >= q.Params[scenarios.ParamSubscribers]) {
			best[p.System] = i
		}
	}
	results.OrderOf(r.Points).Sort(systems)
	out := make([]int, len(systems))
	for i, s := range systems {
		out[i] = best[s]
	}
	return out
}

func pointRate(p results.Point) float64 {
	if v, ok := p.Params[scenarios.ParamRate]; ok {
		return v
	}
	return p.OfferedPerS
}

// IsSweep reports whether any system has more than one point.
func IsSweep(r *results.Results) bool {
	n := map[string]int{}
	for _, p := range r.Points {
		n[p.System]++
		if n[p.System] > 1 {
			return true
		}
	}
	return false
}

// PointLabel describes a point's parameters for people: "8000/s, 3
// subscribers, partitions=12".
func PointLabel(p results.Point) string {
	var parts []string
	parts = append(parts, Human(pointRate(p))+"/s")
	if n, ok := p.Params[scenarios.ParamSubscribers]; ok {
		parts = append(parts, fmt.Sprintf("%g subscribers", n))
	}
	var keys []string
	for k := range p.Params {
		if k != scenarios.ParamRate && k != scenarios.ParamSubscribers {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%g", k, p.Params[k]))
	}
	if p.Repeat > 0 {
		parts = append(parts, fmt.Sprintf("repeat %d", p.Repeat+1))
	}
	return strings.Join(parts, ", ")
}

// Extract returns the data of every chart for r, in report order: latency
// spectrum, latency over time, throughput, delivery accounting, consumer
// lag (kafka, bridge), webhook retry queue, attempts per delivery
// (webhook). Charts whose systems did not run are left out. For a sweep the
// charts show each system's DetailPoints point.
func Extract(r *results.Results) ([]Data, error) {
	det := DetailPoints(r)
	if len(det) == 0 {
		return nil, nil
	}
	pts := make([]results.Point, len(det))
	for i, j := range det {
		pts[i] = r.Points[j]
	}
	sweepNote := ""
	if IsSweep(r) {
		var ls []string
		for _, p := range pts {
			ls = append(ls, p.System+" at "+PointLabel(p))
		}
		sweepNote = " Sweep: each system is shown at its highest point (" + strings.Join(ls, "; ") + ")."
	}
	subStyle := subscriberStyles(pts)
	var out []Data
	sp, err := spectrum(pts, subStyle)
	if err != nil {
		return nil, err
	}
	add := func(d *Data) {
		if d != nil && (len(d.Series) > 0 || len(d.Panels) > 0) {
			d.Caption += sweepNote
			if sweepNote != "" {
				d.Title += " [sweep: highest point per system]"
			}
			out = append(out, *d)
		}
	}
	add(sp)
	tu := chooseTimeUnit(pts)
	add(latencyOverTime(pts, tu))
	add(throughput(pts, tu))
	add(accounting(pts))
	add(consumerLag(pts, tu))
	add(retryQueue(pts, tu))
	if bs := faultBands(pts, tu); len(bs) > 0 {
		for i := range out {
			if out[i].XLabel == tu.label {
				shadeFaults(&out[i], bs)
			}
		}
	}
	ap, err := attempts(pts, subStyle)
	if err != nil {
		return nil, err
	}
	add(ap)
	ord := results.OrderOf(r.Points)
	for i := range out {
		out[i].Order = ord
	}
	return out, nil
}

// subscriberStyles gives every subscriber name one dash index, in order of
// first appearance, so "shipping" is dashed in every chart.
func subscriberStyles(pts []results.Point) map[string]int {
	m := map[string]int{}
	for _, p := range pts {
		for _, s := range p.Subscribers {
			if _, ok := m[s.Name]; !ok {
				m[s.Name] = len(m)
			}
		}
	}
	return m
}

func spectrum(pts []results.Point, subStyle map[string]int) (*Data, error) {
	d := &Data{
		Name:   "latency-spectrum",
		Title:  "End-to-end latency by percentile (intended send time -> subscriber done)",
		Kind:   KindLines,
		XLabel: "percentile (each grid step adds a nine)",
		YLabel: "latency (ms, log scale)",
		XScale: ScaleNines,
		YScale: ScaleLog,
		Caption: "Lower is better. Read across: the left is the typical event, the right edge is the worst " +
			"delivery measured. Colour is the system, line style the subscriber; a line that rises steeply " +
			"on the right has a long tail.",
	}
	capped := false
	for _, p := range pts {
		subs := append([]results.Subscriber(nil), p.Subscribers...)
		if len(subs) > MaxSubscribersPerSystem {
			capped = true
			sort.SliceStable(subs, func(a, b int) bool { return subs[a].E2E.LatencyUS.P99 > subs[b].E2E.LatencyUS.P99 })
			subs = subs[:MaxSubscribersPerSystem]
			sort.SliceStable(subs, func(a, b int) bool { return subStyle[subs[a].Name] < subStyle[subs[b].Name] })
		}
		for _, s := range subs {
			h, err := results.DecodeHistogram(s.E2E.Histogram)
			if err != nil {
				return nil, fmt.Errorf("latency spectrum: %s/%s e2e histogram: %w", p.System, s.Name, err)
			}
			if h.TotalCount() == 0 {
				continue
			}
			xs, ys := spectrumPoints(h.TotalCount(), func(pct float64) int64 { return h.ValueAtQuantile(pct) }, h.Max())
			d.Series = append(d.Series, Series{Label: p.System + " · " + s.Name, System: p.System, Subscriber: s.Name,
				Dash: subStyle[s.Name], X: xs, Y: ys})
		}
	}
	if capped {
		d.Caption += fmt.Sprintf(" Only the %d subscribers with the highest p99 per system are drawn; the tables list all.", MaxSubscribersPerSystem)
	}
	return d, nil
}

// spectrumStep is the nines-axis resolution: 20 points per nine.
const spectrumStep = 0.05

// spectrumPoints samples the percentile curve of a histogram with n
// values: from the minimum (x=0) to the 1-1/n quantile in steps of
// spectrumStep nines, then the maximum. Values are converted from us to ms.
func spectrumPoints(n int64, valueAt func(pct float64) int64, maxUS int64) (xs, ys []float64) {
	xmax := math.Log10(float64(n))
	for k := 0; ; k++ {
		x := float64(k) * spectrumStep
		if x >= xmax {
			break
		}
		q := 1 - math.Pow(10, -x)
		xs = append(xs, round(x, 4))
		ys = append(ys, float64(valueAt(100*q))/1000)
	}
	xs = append(xs, round(xmax, 4))
	ys = append(ys, float64(maxUS)/1000)
	return xs, ys
}

func round(v float64, digits int) float64 {
	m := math.Pow(10, float64(digits))
	return math.Round(v*m) / m
}

// timeUnit converts the series' seconds for display.
type timeUnit struct {
	div   float64
	label string
}

func chooseTimeUnit(pts []results.Point) timeUnit {
	var tmax float64
	for _, p := range pts {
		if n := len(p.Timeseries); n > 0 {
			tmax = math.Max(tmax, p.Timeseries[n-1].TS)
		}
	}
	if tmax > 900 {
		return timeUnit{60, "time since the measured period started (min)"}
	}
	return timeUnit{1, "time since the measured period started (s)"}
}

// timeSeries extracts one per-second field, skipping samples where keep
// is false, and down-samples it.
func timeSeries(p results.Point, tu timeUnit, val func(results.Sample) float64, keep func(results.Sample) bool) (xs, ys []float64, from int) {
	for _, s := range p.Timeseries {
		if keep != nil && !keep(s) {
			continue
		}
		xs = append(xs, round(s.TS/tu.div, 4))
		ys = append(ys, round(val(s), 3))
	}
	if len(xs) > MaxSeriesPoints {
		from = len(xs)
		xs, ys = lttb.Downsample(xs, ys, MaxSeriesPoints)
	}
	return xs, ys, from
}

func latencyOverTime(pts []results.Point, tu timeUnit) *Data {
	d := &Data{
		Name:   "latency-over-time",
		Title:  "End-to-end latency over time: p99 (solid) and p50 (dashed), per second",
		Kind:   KindLines,
		XLabel: tu.label,
		YLabel: "latency (ms, log scale)",
		XScale: ScaleLinear,
		YScale: ScaleLog,
		Caption: "Flat lines mean a steady system; a bump is a stall, a queue building up or a fault " +
			"(see the scenario's faults). Each second covers the deliveries completed in it, across subscribers.",
	}
	for _, p := range pts {
		for _, m := range []struct {
			name string
			dash int
			f    func(results.Sample) int64
		}{{"p99", 0, func(s results.Sample) int64 { return s.P99US }}, {"p50", 1, func(s results.Sample) int64 { return s.P50US }}} {
			xs, ys, from := timeSeries(p, tu, func(s results.Sample) float64 { return float64(m.f(s)) / 1000 },
				func(s results.Sample) bool { return m.f(s) > 0 })
			if len(xs) == 0 {
				continue
			}
			d.Series = append(d.Series, Series{Label: p.System + " " + m.name, System: p.System, Dash: m.dash, X: xs, Y: ys, Downsampled: from})
		}
	}
	return d
}

func throughput(pts []results.Point, tu timeUnit) *Data {
	d := &Data{
		Name:   "throughput",
		Title:  "Throughput: offered load vs events sent and delivered, per second",
		Kind:   KindLines,
		XLabel: tu.label,
		YLabel: "events per second",
		XScale: ScaleLinear,
		YScale: ScaleLinear,
		Caption: "The black line is the load the scenario asked for. Solid: events the generator sent into each " +
			"system (below black means the harness could not keep up). Dashed: deliveries per subscriber " +
			"per second; after the load stops they show the backlog draining.",
	}
	// Every system runs the same schedule, so one offered line serves all
	// of them unless their offered rates differ (then each gets its own,
	// dotted in its colour). Sample times differ a little between systems;
	// the schedule does not.
	sameOffered := true
	for _, p := range pts[1:] {
		if math.Abs(p.OfferedPerS-pts[0].OfferedPerS) > 0.01*math.Max(1, pts[0].OfferedPerS) {
			sameOffered = false
		}
	}
	if !sameOffered {
		d.Caption = strings.Replace(d.Caption, "The black line is the load the scenario asked for.",
			"The systems were offered different loads: dotted lines in each system's colour.", 1)
	}
	for i, p := range pts {
		if len(p.Timeseries) == 0 {
			continue
		}
		if i == 0 || !sameOffered {
			xs, ys, from := timeSeries(p, tu, func(s results.Sample) float64 { return s.Offered }, nil)
			sr := Series{Label: "offered", Dash: 1, X: xs, Y: ys, Downsampled: from}
			if !sameOffered {
				sr.Label, sr.System, sr.Dash = "offered ("+p.System+")", p.System, 2
			}
			d.Series = append(d.Series, sr)
		}
		xs, ys, from := timeSeries(p, tu, func(s results.Sample) float64 { return s.Achieved }, nil)
		d.Series = append(d.Series, Series{Label: p.System + " sent", System: p.System, Dash: 0, X: xs, Y: ys, Downsampled: from})
		if n := len(p.Subscribers); n > 0 {
			xs, ys, from := timeSeries(p, tu, func(s results.Sample) float64 { return float64(s.Delivered) / float64(n) }, nil)
			d.Series = append(d.Series, Series{Label: p.System + " delivered / subscriber", System: p.System, Dash: 1, X: xs, Y: ys, Downsampled: from})
		}
	}
	return d
}

func accounting(pts []results.Point) *Data {
	d := &Data{
		Name:  "delivery-accounting",
		Title: "Delivery accounting per subscriber (exact counts, measured period)",
		Kind:  KindBars,
		Caption: "Every event must reach every subscriber exactly once: lost, duplicates and dead-lettered " +
			"should all be 0. Lost = sent - delivered after the drain period; dead-lettered events were given up " +
			"on (retry budget spent or queue full) and are part of lost.",
	}
	type key struct{ sys, sub string }
	acc := map[key]results.Accounting{}
	var names []string
	seen := map[string]bool{}
	bad := map[string]int64{}
	for _, p := range pts {
		for _, s := range p.Subscribers {
			acc[key{p.System, s.Name}] = s.Accounting
			if !seen[s.Name] {
				seen[s.Name] = true
				names = append(names, s.Name)
			}
			bad[s.Name] += s.Accounting.Lost + s.Accounting.Duplicates + s.Accounting.DeadLettered
		}
	}
	if len(names) == 0 {
		return nil
	}
	if len(names) > MaxAccountingSubscribers {
		order := map[string]int{}
		for i, n := range names {
			order[n] = i
		}
		sort.SliceStable(names, func(a, b int) bool { return bad[names[a]] > bad[names[b]] })
		names = names[:MaxAccountingSubscribers]
		sort.SliceStable(names, func(a, b int) bool { return order[names[a]] < order[names[b]] })
		d.Caption += fmt.Sprintf(" Only the %d subscribers with the most problems are drawn; the tables list all.", MaxAccountingSubscribers)
	}
	metrics := []struct {
		title, ylabel string
		f             func(results.Accounting) int64
	}{
		{"Delivered (unique)", "events", func(a results.Accounting) int64 { return a.Delivered }},
		{"Lost (not delivered after drain)", "events", func(a results.Accounting) int64 { return a.Lost }},
		{"Duplicates (delivered again)", "events", func(a results.Accounting) int64 { return a.Duplicates }},
		{"Dead-lettered (given up)", "events", func(a results.Accounting) int64 { return a.DeadLettered }},
	}
	for _, m := range metrics {
		pn := Panel{Title: m.title, YLabel: m.ylabel, Categories: names}
		for _, p := range pts {
			if len(p.Subscribers) == 0 {
				continue
			}
			bs := BarSeries{System: p.System}
			for _, n := range names {
				bs.Values = append(bs.Values, float64(m.f(acc[key{p.System, n}])))
			}
			pn.Bars = append(pn.Bars, bs)
		}
		d.Panels = append(d.Panels, pn)
	}
	return d
}

func consumerLag(pts []results.Point, tu timeUnit) *Data {
	d := &Data{
		Name:   "consumer-lag",
		Title:  "Consumer lag over time (records not yet consumed, all groups)",
		Kind:   KindLines,
		XLabel: tu.label,
		YLabel: "records behind",
		XScale: ScaleLinear,
		YScale: ScaleLinear,
		Caption: "Records produced but not yet processed, summed over the subscribers' consumer groups. " +
			"Lag that returns to near zero means consumers keep up; lag that keeps growing means they do not.",
	}
	for _, p := range pts {
		// Only a system that records consumer lag has a lag to draw.
		if !p.Caps().ConsumerLag || len(p.Timeseries) == 0 {
			continue
		}
		xs, ys, from := timeSeries(p, tu, func(s results.Sample) float64 { return float64(s.Lag) }, nil)
		d.Series = append(d.Series, Series{Label: p.System + " lag", System: p.System, X: xs, Y: ys, Downsampled: from})
	}
	return d
}

func retryQueue(pts []results.Point, tu timeUnit) *Data {
	d := &Data{
		Name:   "webhook-retry-queue",
		Title:  "Sender backlog over time: deliveries queued and waiting for a retry",
		Kind:   KindLines,
		XLabel: tu.label,
		YLabel: "deliveries waiting",
		XScale: ScaleLinear,
		YScale: ScaleLinear,
		Caption: "Solid: deliveries queued for an endpoint, not yet sent. Dashed: failed deliveries waiting " +
			"for their retry timer. Both should return to zero; a growing backlog means endpoints are down or too slow.",
	}
	for _, p := range pts {
		// Only a system that records its retry queue has one to draw.
		if !p.Caps().RetryQueue || len(p.Timeseries) == 0 {
			continue
		}
		xs, ys, from := timeSeries(p, tu, func(s results.Sample) float64 { return float64(s.QueueDepth) }, nil)
		d.Series = append(d.Series, Series{Label: "queued", System: p.System, Dash: 0, X: xs, Y: ys, Downsampled: from})
		xs, ys, from = timeSeries(p, tu, func(s results.Sample) float64 { return float64(s.Retries) }, nil)
		d.Series = append(d.Series, Series{Label: "waiting for retry", System: p.System, Dash: 1, X: xs, Y: ys, Downsampled: from})
	}
	return d
}

func attempts(pts []results.Point, subStyle map[string]int) (*Data, error) {
	d := &Data{
		Name:   "webhook-attempts",
		Title:  "Attempts per delivered event",
		Kind:   KindLines,
		XLabel: "attempts until the subscriber accepted the event",
		YLabel: "share of deliveries (%, log scale)",
		XScale: ScaleLinear,
		YScale: ScaleLog,
		Caption: "Nearly 100% at 1 attempt is healthy. Points further right are deliveries that needed " +
			"retries: each retry adds its backoff delay to the end-to-end latency.",
	}
	for _, p := range pts {
		if !p.Caps().Attempts {
			continue
		}
		for _, s := range p.Subscribers {
			if s.AttemptsPerDelivery == nil || s.AttemptsPerDelivery.Histogram == "" {
				continue
			}
			h, err := results.DecodeHistogram(s.AttemptsPerDelivery.Histogram)
			if err != nil {
				return nil, fmt.Errorf("attempts per delivery: %s/%s: %w", p.System, s.Name, err)
			}
			total := float64(h.TotalCount())
			if total == 0 {
				continue
			}
			var xs, ys []float64
			for _, b := range h.Distribution() {
				if b.Count == 0 {
					continue
				}
				xs = append(xs, float64(b.From))
				ys = append(ys, round(100*float64(b.Count)/total, 6))
			}
			d.Series = append(d.Series, Series{Label: s.Name, System: p.System, Subscriber: s.Name,
				Dash: subStyle[s.Name], Markers: true, X: xs, Y: ys})
		}
	}
	return d, nil
}
