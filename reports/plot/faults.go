package plot

import (
	"fmt"
	"math"
	"sort"

	"github.com/evbench/evbench/reports/results"
)

// Band is a stretch of a time chart's x axis to shade: an applied
// infrastructure fault window (points[].fault_windows), in the chart's
// time unit, labelled with its kind, target and the systems it hit.
type Band struct {
	From, To float64
	Label    string
}

// maxBands bounds the windows shaded on one chart.
const maxBands = 64

// faultColor is light enough that lines stay readable across it.
const faultColor = "#E69F0040"

// faultBands are the applied fault windows of pts, merged across systems
// when they cover the same stretch (every system runs the same schedule,
// so a broker killed at 10 s for 10 s is one band, labelled with the
// systems it hit).
func faultBands(pts []results.Point, tu timeUnit) []Band {
	// Windows of different systems within half a second of each other at
	// both ends are one band: the same fault on the same schedule.
	near := 0.5 / tu.div
	var out []Band
	for i := range pts {
		p := &pts[i]
	windows:
		for _, w := range p.AllFaultWindows() {
			if !w.Applied {
				continue
			}
			from, to := w.StartS/tu.div, w.EndS/tu.div
			for i := range out {
				if math.Abs(out[i].From-from) < near && math.Abs(out[i].To-to) < near {
					out[i].From, out[i].To = math.Min(out[i].From, from), math.Max(out[i].To, to)
					out[i].Label += ", " + p.System
					continue windows
				}
			}
			if len(out) < maxBands {
				out = append(out, Band{From: from, To: to, Label: fmt.Sprintf("%s of %s: %s", w.Kind, w.Target, p.System)})
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].From < out[j].From })
	return out
}

// shadeFaults adds the bands to a lines chart as one filled Area of
// rectangles spanning the chart's data from its lowest to its highest
// value (positive values on a log axis), drawn under the lines.
func shadeFaults(d *Data, bs []Band) {
	if len(bs) == 0 || d.Kind != KindLines {
		return
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range d.Series {
		for _, y := range s.Y {
			if d.YScale == ScaleLog && y <= 0 {
				continue
			}
			lo, hi = math.Min(lo, y), math.Max(hi, y)
		}
	}
	if math.IsInf(lo, 1) {
		return
	}
	if d.YScale != ScaleLog {
		lo = math.Min(lo, 0)
	}
	if hi <= lo {
		hi = lo + 1
	}
	a := Area{Color: faultColor, Label: fmt.Sprintf("fault windows (%d)", len(bs))}
	if len(bs) == 1 {
		a.Label = "fault: " + bs[0].Label
	}
	for _, b := range bs {
		a.Rects = append(a.Rects, [4]float64{b.From, b.To, lo, hi})
	}
	d.Areas = append(d.Areas, a)
}
