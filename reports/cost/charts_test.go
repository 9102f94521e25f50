package cost

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/evbench/evbench/internal/golden"
	rplot "github.com/evbench/evbench/reports/plot"
)

// numberList is a JSON array of numbers spread over lines by MarshalIndent.
var numberList = regexp.MustCompile(`\[\s*(?:-?[0-9.eE+-]+,\s*)*-?[0-9.eE+-]+\s*\]`)

// chartJSON is indented JSON with each number list on one line, so a golden
// diff shows which series changed without a line per number.
func chartJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	b = numberList.ReplaceAllFunc(b, func(m []byte) []byte {
		return []byte(strings.Join(strings.Fields(string(m)), " "))
	})
	return append(b, '\n')
}

// TestChartDataGolden: the data of every cost chart (curves, composition,
// break-even map, tornado) for the fixture run under the default profile,
// as reports/plot draws it. A change in what the charts show is a
// reviewed change of the golden file.
func TestChartDataGolden(t *testing.T) {
	r := fixtureResults()
	p, err := ResolveProfile(r, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	usage, err := MeasuredUsage(r)
	if err != nil {
		t.Fatal(err)
	}
	m := NewModel(p, usage)
	ds, err := ProfileChartData(m)
	if err != nil {
		t.Fatal(err)
	}
	sens, err := Analyze(p, usage, DefaultRanges(p), claimSubscribers, claimRates[0])
	if err != nil {
		t.Fatal(err)
	}
	ds = append(ds, sens.TornadoData(12))
	golden.Check(t, filepath.Join("testdata", "charts.golden.json"), chartJSON(t, ds))

	// What a reader checks on the curves: every tile has every system,
	// on one y range, and the webhook-kafka break-even marks lie on the
	// webhook curve's cost at that rate.
	curves := ds[0]
	if curves.Kind != rplot.KindTiles || len(curves.Tiles) != len(ReportSubscribers) {
		t.Fatalf("cost curves: kind %s, %d tiles", curves.Kind, len(curves.Tiles))
	}
	for i, tile := range curves.Tiles {
		n := ReportSubscribers[i]
		systems := map[string]bool{}
		for _, s := range tile.Series {
			if s.System != "" {
				systems[s.System] = true
			}
		}
		if len(systems) != len(m.Systems()) {
			t.Errorf("tile %q draws %d systems, want %d", tile.Title, len(systems), len(m.Systems()))
		}
		if *tile.YAxis.Min != *curves.Tiles[0].YAxis.Min || *tile.YAxis.Max != *curves.Tiles[0].YAxis.Max {
			t.Errorf("tile %q has its own y range", tile.Title)
		}
		for _, mk := range tile.Marks {
			for j := range mk.X {
				b, err := m.Cost("webhook", mk.X[j], n)
				if err != nil {
					t.Fatal(err)
				}
				if !near(b.Total, mk.Y[j]) {
					t.Errorf("%s, %d subscribers: mark at %v costs %v, webhook costs %v there", mk.Label, n, mk.X[j], mk.Y[j], b.Total)
				}
			}
		}
	}
	// The composition's stacked shares end at 100% for every system.
	for _, tile := range ds[1].Tiles {
		var top float64
		for _, a := range tile.Areas {
			if a.Label != "" && len(a.Y) > 0 {
				top = max(top, a.Y[0])
			}
		}
		if !near(top, 1) {
			t.Errorf("composition %q: shares stack to %v, want 1", tile.Title, top)
		}
	}
	// Every chart renders.
	for _, d := range ds {
		if _, err := rplot.Render(d); err != nil {
			t.Errorf("%s: %v", d.Name, err)
		}
	}
}
