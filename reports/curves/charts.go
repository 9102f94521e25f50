package curves

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

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
	ds, err := ChartData(d)
	if err != nil {
		return nil, err
	}
	for _, cd := range ds {
		ch, err := rplot.Render(cd)
		if err != nil {
			return nil, err
		}
		sec.Charts = append(sec.Charts, ch)
	}
	if len(d.Max) > 0 {
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
	if d.onEmbedded(system) {
		return system + " (embedded broker)"
	}
	return system
}

func legendLabel(d *Data, c Curve) string {
	if d.onEmbedded(c.System) {
		return strings.Replace(c.Label, c.System, c.System+" (embedded)", 1)
	}
	return c.Label
}

// ChartData returns the data of the sweep charts, in report order: the
// throughput and latency curves when some curve has two or more points,
// the saturation chart when the search ran. reports/plot renders them.
func ChartData(d *Data) ([]rplot.Data, error) {
	multi := false
	for _, c := range d.Curves {
		if len(c.Points) >= 2 {
			multi = true
		}
	}
	var out []rplot.Data
	if multi {
		lat, err := LatencyData(d)
		if err != nil {
			return nil, err
		}
		out = append(out, ThroughputData(d), lat)
	}
	if len(d.Max) > 0 {
		out = append(out, MaxData(d))
	}
	return out, nil
}

// lossMarks are the × marks on points that lost events.
func lossMarks(xs, ys []float64, label string) []rplot.Marks {
	if len(xs) == 0 {
		return nil
	}
	return []rplot.Marks{{Label: label, Shape: rplot.MarkCross, Radius: 5, X: xs, Y: ys}}
}

// ThroughputData is delivered versus offered throughput per series, with
// the y = x line.
func ThroughputData(d *Data) rplot.Data {
	out := rplot.Data{
		Order: d.Order,
		Name:  ChartThroughput, Title: "Delivered vs offered throughput", Kind: rplot.KindLines,
		XLabel: "offered rate (events/s)", YLabel: "delivered per subscriber (events/s)",
		XScale: rplot.ScaleLinear, YScale: rplot.ScaleLinear,
		Caption: "A system that keeps up lies on the y = x line; a saturated one flattens at its capacity. " +
			"Bars show the repeats' minimum and maximum; × marks points that lost events.",
		XAxis: &rplot.Axis{Min: new(0.0)}, YAxis: &rplot.Axis{Min: new(0.0)}, Width: 8, Height: 5,
	}
	style := seriesStyle(d)
	maxX := 0.0
	var lx, ly []float64
	for i, c := range d.Curves {
		s := rplot.Series{Label: legendLabel(d, c), System: c.System, Dash: style[i], Markers: true}
		for _, pt := range c.Points {
			s.X = append(s.X, pt.RatePerS)
			s.Y = append(s.Y, pt.DeliveredPerS.Mean)
			s.YLo = append(s.YLo, pt.DeliveredPerS.Min)
			s.YHi = append(s.YHi, pt.DeliveredPerS.Max)
			maxX = math.Max(maxX, math.Max(pt.RatePerS, pt.DeliveredPerS.Max))
			if pt.Lost > 0 {
				lx, ly = append(lx, pt.RatePerS), append(ly, pt.DeliveredPerS.Mean)
			}
		}
		out.Series = append(out.Series, s)
	}
	if maxX > 0 {
		m := maxX * 1.05
		out.Series = append(out.Series, rplot.Series{Label: "y = x (keeps up)", Color: rplot.Palette.Grey, Dash: 1, X: []float64{0, m}, Y: []float64{0, m}})
	}
	out.Marks = lossMarks(lx, ly, "lost > 0")
	return out
}

// LatencyData is the worst subscriber's e2e p50 and p99 (ms, log scale)
// versus offered rate, side by side on one y range.
func LatencyData(d *Data) (rplot.Data, error) {
	out := rplot.Data{
		Order: d.Order,
		Name:  ChartLatency, Title: "End-to-end latency vs offered rate (the hockey stick)", Kind: rplot.KindTiles,
		Caption: "The worst subscriber's end-to-end p50 (left) and p99 (right) at each offered rate, log scale; " +
			"a curve that turns up sharply marks saturation. Bars show the repeats' minimum and maximum; " +
			"× marks points that lost events (their latencies describe only the events that arrived).",
		Columns: 2, Width: 10, Height: 4.5,
	}
	style := seriesStyle(d)
	lo, hi := math.Inf(1), 0.0
	// Clamp at 1 us: a log axis cannot show 0.
	ms := func(us float64) float64 { return math.Max(us, 1) / 1000 }
	for _, q := range []string{"p50", "p99"} {
		t := rplot.Data{Title: "End-to-end " + q + " (worst subscriber)", Kind: rplot.KindLines,
			XLabel: "offered rate (events/s)", YLabel: q + " latency (ms, log scale)",
			XScale: rplot.ScaleLinear, YScale: rplot.ScaleLog, XAxis: &rplot.Axis{Min: new(0.0)}}
		var lx, ly []float64
		for i, c := range d.Curves {
			s := rplot.Series{Label: legendLabel(d, c), System: c.System, Dash: style[i], Markers: true}
			for _, pt := range c.Points {
				st := pt.P50US
				if q == "p99" {
					st = pt.P99US
				}
				if st.Mean <= 0 {
					continue // nothing delivered at this point
				}
				s.X = append(s.X, pt.RatePerS)
				s.Y = append(s.Y, ms(st.Mean))
				s.YLo = append(s.YLo, ms(st.Min))
				s.YHi = append(s.YHi, ms(st.Max))
				lo, hi = math.Min(lo, ms(st.Min)), math.Max(hi, ms(st.Max))
				if pt.Lost > 0 {
					lx, ly = append(lx, pt.RatePerS), append(ly, ms(st.Mean))
				}
			}
			if len(s.X) > 0 {
				t.Series = append(t.Series, s)
			}
		}
		t.Marks = lossMarks(lx, ly, "lost > 0")
		out.Tiles = append(out.Tiles, t)
	}
	if hi <= 0 {
		return rplot.Data{}, fmt.Errorf("latency chart: no point delivered anything")
	}
	// One y range for both tiles so they compare at a glance, snapped to
	// decades so the log axis always has labelled ticks.
	ymin := math.Pow(10, math.Floor(math.Log10(lo)))
	ymax := math.Pow(10, math.Ceil(math.Log10(hi*1.01)))
	for i := range out.Tiles {
		out.Tiles[i].YAxis = &rplot.Axis{Min: new(ymin), Max: new(ymax)}
	}
	return out, nil
}

// MaxData is the maximum sustainable rate versus subscriber count per
// system; searches that reached their limit are marked as lower bounds.
func MaxData(d *Data) rplot.Data {
	out := rplot.Data{
		Order: d.Order,
		Name:  ChartMax, Title: "Maximum sustainable rate vs subscribers", Kind: rplot.KindLines,
		XLabel: "subscribers", YLabel: "max sustainable rate (events/s)",
		XScale: rplot.ScaleLinear, YScale: rplot.ScaleLinear,
		Caption: "The highest rate at which every subscriber met the SLO, from the saturation search; " +
			"bars show the repeats' minimum and maximum.",
		YAxis: &rplot.Axis{Min: new(0.0)}, Width: 8, Height: 5,
	}
	var ux, uy, fx, fy []float64
	subsSeen := map[int]bool{}
	slo := ""
	for _, mc := range d.Max {
		s := rplot.Series{Label: systemLabel(d, mc.System), System: mc.System, Markers: true}
		for _, pt := range mc.Points {
			x := float64(pt.Subscribers)
			s.X, s.Y = append(s.X, x), append(s.Y, pt.RatePerS.Mean)
			s.YLo, s.YHi = append(s.YLo, pt.RatePerS.Min), append(s.YHi, pt.RatePerS.Max)
			subsSeen[pt.Subscribers] = true
			if !pt.Bounded {
				ux, uy = append(ux, x), append(uy, pt.RatePerS.Mean)
			}
			if pt.Bounded && pt.RatePerS.Max == 0 {
				fx, fy = append(fx, x), append(fy, pt.RatePerS.Mean)
			}
			if slo == "" {
				slo = pt.SLO
			}
		}
		out.Series = append(out.Series, s)
	}
	if len(ux) > 0 {
		out.Marks = append(out.Marks, rplot.Marks{Label: "limit reached: lower bound", Shape: rplot.MarkPyramid, Radius: 5, X: ux, Y: uy})
	}
	if len(fx) > 0 {
		out.Marks = append(out.Marks, rplot.Marks{Label: "first probe failed: maximum is below the start rate", Shape: rplot.MarkRing, Radius: 6, X: fx, Y: fy})
	}
	var subs []int
	for n := range subsSeen {
		subs = append(subs, n)
	}
	sort.Ints(subs)
	out.XAxis = &rplot.Axis{}
	for _, n := range subs {
		out.XAxis.Ticks = append(out.XAxis.Ticks, rplot.Tick{Value: float64(n), Label: strconv.Itoa(n)})
	}
	if len(subs) > 0 {
		out.XAxis.Min, out.XAxis.Max = new(float64(subs[0])-0.5), new(float64(subs[len(subs)-1])+0.5)
	}
	if slo != "" {
		out.Title += " (SLO " + slo + ")"
	}
	return out
}

// ThroughputChart renders ThroughputData.
func ThroughputChart(d *Data) (chart.Chart, error) { return rplot.Render(ThroughputData(d)) }

// LatencyChart renders LatencyData.
func LatencyChart(d *Data) (chart.Chart, error) {
	ld, err := LatencyData(d)
	if err != nil {
		return chart.Chart{}, err
	}
	return rplot.Render(ld)
}

// MaxChart renders MaxData.
func MaxChart(d *Data) (chart.Chart, error) { return rplot.Render(MaxData(d)) }

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
