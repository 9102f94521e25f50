package cost

import (
	"fmt"
	"math"
	"strconv"

	"github.com/evbench/evbench/reports/chart"
	rplot "github.com/evbench/evbench/reports/plot"
	"github.com/evbench/evbench/reports/results"
)

// MeasuredRange is the smallest and largest event rate (events/hour) and
// subscriber count the run measured, over all systems; ok is false when
// nothing was measured (hand-made usage).
func (m *Model) MeasuredRange() (xlo, xhi float64, nlo, nhi int, ok bool) {
	xlo, xhi, nlo, nhi = math.Inf(1), 0, math.MaxInt, 0
	for _, u := range m.Usage {
		for _, p := range u.Measured {
			if p.EventsPerHour <= 0 {
				continue
			}
			ok = true
			xlo, xhi = math.Min(xlo, p.EventsPerHour), math.Max(xhi, p.EventsPerHour)
			nlo, nhi = min(nlo, p.Subscribers), max(nhi, p.Subscribers)
		}
	}
	return xlo, xhi, nlo, nhi, ok
}

// componentColors colour cost lines from the one chart palette
// (reports/plot.Palette) by side: greens for the sender; blues, oranges,
// yellow and purple for the transport; light vermilion and purple for the
// subscriber; grey for the common part.
var componentColors = map[string]string{
	CompPublish:     rplot.Palette.Green,
	CompProduce:     rplot.Palette.Green,
	CompIngress:     rplot.Lighten(rplot.Palette.Green, 0.45),
	CompDispatch:    rplot.Palette.Blue,
	CompNetwork:     rplot.Palette.Sky,
	CompRetries:     rplot.Palette.Vermilion,
	CompConnections: rplot.Palette.Orange,
	CompTLS:         rplot.Lighten(rplot.Palette.Orange, 0.45),
	CompDeadLetters: rplot.Palette.Purple,
	CompEndpoints:   rplot.Palette.Yellow,
	CompPlatform:    rplot.Lighten(rplot.Palette.Sky, 0.45),
	CompCluster:     rplot.Palette.Blue,
	CompPartitions:  rplot.Palette.Yellow,
	CompStorage:     rplot.Palette.Purple,
	CompManagedData: rplot.Lighten(rplot.Palette.Blue, 0.5),
	CompLag:         rplot.Palette.Orange,
	CompConsume:     rplot.Lighten(rplot.Palette.Vermilion, 0.45),
	CompTLSAccept:   rplot.Lighten(rplot.Palette.Purple, 0.55),
	CompProcessing:  rplot.Palette.Grey,
}

// sig rounds to 6 significant digits: the charts' data is compared with
// golden files, and the last bits of a float would make them fragile.
func sig(v float64) float64 {
	if v == 0 || math.IsInf(v, 0) || math.IsNaN(v) {
		return v
	}
	m := math.Pow(10, 6-math.Ceil(math.Log10(math.Abs(v))))
	return math.Round(v*m) / m
}

func sigs(vs []float64) []float64 {
	out := make([]float64, len(vs))
	for i, v := range vs {
		out[i] = sig(v)
	}
	return out
}

// chartRate writes events/hour in the charts' number format (plot.Human,
// as on their axes); tables use Rate.
func chartRate(x float64) string { return rplot.Human(sig(x)) + "/h" }

// eventsAxis is the x axis of every cost chart: events/hour, 100 to 1G.
func eventsAxis() *rplot.Axis {
	return &rplot.Axis{Min: new(float64(MinEventsPerHour)), Max: new(float64(MaxEventsPerHour))}
}

// countTicks labels whole counts 1..n (or the values given).
func countTicks(vals ...int) []rplot.Tick {
	var ts []rplot.Tick
	for _, v := range vals {
		ts = append(ts, rplot.Tick{Value: float64(v), Label: strconv.Itoa(v)})
	}
	return ts
}

// CurvesData is monthly cost against events/hour (log-log, 100 to 1G) for
// each subscriber count in subs (one tile each), with the webhook
// break-even points marked; dashed beyond the measured range.
func CurvesData(m *Model, subs []int) (rplot.Data, error) {
	systems := m.Systems()
	xlo, xhi, nlo, nhi, measured := m.MeasuredRange()
	out := rplot.Data{
		Order: m.order(),
		Name:  "cost-curves-" + m.Profile.Name, Kind: rplot.KindTiles, Columns: 2,
		Title: fmt.Sprintf("Monthly cost vs events per hour, profile %s", m.Profile.Label()),
		Caption: "Each design's monthly cost from the measured CPU and bytes and the profile's prices; " +
			"circles mark where webhooks and a Kafka-based design cost the same. Dashed: beyond the rates " +
			"and subscriber counts the run measured (extrapolated).",
		Width: 10, Height: 3.6 * float64((len(subs)+1)/2),
	}
	ymin, ymax := math.Inf(1), 0.0
	for _, n := range subs {
		title := fmt.Sprintf("%d subscriber", n)
		if n != 1 {
			title += "s"
		}
		t := rplot.Data{Title: title, Kind: rplot.KindLines, XLabel: "events per hour (log)",
			YLabel: fmt.Sprintf("%s per month (log)", m.Profile.Currency),
			XScale: rplot.ScaleLog, YScale: rplot.ScaleLog, XAxis: eventsAxis()}
		for _, s := range systems {
			f, err := m.Curve(s, n)
			if err != nil {
				return rplot.Data{}, err
			}
			xs, ys := f.Points(MinEventsPerHour, MaxEventsPerHour, 300)
			for i := range xs {
				ymin, ymax = math.Min(ymin, ys[i]), math.Max(ymax, ys[i])
			}
			// Solid within the measured rates, dashed beyond them
			// (extrapolation); all solid when nothing was measured.
			tlo, thi := xlo, xhi
			if n < nlo || n > nhi {
				// A subscriber count the run did not measure:
				// the whole curve is extrapolated.
				tlo, thi = math.Inf(1), math.Inf(1)
			}
			for _, seg := range splitMeasured(xs, ys, tlo, thi, measured) {
				if len(seg.x) < 2 {
					continue
				}
				sr := rplot.Series{System: s, X: sigs(seg.x), Y: sigs(seg.y)}
				if seg.extrapolated {
					sr.Dash = 1
				} else {
					sr.Label = displayName(m, s)
				}
				t.Series = append(t.Series, sr)
			}
		}
		// Break-even markers (the push-family system, webhook, against
		// each other system; the first three, not every step of a large
		// cluster). Only those against the log-family system (kafka) are
		// labelled, so labels do not collide.
		push, hasPush := m.First(results.FamilyPush)
		log, _ := m.First(results.FamilyLog)
		for _, s := range systems {
			if !hasPush || s == push {
				continue
			}
			pts, _, err := m.BreakEvenPoints(push, s, n)
			if err != nil {
				return rplot.Data{}, err
			}
			mk := rplot.Marks{Label: push + " = " + s, Shape: rplot.MarkRing, Radius: 4}
			if s != log {
				mk.System = s
			}
			for k, pt := range pts {
				if k >= 3 {
					break
				}
				b, err := m.Cost(push, pt.EventsPerHour, n)
				if err != nil {
					return rplot.Data{}, err
				}
				mk.X, mk.Y = append(mk.X, sig(pt.EventsPerHour)), append(mk.Y, sig(b.Total))
				if s == log {
					mk.Text = append(mk.Text, chartRate(pt.EventsPerHour))
				}
			}
			if len(mk.X) > 0 {
				t.Marks = append(t.Marks, mk)
			}
		}
		if measured {
			t.Series = append(t.Series, rplot.Series{Dash: 1,
				Label: fmt.Sprintf("dashed: extrapolated (measured %s..%s)", chartRate(xlo), chartRate(xhi))})
		}
		out.Tiles = append(out.Tiles, t)
	}
	if !(ymin > 0) {
		ymin = 0.01
	}
	lo := math.Pow(10, math.Floor(math.Log10(ymin)))
	hi := math.Pow(10, math.Ceil(math.Log10(ymax*1.01)))
	for i := range out.Tiles {
		out.Tiles[i].YAxis = &rplot.Axis{Min: new(lo), Max: new(hi)}
	}
	return out, nil
}

type curveSegment struct {
	x, y         []float64
	extrapolated bool
}

// splitMeasured cuts a curve into runs inside [xlo, xhi] (measured) and
// outside it (extrapolated); neighbouring runs share their end point so
// the line stays continuous.
func splitMeasured(xs, ys []float64, xlo, xhi float64, measured bool) []curveSegment {
	var out []curveSegment
	for i := range xs {
		ex := measured && (xs[i] < xlo*(1-1e-9) || xs[i] > xhi*(1+1e-9))
		if len(out) == 0 || out[len(out)-1].extrapolated != ex {
			seg := curveSegment{extrapolated: ex}
			if len(out) > 0 {
				prev := out[len(out)-1]
				seg.x, seg.y = append(seg.x, prev.x[len(prev.x)-1]), append(seg.y, prev.y[len(prev.y)-1])
			}
			out = append(out, seg)
		}
		last := &out[len(out)-1]
		last.x, last.y = append(last.x, xs[i]), append(last.y, ys[i])
	}
	return out
}

// CompositionData is, for each system at n subscribers, the share of its
// monthly cost taken by each line (stacked, bottom to top: sender,
// transport, subscriber, common) along events/hour; outside the run's
// measured rate range (dashed lines) the shares are extrapolated and veiled.
func CompositionData(m *Model, n int) (rplot.Data, error) {
	systems := m.Systems()
	xlo, xhi, _, _, measured := m.MeasuredRange()
	out := rplot.Data{
		Order: m.order(),
		Name:  "cost-composition-" + m.Profile.Name, Kind: rplot.KindTiles, Columns: 1,
		Title: fmt.Sprintf("What each design's monthly cost is made of, profile %s", m.Profile.Label()),
		Caption: "The share of each design's monthly cost taken by each cost line, stacked from the sender " +
			"(bottom) through the transport and the subscribers to the common part (top).",
		Width: 10, Height: 3.4 * float64(len(systems)),
	}
	const samples = 160
	xs := make([]float64, samples)
	for i := range xs {
		xs[i] = sig(MinEventsPerHour * math.Pow(MaxEventsPerHour/MinEventsPerHour, float64(i)/float64(samples-1)))
	}
	percent := []rplot.Tick{{Value: 0, Label: "0%"}, {Value: 0.25, Label: "25%"}, {Value: 0.5, Label: "50%"}, {Value: 0.75, Label: "75%"}, {Value: 1, Label: "100%"}}
	for _, s := range systems {
		comps, err := m.Components(s, n)
		if err != nil {
			return rplot.Data{}, err
		}
		// Order: sender, transport, subscriber, common.
		rank := func(c Component) int {
			switch {
			case c.Common:
				return 3
			case c.Side == SideSender:
				return 0
			case c.Side == SideTransport:
				return 1
			}
			return 2
		}
		var ordered []Component
		for r := 0; r < 4; r++ {
			for _, c := range comps {
				if rank(c) == r {
					ordered = append(ordered, c)
				}
			}
		}
		t := rplot.Data{Title: fmt.Sprintf("%s, %d subscribers", displayName(m, s), n), Kind: rplot.KindLines,
			XLabel: "events per hour (log)", YLabel: "share of monthly cost", XScale: rplot.ScaleLog, YScale: rplot.ScaleLinear,
			XAxis: eventsAxis(), YAxis: &rplot.Axis{Min: new(0.0), Max: new(1.0), Ticks: percent}}
		totals := make([]float64, samples)
		for i, x := range xs {
			for _, c := range ordered {
				totals[i] += c.F.Eval(x)
			}
		}
		lower := make([]float64, samples)
		for _, c := range ordered {
			upper := make([]float64, samples)
			var maxShare float64
			for i, x := range xs {
				share := 0.0
				if totals[i] > 0 {
					share = c.F.Eval(x) / totals[i]
				}
				upper[i] = lower[i] + share
				maxShare = math.Max(maxShare, share)
			}
			if maxShare > 0.001 {
				a := rplot.Area{Label: c.Side + ": " + c.Name, Color: componentColors[c.Name]}
				if c.Common {
					a.Label = "common: " + c.Name
				}
				if a.Color == "" {
					a.Color = rplot.Palette.Grey
				}
				for i := range xs {
					a.X, a.Y = append(a.X, xs[i]), append(a.Y, sig(upper[i]))
				}
				for i := samples - 1; i >= 0; i-- {
					a.X, a.Y = append(a.X, xs[i]), append(a.Y, sig(lower[i]))
				}
				t.Areas = append(t.Areas, a)
			}
			lower = upper
		}
		if measured {
			// Beyond the measured range: a light veil (extrapolation),
			// bounded by dashed lines.
			veil := rplot.Area{Color: "#FFFFFF99"}
			if xlo > MinEventsPerHour {
				veil.Rects = append(veil.Rects, [4]float64{MinEventsPerHour, sig(xlo), 0, 1})
			}
			if xhi < MaxEventsPerHour {
				veil.Rects = append(veil.Rects, [4]float64{sig(xhi), MaxEventsPerHour, 0, 1})
			}
			t.Areas = append(t.Areas, veil)
			for i, x := range []float64{sig(xlo), sig(xhi)} {
				sr := rplot.Series{Color: rplot.Palette.Black, Dash: 1, X: []float64{x, x}, Y: []float64{0, 1}}
				if i == 0 {
					sr.Label = "measured range (outside: extrapolated)"
				}
				t.Series = append(t.Series, sr)
			}
		}
		out.Tiles = append(out.Tiles, t)
	}
	return out, nil
}

// MapData is which design is cheapest over events/hour (log, 100 to 1G)
// and 1..maxSubs subscribers, with the exact webhook-vs-Kafka break-even
// points, the measured region and the claim's region outlined.
func MapData(m *Model, maxSubs int) (rplot.Data, error) {
	out := rplot.Data{
		Order: m.order(),
		Name:  "cost-breakeven-map-" + m.Profile.Name, Kind: rplot.KindLines,
		Title:  fmt.Sprintf("Cheapest design, profile %s", m.Profile.Label()),
		XLabel: "events per hour (log)", YLabel: "subscribers", XScale: rplot.ScaleLog, YScale: rplot.ScaleLinear,
		Caption: "Each cell is coloured by the cheapest design at that rate and subscriber count; outside " +
			"the dashed measured region the model extrapolates.",
		XAxis: eventsAxis(), Width: 9, Height: 5,
	}
	const perDecade = 12
	decades := math.Log10(MaxEventsPerHour / MinEventsPerHour)
	steps := int(decades * perDecade)
	areas := map[string]*rplot.Area{}
	for n := 1; n <= maxSubs; n++ {
		// Runs of the same cheapest design become one rectangle, so no
		// anti-aliasing seams show between cells.
		runStart, runSys := 0.0, ""
		flush := func(end float64) {
			if runSys != "" {
				areas[runSys].Rects = append(areas[runSys].Rects, [4]float64{sig(runStart), sig(end), float64(n) - 0.5, float64(n) + 0.5})
			}
		}
		for k := 0; k < steps; k++ {
			x0 := MinEventsPerHour * math.Pow(10, float64(k)/perDecade)
			x1 := MinEventsPerHour * math.Pow(10, float64(k+1)/perDecade)
			best, err := m.Cheapest(math.Sqrt(x0*x1), n)
			if err != nil {
				return rplot.Data{}, err
			}
			if areas[best] == nil {
				areas[best] = &rplot.Area{Label: displayName(m, best) + " cheapest", Color: rplot.Lighten(rplot.SystemColorHexIn(m.order(), best), 0.35)}
			}
			if best != runSys {
				flush(x0)
				runStart, runSys = x0, best
			}
		}
		flush(MaxEventsPerHour)
	}
	for _, s := range m.Systems() {
		if a := areas[s]; a != nil {
			out.Areas = append(out.Areas, *a)
		}
	}
	push, hasPush := m.First(results.FamilyPush)
	if log, ok := m.First(results.FamilyLog); ok && hasPush {
		mk := rplot.Marks{Label: push + " = " + log + " (exact)", Shape: rplot.MarkCircle, Radius: 2.5}
		for n := 1; n <= maxSubs; n++ {
			pts, _, err := m.BreakEvenPoints(push, log, n)
			if err != nil {
				return rplot.Data{}, err
			}
			for k, pt := range pts {
				if k >= 3 {
					break
				}
				mk.X, mk.Y = append(mk.X, sig(pt.EventsPerHour)), append(mk.Y, float64(n))
			}
		}
		if len(mk.X) > 0 {
			out.Marks = append(out.Marks, mk)
		}
	}
	if xlo, xhi, nlo, nhi, ok := m.MeasuredRange(); ok {
		mk := rplot.Marks{Label: "measured point", Shape: rplot.MarkCross, Radius: 4}
		seen := map[[2]float64]bool{}
		for _, s := range m.Systems() {
			for _, mp := range m.Usage[s].Measured {
				k := [2]float64{math.Round(mp.EventsPerHour), float64(mp.Subscribers)}
				if !seen[k] && mp.EventsPerHour > 0 {
					seen[k] = true
					mk.X, mk.Y = append(mk.X, sig(mp.EventsPerHour)), append(mk.Y, float64(mp.Subscribers))
				}
			}
		}
		out.Marks = append(out.Marks, mk)
		y0, y1 := float64(nlo)-0.5, float64(nhi)+0.5
		out.Series = append(out.Series, rplot.Series{Label: "measured region (outside: extrapolated)", Color: "#202020", Dash: 2,
			X: sigs([]float64{xlo, xhi, xhi, xlo, xlo}), Y: []float64{y0, y0, y1, y1, y0}})
	}
	// The claim's region, outlined.
	y0, y1 := float64(claimSubscribers)-0.5, float64(maxSubs)+0.5
	out.Series = append(out.Series, rplot.Series{Label: "claimed break-even region", Color: rplot.Palette.Black, Dash: 1,
		X: []float64{claimRates[0], claimRates[1], claimRates[1], claimRates[0], claimRates[0]}, Y: []float64{y0, y0, y1, y1, y0}})
	var subs []int
	for n := 1; n <= maxSubs; n++ {
		subs = append(subs, n)
	}
	out.YAxis = &rplot.Axis{Min: new(0.5), Max: new(float64(maxSubs) + 0.5), Ticks: countTicks(subs...)}
	return out, nil
}

// TornadoData is the break-even at each end of each key's range as bars
// around the base break-even (log events/hour), largest swing on top; a
// break-even outside 100..1G is drawn at that edge.
func (s *Sensitivity) TornadoData(maxKeys int) rplot.Data {
	eff := s.Effects
	if len(eff) > maxKeys {
		eff = eff[:maxKeys]
	}
	out := rplot.Data{
		Name:   "cost-tornado-" + s.Profile.Name,
		Title:  fmt.Sprintf("What moves the break-even (webhook vs %s, %d subscribers), profile %s", s.Other, s.Subscribers, s.Profile.Label()),
		Kind:   rplot.KindLines,
		XLabel: "break-even, events per hour (log; edges = no crossing in range)", XScale: rplot.ScaleLog, YScale: rplot.ScaleLinear,
		Caption: "How far the break-even moves when one price or measured figure goes to the low or high " +
			"end of its range, the others held at the profile's values.",
		XAxis: eventsAxis(), Width: 10, Height: 1.5 + 0.35*float64(len(eff)),
	}
	lo := rplot.Area{Label: "low end", Color: rplot.Palette.Blue}
	hi := rplot.Area{Label: "high end", Color: rplot.Palette.Orange}
	var ticks []rplot.Tick
	for i, e := range eff {
		y := float64(len(eff) - i)
		for _, end := range []struct {
			x float64
			a *rplot.Area
		}{{e.EdgeLo, &lo}, {e.EdgeHi, &hi}} {
			x0, x1 := math.Min(s.BaseEdge, end.x), math.Max(s.BaseEdge, end.x)
			if x1/x0 < 1.02 { // visible even when it moves nothing
				x0, x1 = x0/1.02, x1*1.02
			}
			end.a.Rects = append(end.a.Rects, [4]float64{sig(x0), sig(x1), y - 0.35, y + 0.35})
		}
		ticks = append(ticks, rplot.Tick{Value: y, Label: fmt.Sprintf("%s %g..%g", e.Key, e.Lo, e.Hi)})
	}
	out.Areas = []rplot.Area{lo, hi}
	out.Series = []rplot.Series{{Label: "base: " + beString(s.Base), Color: rplot.Palette.Black, Dash: 1,
		X: []float64{sig(s.BaseEdge), sig(s.BaseEdge)}, Y: []float64{0.5, float64(len(eff)) + 0.5}}}
	out.YAxis = &rplot.Axis{Min: new(0.5), Max: new(float64(len(eff)) + 0.5), Ticks: ticks}
	return out
}

// TornadoChart renders TornadoData.
func (s *Sensitivity) TornadoChart(maxKeys int) (chart.Chart, error) {
	return rplot.Render(s.TornadoData(maxKeys))
}

// ProfileChartData returns the data of a model's charts: total cost
// curves, the stacked cost composition per design and the break-even map.
func ProfileChartData(m *Model) ([]rplot.Data, error) {
	c, err := CurvesData(m, ReportSubscribers)
	if err != nil {
		return nil, err
	}
	comp, err := CompositionData(m, claimSubscribers)
	if err != nil {
		return nil, err
	}
	mp, err := MapData(m, MapSubscribers)
	if err != nil {
		return nil, err
	}
	return []rplot.Data{c, comp, mp}, nil
}

// ProfileCharts renders ProfileChartData.
func ProfileCharts(m *Model) ([]chart.Chart, error) {
	ds, err := ProfileChartData(m)
	if err != nil {
		return nil, err
	}
	return renderAll(ds)
}

// MapChart renders MapData.
func MapChart(m *Model, maxSubs int) (chart.Chart, error) {
	d, err := MapData(m, maxSubs)
	if err != nil {
		return chart.Chart{}, err
	}
	return rplot.Render(d)
}

func renderAll(ds []rplot.Data) ([]chart.Chart, error) {
	out := make([]chart.Chart, 0, len(ds))
	for _, d := range ds {
		c, err := rplot.Render(d)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}
