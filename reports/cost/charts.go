package cost

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/evbench/evbench/reports/chart"
	"github.com/evbench/evbench/reports/curves"
	rplot "github.com/evbench/evbench/reports/plot"
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

// linePalette colours cost lines by side: greens for the sender, blues,
// oranges and reds for the transport, purples for the subscriber, grey
// for the common part.
var linePalette = map[string]color.RGBA{
	CompPublish:     {0x1b, 0x9e, 0x77, 0xff},
	CompProduce:     {0x1b, 0x9e, 0x77, 0xff},
	CompIngress:     {0x66, 0xc2, 0xa5, 0xff},
	CompDispatch:    {0x1f, 0x77, 0xb4, 0xff},
	CompNetwork:     {0x6b, 0xae, 0xd6, 0xff},
	CompRetries:     {0xd6, 0x27, 0x28, 0xff},
	CompConnections: {0xff, 0x7f, 0x0e, 0xff},
	CompTLS:         {0xfd, 0xae, 0x6b, 0xff},
	CompDeadLetters: {0x8c, 0x56, 0x4b, 0xff},
	CompEndpoints:   {0xbc, 0xbd, 0x22, 0xff},
	CompPlatform:    {0x17, 0xbe, 0xcf, 0xff},
	CompCluster:     {0x39, 0x3b, 0x79, 0xff},
	CompPartitions:  {0xbc, 0xbd, 0x22, 0xff},
	CompStorage:     {0x8c, 0x56, 0x4b, 0xff},
	CompManagedData: {0x17, 0xbe, 0xcf, 0xff},
	CompLag:         {0xff, 0x7f, 0x0e, 0xff},
	CompConsume:     {0x94, 0x67, 0xbd, 0xff},
	CompTLSAccept:   {0xc5, 0xb0, 0xd5, 0xff},
	CompProcessing:  {0xbb, 0xbb, 0xbb, 0xff},
}

// dashedVLine is a vertical dashed line at x over [ylo, yhi].
func dashedVLine(x, ylo, yhi float64) (*plotter.Line, error) {
	l, err := plotter.NewLine(plotter.XYs{{X: x, Y: ylo}, {X: x, Y: yhi}})
	if err != nil {
		return nil, fmt.Errorf("measured-range line: %w", err)
	}
	l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	l.Width = vg.Points(1)
	return l, nil
}

// CompositionChart draws, for each system at n subscribers, the share of
// its monthly cost taken by each line (stacked, bottom to top: sender,
// transport, subscriber, common) along events/hour; the run's measured
// rate range is marked with dashed lines, beyond which the shares are
// extrapolated (hatched lighter).
func CompositionChart(m *Model, n int) (chart.Chart, error) {
	systems := m.Systems()
	xlo, xhi, _, _, measured := m.MeasuredRange()
	var plots []*plot.Plot
	const samples = 160
	xs := make([]float64, samples)
	for i := range xs {
		xs[i] = MinEventsPerHour * math.Pow(MaxEventsPerHour/MinEventsPerHour, float64(i)/float64(samples-1))
	}
	for _, s := range systems {
		comps, err := m.Components(s, n)
		if err != nil {
			return chart.Chart{}, err
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
		p := curves.NewPlot(fmt.Sprintf("%s, %d subscribers", displayName(m, s), n), "events per hour (log)", "share of monthly cost")
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
				var poly plotter.XYs
				for i := range xs {
					poly = append(poly, plotter.XY{X: xs[i], Y: upper[i]})
				}
				for i := samples - 1; i >= 0; i-- {
					poly = append(poly, plotter.XY{X: xs[i], Y: lower[i]})
				}
				pg, err := plotter.NewPolygon(poly)
				if err != nil {
					return chart.Chart{}, fmt.Errorf("composition %s %s: %w", s, c.Name, err)
				}
				col, ok := linePalette[c.Name]
				if !ok {
					col = color.RGBA{0x80, 0x80, 0x80, 0xff}
				}
				pg.Color = col
				pg.LineStyle.Width = 0
				pg.LineStyle.Color = color.Transparent
				p.Add(pg)
				label := c.Side + ": " + c.Name
				if c.Common {
					label = "common: " + c.Name
				}
				p.Legend.Add(label, pg)
			}
			lower = upper
		}
		if measured {
			// Beyond the measured range: a light veil (extrapolation),
			// bounded by dashed lines.
			veil := cellGrid{xmin: MinEventsPerHour, xmax: MaxEventsPerHour, ymin: 0, ymax: 1}
			white := color.NRGBA{0xff, 0xff, 0xff, 0x99}
			if xlo > MinEventsPerHour {
				veil.cells = append(veil.cells, gridCell{x0: MinEventsPerHour, x1: xlo, y0: 0, y1: 1, c: white})

			}
			if xhi < MaxEventsPerHour {
				veil.cells = append(veil.cells, gridCell{x0: xhi, x1: MaxEventsPerHour, y0: 0, y1: 1, c: white})

			}
			p.Add(veil)
			for i, x := range []float64{xlo, xhi} {
				l, err := dashedVLine(x, 0, 1)
				if err != nil {
					return chart.Chart{}, err
				}
				p.Add(l)
				if i == 0 {
					p.Legend.Add("measured range (outside: extrapolated)", l)
				}
			}
		}
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = curves.HumanLogTicks{}
		p.X.Min, p.X.Max = MinEventsPerHour, MaxEventsPerHour
		// The space above 100% holds the legend, clear of the bands.
		p.Y.Min, p.Y.Max = 0, 1.9
		p.Y.Tick.Marker = plot.ConstantTicks([]plot.Tick{{Value: 0, Label: "0%"}, {Value: 0.25, Label: "25%"}, {Value: 0.5, Label: "50%"}, {Value: 0.75, Label: "75%"}, {Value: 1, Label: "100%"}})
		p.Legend.Top, p.Legend.Left = true, false
		plots = append(plots, p)
	}
	var rows [][]*plot.Plot
	for _, p := range plots {
		rows = append(rows, []*plot.Plot{p})
	}
	title := fmt.Sprintf("What each design's monthly cost is made of, profile %s", m.Profile.Label())
	return curves.Render("cost-composition-"+m.Profile.Name, title, 10*vg.Inch, vg.Length(3.4*float64(len(rows)))*vg.Inch, rows)
}

// addMeasured marks the run's measured points on a break-even map and
// outlines the measured region dashed: everything outside it is
// extrapolation.
func (m *Model) addMeasured(p *plot.Plot) error {
	xlo, xhi, nlo, nhi, ok := m.MeasuredRange()
	if !ok {
		return nil
	}
	var pts plotter.XYs
	seen := map[[2]float64]bool{}
	for _, u := range m.Usage {
		for _, mp := range u.Measured {
			k := [2]float64{math.Round(mp.EventsPerHour), float64(mp.Subscribers)}
			if !seen[k] && mp.EventsPerHour > 0 {
				seen[k] = true
				pts = append(pts, plotter.XY{X: mp.EventsPerHour, Y: float64(mp.Subscribers)})
			}
		}
	}
	if err := rplot.AddMarks(p, pts, draw.CrossGlyph{}, vg.Points(4), "measured point"); err != nil {
		return err
	}
	box, err := plotter.NewLine(plotter.XYs{
		{X: xlo, Y: float64(nlo) - 0.5}, {X: xhi, Y: float64(nlo) - 0.5},
		{X: xhi, Y: float64(nhi) + 0.5}, {X: xlo, Y: float64(nhi) + 0.5}, {X: xlo, Y: float64(nlo) - 0.5},
	})
	if err != nil {
		return fmt.Errorf("measured region: %w", err)
	}
	box.Dashes = []vg.Length{vg.Points(2), vg.Points(2)}
	box.Width = vg.Points(1.5)
	box.Color = color.RGBA{0x20, 0x20, 0x20, 0xff}
	p.Add(box)
	p.Legend.Add("measured region (outside: extrapolated)", box)
	return nil
}

// ProfileCharts returns a model's charts: total cost curves, the stacked
// cost composition per design and the break-even map.
func ProfileCharts(m *Model) ([]chart.Chart, error) {
	var out []chart.Chart
	c, err := CurvesChart(m, ReportSubscribers)
	if err != nil {
		return nil, err
	}
	out = append(out, c)
	if c, err = CompositionChart(m, claimSubscribers); err != nil {
		return nil, err
	}
	out = append(out, c)
	if c, err = MapChart(m, MapSubscribers); err != nil {
		return nil, err
	}
	return append(out, c), nil
}
