package curves

import (
	"fmt"
	"image/color"
	"math"
	"sort"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/evbench/evbench/reports/chart"
	rplot "github.com/evbench/evbench/reports/plot"
	"github.com/evbench/evbench/reports/results"
)

// Chart names (file stems of the PNGs beside report.html).
const (
	ChartThroughput = "sweep-throughput"
	ChartLatency    = "sweep-latency"
	ChartMax        = "sweep-max-sustainable"
)

// EmbeddedNote is the honesty label for results measured on the embedded
// broker.
const EmbeddedNote = "Kafka and bridge numbers were measured on the embedded in-memory broker (kfake): not disk-backed, not replicated, single process. They show the client-side behaviour, not what a real Kafka cluster sustains."

// Sections returns the report sections for a sweep: throughput, latency
// and saturation curves with their data tables. It returns no section
// when the document has nothing to draw (a single plain point and no
// saturation search).
func Sections(r *results.Results) ([]chart.Section, error) {
	d, err := Extract(r)
	if err != nil {
		return nil, err
	}
	multi := false
	for _, c := range d.Curves {
		if len(c.Points) >= 2 {
			multi = true
		}
	}
	if !multi && len(d.Max) == 0 {
		return nil, nil
	}
	sec := chart.Section{ID: "sweep-curves", Title: "Throughput and saturation"}
	sec.Paragraphs = append(sec.Paragraphs,
		"Delivered throughput is what each subscriber received per second while the load ran "+
			"(from the per-second time series, averaged over subscribers; deliveries that completed only during "+
			"the drain do not count), so a system that keeps up lies on the y = x line and a saturated one "+
			"flattens at its capacity. Latency is the worst subscriber's end-to-end percentile at each point, "+
			"measured from the event's intended send time (coordinated omission corrected), on a log scale. "+
			"Repeats are averaged; bars show their minimum and maximum. Points marked × lost events: their "+
			"latencies describe only the events that arrived.")
	if d.Embedded {
		sec.Paragraphs = append(sec.Paragraphs, EmbeddedNote)
	}
	if len(d.Skipped) > 0 {
		sec.Paragraphs = append(sec.Paragraphs, fmt.Sprintf("%d point(s) left out of the curves: %s.", len(d.Skipped), strings.Join(d.Skipped, "; ")))
	}
	if multi {
		ch, err := ThroughputChart(d)
		if err != nil {
			return nil, err
		}
		sec.Charts = append(sec.Charts, ch)
		ch, err = LatencyChart(d)
		if err != nil {
			return nil, err
		}
		sec.Charts = append(sec.Charts, ch)
	}
	if len(d.Max) > 0 {
		ch, err := MaxChart(d)
		if err != nil {
			return nil, err
		}
		sec.Charts = append(sec.Charts, ch)
		sec.Tables = append(sec.Tables, MaxTable(d))
	}
	sec.Tables = append(sec.Tables, CurveTable(d))
	return []chart.Section{sec}, nil
}

// seriesStyle gives each curve its system colour and, within a system, a
// distinct dash and glyph.
func seriesStyle(d *Data) map[int]int {
	idx := map[int]int{}
	seen := map[string]int{}
	for i, c := range d.Curves {
		idx[i] = seen[c.System]
		seen[c.System]++
	}
	return idx
}

func systemLabel(d *Data, system string) string {
	if d.Embedded && kafkaBased(system) {
		return system + " (embedded broker)"
	}
	return system
}

func legendLabel(d *Data, c Curve) string {
	if d.Embedded && kafkaBased(c.System) {
		return strings.Replace(c.Label, c.System, c.System+" (embedded)", 1)
	}
	return c.Label
}

// xyErr is a series with vertical error bars from repeat min/max.
type xyErr struct {
	xy     plotter.XYs
	lo, hi []float64
}

func (e xyErr) Len() int                    { return len(e.xy) }
func (e xyErr) XY(i int) (float64, float64) { return e.xy[i].X, e.xy[i].Y }
func (e xyErr) YError(i int) (float64, float64) {
	return e.xy[i].Y - e.lo[i], e.hi[i] - e.xy[i].Y
}

func addSeries(p *plot.Plot, label string, col color.Color, style int, xy plotter.XYs, lo, hi []float64) error {
	l, s, err := plotter.NewLinePoints(xy)
	if err != nil {
		return fmt.Errorf("series %s: %w", label, err)
	}
	l.Color = col
	l.Width = vg.Points(1.5)
	l.Dashes = Dashes(style)
	s.Color = col
	s.Shape = Glyph(style)
	s.Radius = vg.Points(2.5)
	p.Add(l, s)
	p.Legend.Add(label, l, s)
	spread := false
	for i := range xy {
		if hi[i] > lo[i] {
			spread = true
		}
	}
	if spread {
		eb, err := plotter.NewYErrorBars(xyErr{xy: xy, lo: lo, hi: hi})
		if err != nil {
			return fmt.Errorf("error bars %s: %w", label, err)
		}
		eb.Color = col
		eb.CapWidth = vg.Points(4)
		p.Add(eb)
	}
	return nil
}

func addLossMarks(p *plot.Plot, xy plotter.XYs, legend bool) error {
	label := ""
	if legend {
		label = "lost > 0"
	}
	return rplot.AddMarks(p, xy, draw.CrossGlyph{}, vg.Points(5), label)
}

// ThroughputChart draws delivered versus offered throughput per series,
// with the y = x line.
func ThroughputChart(d *Data) (chart.Chart, error) {
	p := NewPlot("Delivered vs offered throughput", "offered rate (events/s)", "delivered per subscriber (events/s)")
	style := seriesStyle(d)
	maxX := 0.0
	var lossy plotter.XYs
	for i, c := range d.Curves {
		xy := make(plotter.XYs, len(c.Points))
		lo, hi := make([]float64, len(c.Points)), make([]float64, len(c.Points))
		for j, pt := range c.Points {
			xy[j] = plotter.XY{X: pt.RatePerS, Y: pt.DeliveredPerS.Mean}
			lo[j], hi[j] = pt.DeliveredPerS.Min, pt.DeliveredPerS.Max
			maxX = math.Max(maxX, math.Max(pt.RatePerS, pt.DeliveredPerS.Max))
			if pt.Lost > 0 {
				lossy = append(lossy, xy[j])
			}
		}
		if err := addSeries(p, legendLabel(d, c), SystemColor(c.System), style[i], xy, lo, hi); err != nil {
			return chart.Chart{}, err
		}
	}
	if maxX > 0 {
		ref, err := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: maxX * 1.05, Y: maxX * 1.05}})
		if err != nil {
			return chart.Chart{}, fmt.Errorf("reference line: %w", err)
		}
		ref.Color = color.Gray{Y: 140}
		ref.Dashes = []vg.Length{vg.Points(3), vg.Points(3)}
		p.Add(ref)
		p.Legend.Add("y = x (keeps up)", ref)
	}
	if err := addLossMarks(p, lossy, true); err != nil {
		return chart.Chart{}, err
	}
	p.X.Min, p.Y.Min = 0, 0
	p.X.Tick.Marker = humanTicks{}
	p.Y.Tick.Marker = humanTicks{}
	return Render(ChartThroughput, "Delivered vs offered throughput", 8*vg.Inch, 5*vg.Inch, [][]*plot.Plot{{p}})
}

// humanTicks is the default linear ticker with compact labels (1.5k, 20k).
type humanTicks struct{}

func (humanTicks) Ticks(min, max float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(min, max)
	for i := range ticks {
		if ticks[i].Label != "" {
			ticks[i].Label = HumanNumber(ticks[i].Value)
		}
	}
	return ticks
}

// LatencyChart draws the worst subscriber's e2e p50 and p99 (ms, log
// scale) versus offered rate, side by side.
func LatencyChart(d *Data) (chart.Chart, error) {
	style := seriesStyle(d)
	var plots []*plot.Plot
	lo, hi := math.Inf(1), 0.0
	for _, q := range []string{"p50", "p99"} {
		p := NewPlot("End-to-end "+q+" (worst subscriber)", "offered rate (events/s)", q+" latency (ms, log scale)")
		var lossy plotter.XYs
		for i, c := range d.Curves {
			xy := make(plotter.XYs, 0, len(c.Points))
			var l, h []float64
			for _, pt := range c.Points {
				st := pt.P50US
				if q == "p99" {
					st = pt.P99US
				}
				if st.Mean <= 0 {
					continue // nothing delivered at this point
				}
				// Clamp at 1 us: a log axis cannot show 0.
				ms := func(us float64) float64 { return math.Max(us, 1) / 1000 }
				xy = append(xy, plotter.XY{X: pt.RatePerS, Y: ms(st.Mean)})
				l = append(l, ms(st.Min))
				h = append(h, ms(st.Max))
				lo = math.Min(lo, ms(st.Min))
				hi = math.Max(hi, ms(st.Max))
				if pt.Lost > 0 {
					lossy = append(lossy, xy[len(xy)-1])
				}
			}
			if len(xy) == 0 {
				continue
			}
			if err := addSeries(p, legendLabel(d, c), SystemColor(c.System), style[i], xy, l, h); err != nil {
				return chart.Chart{}, err
			}
		}
		if err := addLossMarks(p, lossy, q == "p50"); err != nil {
			return chart.Chart{}, err
		}
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = HumanLogTicks{}
		p.X.Min = 0
		p.X.Tick.Marker = humanTicks{}
		plots = append(plots, p)
	}
	if hi <= 0 {
		return chart.Chart{}, fmt.Errorf("latency chart: no point delivered anything")
	}
	// One y range for both tiles so they compare at a glance, snapped to
	// decades so the log axis always has labelled ticks.
	ymin := math.Pow(10, math.Floor(math.Log10(lo)))
	ymax := math.Pow(10, math.Ceil(math.Log10(hi*1.01)))
	for _, p := range plots {
		p.Y.Min, p.Y.Max = ymin, ymax
	}
	plots[1].Legend = plot.NewLegend()
	return Render(ChartLatency, "End-to-end latency vs offered rate (the hockey stick)", 10*vg.Inch, 4.5*vg.Inch, [][]*plot.Plot{plots})
}

// MaxChart draws the maximum sustainable rate versus subscriber count per
// system; searches that reached their limit are marked as lower bounds.
func MaxChart(d *Data) (chart.Chart, error) {
	p := NewPlot("Maximum sustainable rate vs subscribers", "subscribers", "max sustainable rate (events/s)")
	var unbounded, startFailed plotter.XYs
	subsSeen := map[int]bool{}
	slo := ""
	for _, mc := range d.Max {
		xy := make(plotter.XYs, len(mc.Points))
		lo, hi := make([]float64, len(mc.Points)), make([]float64, len(mc.Points))
		for j, pt := range mc.Points {
			xy[j] = plotter.XY{X: float64(pt.Subscribers), Y: pt.RatePerS.Mean}
			lo[j], hi[j] = pt.RatePerS.Min, pt.RatePerS.Max
			subsSeen[pt.Subscribers] = true
			if !pt.Bounded {
				unbounded = append(unbounded, xy[j])
			}
			if pt.Bounded && pt.RatePerS.Max == 0 {
				startFailed = append(startFailed, xy[j])
			}
			if slo == "" {
				slo = pt.SLO
			}
		}
		if err := addSeries(p, systemLabel(d, mc.System), SystemColor(mc.System), 0, xy, lo, hi); err != nil {
			return chart.Chart{}, err
		}
	}
	if err := rplot.AddMarks(p, unbounded, draw.PyramidGlyph{}, vg.Points(5), "limit reached: lower bound"); err != nil {
		return chart.Chart{}, err
	}
	if err := rplot.AddMarks(p, startFailed, draw.RingGlyph{}, vg.Points(6), "first probe failed: maximum is below the start rate"); err != nil {
		return chart.Chart{}, err
	}
	var ticks []plot.Tick
	var subs []int
	for n := range subsSeen {
		subs = append(subs, n)
	}
	sort.Ints(subs)
	for _, n := range subs {
		ticks = append(ticks, plot.Tick{Value: float64(n), Label: strconv.Itoa(n)})
	}
	p.X.Tick.Marker = plot.ConstantTicks(ticks)
	if len(subs) > 0 {
		p.X.Min, p.X.Max = float64(subs[0])-0.5, float64(subs[len(subs)-1])+0.5
	}
	p.Y.Min = 0
	p.Y.Tick.Marker = humanTicks{}
	if slo != "" {
		p.Title.Text += " (SLO " + slo + ")"
	}
	return Render(ChartMax, p.Title.Text, 8*vg.Inch, 5*vg.Inch, [][]*plot.Plot{{p}})
}

// FormatMS formats microseconds as milliseconds with 3 significant digits.
func FormatMS(us float64) string {
	return strconv.FormatFloat(us/1000, 'g', 3, 64) + " ms"
}

func formatRate(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) }

// CurveTable lists every curve point (the chart data, for readers and
// screen readers).
func CurveTable(d *Data) chart.Table {
	t := chart.Table{
		Caption: "Sweep points (repeats averaged; latency = worst subscriber)",
		Header:  []string{"system", "subscribers", "settings", "offered/s", "generator sent/s", "delivered/s per subscriber", "e2e p50", "e2e p99", "lost", "repeats"},
	}
	for _, c := range d.Curves {
		settings := strings.TrimSuffix(paramsKey(c.Params), ",")
		for _, pt := range c.Points {
			del := formatRate(pt.DeliveredPerS.Mean)
			if pt.DeliveredApprox {
				del += " (approx.)"
			}
			t.Rows = append(t.Rows, []string{
				systemLabel(d, c.System), strconv.Itoa(c.Subscribers), settings, formatRate(pt.RatePerS),
				formatRate(pt.GeneratorPerS.Mean), del, FormatMS(pt.P50US.Mean), FormatMS(pt.P99US.Mean),
				strconv.FormatInt(pt.Lost, 10), strconv.Itoa(pt.Repeats),
			})
		}
	}
	return t
}

// MaxTable lists the saturation search results.
func MaxTable(d *Data) chart.Table {
	t := chart.Table{
		Caption: "Maximum sustainable rate (saturation search)",
		Header:  []string{"system", "subscribers", "max sustainable/s", "bound", "probes", "SLO"},
	}
	for _, mc := range d.Max {
		for _, pt := range mc.Points {
			bound := "measured (a higher rate failed)"
			if !pt.Bounded {
				bound = "lower bound (search limit passed)"
			}
			if pt.RatePerS.Mean == 0 && pt.Bounded {
				bound = "start rate already failed"
			}
			rate := formatRate(pt.RatePerS.Mean)
			if pt.RatePerS.Max > pt.RatePerS.Min {
				rate += fmt.Sprintf(" (%s-%s)", formatRate(pt.RatePerS.Min), formatRate(pt.RatePerS.Max))
			}
			t.Rows = append(t.Rows, []string{systemLabel(d, mc.System), strconv.Itoa(pt.Subscribers), rate, bound, strconv.Itoa(pt.Probes), pt.SLO})
		}
	}
	return t
}
