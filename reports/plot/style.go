package plot

import (
	"fmt"
	"image/color"
	"math"
	"strconv"
	"strings"

	xfont "golang.org/x/image/font"
	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/evbench/evbench/reports/results"
)

// The Okabe-Ito palette: distinguishable with every common form of colour
// blindness, and in greyscale print by lightness.
var (
	okabeBlack     = color.NRGBA{0x00, 0x00, 0x00, 0xff}
	okabeOrange    = color.NRGBA{0xE6, 0x9F, 0x00, 0xff}
	okabeSky       = color.NRGBA{0x56, 0xB4, 0xE9, 0xff}
	okabeGreen     = color.NRGBA{0x00, 0x9E, 0x73, 0xff}
	okabeBlue      = color.NRGBA{0x00, 0x72, 0xB2, 0xff}
	okabeVermilion = color.NRGBA{0xD5, 0x5E, 0x00, 0xff}
	okabePurple    = color.NRGBA{0xCC, 0x79, 0xA7, 0xff}
	okabeYellow    = color.NRGBA{0xF0, 0xE4, 0x42, 0xff}
)

// Palette names the Okabe-Ito colours (and a neutral grey) as "#RRGGBB",
// for charts that colour by something other than the system (cost
// components, sensitivity ends, reference lines). Every evbench chart
// draws from it.
var Palette = struct {
	Black, Orange, Sky, Green, Blue, Vermilion, Purple, Yellow, Grey string
}{
	Black: Hex(okabeBlack), Orange: Hex(okabeOrange), Sky: Hex(okabeSky), Green: Hex(okabeGreen),
	Blue: Hex(okabeBlue), Vermilion: Hex(okabeVermilion), Purple: Hex(okabePurple), Yellow: Hex(okabeYellow),
	Grey: "#8C8C8C",
}

// Hex formats a colour as "#RRGGBB", or "#RRGGBBAA" when not opaque.
func Hex(c color.Color) string {
	n := color.NRGBAModel.Convert(c).(color.NRGBA)
	if n.A != 0xff {
		return fmt.Sprintf("#%02X%02X%02X%02X", n.R, n.G, n.B, n.A)
	}
	return fmt.Sprintf("#%02X%02X%02X", n.R, n.G, n.B)
}

// ParseColor reads "#RRGGBB" or "#RRGGBBAA"; anything else is black.
func ParseColor(s string) color.NRGBA {
	var c color.NRGBA
	c.A = 0xff
	switch len(s) {
	case 7:
		if _, err := fmt.Sscanf(s, "#%02x%02x%02x", &c.R, &c.G, &c.B); err != nil {
			return okabeBlack
		}
	case 9:
		if _, err := fmt.Sscanf(s, "#%02x%02x%02x%02x", &c.R, &c.G, &c.B, &c.A); err != nil {
			return okabeBlack
		}
	default:
		return okabeBlack
	}
	return c
}

// Lighten mixes a "#RRGGBB" colour with white (f = 0: unchanged, 1:
// white), for fills that marks sit on.
func Lighten(hex string, f float64) string {
	c := ParseColor(hex)
	mix := func(v uint8) uint8 { return uint8(math.Round(float64(v) + (255-float64(v))*f)) }
	return Hex(color.NRGBA{mix(c.R), mix(c.G), mix(c.B), 0xff})
}

// rankColors fix one colour per system rank (results.Order: the order
// each system's descriptor gives it, recorded on its points), the same in
// every chart and the HTML report, so a reader learns "blue is the first
// system" once: blue, vermilion, green, then the spare colours.
var rankColors = []color.NRGBA{okabeBlue, okabeVermilion, okabeGreen}

// spareColors are handed to systems ranked after rankColors, by rank, and
// to systems with no rank, chosen from their name.
var spareColors = []color.NRGBA{okabeOrange, okabeSky, okabePurple, okabeYellow, okabeBlack}

// SystemColor is SystemColorIn without the document's order: the legacy
// order of results.Order, for callers that have no points.
func SystemColor(system string) color.NRGBA { return SystemColorIn(nil, system) }

// SystemColorIn returns the fixed colour of system, ranked by ord (its
// recorded order; results.Order falls back on the legacy order). A system
// with no rank gets a spare Okabe-Ito colour chosen from its name, so the
// choice is stable across charts and runs.
func SystemColorIn(ord results.Order, system string) color.NRGBA {
	switch r := ord.Rank(system); {
	case r >= 1 && r <= len(rankColors):
		return rankColors[r-1]
	case r > len(rankColors) && r <= len(rankColors)+len(spareColors):
		return spareColors[r-len(rankColors)-1]
	}
	h := 0
	for _, r := range system {
		h = h*31 + int(r)
	}
	if h < 0 {
		h = -h
	}
	return spareColors[h%len(spareColors)]
}

// SystemColorHex is SystemColor as a CSS colour, e.g. "#0072B2".
func SystemColorHex(system string) string { return Hex(SystemColor(system)) }

// SystemColorHexIn is SystemColorIn as a CSS colour.
func SystemColorHexIn(ord results.Order, system string) string {
	return Hex(SystemColorIn(ord, system))
}

// offeredColor draws the offered load: it belongs to no system.
var offeredColor = okabeBlack

// dashes distinguish subscribers (and p50 from p99) within a system colour.
var dashes = [][]vg.Length{
	nil,                              // solid
	{vg.Points(6), vg.Points(3)},     // dashed
	{vg.Points(1.5), vg.Points(2.5)}, // dotted
	{vg.Points(7), vg.Points(2.5), vg.Points(1.5), vg.Points(2.5)}, // dash-dot
}

// glyphs mark subscribers on charts with few points (attempts per delivery).
var glyphs = []draw.GlyphDrawer{draw.CircleGlyph{}, draw.TriangleGlyph{}, draw.SquareGlyph{}, draw.PyramidGlyph{}}

func dash(i int) []vg.Length       { return dashes[((i%len(dashes))+len(dashes))%len(dashes)] }
func glyph(i int) draw.GlyphDrawer { return glyphs[((i%len(glyphs))+len(glyphs))%len(glyphs)] }

// Fonts: Liberation Sans, the metric twin of Arial/Helvetica, so the inline
// SVG looks the same in a browser that substitutes a system sans-serif.
func sans(size float64, bold bool) font.Font {
	f := font.Font{Typeface: "Liberation", Variant: "Sans", Size: vg.Points(size)}
	if bold {
		f.Weight = xfont.WeightBold
	}
	return f
}

// newPlot returns a plot with the report's fonts, a light grid-friendly
// look and the given title and axis labels.
func newPlot(title, xlabel, ylabel string) *gplot.Plot {
	p := gplot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font = sans(12.5, true)
	p.Title.Padding = vg.Points(8)
	for _, ax := range []*gplot.Axis{&p.X, &p.Y} {
		ax.Label.TextStyle.Font = sans(10.5, false)
		ax.Tick.Label.Font = sans(9, false)
		ax.Padding = vg.Points(2)
		ax.LineStyle.Color = color.Gray{0x66}
		ax.Tick.LineStyle.Color = color.Gray{0x66}
	}
	p.X.Label.Text = xlabel
	p.Y.Label.Text = ylabel
	p.Legend.TextStyle.Font = sans(9.5, false)
	return p
}

// newLegend returns a legend drawn beside the plot (see layout).
func newLegend() gplot.Legend {
	l := gplot.NewLegend()
	l.TextStyle.Font = sans(9.5, false)
	l.Top, l.Left = true, true
	l.ThumbnailWidth = vg.Points(26)
	l.Padding = vg.Points(3)
	return l
}

// ninesTicks labels the HdrHistogram "nines" axis: x = log10(1/(1-q)), so
// x=0 is the 0th percentile (the minimum), 1 is 90%, 2 is 99%, 3 is 99.9%.
type ninesTicks struct{}

// Ticks implements plot.Ticker.
func (ninesTicks) Ticks(min, max float64) []gplot.Tick {
	var ts []gplot.Tick
	for k := math.Ceil(min); k <= max+1e-9; k++ {
		ts = append(ts, gplot.Tick{Value: k, Label: NinesLabel(k)})
		if k+math.Log10(2) <= max && k == 0 {
			ts = append(ts, gplot.Tick{Value: math.Log10(2), Label: "50%"})
		}
		// unlabeled minor ticks at 2x, 5x more nines
		for _, m := range []float64{math.Log10(2), math.Log10(5)} {
			if v := k + m; v <= max && k > 0 {
				ts = append(ts, gplot.Tick{Value: v})
			}
		}
	}
	return ts
}

// NinesLabel is the percentile shown at nines-scale position x (an integer
// number of nines): 0 -> "0%", 1 -> "90%", 3 -> "99.9%".
func NinesLabel(x float64) string {
	q := 100 * (1 - math.Pow(10, -x))
	if x <= 0 {
		return "0%"
	}
	s := strconv.FormatFloat(q, 'f', int(math.Max(0, math.Round(x)-2)), 64)
	return s + "%"
}

// Nines returns the nines-scale position of quantile q (0 <= q < 1).
func Nines(q float64) float64 { return math.Log10(1 / (1 - q)) }

// logTicks labels a log axis with 1-2-5 steps when it spans few decades and
// with decades only when it spans many, in plain numbers (no exponents).
type logTicks struct{}

// Ticks implements plot.Ticker.
func (logTicks) Ticks(min, max float64) []gplot.Tick {
	if min <= 0 || max <= 0 || min > max {
		return nil
	}
	lo := math.Floor(math.Log10(min))
	hi := math.Ceil(math.Log10(max))
	span := hi - lo
	var ts []gplot.Tick
	for e := lo; e <= hi; e++ {
		dec := math.Pow(10, e)
		for m := 1.0; m < 10; m++ {
			v := m * dec
			if v < min*(1-1e-9) || v > max*(1+1e-9) {
				continue
			}
			label := ""
			// Every decade labelled up to 5 decades, every other one
			// beyond (100, 10k, 1M, 100M), so labels never run together.
			if (m == 1 && (span <= 5 || int(e-lo)%2 == 0)) || (span <= 3 && (m == 2 || m == 5)) {
				label = Human(v)
			}
			ts = append(ts, gplot.Tick{Value: v, Label: label})
		}
	}
	// A narrow range may hold fewer than two labelled ticks: label every
	// tick, and mark the ends when even that is not enough.
	labelled := 0
	for _, t := range ts {
		if t.Label != "" {
			labelled++
		}
	}
	if labelled < 2 {
		for i := range ts {
			ts[i].Label = Human(ts[i].Value)
		}
		if len(ts) < 2 {
			ts = append(ts, gplot.Tick{Value: min, Label: Human(roundSig(min, 2))}, gplot.Tick{Value: max, Label: Human(roundSig(max, 2))})
		}
	}
	return ts
}

// roundSig rounds v to n significant digits.
func roundSig(v float64, n int) float64 {
	if v == 0 {
		return 0
	}
	m := math.Pow(10, float64(n)-math.Ceil(math.Log10(math.Abs(v))))
	return math.Round(v*m) / m
}

// humanTicks is the default linear ticker with compact labels (12k, 1.5M).
type humanTicks struct{}

// Ticks implements plot.Ticker.
func (humanTicks) Ticks(min, max float64) []gplot.Tick {
	ts := gplot.DefaultTicks{}.Ticks(min, max)
	for i := range ts {
		if ts[i].Label != "" {
			ts[i].Label = Human(ts[i].Value)
		}
	}
	return ts
}

// intTicks labels whole numbers only (attempts).
type intTicks struct{}

// Ticks implements plot.Ticker.
func (intTicks) Ticks(min, max float64) []gplot.Tick {
	step := math.Max(1, math.Ceil((max-min)/10))
	var ts []gplot.Tick
	for v := math.Ceil(min); v <= max; v += step {
		ts = append(ts, gplot.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', 0, 64)})
	}
	return ts
}

// Human formats a number compactly for axis labels: 0.05, 2, 950, 12k,
// 1.5M. It never uses exponent notation.
func Human(v float64) string {
	a := math.Abs(v)
	switch {
	case a == 0:
		return "0"
	case a >= 1e9:
		return trim(v/1e9) + "G"
	case a >= 1e6:
		return trim(v/1e6) + "M"
	case a >= 1e4:
		return trim(v/1e3) + "k"
	case a >= 1:
		return trim(v)
	default:
		return strconv.FormatFloat(v, 'g', 4, 64)
	}
}

func trim(v float64) string {
	s := strconv.FormatFloat(v, 'f', 2, 64)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// AddMarks draws black markers of one shape at pts (annotations such as
// "limit reached" or "lost > 0" on top of a series), with a legend entry
// when label is not empty. It draws nothing when pts is empty.
func AddMarks(p *gplot.Plot, pts plotter.XYs, shape draw.GlyphDrawer, radius vg.Length, label string) error {
	if len(pts) == 0 {
		return nil
	}
	s, err := plotter.NewScatter(pts)
	if err != nil {
		return fmt.Errorf("marks %q: %w", label, err)
	}
	s.Shape, s.Color, s.Radius = shape, color.Black, radius
	p.Add(s)
	if label != "" {
		p.Legend.Add(label, s)
	}
	return nil
}
