package curves

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evbench/evbench/internal/golden"
	"github.com/evbench/evbench/reports/results"
)

// fixturePoint builds a point of a synthetic system with capacity cap
// (events/s per subscriber): it delivers min(rate, cap) per second per
// subscriber during a 10 s measured period, and latency grows like a
// queue's as the load approaches capacity. Subscriber i is (1+0.1 i) times
// slower than the first, so the worst subscriber is the last one.
func fixturePoint(system string, rate float64, subs, repeat int, capacity float64, extra map[string]float64) results.Point {
	const dur = 10.0
	deliveredPerS := math.Min(rate, capacity)
	rho := math.Min(rate/capacity, 0.95)
	p := results.Point{
		System:       system,
		Params:       map[string]float64{ParamRate: rate, ParamSubscribers: float64(subs)},
		Repeat:       repeat,
		Status:       results.StatusComplete,
		OfferedPerS:  rate,
		AchievedPerS: rate,
		DurationS:    dur,
	}
	for k, v := range extra {
		p.Params[k] = v
	}
	// Samples at 0.95 s, 1.95 s, ... inside the measured period, then one
	// drain sample that must not count.
	for k := 0; k < 10; k++ {
		p.Timeseries = append(p.Timeseries, results.Sample{TS: 0.95 + float64(k), Offered: rate, Achieved: rate,
			Delivered: int64(deliveredPerS*float64(subs)) + int64(repeat)*int64(subs)})
	}
	p.Timeseries = append(p.Timeseries, results.Sample{TS: 12.5, Delivered: 1_000_000})
	sent := int64(rate * dur)
	delivered := sent
	if rate > capacity {
		delivered = int64(capacity * dur)
	}
	for i := 0; i < subs; i++ {
		slow := 1 + 0.1*float64(i)
		p50 := 1000 / (1 - rho) * slow
		p.Subscribers = append(p.Subscribers, results.Subscriber{
			Name: fmt.Sprintf("sub-%d", i+1),
			E2E: results.Latency{LatencyUS: results.Summary{
				Count: delivered, P50: int64(p50), P99: int64(5 * p50), Max: int64(9 * p50),
			}},
			Accounting: results.Accounting{Sent: sent, Delivered: delivered, Lost: sent - delivered},
		})
	}
	return p
}

// fixture is a small sweep: webhook, kafka and bridge at 1 and 3
// subscribers over four rates, the 1-subscriber webhook repeated twice, a
// failed point, and saturation results.
func fixture() *results.Results {
	r := &results.Results{
		Schema: results.Schema, Status: results.StatusComplete,
		Environment: results.Environment{BrokerKind: "embedded in-memory (kfake, not disk-backed)", Embedded: true},
	}
	caps := map[string]float64{"webhook": 2500, "kafka": 6000, "bridge": 3000}
	for _, sys := range []string{"webhook", "kafka", "bridge"} {
		for _, subs := range []int{1, 3} {
			repeats := 1
			if sys == "webhook" && subs == 1 {
				repeats = 2
			}
			for _, rate := range []float64{500, 1000, 2000, 4000} {
				for rep := 0; rep < repeats; rep++ {
					r.Points = append(r.Points, fixturePoint(sys, rate, subs, rep, caps[sys]/float64(subs), nil))
				}
			}
		}
	}
	failed := fixturePoint("kafka", 8000, 1, 0, 6000, nil)
	failed.Status, failed.Error = results.StatusFailed, "broker unreachable"
	r.Points = append(r.Points, failed)
	r.MaxSustainable = []results.MaxRate{
		{System: "webhook", Subscribers: 1, RatePerS: 2400, SLO: "e2e.p99 < 100ms", Probes: 9, Bounded: true},
		{System: "webhook", Subscribers: 3, RatePerS: 810, SLO: "e2e.p99 < 100ms", Probes: 9, Bounded: true},
		{System: "kafka", Subscribers: 1, RatePerS: 5900, SLO: "e2e.p99 < 100ms", Probes: 10, Bounded: true},
		{System: "kafka", Subscribers: 3, RatePerS: 5800, SLO: "e2e.p99 < 100ms", Probes: 10, Bounded: true},
		{System: "bridge", Subscribers: 1, RatePerS: 2900, SLO: "e2e.p99 < 100ms", Probes: 8, Bounded: true},
		{System: "bridge", Subscribers: 3, RatePerS: 51200, SLO: "e2e.p99 < 100ms", Probes: 11, Bounded: false},
	}
	return r
}

func TestDeliveredRate(t *testing.T) {
	tests := []struct {
		name string
		p    results.Point
		want float64
		ok   bool
	}{
		{"keeps up", fixturePoint("webhook", 1000, 1, 0, 5000, nil), 1000, true},
		{"saturated at capacity, drain sample ignored", fixturePoint("webhook", 4000, 2, 0, 1500, nil), 1500, true},
		{"no subscribers", results.Point{DurationS: 10, Timeseries: []results.Sample{{TS: 1, Delivered: 5}, {TS: 2, Delivered: 5}}}, 0, false},
		{"one sample only", results.Point{DurationS: 10, Subscribers: []results.Subscriber{{}}, Timeseries: []results.Sample{{TS: 1, Delivered: 5}}}, 0, false},
		{"warm-up samples (t <= 0) skipped", results.Point{DurationS: 3, Subscribers: []results.Subscriber{{}},
			Timeseries: []results.Sample{{TS: -1, Delivered: 999}, {TS: 0.5, Delivered: 999}, {TS: 1.5, Delivered: 100}, {TS: 2.5, Delivered: 300}}}, 200, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := DeliveredRate(&tc.p)
			if ok != tc.ok || math.Abs(got-tc.want) > 1e-9*math.Max(1, tc.want) {
				t.Errorf("DeliveredRate = %v, %v; want %v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestExtractGolden(t *testing.T) {
	d, err := Extract(fixture())
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	golden.Check(t, filepath.Join("testdata", "extract.golden.json"), got)
}

// TestExtractSemantics checks the numbers a reader would check, not just
// the golden bytes.
func TestExtractSemantics(t *testing.T) {
	d, err := Extract(fixture())
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Curves) != 6 {
		t.Fatalf("got %d curves, want 6 (3 systems x 2 subscriber counts)", len(d.Curves))
	}
	if d.Curves[0].System != "webhook" || d.Curves[0].Subscribers != 1 || d.Curves[5].System != "bridge" {
		t.Errorf("curve order: %s/%d ... %s", d.Curves[0].System, d.Curves[0].Subscribers, d.Curves[5].System)
	}
	wh1 := d.Curves[0]
	for _, pt := range wh1.Points {
		if pt.Repeats != 2 {
			t.Errorf("webhook 1 sub rate %v: repeats %d, want 2", pt.RatePerS, pt.Repeats)
		}
	}
	// Repeat 1 delivers one more event per second than repeat 0.
	if pt := wh1.Points[0]; pt.DeliveredPerS.Min != 500 || pt.DeliveredPerS.Max != 501 || pt.DeliveredPerS.Mean != 500.5 {
		t.Errorf("repeats not averaged: %+v", pt.DeliveredPerS)
	}
	// Saturation: at 4000/s the webhook (capacity 2500) delivers 2500/s.
	if pt := wh1.Points[3]; math.Abs(pt.DeliveredPerS.Min-2500) > 1e-9 || pt.Lost == 0 {
		t.Errorf("saturated point: delivered %+v lost %d, want 2500/s and loss", pt.DeliveredPerS, pt.Lost)
	}
	// Worst subscriber: with 3 subscribers the third is 1.2x slower.
	wh3 := d.Curves[1]
	rho := 500 / (2500.0 / 3)
	wantP99 := float64(int64(5 * 1000 / (1 - rho) * 1.2))
	if got := wh3.Points[0].P99US.Mean; got != wantP99 {
		t.Errorf("worst p99 = %v, want %v (third subscriber)", got, wantP99)
	}
	if len(d.Skipped) != 1 || !strings.Contains(d.Skipped[0], "broker unreachable") {
		t.Errorf("Skipped = %v, want the failed kafka point", d.Skipped)
	}
	if len(d.Max) != 3 || d.Max[2].System != "bridge" || d.Max[2].Points[1].Bounded {
		t.Errorf("max curves: %+v", d.Max)
	}
}

func TestSectionsRender(t *testing.T) {
	secs, err := Sections(fixture())
	if err != nil {
		t.Fatal(err)
	}
	if len(secs) != 1 {
		t.Fatalf("got %d sections, want 1", len(secs))
	}
	s := secs[0]
	if len(s.Charts) != 3 {
		t.Fatalf("got %d charts, want 3", len(s.Charts))
	}
	for _, c := range s.Charts {
		img, err := png.Decode(bytes.NewReader(c.PNG))
		if err != nil {
			t.Fatalf("%s: PNG: %v", c.Name, err)
		}
		if b := img.Bounds(); b.Dx() < 600 || b.Dy() < 300 {
			t.Errorf("%s: PNG is %dx%d, too small to read", c.Name, b.Dx(), b.Dy())
		}
		if !bytes.Contains(c.SVG, []byte("<svg")) {
			t.Errorf("%s: SVG missing", c.Name)
		}
		if c.Title == "" {
			t.Errorf("%s: no title", c.Name)
		}
	}
	// Honesty label: the embedded broker is named next to the numbers.
	joined := strings.Join(s.Paragraphs, " ")
	if !strings.Contains(joined, "embedded in-memory broker") {
		t.Error("section does not say the broker was the embedded in-memory one")
	}
	if !bytes.Contains(s.Charts[0].SVG, []byte("kafka (embedded)")) {
		t.Error("throughput legend does not label kafka as embedded")
	}
	if len(s.Tables) != 2 || len(s.Tables[1].Rows) != 24 {
		t.Errorf("tables: %d, rows %d; want max table and 24 curve rows", len(s.Tables), len(s.Tables[len(s.Tables)-1].Rows))
	}
	if os.Getenv("EVBENCH_KEEP_CHARTS") != "" {
		for _, c := range s.Charts {
			_ = os.WriteFile(filepath.Join(os.TempDir(), c.Name+".png"), c.PNG, 0o644)
		}
	}
}

func TestSectionsNothingToDraw(t *testing.T) {
	r := &results.Results{Schema: results.Schema, Points: []results.Point{fixturePoint("webhook", 1000, 1, 0, 5000, nil)}}
	secs, err := Sections(r)
	if err != nil || len(secs) != 0 {
		t.Errorf("single point: got %d sections, %v; want none", len(secs), err)
	}
}

func TestOtherParamsMakeSeparateCurves(t *testing.T) {
	r := &results.Results{Schema: results.Schema}
	for _, parts := range []float64{6, 12} {
		for _, rate := range []float64{100, 200} {
			r.Points = append(r.Points, fixturePoint("kafka", rate, 1, 0, 1000, map[string]float64{"kafka.topic.partitions": parts}))
		}
	}
	d, err := Extract(r)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Curves) != 2 || d.Curves[0].Label != "kafka, 1 sub, partitions=6" || d.Curves[1].Label != "kafka, 1 sub, partitions=12" {
		var labels []string
		for _, c := range d.Curves {
			labels = append(labels, c.Label)
		}
		t.Errorf("labels = %q", labels)
	}
	if _, err := Sections(r); err != nil {
		t.Fatal(err)
	}
}

// TestChartDataGolden: the data of every sweep chart (throughput, latency
// tiles, saturation), as reports/plot draws it. A change in what the charts
// show is a reviewed change of the golden file.
func TestChartDataGolden(t *testing.T) {
	d, err := Extract(fixture())
	if err != nil {
		t.Fatal(err)
	}
	ds, err := ChartData(d)
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.MarshalIndent(ds, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "charts.golden.json"), append(got, '\n'))
	if len(ds) != 3 || ds[0].Name != ChartThroughput || ds[1].Name != ChartLatency || ds[2].Name != ChartMax {
		t.Fatalf("charts %d, want throughput, latency, max", len(ds))
	}
	// Every curve is in the throughput chart, coloured by its system (no
	// colour of its own), with one error bar bound per point.
	th := ds[0]
	if len(th.Series) != len(d.Curves)+1 {
		t.Fatalf("%d series, want %d curves + y = x", len(th.Series), len(d.Curves))
	}
	for i, c := range d.Curves {
		s := th.Series[i]
		if s.System != c.System || s.Color != "" || len(s.X) != len(c.Points) || len(s.YLo) != len(s.X) || len(s.YHi) != len(s.X) {
			t.Errorf("series %d %q: system %q colour %q, %d x, %d lo, %d hi; want %s, %d points", i, s.Label, s.System, s.Color, len(s.X), len(s.YLo), len(s.YHi), c.System, len(c.Points))
		}
		for j, pt := range c.Points {
			if s.X[j] != pt.RatePerS || s.Y[j] != pt.DeliveredPerS.Mean || s.YLo[j] > s.Y[j] || s.YHi[j] < s.Y[j] {
				t.Errorf("series %q point %d: (%v, %v in %v..%v), want (%v, %v)", s.Label, j, s.X[j], s.Y[j], s.YLo[j], s.YHi[j], pt.RatePerS, pt.DeliveredPerS.Mean)
			}
		}
	}
	// The latency tiles share one y range, snapped to decades.
	lt := ds[1].Tiles
	if len(lt) != 2 || *lt[0].YAxis.Min != *lt[1].YAxis.Min || *lt[0].YAxis.Max != *lt[1].YAxis.Max {
		t.Errorf("latency tiles do not share a y range")
	}
	for _, tl := range lt {
		if l := math.Log10(*tl.YAxis.Max); l != math.Trunc(l) {
			t.Errorf("y max %v is not a decade", *tl.YAxis.Max)
		}
	}
}

// TestMaxChartStartFailed: a search whose first probe failed reports 0;
// the chart must say the maximum is below the start rate, not draw a
// plain zero as if it were measured.
func TestMaxChartStartFailed(t *testing.T) {
	r := &results.Results{Schema: results.Schema, MaxSustainable: []results.MaxRate{
		{System: "webhook", Subscribers: 1, RatePerS: 0, Bounded: true, Probes: 1, SLO: "e2e.p99 < 100ms"},
		{System: "kafka", Subscribers: 1, RatePerS: 2500, Bounded: true, Probes: 4, SLO: "e2e.p99 < 100ms"},
	}}
	d, err := Extract(r)
	if err != nil {
		t.Fatal(err)
	}
	c, err := MaxChart(d)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(c.SVG, []byte("maximum is below the start rate")) {
		t.Error("chart does not mark the failed start")
	}
	if row := MaxTable(d).Rows[0]; row[3] != "start rate already failed" {
		t.Errorf("table row %v", row)
	}
}
