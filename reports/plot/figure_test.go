package plot

import (
	"bytes"
	"image/png"
	"strings"
	"testing"

	"gonum.org/v1/plot/vg"
)

// TestRenderFigureParts renders the parts that the sweep and cost charts
// use (tiles with one legend, areas, marks with text, error bars, fixed
// axes, a size of its own) and refuses malformed data with an error
// naming the part, never a panic or a silently wrong chart.
func TestRenderFigureParts(t *testing.T) {
	tile := func(title string) Data {
		return Data{Title: title, Kind: KindLines, XLabel: "x", YLabel: "y", XScale: ScaleLog, YScale: ScaleLinear,
			XAxis: &Axis{Min: new(1.0), Max: new(1e6)},
			YAxis: &Axis{Min: new(0.0), Max: new(3.0), Ticks: []Tick{{1, "one"}, {2, "two"}}},
			Series: []Series{
				{Label: "shared line", System: "webhook", Markers: true, X: []float64{10, 100, 1000}, Y: []float64{1, 2, 1.5},
					YLo: []float64{0.8, 1.9, 1.5}, YHi: []float64{1.1, 2.4, 1.5}},
				{Label: "key only", Dash: 1},
			},
			Areas: []Area{{Label: "band", Color: Palette.Sky, X: []float64{1, 1e6, 1e6}, Y: []float64{0, 0, 1}},
				{Label: "cells", System: "kafka", Rects: [][4]float64{{10, 100, 2, 3}}}},
			Marks: []Marks{{Label: "marks", Shape: MarkRing, X: []float64{1000}, Y: []float64{1.5}, Text: []string{"here"}}},
		}
	}
	d := Data{Name: "parts", Title: "Parts", Kind: KindTiles, Columns: 2, Tiles: []Data{tile("left"), tile("right")}, Width: 8, Height: 4}
	c, err := Render(d)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(c.PNG))
	if err != nil {
		t.Fatal(err)
	}
	if w, h := img.Bounds().Dx(), img.Bounds().Dy(); w != 8*DPI || h != 4*DPI {
		t.Errorf("png %dx%d, want %dx%d", w, h, 8*DPI, 4*DPI)
	}
	svg := string(c.SVG)
	for _, want := range []string{"Parts", "left", "right", "shared line", "key only", "band", "cells", "marks", "here", "one", "two"} {
		if !strings.Contains(svg, ">"+want+"<") {
			t.Errorf("svg lacks %q", want)
		}
	}
	// The two tiles share one legend: each entry once.
	if n := strings.Count(svg, ">shared line<"); n != 1 {
		t.Errorf("legend entry drawn %d times, want once", n)
	}
	if Width != 10*vg.Inch {
		t.Errorf("default width changed")
	}

	bad := []struct {
		name string
		edit func(*Data)
		want string
	}{
		{"no tiles", func(d *Data) { d.Tiles = nil }, "no tiles"},
		{"series lengths", func(d *Data) { d.Tiles[0].Series[0].Y = d.Tiles[0].Series[0].Y[:2] }, `series "shared line"`},
		{"error bar lengths", func(d *Data) { d.Tiles[0].Series[0].YHi = nil }, "lows"},
		{"area lengths", func(d *Data) { d.Tiles[1].Areas[0].Y = nil }, `area "band"`},
		{"mark shape", func(d *Data) { d.Tiles[0].Marks[0].Shape = "star" }, `unknown mark shape "star"`},
		{"mark text", func(d *Data) { d.Tiles[0].Marks[0].Text = []string{"a", "b"} }, `marks "marks"`},
		{"nothing", func(d *Data) { d.Tiles[1] = Data{Title: "empty", Kind: KindLines} }, "no data to draw"},
	}
	for _, tc := range bad {
		d := Data{Name: "parts", Title: "Parts", Kind: KindTiles, Tiles: []Data{tile("left"), tile("right")}}
		tc.edit(&d)
		if _, err := Render(d); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestColors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"#0072B2", "#0072B2"}, {"#ffffff99", "#FFFFFF99"}, {"nope", "#000000"}, {"#12345", "#000000"},
	} {
		if got := Hex(ParseColor(tc.in)); got != tc.want {
			t.Errorf("Hex(ParseColor(%q)) = %s, want %s", tc.in, got, tc.want)
		}
	}
	if got := Lighten(Palette.Blue, 1); got != "#FFFFFF" {
		t.Errorf("Lighten(blue, 1) = %s", got)
	}
	if got := Lighten(Palette.Blue, 0); got != Palette.Blue {
		t.Errorf("Lighten(blue, 0) = %s", got)
	}
	if Palette.Blue != SystemColorHex("webhook") || Palette.Vermilion != SystemColorHex("kafka") || Palette.Green != SystemColorHex("bridge") {
		t.Error("the palette and the system colours disagree")
	}
}
