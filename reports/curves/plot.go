package curves

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/evbench/evbench/reports/chart"
	rplot "github.com/evbench/evbench/reports/plot"
)

// Okabe-Ito palette (colour-blind safe). The three systems have fixed
// colours in every evbench chart so that a reader can compare charts at a
// glance; reports/plot owns the mapping and these charts use it.
var (
	ColorWebhook = SystemColor("webhook") // #0072B2 blue
	ColorKafka   = SystemColor("kafka")   // #D55E00 vermillion
	ColorBridge  = SystemColor("bridge")  // #009E73 bluish green
)

// SystemColor returns the fixed colour of a system (webhook, kafka, bridge);
// unknown systems get a stable spare colour (see reports/plot.SystemColor).
func SystemColor(system string) color.RGBA {
	c := rplot.SystemColor(system)
	return color.RGBA{R: c.R, G: c.G, B: c.B, A: c.A}
}

// Dashes returns the i-th line dash pattern (solid first), used to tell
// apart series of one system (subscriber counts, swept settings).
func Dashes(i int) []vg.Length {
	patterns := [][]vg.Length{
		nil,
		{vg.Points(6), vg.Points(3)},
		{vg.Points(2), vg.Points(2)},
		{vg.Points(8), vg.Points(3), vg.Points(2), vg.Points(3)},
		{vg.Points(12), vg.Points(4)},
	}
	return patterns[i%len(patterns)]
}

// Glyph returns the i-th point shape, paired with Dashes(i).
func Glyph(i int) draw.GlyphDrawer {
	shapes := []draw.GlyphDrawer{
		draw.CircleGlyph{}, draw.BoxGlyph{}, draw.TriangleGlyph{}, draw.PyramidGlyph{}, draw.RingGlyph{},
	}
	return shapes[i%len(shapes)]
}

var sans = font.Font{Typeface: "Liberation", Variant: "Sans"}

// NewPlot returns a plot with evbench's house style: sans-serif text, a
// title, axis labels (with units, by convention) and a light grid.
func NewPlot(title, xLabel, yLabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font = font.From(sans, 11)
	p.Title.Padding = vg.Points(6)
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = font.From(sans, 10)
		a.Tick.Label.Font = font.From(sans, 8)
	}
	p.Legend.TextStyle.Font = font.From(sans, 8)
	p.Legend.Top = true
	p.Legend.Left = true
	p.Legend.Padding = vg.Points(2)
	g := plotter.NewGrid()
	g.Vertical.Color = color.Gray{Y: 225}
	g.Horizontal.Color = color.Gray{Y: 225}
	p.Add(g)
	return p
}

// HumanLogTicks is a log-axis ticker with labels at powers of ten written
// the way people read them (100, 1k, 10k, 1M, 1G; 0.01 ...) and unlabelled
// minor ticks at 2..9.
type HumanLogTicks struct{}

// Ticks implements plot.Ticker.
func (HumanLogTicks) Ticks(min, max float64) []plot.Tick {
	if !(min > 0) || !(max > 0) || max < min {
		return nil
	}
	lo := int(math.Floor(math.Log10(min)))
	hi := int(math.Ceil(math.Log10(max)))
	var ticks []plot.Tick
	for e := lo; e <= hi; e++ {
		base := math.Pow(10, float64(e))
		for m := 1; m <= 9; m++ {
			v := base * float64(m)
			if v < min*(1-1e-9) || v > max*(1+1e-9) {
				continue
			}
			t := plot.Tick{Value: v}
			if m == 1 {
				t.Label = HumanNumber(v)
			}
			ticks = append(ticks, t)
		}
	}
	return ticks
}

// HumanNumber formats v compactly: 1500 -> "1.5k", 2e6 -> "2M", 0.25 -> "0.25".
func HumanNumber(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 1e9:
		return trimFloat(v/1e9) + "G"
	case a >= 1e6:
		return trimFloat(v/1e6) + "M"
	case a >= 1e3:
		return trimFloat(v/1e3) + "k"
	}
	return trimFloat(v)
}

func trimFloat(v float64) string {
	return strconv.FormatFloat(v, 'g', 3, 64)
}

// Render draws a grid of plots (rows x columns, nil cells left empty) into
// one chart, as PNG and SVG. w and h are the whole image's size.
func Render(name, title string, w, h vg.Length, rows [][]*plot.Plot) (chart.Chart, error) {
	if len(rows) == 0 || len(rows[0]) == 0 {
		return chart.Chart{}, fmt.Errorf("render %s: no plots", name)
	}
	tiles := draw.Tiles{
		Rows: len(rows), Cols: len(rows[0]),
		PadX: vg.Millimeter * 4, PadY: vg.Millimeter * 4,
		PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2,
		PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 3,
	}
	draw1 := func(c vg.CanvasSizer) (err error) {
		// gonum/plot panics on impossible axes (for example a log
		// scale with a non-positive bound); turn that into an error.
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("render %s: %v", name, r)
			}
		}()
		dc := draw.New(c)
		dc.SetColor(color.White)
		dc.Fill(dc.Rectangle.Path())
		if len(rows) == 1 && len(rows[0]) == 1 {
			rows[0][0].Draw(dc)
			return nil
		}
		canvases := plot.Align(rows, tiles, dc)
		for j, row := range rows {
			for i, p := range row {
				if p != nil {
					p.Draw(canvases[j][i])
				}
			}
		}
		return nil
	}
	out := chart.Chart{Name: name, Title: title}

	img := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(110))
	if err := draw1(img); err != nil {
		return chart.Chart{}, err
	}
	var png bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&png); err != nil {
		return chart.Chart{}, fmt.Errorf("render %s png: %w", name, err)
	}
	out.PNG = png.Bytes()

	svg := vgsvg.NewWith(vgsvg.UseWH(w, h))
	if err := draw1(svg); err != nil {
		return chart.Chart{}, err
	}
	var sb bytes.Buffer
	if _, err := svg.WriteTo(&sb); err != nil {
		return chart.Chart{}, fmt.Errorf("render %s svg: %w", name, err)
	}
	out.SVG = sb.Bytes()
	return out, nil
}
