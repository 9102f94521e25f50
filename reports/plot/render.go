package plot

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"regexp"

	"github.com/evbench/evbench/reports/chart"
	"github.com/evbench/evbench/reports/results"
	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Sizes of rendered charts. PNGs are drawn at 2x (144 dpi) so they stay
// sharp on high-density screens and in slides.
const (
	Width      = 10 * vg.Inch
	LineHeight = 4.6 * vg.Inch
	BarsHeight = 6.4 * vg.Inch
	DPI        = 144
)

// Charts extracts and renders every chart for r (see Extract).
func Charts(r *results.Results) ([]chart.Chart, error) {
	ds, err := Extract(r)
	if err != nil {
		return nil, err
	}
	out := make([]chart.Chart, 0, len(ds))
	for _, d := range ds {
		c, err := Render(d)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// Render draws one chart to PNG and SVG.
func Render(d Data) (c chart.Chart, err error) {
	c = chart.Chart{Name: d.Name, Title: d.Title, Caption: d.Caption}
	var fn func(dc draw.Canvas)
	h := LineHeight
	switch d.Kind {
	case KindLines:
		fn, err = linesChart(d)
	case KindBars:
		h = BarsHeight
		fn, err = barsChart(d)
	case KindTiles:
		fn, err = tilesChart(d)
	default:
		err = fmt.Errorf("unknown chart kind %q", d.Kind)
	}
	if err != nil {
		return c, fmt.Errorf("chart %s: %w", d.Name, err)
	}
	w := Width
	if d.Width > 0 {
		w = vg.Length(d.Width) * vg.Inch
	}
	if d.Height > 0 {
		h = vg.Length(d.Height) * vg.Inch
	}
	c.PNG, c.SVG, err = renderBoth(w, h, fn)
	if err != nil {
		return c, fmt.Errorf("chart %s: %w", d.Name, err)
	}
	return c, nil
}

var svgProlog = regexp.MustCompile(`^(?s)<\?xml[^>]*\?>\s*(<!--.*?-->\s*)?`)

// renderBoth draws fn on a PNG and an SVG canvas. gonum/plot reports some
// impossible inputs by panicking; those become errors.
func renderBoth(w, h vg.Length, fn func(dc draw.Canvas)) (png, svg []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("render: %v", r)
		}
	}()
	img := vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(DPI))}
	fn(draw.New(img))
	var pb bytes.Buffer
	if _, err := img.WriteTo(&pb); err != nil {
		return nil, nil, fmt.Errorf("write png: %w", err)
	}
	sc := vgsvg.New(w, h)
	fn(draw.New(sc))
	var sb bytes.Buffer
	if _, err := sc.WriteTo(&sb); err != nil {
		return nil, nil, fmt.Errorf("write svg: %w", err)
	}
	// The XML prolog is optional in an .svg file and not allowed inline in
	// HTML, so leave it out: the same bytes serve both.
	return pb.Bytes(), svgProlog.ReplaceAll(sb.Bytes(), nil), nil
}

func seriesColor(ord results.Order, s Series) color.Color {
	if s.Color != "" {
		return ParseColor(s.Color)
	}
	if s.System == "" {
		return offeredColor
	}
	return SystemColorIn(ord, s.System)
}

// fillWhite paints the background, so SVG and PNG look the same on dark
// viewers.
func fillWhite(dc draw.Canvas) {
	var p vg.Path
	p.Move(dc.Min)
	p.Line(vg.Point{X: dc.Max.X, Y: dc.Min.Y})
	p.Line(dc.Max)
	p.Line(vg.Point{X: dc.Min.X, Y: dc.Max.Y})
	p.Close()
	dc.SetColor(color.White)
	dc.Fill(p)
}

// withLegend lays out a plot on the left and its legend in a column on the
// right, so the legend never hides data.
func withLegend(dc draw.Canvas, l gplot.Legend, drawPlot func(draw.Canvas)) {
	fillWhite(dc)
	lr := l.Rectangle(dc)
	lw := lr.Max.X - lr.Min.X
	gap := vg.Points(14)
	drawPlot(draw.Crop(dc, 0, -(lw + 2*gap), 0, 0))
	lc := draw.Crop(dc, dc.Max.X-dc.Min.X-lw-gap, -gap, 0, -vg.Points(40))
	l.Draw(lc)
}

// legendSet collects legend entries once per label, so tiles that show
// the same series share one legend.
type legendSet struct {
	labels []string
	thumbs map[string][]gplot.Thumbnailer
}

func (ls *legendSet) add(label string, th ...gplot.Thumbnailer) {
	if label == "" {
		return
	}
	if ls.thumbs == nil {
		ls.thumbs = map[string][]gplot.Thumbnailer{}
	}
	if _, ok := ls.thumbs[label]; ok {
		return
	}
	ls.labels = append(ls.labels, label)
	ls.thumbs[label] = th
}

func (ls *legendSet) legend() gplot.Legend {
	l := newLegend()
	for _, label := range ls.labels {
		l.Add(label, ls.thumbs[label]...)
	}
	return l
}

func linesChart(d Data) (func(draw.Canvas), error) {
	var ls legendSet
	drawPlot, err := linesPlot(d, &ls, false)
	if err != nil {
		return nil, err
	}
	l := ls.legend()
	return func(dc draw.Canvas) { withLegend(dc, l, drawPlot) }, nil
}

// tilesChart draws d.Tiles in a grid under d.Title with one legend.
func tilesChart(d Data) (func(draw.Canvas), error) {
	if len(d.Tiles) == 0 {
		return nil, fmt.Errorf("no tiles")
	}
	var ls legendSet
	fns := make([]func(draw.Canvas), len(d.Tiles))
	for i, t := range d.Tiles {
		var err error
		if t.Order == nil {
			t.Order = d.Order
		}
		if fns[i], err = linesPlot(t, &ls, true); err != nil {
			return nil, fmt.Errorf("tile %q: %w", t.Title, err)
		}
	}
	cols := max(1, d.Columns)
	rows := (len(d.Tiles) + cols - 1) / cols
	l := ls.legend()
	title := text.Style{Color: color.Black, Font: sans(12.5, true), XAlign: draw.XCenter, YAlign: draw.YTop,
		Handler: gplot.DefaultTextHandler}
	return func(dc draw.Canvas) {
		withLegend(dc, l, func(pc draw.Canvas) {
			pc.FillText(title, vg.Point{X: (pc.Min.X + pc.Max.X) / 2, Y: pc.Max.Y - vg.Points(4)}, d.Title)
			body := draw.Crop(pc, 0, 0, 0, -vg.Points(30))
			tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Points(24), PadY: vg.Points(18), PadBottom: vg.Points(2)}
			for i, fn := range fns {
				fn(tiles.At(body, i%cols, i/cols))
			}
		})
	}, nil
}

// xyErr is a series with vertical error bars.
type xyErr struct {
	xy     plotter.XYs
	lo, hi []float64
}

func (e xyErr) Len() int                    { return len(e.xy) }
func (e xyErr) XY(i int) (float64, float64) { return e.xy[i].X, e.xy[i].Y }
func (e xyErr) YError(i int) (float64, float64) {
	return e.xy[i].Y - e.lo[i], e.hi[i] - e.xy[i].Y
}

// areaPlotter fills polygons in data coordinates.
type areaPlotter struct {
	polys                  [][]plotter.XY
	c                      color.Color
	xmin, xmax, ymin, ymax float64
}

// Plot implements plot.Plotter.
func (a *areaPlotter) Plot(c draw.Canvas, plt *gplot.Plot) {
	trX, trY := plt.Transforms(&c)
	for _, poly := range a.polys {
		pts := make([]vg.Point, len(poly))
		for i, q := range poly {
			pts[i] = vg.Point{X: trX(q.X), Y: trY(q.Y)}
		}
		c.FillPolygon(a.c, c.ClipPolygonXY(pts))
	}
}

// DataRange implements plot.DataRanger.
func (a *areaPlotter) DataRange() (xmin, xmax, ymin, ymax float64) {
	return a.xmin, a.xmax, a.ymin, a.ymax
}

// swatch is a legend thumbnail filled with one colour.
type swatch struct{ c color.Color }

// Thumbnail implements plot.Thumbnailer.
func (s swatch) Thumbnail(c *draw.Canvas) {
	r := c.Rectangle
	c.FillPolygon(s.c, []vg.Point{r.Min, {X: r.Max.X, Y: r.Min.Y}, r.Max, {X: r.Min.X, Y: r.Max.Y}})
}

func markShape(shape string) (draw.GlyphDrawer, error) {
	switch shape {
	case MarkCross:
		return draw.CrossGlyph{}, nil
	case MarkRing:
		return draw.RingGlyph{}, nil
	case MarkCircle:
		return draw.CircleGlyph{}, nil
	case MarkPyramid:
		return draw.PyramidGlyph{}, nil
	}
	return nil, fmt.Errorf("unknown mark shape %q", shape)
}

func markColor(ord results.Order, system, hex string) color.Color {
	switch {
	case hex != "":
		return ParseColor(hex)
	case system != "":
		return SystemColorIn(ord, system)
	}
	return color.Black
}

// extent tracks the data's range for the axes.
type extent struct{ xmin, xmax, ymin, ymax float64 }

func newExtent() extent { return extent{math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)} }

func (e *extent) add(x, y float64) {
	e.xmin, e.xmax = math.Min(e.xmin, x), math.Max(e.xmax, x)
	e.ymin, e.ymax = math.Min(e.ymin, y), math.Max(e.ymax, y)
}

func (e extent) empty() bool { return math.IsInf(e.ymin, 1) }

// linesPlot builds one line chart (a whole chart, or a tile when tile is
// true: smaller title, no legend of its own) and returns the function that
// draws it; its legend entries go to ls.
func linesPlot(d Data, ls *legendSet, tile bool) (func(draw.Canvas), error) {
	p := newPlot(d.Title, d.XLabel, d.YLabel)
	if tile {
		p.Title.TextStyle.Font = sans(10.5, true)
	}
	grid := plotter.NewGrid()
	grid.Vertical.Color = color.Gray{0xE0}
	grid.Horizontal.Color = color.Gray{0xE0}
	p.Add(grid)
	logX, logY := d.XScale == ScaleLog, d.YScale == ScaleLog
	usable := func(x, y float64) bool { return (!logX || x > 0) && (!logY || y > 0) }
	ext := newExtent()
	for _, a := range d.Areas {
		ap := &areaPlotter{c: markColor(d.Order, a.System, a.Color)}
		ae := newExtent()
		if len(a.X) != len(a.Y) {
			return nil, fmt.Errorf("area %q: %d x values, %d y values", a.Label, len(a.X), len(a.Y))
		}
		if len(a.X) > 0 {
			var poly []plotter.XY
			for i := range a.X {
				poly = append(poly, plotter.XY{X: a.X[i], Y: a.Y[i]})
				ae.add(a.X[i], a.Y[i])
			}
			ap.polys = append(ap.polys, poly)
		}
		for _, r := range a.Rects {
			ap.polys = append(ap.polys, []plotter.XY{{X: r[0], Y: r[2]}, {X: r[1], Y: r[2]}, {X: r[1], Y: r[3]}, {X: r[0], Y: r[3]}})
			ae.add(r[0], r[2])
			ae.add(r[1], r[3])
		}
		if len(ap.polys) == 0 {
			continue
		}
		ap.xmin, ap.xmax, ap.ymin, ap.ymax = ae.xmin, ae.xmax, ae.ymin, ae.ymax
		ext.add(ae.xmin, ae.ymin)
		ext.add(ae.xmax, ae.ymax)
		p.Add(ap)
		ls.add(a.Label, swatch{ap.c})
	}
	var onTop []gplot.Plotter
	nMarked := 0
	for _, s := range d.Series {
		if s.Markers {
			nMarked++
		}
	}
	marked := 0
	for _, s := range d.Series {
		// Attempts (few points on whole-number x, drawn with markers)
		// are dodged sideways a little so equal values stay visible.
		dodge := 0.0
		if s.Markers && d.Name == "webhook-attempts" {
			dodge = (float64(marked) - float64(nMarked-1)/2) * 0.06
			marked++
		}
		if len(s.X) != len(s.Y) {
			return nil, fmt.Errorf("series %q: %d x values, %d y values", s.Label, len(s.X), len(s.Y))
		}
		bars := len(s.YLo) > 0 || len(s.YHi) > 0
		if bars && (len(s.YLo) != len(s.Y) || len(s.YHi) != len(s.Y)) {
			return nil, fmt.Errorf("series %q: %d y values, %d lows, %d highs", s.Label, len(s.Y), len(s.YLo), len(s.YHi))
		}
		xys := make(plotter.XYs, 0, len(s.X))
		var lo, hi []float64
		spread := false
		for i := range s.X {
			y := s.Y[i]
			if !usable(s.X[i], y) {
				continue // a log axis cannot show 0; the tables have exact values
			}
			xys = append(xys, plotter.XY{X: s.X[i] + dodge, Y: y})
			ext.add(s.X[i], y)
			if bars {
				lo, hi = append(lo, s.YLo[i]), append(hi, s.YHi[i])
				spread = spread || s.YHi[i] > s.YLo[i]
				if usable(s.X[i], s.YLo[i]) {
					ext.add(s.X[i], s.YLo[i])
				}
				ext.add(s.X[i], s.YHi[i])
			}
		}
		line, err := plotter.NewLine(xys)
		if err != nil {
			return nil, fmt.Errorf("series %q: %w", s.Label, err)
		}
		line.Color = seriesColor(d.Order, s)
		line.Dashes = dash(s.Dash)
		line.Width = vg.Points(1.7)
		thumbs := []gplot.Thumbnailer{line}
		if len(xys) == 0 {
			// A legend entry without data (a line-style key).
			ls.add(s.Label, thumbs...)
			continue
		}
		if s.System == "" {
			// The offered load or a reference: drawn last, on top.
			line.Width = vg.Points(1.3)
			onTop = append(onTop, line)
		} else {
			p.Add(line)
		}
		if s.Markers {
			sc, err := plotter.NewScatter(xys)
			if err != nil {
				return nil, fmt.Errorf("series %q: %w", s.Label, err)
			}
			sc.GlyphStyle = draw.GlyphStyle{Color: seriesColor(d.Order, s), Radius: vg.Points(3.2), Shape: glyph(s.Dash)}
			p.Add(sc)
			thumbs = append(thumbs, sc)
		}
		if spread {
			eb, err := plotter.NewYErrorBars(xyErr{xy: xys, lo: lo, hi: hi})
			if err != nil {
				return nil, fmt.Errorf("series %q error bars: %w", s.Label, err)
			}
			eb.Color = seriesColor(d.Order, s)
			eb.CapWidth = vg.Points(4)
			p.Add(eb)
		}
		ls.add(s.Label, thumbs...)
	}
	p.Add(onTop...)
	for _, m := range d.Marks {
		if len(m.X) != len(m.Y) || (m.Text != nil && len(m.Text) != len(m.X)) {
			return nil, fmt.Errorf("marks %q: %d x, %d y, %d labels", m.Label, len(m.X), len(m.Y), len(m.Text))
		}
		var xys plotter.XYs
		var labels []string
		for i := range m.X {
			if usable(m.X[i], m.Y[i]) {
				xys = append(xys, plotter.XY{X: m.X[i], Y: m.Y[i]})
				ext.add(m.X[i], m.Y[i])
				if m.Text != nil {
					labels = append(labels, m.Text[i])
				}
			}
		}
		if len(xys) == 0 {
			continue
		}
		shape, err := markShape(m.Shape)
		if err != nil {
			return nil, err
		}
		sc, err := plotter.NewScatter(xys)
		if err != nil {
			return nil, fmt.Errorf("marks %q: %w", m.Label, err)
		}
		r := m.Radius
		if r == 0 {
			r = 4
		}
		sc.Shape, sc.Color, sc.Radius = shape, markColor(d.Order, m.System, m.Color), vg.Points(r)
		p.Add(sc)
		ls.add(m.Label, sc)
		if labels != nil {
			lb, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: labels})
			if err != nil {
				return nil, fmt.Errorf("marks %q labels: %w", m.Label, err)
			}
			for i := range lb.TextStyle {
				lb.TextStyle[i].Font = sans(9, false)
				lb.TextStyle[i].YAlign = draw.YTop
			}
			lb.Offset = vg.Point{X: vg.Points(r + 2)}
			p.Add(lb)
		}
	}
	if ext.empty() {
		return nil, fmt.Errorf("no data to draw")
	}
	switch d.XScale {
	case ScaleNines:
		p.X.Tick.Marker = ninesTicks{}
		p.X.Min = 0
		p.X.Max = math.Max(1, math.Ceil(ext.xmax*10)/10)
	case ScaleLog:
		p.X.Scale = gplot.LogScale{}
		p.X.Tick.Marker = logTicks{}
		p.X.Min, p.X.Max = ext.xmin, ext.xmax
	default:
		if d.Name == "webhook-attempts" {
			p.X.Tick.Marker = intTicks{}
			p.X.Min, p.X.Max = 0.5, math.Max(ext.xmax, 3)+0.5
		} else {
			p.X.Tick.Marker = humanTicks{}
			p.X.Min = math.Min(0, p.X.Min)
		}
	}
	switch d.YScale {
	case ScaleLog:
		p.Y.Scale = gplot.LogScale{}
		p.Y.Tick.Marker = logTicks{}
		p.Y.Min, p.Y.Max = ext.ymin/1.4, ext.ymax*1.4
		if d.Name == "webhook-attempts" {
			p.Y.Max = 100 * 1.4
		}
	default:
		p.Y.Tick.Marker = countTicks{}
		p.Y.Min = 0
		p.Y.Max = math.Max(ext.ymax*1.08, 1)
	}
	fixAxis(&p.X, d.XAxis)
	fixAxis(&p.Y, d.YAxis)
	// gonum/plot centres the y label on the linear midpoint of the data,
	// which on a log axis lies near the top and pushes the whole plot down;
	// draw the label ourselves at the canvas' vertical centre instead.
	ylabel := p.Y.Label.Text
	p.Y.Label.Text = ""
	lsty := p.Y.Label.TextStyle
	lsty.Rotation = math.Pi / 2
	lsty.XAlign, lsty.YAlign = draw.XCenter, draw.YBottom
	lh := lsty.Height(ylabel)
	return func(pc draw.Canvas) {
		mid := (pc.Min.Y + pc.Max.Y - vg.Points(10)) / 2
		pc.FillText(lsty, vg.Point{X: pc.Min.X + lh, Y: mid}, ylabel)
		p.Draw(draw.Crop(pc, lh+vg.Points(6), 0, 0, 0))
	}, nil
}

// fixAxis applies a chart's fixed range and ticks to an axis.
func fixAxis(ax *gplot.Axis, a *Axis) {
	if a == nil {
		return
	}
	if a.Min != nil {
		ax.Min = *a.Min
	}
	if a.Max != nil {
		ax.Max = *a.Max
	}
	if len(a.Ticks) > 0 {
		ts := make([]gplot.Tick, len(a.Ticks))
		for i, t := range a.Ticks {
			ts[i] = gplot.Tick{Value: t.Value, Label: t.Label}
		}
		ax.Tick.Marker = gplot.ConstantTicks(ts)
	}
}

func barsChart(d Data) (func(draw.Canvas), error) {
	if len(d.Panels) == 0 {
		return nil, fmt.Errorf("no panels")
	}
	l := newLegend()
	var systems []string
	for _, b := range d.Panels[0].Bars {
		systems = append(systems, b.System)
	}
	for _, s := range systems {
		bc, err := plotter.NewBarChart(plotter.Values{1}, vg.Points(10))
		if err != nil {
			return nil, err
		}
		bc.Color = SystemColorIn(d.Order, s)
		bc.LineStyle.Width = 0
		l.Add(s, bc)
	}
	cols := 2
	rows := (len(d.Panels) + cols - 1) / cols
	plots := make([][]*gplot.Plot, rows)
	for i := range plots {
		plots[i] = make([]*gplot.Plot, cols)
	}
	for i, pn := range d.Panels {
		p, err := barPanel(pn, d.Order)
		if err != nil {
			return nil, fmt.Errorf("panel %q: %w", pn.Title, err)
		}
		plots[i/cols][i%cols] = p
	}
	for i := len(d.Panels); i < rows*cols; i++ {
		p := gplot.New()
		p.HideAxes()
		plots[i/cols][i%cols] = p
	}
	title := text.Style{Color: color.Black, Font: sans(12.5, true), XAlign: draw.XCenter, YAlign: draw.YTop,
		Handler: gplot.DefaultTextHandler}
	return func(dc draw.Canvas) {
		withLegend(dc, l, func(pc draw.Canvas) {
			pc.FillText(title, vg.Point{X: (pc.Min.X + pc.Max.X) / 2, Y: pc.Max.Y - vg.Points(4)}, d.Title)
			body := draw.Crop(pc, 0, 0, 0, -vg.Points(30))
			tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Points(24), PadY: vg.Points(18), PadBottom: vg.Points(2)}
			cs := gplot.Align(plots, tiles, body)
			for i := range plots {
				for j := range plots[i] {
					plots[i][j].Draw(cs[i][j])
				}
			}
		})
	}, nil
}

func barPanel(pn Panel, ord results.Order) (*gplot.Plot, error) {
	p := newPlot(pn.Title, "", pn.YLabel)
	p.Title.TextStyle.Font = sans(10.5, true)
	p.NominalX(pn.Categories...)
	p.X.Tick.Label.Font = sans(9.5, false)
	grid := plotter.NewGrid()
	grid.Vertical.Color = nil
	grid.Horizontal.Color = color.Gray{0xE0}
	p.Add(grid)
	n := len(pn.Bars)
	// A panel's data area is about 240 pt wide: leave a quarter of each
	// category's width as a gap between groups.
	catW := 240 / math.Max(1, float64(len(pn.Categories)))
	barW := vg.Points(math.Min(20, 0.75*catW/math.Max(1, float64(n))))
	ymax := 0.0
	for _, b := range pn.Bars {
		for _, v := range b.Values {
			ymax = math.Max(ymax, v)
		}
	}
	for k, b := range pn.Bars {
		if len(b.Values) != len(pn.Categories) {
			return nil, fmt.Errorf("%s: %d values for %d categories", b.System, len(b.Values), len(pn.Categories))
		}
		bc, err := plotter.NewBarChart(plotter.Values(b.Values), barW)
		if err != nil {
			return nil, err
		}
		bc.Color = SystemColorIn(ord, b.System)
		bc.LineStyle.Width = 0
		bc.Offset = vg.Length(float64(k)-float64(n-1)/2) * barW
		p.Add(bc)
		// Value labels: a reader must see "0" as clearly as "12".
		// Labels wider than their bar would run into the neighbours' and
		// are left out (the tables have every exact count).
		lsty := text.Style{Font: sans(7.5, false), XAlign: draw.XCenter, Color: color.Gray{0x33}, Handler: gplot.DefaultTextHandler}
		var xys plotter.XYs
		var labels []string
		for i, v := range b.Values {
			l := Human(v)
			if lsty.Width(l) > barW+vg.Points(1) {
				continue
			}
			xys = append(xys, plotter.XY{X: float64(i), Y: v})
			labels = append(labels, l)
		}
		if len(xys) == 0 {
			continue
		}
		lb, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: labels})
		if err != nil {
			return nil, err
		}
		for i := range lb.TextStyle {
			lb.TextStyle[i] = lsty
		}
		lb.Offset = vg.Point{X: bc.Offset, Y: vg.Points(2)}
		p.Add(lb)
	}
	p.Y.Min = 0
	p.Y.Max = math.Max(ymax*1.15, 1)
	p.Y.Tick.Marker = countTicks{}
	if ymax == 0 && len(pn.Categories) > 0 {
		// An empty panel is the good news: say it in words.
		note, err := plotter.NewLabels(plotter.XYLabels{
			XYs:    plotter.XYs{{X: float64(len(pn.Categories)-1) / 2, Y: 0.5}},
			Labels: []string{"none: 0 for every subscriber"},
		})
		if err != nil {
			return nil, err
		}
		note.TextStyle[0].Font = sans(11, true)
		note.TextStyle[0].XAlign = draw.XCenter
		note.TextStyle[0].YAlign = draw.YCenter
		note.TextStyle[0].Color = color.NRGBA{0x1e, 0x7d, 0x32, 0xff}
		p.Add(note)
	}
	return p, nil
}

// countTicks are humanTicks restricted to whole numbers: counts of events
// have no fractions, and an all-zero panel should show 0 and 1, not 0.2.
type countTicks struct{}

// Ticks implements plot.Ticker.
func (countTicks) Ticks(min, max float64) []gplot.Tick {
	var out []gplot.Tick
	for _, t := range (humanTicks{}).Ticks(min, max) {
		if t.Value == math.Trunc(t.Value) {
			out = append(out, t)
		}
	}
	if len(out) < 2 {
		return intTicks{}.Ticks(min, max)
	}
	return out
}
