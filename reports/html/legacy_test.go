package html

import (
	"bytes"
	"testing"

	"github.com/evbench/evbench/reports/cost"
	"github.com/evbench/evbench/reports/internal/fixture"
	"github.com/evbench/evbench/reports/results"
)

// TestLegacyDocumentRendersIdentically: a results.json written before
// points recorded their capabilities, cost family and order renders the
// same report.html, byte for byte, as the same run with them recorded (the
// legacy table in reports/results describes the three original systems
// exactly as their descriptors do). The chart data of such documents is
// pinned by reports/plot's golden files, which check both shapes too.
func TestLegacyDocumentRendersIdentically(t *testing.T) {
	for _, o := range []fixture.Options{
		{RealBroker: true, GeneratorLagUS: 200, Seconds: 10},
		{Seconds: 10, Rates: []float64{500, 2000, 8000}},
	} {
		legacy := fixture.Build(o)
		o.Describe = true
		described := fixture.Build(o)
		if described.Points[0].Capabilities == nil || legacy.Points[0].Capabilities != nil {
			t.Fatal("fixture: Describe does not decide whether capabilities are recorded")
		}
		var pages [2][]byte
		for i, r := range [...]*results.Results{legacy, described} {
			sec, err := cost.Section(r, nil)
			if err != nil {
				t.Fatal(err)
			}
			page, _, err := Render(r, sec)
			if err != nil {
				t.Fatal(err)
			}
			pages[i] = page
		}
		if !bytes.Equal(pages[0], pages[1]) {
			a, b := pages[0], pages[1]
			n := 0
			for n < len(a) && n < len(b) && a[n] == b[n] {
				n++
			}
			lo := max(n-200, 0)
			t.Errorf("rates %v: the legacy document renders differently from the described one at byte %d:\nlegacy:    %q\ndescribed: %q",
				o.Rates, n, a[lo:min(n+200, len(a))], b[lo:min(n+200, len(b))])
		}
	}
}
